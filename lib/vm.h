/* vm: one qemu-system-x86_64 virtual machine booting a kernel with an
 * initramfs: its command line, starting it, checking on it without blocking,
 * and killing it. The guest's first serial port (the kernel console) and its
 * second (vm_guest's channel) are written to files; qemu's own messages to a
 * third. KVM is used when it is usable, else TCG. */
#ifndef BPFPACK_VM_H
#define BPFPACK_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"

struct vm_config {
	const char *qemu;		/* the qemu-system-x86_64 binary (a path) */
	const char *kernel;		/* the bzImage */
	const char *initrd;
	const char *cmdline_extra;	/* more kernel command line, or NULL */
	int mem_mb;
	bool kvm;
	const char *console_path;	/* ttyS0 */
	const char *channel_path;	/* ttyS1 */
	const char *log_path;		/* qemu's stdout and stderr */
};

/* The kernel command line every VM gets: console on ttyS0, no chatter, and a
 * panic ends the VM at once (-no-reboot turns the reboot into an exit). */
#define VM_CMDLINE_BASE "console=ttyS0 quiet panic=-1"

/* QEMU (a path or a name in PATH), else qemu-system-x86_64 in PATH. Reports
 * and returns -ENOENT when there is none. */
int vm_find_qemu(char **path);
/* KVM can run the guest: /dev/kvm opens for reading and writing and the CPU
 * has vmx or svm. BPFPACK_ACCEL=kvm or =tcg overrides the check. */
bool vm_kvm_usable(void);

/* The full qemu command line for C. */
void vm_build_argv(const struct vm_config *c, struct strv *argv);
/* Starts qemu. Reports and returns -errno on failure. */
int vm_start(const struct vm_config *c, pid_t *pid);
/* Without blocking: 1 and *status (as proc_wait) when qemu has exited, 0 when
 * it is still running, -errno on error. */
int vm_try_wait(pid_t pid, int *status);
/* SIGKILLs qemu and reaps it. */
void vm_kill(pid_t pid);

#endif
