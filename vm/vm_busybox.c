/* vm_busybox: finding a guest's busybox (see vm_busybox.h). */
#include "vm_busybox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../formats/deb.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "vm_rootfs.h"

int vm_busybox_find(const char *arch, const char *deb_arch, const char *cache_dir,
		    const char *work_dir, struct vm_busybox *b, char *why, size_t why_len)
{
	const char *dirs[] = { cache_dir ? cache_dir : "/var/cache/apt/archives",
			       cache_dir ? "/var/cache/apt/archives" : NULL, NULL };
	unsigned char head[64];
	char var[32];
	ssize_t n;
	int fd, err;

	memset(b, 0, sizeof(*b));
	b->source = vm_rootfs_busybox_source(arch, deb_arch, dirs, var);
	b->fix = xasprintf("cd %s && apt-get download busybox-static:%s (tests/setup-arm64.sh "
			   "does), or set %s to a static %s busybox",
			   cache_dir ? cache_dir : "/var/cache/apt/archives", deb_arch, var, arch);
	if (!b->source) {
		snprintf(why, why_len, "no %s busybox for the guest: no busybox-static_*_%s.deb in "
			 "%s or /var/cache/apt/archives, and %s is not set", arch, deb_arch,
			 cache_dir ? cache_dir : "bpfpack's cache", var);
		return -ENOENT;
	}
	fd = open(b->source, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)	/* only $BUSYBOX_<ARCH> names a file that may not exist */
			snprintf(why, why_len, "%s=%s: no such file", var, b->source);
		else
			snprintf(why, why_len, "cannot read %s: %s", b->source, strerror(-err));
		return err;
	}
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err) {
		snprintf(why, why_len, "cannot read %s: %s", b->source, strerror(-err));
		return err;
	}
	if (!deb_is_deb(head, (size_t)n)) {
		b->path = xstrdup(b->source);	/* a program: the caller checks its machine */
		return 0;
	}
	b->from_deb = true;
	b->path = fs_path_join(work_dir, "busybox.XXXXXX");
	fd = mkostemp(b->path, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot create a file in %s: %s", work_dir, strerror(-err));
		return err;
	}
	/* Reports a corrupt package itself; a package without one is ours to say.
	 * bookworm's package has bin/busybox, trixie's (merged /usr)
	 * usr/bin/busybox. */
	err = deb_extract(b->source, "bin/busybox", FORMATS_MAX_IMAGE, fd, &b->member);
	if (err == -ENOENT)
		err = deb_extract(b->source, "usr/bin/busybox", FORMATS_MAX_IMAGE, fd, &b->member);
	if (err == -ENOENT) {
		snprintf(why, why_len, "package %s holds no bin/busybox or usr/bin/busybox", b->source);
		err = -EINVAL;
	} else if (err) {
		snprintf(why, why_len, "cannot extract busybox from %s", b->source);
	} else if (fchmod(fd, 0755) < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot chmod %s: %s", b->path, strerror(-err));
	}
	close(fd);
	if (err)
		unlink(b->path);
	return err;
}

void vm_busybox_free(struct vm_busybox *b)
{
	free(b->path);
	free(b->source);
	free(b->member);
	free(b->fix);
	memset(b, 0, sizeof(*b));
}
