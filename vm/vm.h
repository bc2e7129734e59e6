/* vm: one qemu virtual machine booting a kernel with an initramfs: its
 * command line, starting it, checking on it without blocking, and killing it.
 * The guest's console and vm_guest's channel are written to files; qemu's own
 * messages to a third. KVM is used when it is usable, else TCG.
 *
 * Machines (vm_machine):
 *   x86_64: qemu-system-x86_64's default PC; console ttyS0, channel ttyS1
 *           (the second ISA serial port).
 *   arm64:  qemu-system-aarch64 -machine virt -cpu cortex-a57; console
 *           ttyAMA0 (the PL011). virt has a single PL011 and Debian's arm64
 *           kernels build virtio as modules, so the channel is a PCI 16550
 *           (-device pci-serial), which the built-in 8250 PCI driver makes
 *           the guest's ttyS0. cortex-a57 rather than "max": TCG boots it in
 *           about 5 s, "max" (pointer authentication emulated) is slower. */
#ifndef BPFPACK_VM_H
#define BPFPACK_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/buf.h"

/* What differs between the machines vmtest boots. */
struct vm_machine {
	const char *arch;		/* "x86_64", "arm64" (btfhub's and --arch's names) */
	const char *qemu;		/* the qemu program, e.g. "qemu-system-aarch64" */
	const char *qemu_env;		/* the variable that names another one */
	const char *qemu_package;	/* the Debian package that has it */
	const char *console;		/* the kernel's console: "ttyS0", "ttyAMA0" */
	const char *channel;		/* the channel in the guest: "/dev/ttyS1", "/dev/ttyS0" */
	unsigned int elf_machine;	/* e_machine of the guest's programs */
	const char *kvm_host;		/* uname -m of a host whose KVM runs it */
};

/* The machine of ARCH ("x86_64", "arm64"; "amd64", "aarch64"), or NULL. */
const struct vm_machine *vm_machine_find(const char *arch);

struct vm_config {
	const struct vm_machine *machine;	/* NULL: x86_64 */
	const char *qemu;		/* the qemu binary (a path) */
	const char *kernel;		/* the image to boot (bzImage, arm64 Image) */
	const char *initrd;
	const char *cmdline_extra;	/* more kernel command line, or NULL */
	int mem_mb;
	bool kvm;
	const char *console_path;	/* the machine's console */
	const char *channel_path;	/* the machine's channel */
	const char *log_path;		/* qemu's stdout and stderr */
};

/* The kernel command line every VM gets after console=<the machine's>: no
 * chatter, and a panic ends the VM at once (-no-reboot turns the reboot into
 * an exit). */
#define VM_CMDLINE_BASE "quiet panic=-1"

/* The machine's qemu: its variable (QEMU for x86_64, QEMU_ARM64 for arm64;
 * a path or a name in PATH), else its program in PATH. M NULL: x86_64.
 * Reports and returns -ENOENT when there is none. */
int vm_find_qemu(const struct vm_machine *m, char **path);
/* KVM can run a guest of machine M (NULL: x86_64): this host is of M's kind,
 * /dev/kvm opens for reading and writing, and (x86) the CPU has vmx or svm.
 * BPFPACK_ACCEL=kvm or =tcg overrides the check. */
bool vm_kvm_usable(const struct vm_machine *m);

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
