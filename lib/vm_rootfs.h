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
 * dynamically linked ELF program (one with an interpreter) is refused. */
#ifndef BPFPACK_VM_ROOTFS_H
#define BPFPACK_VM_ROOTFS_H

#include <stdbool.h>

#include "buf.h"

struct vm_rootfs_opts {
	char *const *cmd;	/* the command and its arguments, NULL-terminated */
	const struct strv *adds;	/* "FILE" or "FILE:/GUEST/PATH" (files or directories) */
	bool hide_btf;		/* see vm_guest_opts */
	bool dump_kernel_log;
	int watchdog_s;
};

/* Writes the initramfs to INITRD_PATH. Reports and returns -ENOENT (a file or
 * the command is missing), -EINVAL (e.g. a dynamic program), or -errno. */
int vm_rootfs_write(const struct vm_rootfs_opts *o, const char *initrd_path);

#endif
