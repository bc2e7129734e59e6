/* vm_kernel: boot images and Debian kernel packages for vmtest. */
#include "vm_kernel.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/report.h"
#include "../formats/deb.h"
#include "../formats/kimage.h"

/* The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst). */
#define BOOT_FLAG_OFF	0x1fe	/* 0xaa55 */
#define HDRS_OFF	0x202	/* "HdrS" */
#define VERSION_OFF	0x206	/* boot protocol version */
#define KVER_OFF	0x20e	/* offset of the version string, minus 0x200 */

static unsigned int le16(const unsigned char *p)
{
	return p[0] | (unsigned int)p[1] << 8;
}

static int is_boot_image(const unsigned char *data, size_t len)
{
	return len > KVER_OFF + 2 && le16(data + BOOT_FLAG_OFF) == 0xaa55 &&
	       memcmp(data + HDRS_OFF, "HdrS", 4) == 0;
}

char *vm_kernel_boot_release(const unsigned char *data, size_t len)
{
	size_t off, end;

	if (!is_boot_image(data, len) || le16(data + VERSION_OFF) < 0x200)
		return NULL;
	off = 0x200 + le16(data + KVER_OFF);
	if (le16(data + KVER_OFF) == 0 || off >= len)
		return NULL;
	/* "6.1.0-50-cloud-amd64 (debian-kernel@...) #1 SMP ...": the release is
	 * the first word. */
	for (end = off; end < len && data[end] && data[end] != ' '; end++)
		if (data[end] < 0x21 || data[end] > 0x7e)
			return NULL;
	if (end == off || end == len)
		return NULL;
	return strndup((const char *)data + off, end - off);
}

/* Reads the first bytes of PATH (the setup header and version string live in
 * the first 32 KiB). */
static int read_head(const char *path, unsigned char *head, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;

		report_error("cannot read kernel %s: %s", path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	if (S_ISDIR(st.st_mode)) {
		report_error("cannot read kernel %s: %s", path, strerror(EISDIR));
		close(fd);
		return -EISDIR;
	}
	do
		n = pread(fd, head, size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;

		report_error("cannot read kernel %s: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	close(fd);
	*len = (size_t)n;
	return 0;
}

/* A new file in WORK_DIR named NAME.XXXXXX: its fd, *PATH set. */
static int work_file(const char *work_dir, const char *name, char **path)
{
	char *p = xasprintf("%s/%s.XXXXXX", work_dir, name);
	int fd = mkostemp(p, O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		report_error("cannot create a file in %s: %s", work_dir, strerror(err));
		free(p);
		return -err;
	}
	*path = p;
	return fd;
}

/* Extracts the kernel image of the package DEB into a new file in WORK_DIR;
 * *RELEASE gets the release its file name says (boot/vmlinuz-RELEASE). */
static int deb_extract_image(const char *deb, const char *work_dir, char **image, char **release)
{
	char *path = NULL, *member = NULL;
	int fd = work_file(work_dir, "vmlinuz", &path), err;

	if (fd < 0)
		return fd;
	err = deb_extract(deb, "boot/vmlinuz-*", FORMATS_MAX_IMAGE, fd, &member);
	close(fd);
	if (err == -ENOENT) {
		report_error("package %s holds no boot/vmlinuz-*: not a kernel image package", deb);
		report_hint("a metapackage such as linux-image-cloud-amd64 only depends on the "
			    "package with the kernel (linux-image-VERSION-cloud-amd64)");
		err = -EINVAL;
	}
	if (err) {
		unlink(path);
		free(path);
		return err;
	}
	if (member && strlen(fs_basename(member)) > strlen("vmlinuz-"))
		*release = xstrdup(fs_basename(member) + strlen("vmlinuz-"));
	free(member);
	*image = path;
	return 0;
}

static const char not_a_kernel_hint[] =
	"give a boot image (bzImage, /boot/vmlinuz-*, an arm64 Image or Image.gz) or a Debian "
	"linux-image-*.deb";

/* The release in an arm64 Image's "Linux version" banner, or NULL. */
static char *image_banner_release(const void *data, size_t len)
{
	char release[128];

	if (kimage_find_banner(data, len, release, sizeof(release), NULL, 0) < 0)
		return NULL;
	return xstrdup(release);
}

/* Decides how K->image boots, given its first bytes in HEAD: an x86 boot
 * image or an arm64 Image as it is, a compressed arm64 kernel unpacked into
 * WORK_DIR. WHAT names the file in messages. */
static int classify_image(struct vm_kernel *k, const char *what, const char *work_dir,
			  const unsigned char *head, size_t len)
{
	struct buf data = {0}, unpacked = {0};
	struct kimage_info info;
	char *ctx = NULL, *path = NULL;
	int err, fd;

	if (is_boot_image(head, len)) {
		k->arch = "x86_64";
		if (!k->release)
			k->release = vm_kernel_boot_release(head, len);
		return 0;
	}
	if (len >= 4 && !memcmp(head, "\177ELF", 4)) {
		report_error("kernel %s: an ELF file (vmlinux?), not a bootable image", what);
		report_hint("%s", not_a_kernel_hint);
		return -EINVAL;
	}
	if (kimage_is_raw_image(head, len)) {
		if (!kimage_kernel_arch(head, len) || strcmp(kimage_kernel_arch(head, len), "arm64")) {
			report_error("kernel %s: a %s Image: vmtest boots x86_64 and arm64 kernels", what,
				     kimage_kernel_arch(head, len) ? kimage_kernel_arch(head, len) : "non-arm64");
			return -EINVAL;
		}
		k->arch = "arm64";
		if (!k->release && (err = fs_read_file(k->image, &data)) == 0)
			k->release = image_banner_release(data.data, data.len);
		buf_free(&data);
		return 0;
	}
	/* Compressed: an EFI zboot image ("MZ", "zimg" at 4) or a stream such as
	 * Image.gz; read whole only when the first bytes say it is one. */
	if (!(len >= 8 && !memcmp(head, "MZ", 2) && !memcmp(head + 4, "zimg", 4)) &&
	    !kimage_compression_at(head, len)) {
		report_error("kernel %s: not a kernel image (bzImage, arm64 Image) or a Debian kernel "
			     "package", what);
		report_hint("%s", not_a_kernel_hint);
		return -EINVAL;
	}
	ctx = xasprintf("kernel %s", what);
	err = fs_read_file(k->image, &data);
	if (!err)
		err = kimage_probe(data.data, data.len, ctx, &info);
	if (!err)
		err = kimage_unpack(data.data, data.len, &info, ctx, &unpacked);
	if (err)
		goto out;
	if (!kimage_is_raw_image(unpacked.data, unpacked.len) ||
	    strcmp(kimage_kernel_arch(unpacked.data, unpacked.len), "arm64")) {
		const char *a = kimage_kernel_arch(unpacked.data, unpacked.len);

		report_error("kernel %s: the compressed kernel is %s%s, not an arm64 Image", what,
			     a ? "for " : "not a bootable Image", a ? a : "");
		report_hint("%s", not_a_kernel_hint);
		err = -EINVAL;
		goto out;
	}
	fd = work_file(work_dir, "Image", &path);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	for (size_t off = 0; off < unpacked.len;) {
		ssize_t n = write(fd, unpacked.data + off, unpacked.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			report_error("cannot write %s: %s", path, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	if (err) {
		unlink(path);
		goto out;
	}
	report_debug("kernel %s: unpacked its %s arm64 Image (%zu bytes)", what,
		     info.compression ? info.compression : "compressed", unpacked.len);
	if (k->from_deb)
		unlink(k->image);	/* the extracted vmlinuz, no longer needed */
	free(k->image);
	k->image = path;
	path = NULL;
	k->from_deb = 1;
	k->arch = "arm64";
	if (!k->release)
		k->release = image_banner_release(unpacked.data, unpacked.len);
out:
	free(path);
	free(ctx);
	buf_free(&data);
	buf_free(&unpacked);
	return err;
}

/* CACHE_DIR/vmtest-kernels/KEY: KEY from what identifies ARG's content
 * without reading it. NULL when ARG cannot be stat'ed. */
char *vm_kernel_cache_base(const char *cache_dir, const char *arg)
{
	char *real = fs_realpath(arg);
	struct stat st;
	char *base = NULL;

	if (real && stat(real, &st) == 0) {
		struct buf id = {0};

		buf_printf(&id, "%s\n%llu %llu %lld %lld.%09ld\n", real, (unsigned long long)st.st_dev,
			   (unsigned long long)st.st_ino, (long long)st.st_size,
			   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		XXH128_hash_t h = XXH3_128bits(id.data, id.len);

		base = xasprintf("%s/vmtest-kernels/%016llx%016llx", cache_dir,
				 (unsigned long long)h.high64, (unsigned long long)h.low64);
		buf_free(&id);
	}
	free(real);
	return base;
}

/* Takes the cached image for ARG: BASE.img with BASE.info ("ARCH RELEASE"). */
static int cache_lookup(const char *base, struct vm_kernel *k)
{
	char *img = xasprintf("%s.img", base), *info_path = xasprintf("%s.info", base);
	struct buf info = {0};
	char arch[16], release[128] = "";
	int found = 0;

	if (fs_exists(img) && fs_exists(info_path) && fs_read_file(info_path, &info) == 0 &&
	    info.data && sscanf(info.data, "%15s %127s", arch, release) >= 1) {
		k->arch = !strcmp(arch, "arm64") ? "arm64" : !strcmp(arch, "x86_64") ? "x86_64" : NULL;
		if (k->arch) {
			/* Its time says when it was last used, for cache_prune. */
			utimensat(AT_FDCWD, img, NULL, 0);
			k->image = img;
			img = NULL;
			k->release = release[0] && strcmp(release, "-") ? xstrdup(release) : NULL;
			k->cached = 1;
			found = 1;
		}
	}
	buf_free(&info);
	free(img);
	free(info_path);
	return found;
}

/* Most images the cache keeps: the least recently used go first. Tests boot
 * packages they make in temp directories, each a new key. */
#define CACHE_MAX_IMAGES 6

struct cache_entry {
	char *base;
	long long used_ns;
};

static int cmp_entry_newest(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	return x->used_ns < y->used_ns ? 1 : x->used_ns > y->used_ns ? -1 : 0;
}

/* Keeps the CACHE_MAX_IMAGES most recently used images of DIR. */
static void cache_prune(const char *dir)
{
	char *pattern = xasprintf("%s/*.img", dir);
	struct cache_entry *v;
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0) {
		free(pattern);
		return;
	}
	v = xcalloc(g.gl_pathc + 1, sizeof(*v));
	for (size_t i = 0; i < g.gl_pathc; i++) {
		v[i].base = strndup(g.gl_pathv[i], strlen(g.gl_pathv[i]) - strlen(".img"));
		v[i].used_ns = fs_mtime_ns(g.gl_pathv[i]);
	}
	qsort(v, g.gl_pathc, sizeof(*v), cmp_entry_newest);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (i >= CACHE_MAX_IMAGES) {
			char *img = xasprintf("%s.img", v[i].base), *info = xasprintf("%s.info", v[i].base);

			char *mods = xasprintf("%s.mod-*.gz", v[i].base);
			glob_t mg;

			unlink(info);	/* first: an image without it is never used */
			unlink(img);
			/* The module archives made for it (vm/vm_modules.h). */
			if (glob(mods, 0, NULL, &mg) == 0) {
				for (size_t j = 0; j < mg.gl_pathc; j++)
					unlink(mg.gl_pathv[j]);
				globfree(&mg);
			}
			free(mods);
			free(img);
			free(info);
		}
		free(v[i].base);
	}
	free(v);
	globfree(&g);
	free(pattern);
}

/* Copies the image K made into the cache; failures only cost the next run
 * the time (said with -v). */
static void cache_store(const char *base, const struct vm_kernel *k)
{
	char *img = xasprintf("%s.img", base), *dir = fs_dirname(img), *tmp = NULL;
	char *info = xasprintf("%s %s\n", k->arch, k->release ? k->release : "-");
	char *info_path = xasprintf("%s.info", base);
	struct buf data = {0};
	int fd = -1, err;

	err = fs_mkdir_p(dir, 0755);
	if (!err)
		err = fs_read_file(k->image, &data);
	if (!err && (fd = fs_temp_beside(img, &tmp)) < 0)
		err = fd;
	for (size_t off = 0; !err && off < data.len;) {
		ssize_t n = write(fd, data.data + off, data.len - off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (!err)
		err = fs_commit_temp(tmp, img, 0644);
	else if (tmp)
		unlink(tmp);
	/* The info last: an image without it is never used. */
	if (!err)
		err = fs_write_atomic(info_path, info, strlen(info), 0644);
	if (err)
		report_debug("cannot cache the kernel image in %s: %s", dir, strerror(-err));
	else
		cache_prune(dir);
	buf_free(&data);
	free(tmp);
	free(img);
	free(dir);
	free(info);
	free(info_path);
}

int vm_kernel_open(const char *arg, const char *work_dir, const char *cache_dir,
		   struct vm_kernel *k)
{
	unsigned char head[65536];
	char *base = NULL;
	size_t len = 0;
	int err;

	memset(k, 0, sizeof(*k));
	err = read_head(arg, head, sizeof(head), &len);
	if (err)
		return err;
	k->arg = xstrdup(arg);
	k->deb = deb_is_deb(head, len);
	/* Only images made from ARG are cached: one booted as it is needs none. */
	if (cache_dir && !is_boot_image(head, len) && !kimage_is_raw_image(head, len))
		base = vm_kernel_cache_base(cache_dir, arg);
	if (base && cache_lookup(base, k)) {
		report_debug("kernel %s: the image made by an earlier run, %s", arg, k->image);
		free(base);
		return 0;
	}
	if (deb_is_deb(head, len)) {
		err = deb_extract_image(arg, work_dir, &k->image, &k->release);
		if (err)
			goto fail;
		k->from_deb = 1;
		err = read_head(k->image, head, sizeof(head), &len);
		if (!err)
			err = classify_image(k, arg, work_dir, head, len);
		if (err == -EINVAL)
			report_hint("the package's boot/vmlinuz-* is not a kernel vmtest can boot");
	} else {
		k->image = xstrdup(arg);
		err = classify_image(k, arg, work_dir, head, len);
	}
	if (!err) {
		if (base && k->from_deb)
			cache_store(base, k);
		free(base);
		return 0;
	}
fail:
	free(base);
	if (k->from_deb && k->image)
		unlink(k->image);
	vm_kernel_free(k);
	return err;
}

void vm_kernel_free(struct vm_kernel *k)
{
	free(k->arg);
	free(k->image);
	free(k->release);
	memset(k, 0, sizeof(*k));
}
