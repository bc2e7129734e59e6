/* vm_kernel: the bootable kernel a `vmtest --kernel` argument names. A file is
 * either an x86 boot image (bzImage, Debian's vmlinuz), booted as it is, or a
 * Debian kernel package (.deb), whose boot/vmlinuz-* is extracted with
 * libarchive (ar, then data.tar.*). The kernel release is read from the boot
 * image's setup header, so it is known before the kernel boots. */
#ifndef BPFPACK_VM_KERNEL_H
#define BPFPACK_VM_KERNEL_H

#include <stddef.h>

struct vm_kernel {
	char *arg;		/* the argument as given */
	char *image;		/* the bzImage to boot (ARG itself, or extracted) */
	char *release;		/* from the boot header ("6.1.0-50-cloud-amd64"), or NULL */
	int from_deb;		/* IMAGE was extracted from a package */
};

/* Opens ARG. A package's image is extracted into WORK_DIR (which must exist).
 * Reports and returns -ENOENT (no such file), -EINVAL (neither a boot image
 * nor a package holding one) or another -errno. */
int vm_kernel_open(const char *arg, const char *work_dir, struct vm_kernel *k);
void vm_kernel_free(struct vm_kernel *k);

/* The release string of an x86 boot image held in DATA (its first LEN bytes
 * suffice when they include the version string); malloc'd, or NULL when DATA
 * is not a boot image or has no version string. */
char *vm_kernel_boot_release(const unsigned char *data, size_t len);

#endif
