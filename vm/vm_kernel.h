/* vm_kernel: the bootable kernel a `vmtest --kernel` argument names, and
 * which machine boots it. A file is
 *   - an x86 boot image (bzImage, Debian's amd64 vmlinuz), booted as it is;
 *   - an arm64 Image (Debian's arm64 vmlinuz is one), booted as it is;
 *   - a compressed arm64 kernel (Image.gz, an EFI zboot vmlinuz), unpacked
 *     (formats/kimage) into the work directory first, since qemu's -kernel
 *     wants the Image itself;
 *   - a Debian kernel package (.deb), whose boot/vmlinuz-* is extracted with
 *     libarchive (ar, then data.tar.*) and then taken as above.
 * The release is known before the kernel boots: from a bzImage's setup
 * header, else the package's boot/vmlinuz-RELEASE, else the image's
 * "Linux version" banner.
 *
 * An image made from ARG (extracted from a package, unpacked) is kept in a
 * cache directory when one is given, keyed by ARG's path, inode, size and
 * time, so the next run boots it at once: unpacking a package's data.tar.xz
 * takes seconds, as long as half an arm64 boot under TCG. */
#ifndef BPFPACK_VM_KERNEL_H
#define BPFPACK_VM_KERNEL_H

#include <stddef.h>

struct vm_kernel {
	char *arg;		/* the argument as given */
	char *image;		/* the image to boot (ARG itself, or made in WORK_DIR) */
	char *release;		/* "6.1.0-50-cloud-amd64", or NULL when unknown */
	const char *arch;	/* the machine it boots on: "x86_64" or "arm64" */
	int from_deb;		/* IMAGE was made in WORK_DIR (from a package or unpacked) */
	int deb;		/* ARG is a Debian kernel package (it also holds modules) */
	int cached;		/* IMAGE is the cache's copy (never removed by vmtest) */
};

/* Opens ARG. A package's image, or an image to unpack, is written into
 * WORK_DIR (which must exist), or taken from CACHE_DIR (may be NULL: no
 * cache; created when missing) when an earlier run made it. Reports and
 * returns -ENOENT (no such file), -EINVAL (neither a boot image nor a package
 * holding one) or another -errno. A cache that cannot be written costs only
 * the time. */
int vm_kernel_open(const char *arg, const char *work_dir, const char *cache_dir,
		   struct vm_kernel *k);
void vm_kernel_free(struct vm_kernel *k);

/* Where the cache (CACHE_DIR) keeps what is made from ARG: BASE.img and
 * BASE.info for its image, BASE.mod-*.gz for module archives (removed with
 * the image); BASE is keyed by ARG's path, inode, size and time. NULL when
 * ARG cannot be stat'ed. */
char *vm_kernel_cache_base(const char *cache_dir, const char *arg);

/* The release string of an x86 boot image held in DATA (its first LEN bytes
 * suffice when they include the version string); malloc'd, or NULL when DATA
 * is not a boot image or has no version string. */
char *vm_kernel_boot_release(const unsigned char *data, size_t len);

#endif
