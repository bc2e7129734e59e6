/* vm_kernel: boot images and Debian kernel packages for vmtest. */
#include "vm_kernel.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "report.h"

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

/* Reading the data.tar.* member of a package as an archive of its own. */
struct member_reader {
	struct archive *outer;
	char block[65536];
};

static la_ssize_t member_read(struct archive *a, void *ctx, const void **buf)
{
	struct member_reader *m = ctx;

	(void)a;
	*buf = m->block;
	return archive_read_data(m->outer, m->block, sizeof(m->block));
}

/* Extracts the first boot/vmlinuz-* of the data archive into OUT_FD.
 * Returns 0, -ENOENT when there is none, or -EIO (reported). */
static int extract_vmlinuz(struct archive *outer, const char *deb, int out_fd)
{
	struct member_reader *m = xcalloc(1, sizeof(*m));
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	int rc, err = -ENOENT;

	m->outer = outer;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	if (archive_read_open(in, m, NULL, member_read, NULL) != ARCHIVE_OK) {
		report_error("cannot read package %s: %s", deb, archive_error_string(in));
		err = -EIO;
		goto out;
	}
	while ((rc = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (!strncmp(name, "./", 2))
			name += 2;
		if (archive_entry_filetype(e) != AE_IFREG ||
		    fnmatch("boot/vmlinuz-*", name, FNM_PATHNAME) != 0)
			continue;
		if (archive_read_data_into_fd(in, out_fd) != ARCHIVE_OK) {
			report_error("cannot extract %s from %s: %s", name, deb,
				     archive_error_string(in));
			err = -EIO;
		} else {
			err = 0;
		}
		goto out;
	}
	if (rc != ARCHIVE_EOF) {
		report_error("cannot read package %s: %s", deb, archive_error_string(in));
		err = -EIO;
	}
out:
	archive_read_free(in);
	free(m);
	return err;
}

/* Extracts the kernel image of the package DEB into a new file in WORK_DIR. */
static int deb_extract_image(const char *deb, const char *work_dir, char **image)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *path = fs_path_join(work_dir, "vmlinuz.XXXXXX");
	int fd = -1, rc, err = -ENOENT;

	archive_read_support_format_ar(a);
	if (archive_read_open_filename(a, deb, 65536) != ARCHIVE_OK) {
		report_error("cannot read package %s: %s", deb, archive_error_string(a));
		err = -EIO;
		goto out;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (strncmp(archive_entry_pathname(e), "data.tar", 8) != 0)
			continue;
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			report_error("cannot create a file in %s: %s", work_dir, strerror(-err));
			goto out;
		}
		err = extract_vmlinuz(a, deb, fd);
		break;
	}
	if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF) {
		report_error("cannot read package %s: %s", deb, archive_error_string(a));
		err = -EIO;
	}
	if (err == -ENOENT) {
		report_error("package %s holds no boot/vmlinuz-*: not a kernel image package", deb);
		report_hint("a metapackage such as linux-image-cloud-amd64 only depends on the "
			    "package with the kernel (linux-image-VERSION-cloud-amd64)");
		err = -EINVAL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (err) {
		if (fd >= 0)
			unlink(path);
		free(path);
	} else {
		*image = path;
	}
	archive_read_free(a);
	return err;
}

static const char not_a_kernel_hint[] =
	"give a boot image (bzImage, /boot/vmlinuz-*) or a Debian linux-image-*.deb";

int vm_kernel_open(const char *arg, const char *work_dir, struct vm_kernel *k)
{
	unsigned char head[65536];
	size_t len = 0;
	int err;

	memset(k, 0, sizeof(*k));
	err = read_head(arg, head, sizeof(head), &len);
	if (err)
		return err;
	k->arg = xstrdup(arg);
	if (is_boot_image(head, len)) {
		k->image = xstrdup(arg);
		k->release = vm_kernel_boot_release(head, len);
		return 0;
	}
	/* A .deb is an ar archive whose first member is debian-binary. */
	if (len >= 21 && !memcmp(head, "!<arch>\ndebian-binary", 21)) {
		err = deb_extract_image(arg, work_dir, &k->image);
		if (err)
			goto fail;
		k->from_deb = 1;
		err = read_head(k->image, head, sizeof(head), &len);
		if (err)
			goto fail;
		if (!is_boot_image(head, len)) {
			report_error("kernel %s: the image in the package is not an x86 boot image",
				     arg);
			err = -EINVAL;
			goto fail;
		}
		k->release = vm_kernel_boot_release(head, len);
		return 0;
	}
	if (len >= 4 && !memcmp(head, "\177ELF", 4)) {
		report_error("kernel %s: an ELF file (vmlinux?), not a bootable image", arg);
		report_hint("%s", not_a_kernel_hint);
	} else {
		report_error("kernel %s: not a kernel image (bzImage) or a Debian kernel package",
			     arg);
		report_hint("%s", not_a_kernel_hint);
	}
	err = -EINVAL;
fail:
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
