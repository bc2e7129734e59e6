/* initramfs: writing a Linux initramfs, a gzip'd cpio archive in the "newc"
 * format, through libarchive's writer. Entries are added one by one; the
 * parent directories of each entry are added first, once, because the
 * kernel's unpacker does not create them. The archive is written to a temp
 * file beside the target and renamed into place by initramfs_finish(). */
#ifndef BPFPACK_INITRAMFS_H
#define BPFPACK_INITRAMFS_H

#include <stddef.h>
#include <sys/types.h>

struct initramfs;

/* Starts an archive that initramfs_finish() will write to PATH. Reports and
 * returns -errno on failure. */
int initramfs_create(const char *path, struct initramfs **out);

/* GUEST_PATH is absolute ("/bin/busybox"); "." and ".." components and
 * trailing slashes are refused with -EINVAL. Each reports its failures. */
int initramfs_add_dir(struct initramfs *ir, const char *guest_path, mode_t mode);
/* Copies the regular file HOST_PATH (following symlinks) with its permission
 * bits and modification time (other entries: root-owned, time 0). */
int initramfs_add_file(struct initramfs *ir, const char *host_path, const char *guest_path);
/* Adds a regular file holding DATA. */
int initramfs_add_data(struct initramfs *ir, const char *guest_path, const void *data,
		       size_t len, mode_t mode);
int initramfs_add_symlink(struct initramfs *ir, const char *guest_path, const char *target);
/* A character device node, e.g. /dev/console (5, 1), which the kernel opens
 * before it runs /init. */
int initramfs_add_chardev(struct initramfs *ir, const char *guest_path, mode_t mode,
			  unsigned int major, unsigned int minor);

/* Closes the archive and renames it into place. Frees IR either way. */
int initramfs_finish(struct initramfs *ir);
/* Drops the archive and its temp file (after a failure). NULL is allowed. */
void initramfs_abort(struct initramfs *ir);

#endif
