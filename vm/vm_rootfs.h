/* vm_rootfs: what a vmtest guest's root file system holds, written as its
 * initramfs: busybox (static) with its applets, the command's binary, the
 * files named with --add, a minimal /etc, and vm_guest's /init.
 *
 * The guest mirrors the host's paths: a file is put at its absolute host path
 * (unless --add names another), and the command starts in the host's current
 * directory, so commands and arguments that name host files work unchanged.
 *
 * How the command's first word is found:
 *   1. a file added with --add: by its guest path (also inside an added
 *      directory), or an added file by its base name;
 *   2. a busybox applet ("sh", "/bin/sh", "/usr/bin/env"): busybox's;
 *   3. else the program on the host (a path, or looked up in PATH), copied in
 *      at its host path (a bare name is replaced by that path).
 * Programs copied in must be static: the guest has no shared libraries, so a
 * dynamically linked ELF program (one with an interpreter) is refused, and
 * so is one built for another machine than the guest's (an x86-64 program
 * in an arm64 guest).
 *
 * Busybox: the one given (for an arm64 guest, an arm64 busybox), else
 * $BUSYBOX or /bin/busybox. Its applets are listed with `busybox
 * --list-full` when it runs here; a busybox of another machine cannot run
 * here, so its applet names are read from the table of names in its binary
 * and applets are then named without a directory (the guest's PATH finds
 * the links `busybox --install -s` makes). */
#ifndef BPFPACK_VM_ROOTFS_H
#define BPFPACK_VM_ROOTFS_H

#include <stdbool.h>

#include "../lib/buf.h"

struct vm_rootfs_opts {
	char *const *cmd;	/* the command and its arguments, NULL-terminated */
	const struct strv *adds;	/* "FILE" or "FILE:/GUEST/PATH" (files or directories) */
	const char *busybox;	/* a static busybox for the guest; NULL: $BUSYBOX or /bin/busybox */
	unsigned int elf_machine;	/* e_machine of the guest's programs; 0: EM_X86_64 */
	const char *arch;	/* the guest's arch for messages ("arm64"); NULL: "x86-64" */
	const char *channel;	/* see vm_guest_opts */
	bool hide_btf;		/* see vm_guest_opts */
	bool dump_kernel_log;
	int watchdog_s;
};

/* Where a busybox for a guest of another arch than this machine's comes
 * from: the program or package that $BUSYBOX_<ARCH> names (BUSYBOX_ARM64),
 * else the newest busybox-static_*_<DEB_ARCH>.deb in each directory of DIRS
 * (NULL-terminated) in turn. Returns the path (malloc'd) or NULL; VAR gets
 * the variable's name. Does not report. */
char *vm_rootfs_busybox_source(const char *arch, const char *deb_arch, const char *const *dirs,
			       char var[32]);

/* Writes the initramfs to INITRD_PATH. Reports and returns -ENOENT (a file or
 * the command is missing), -EINVAL (e.g. a dynamic program), or -errno. */
int vm_rootfs_write(const struct vm_rootfs_opts *o, const char *initrd_path);

#endif
