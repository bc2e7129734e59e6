/* initramfs: a gzip'd newc cpio archive written with libarchive. */
#include "initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/report.h"

struct initramfs {
	struct archive *a;
	char *path;		/* the target */
	char *tmp;		/* the temp file beside it */
	int fd;
	struct strv dirs;	/* directories already in the archive */
	struct strv others;	/* every other entry */
	unsigned int next_ino;	/* newc needs distinct inode numbers */
};

static int archive_failed(struct initramfs *ir, const char *what)
{
	report_error("cannot write initramfs %s: %s: %s", ir->path, what,
		     archive_error_string(ir->a) ? archive_error_string(ir->a) : "unknown error");
	return -EIO;
}

int initramfs_create(const char *path, struct initramfs **out)
{
	struct initramfs *ir = xcalloc(1, sizeof(*ir));
	int fd;

	ir->path = xstrdup(path);
	ir->fd = -1;
	fd = fs_temp_beside(path, &ir->tmp);
	if (fd < 0) {
		free(ir->path);
		free(ir);
		return fd;
	}
	ir->fd = fd;
	ir->next_ino = 1;
	ir->a = archive_write_new();
	/* The gzip level barely changes the guest's unpack time but level 1
	 * compresses several times faster than the default on the host. */
	if (archive_write_set_format_cpio_newc(ir->a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(ir->a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(ir->a, "gzip", "compression-level", "1") != ARCHIVE_OK ||
	    /* No padding to 10 KiB blocks: the kernel wants only the cpio. */
	    archive_write_set_bytes_in_last_block(ir->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(ir->a, fd) != ARCHIVE_OK) {
		int err = archive_failed(ir, "setting up the archive");

		initramfs_abort(ir);
		return err;
	}
	*out = ir;
	return 0;
}

static int path_check(struct initramfs *ir, const char *guest_path)
{
	size_t len = strlen(guest_path);
	const char *s = guest_path;

	if (guest_path[0] != '/' || len < 2 || guest_path[len - 1] == '/')
		goto bad;
	/* Every component must be a plain name. */
	while (*s) {
		const char *c = s + 1, *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			goto bad;
		s = end;
	}
	return 0;
bad:
	report_error("cannot add '%s' to initramfs %s: not an absolute path of plain names",
		     guest_path, ir->path);
	return -EINVAL;
}

/* Writes the header of one entry (and no data). */
static int write_header(struct initramfs *ir, const char *guest_path, mode_t type_mode,
			la_int64_t size, const char *symlink, dev_t rdev_major, dev_t rdev_minor,
			time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	/* cpio names are relative to the archive root, as the kernel expects. */
	archive_entry_set_pathname(e, guest_path + 1);
	archive_entry_set_mode(e, type_mode);
	archive_entry_set_size(e, size);
	archive_entry_set_ino(e, ir->next_ino++);
	archive_entry_set_nlink(e, S_ISDIR(type_mode) ? 2 : 1);
	/* Owned by root, the guest's only user. Generated entries get time 0,
	 * so the same inputs give the same archive; copies keep their time. */
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, mtime, 0);
	if (symlink)
		archive_entry_set_symlink(e, symlink);
	if (S_ISCHR(type_mode)) {
		archive_entry_set_rdevmajor(e, rdev_major);
		archive_entry_set_rdevminor(e, rdev_minor);
	}
	rc = archive_write_header(ir->a, e);
	archive_entry_free(e);
	if (rc != ARCHIVE_OK)
		return archive_failed(ir, guest_path);
	return 0;
}

/* Adds the parents of GUEST_PATH that are not in the archive yet. */
static int add_parents(struct initramfs *ir, const char *guest_path)
{
	char *p = xstrdup(guest_path);
	int err = 0;

	for (char *s = strchr(p + 1, '/'); s && !err; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (strv_contains(&ir->others, p)) {
			report_error("cannot add '%s' to initramfs %s: '%s' is not a directory",
				     guest_path, ir->path, p);
			err = -ENOTDIR;
		} else if (!strv_contains(&ir->dirs, p)) {
			err = write_header(ir, p, S_IFDIR | 0755, 0, NULL, 0, 0, 0);
			if (!err)
				strv_push(&ir->dirs, p);
		}
		*s = '/';
	}
	free(p);
	return err;
}

/* Checks GUEST_PATH and adds its parents before a non-directory entry. */
static int begin_entry(struct initramfs *ir, const char *guest_path)
{
	int err = path_check(ir, guest_path);

	if (err)
		return err;
	if (strv_contains(&ir->dirs, guest_path) || strv_contains(&ir->others, guest_path)) {
		report_error("cannot add '%s' to initramfs %s: it is added twice", guest_path,
			     ir->path);
		return -EEXIST;
	}
	err = add_parents(ir, guest_path);
	if (!err)
		strv_push(&ir->others, guest_path);
	return err;
}

int initramfs_add_dir(struct initramfs *ir, const char *guest_path, mode_t mode)
{
	int err = path_check(ir, guest_path);

	if (err)
		return err;
	if (strv_contains(&ir->dirs, guest_path))
		return 0;
	if (strv_contains(&ir->others, guest_path)) {
		report_error("cannot add directory '%s' to initramfs %s: a file has that name",
			     guest_path, ir->path);
		return -EEXIST;
	}
	err = add_parents(ir, guest_path);
	if (!err)
		err = write_header(ir, guest_path, S_IFDIR | (mode & 07777), 0, NULL, 0, 0, 0);
	if (!err)
		strv_push(&ir->dirs, guest_path);
	return err;
}

static int write_data(struct initramfs *ir, const char *guest_path, const void *data, size_t len)
{
	if (len && archive_write_data(ir->a, data, len) != (la_ssize_t)len)
		return archive_failed(ir, guest_path);
	return 0;
}

int initramfs_add_data(struct initramfs *ir, const char *guest_path, const void *data,
		       size_t len, mode_t mode)
{
	int err = begin_entry(ir, guest_path);

	if (!err)
		err = write_header(ir, guest_path, S_IFREG | (mode & 07777), (la_int64_t)len,
				   NULL, 0, 0, 0);
	if (!err)
		err = write_data(ir, guest_path, data, len);
	return err;
}

int initramfs_add_file(struct initramfs *ir, const char *host_path, const char *guest_path)
{
	char chunk[65536];
	struct stat st;
	off_t left;
	int fd, err;

	fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		report_error("cannot read %s: %s", host_path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		report_error("cannot add %s to the initramfs: not a regular file", host_path);
		close(fd);
		return -EINVAL;
	}
	err = begin_entry(ir, guest_path);
	if (!err)
		err = write_header(ir, guest_path, S_IFREG | (st.st_mode & 07777),
				   (la_int64_t)st.st_size, NULL, 0, 0, st.st_mtime);
	/* Exactly the size in the header, even if the file changes meanwhile:
	 * a shorter copy would corrupt the rest of the archive. */
	for (left = st.st_size; !err && left > 0;) {
		size_t want = left < (off_t)sizeof(chunk) ? (size_t)left : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			report_error("cannot read %s: %s", host_path,
				     n < 0 ? strerror(-err) : "file shrank while being read");
			break;
		}
		err = write_data(ir, guest_path, chunk, (size_t)n);
		left -= n;
	}
	close(fd);
	return err;
}

int initramfs_add_symlink(struct initramfs *ir, const char *guest_path, const char *target)
{
	int err = begin_entry(ir, guest_path);

	if (!err)
		err = write_header(ir, guest_path, S_IFLNK | 0777, 0, target, 0, 0, 0);
	return err;
}

int initramfs_add_chardev(struct initramfs *ir, const char *guest_path, mode_t mode,
			  unsigned int major, unsigned int minor)
{
	int err = begin_entry(ir, guest_path);

	if (!err)
		err = write_header(ir, guest_path, S_IFCHR | (mode & 07777), 0, NULL, major, minor, 0);
	return err;
}

static void initramfs_free(struct initramfs *ir)
{
	if (ir->a)
		archive_write_free(ir->a);
	if (ir->fd >= 0)
		close(ir->fd);
	strv_free(&ir->dirs);
	strv_free(&ir->others);
	free(ir->tmp);
	free(ir->path);
	free(ir);
}

int initramfs_finish(struct initramfs *ir)
{
	int err = 0;

	if (archive_write_close(ir->a) != ARCHIVE_OK)
		err = archive_failed(ir, "finishing the archive");
	archive_write_free(ir->a);
	ir->a = NULL;
	if (close(ir->fd) < 0 && !err) {
		err = -errno;
		report_error("cannot write initramfs %s: %s", ir->path, strerror(-err));
	}
	ir->fd = -1;
	if (err)
		unlink(ir->tmp);
	else
		err = fs_commit_temp(ir->tmp, ir->path, 0644);
	initramfs_free(ir);
	return err;
}

void initramfs_abort(struct initramfs *ir)
{
	if (!ir)
		return;
	if (ir->tmp)
		unlink(ir->tmp);
	initramfs_free(ir);
}
