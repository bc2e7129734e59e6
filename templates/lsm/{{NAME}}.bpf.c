// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A BPF LSM program on the task_kill hook, which the
 * kernel consults before delivering a signal sent by kill(), tgkill() and the
 * like: it refuses (-EPERM) every signal to the protected process from any
 * other process, and reports each refusal. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1		/* from <errno.h>: macros are not in vmlinux.h */

/* Set by user space before load: the process to protect. */
const volatile int protected_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* The hook's arguments, then the verdict of the LSM programs before this one. */
SEC("lsm/task_kill")
int BPF_PROG(deny_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	int sender = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (ret)
		return ret;	/* already refused */
	/* Signal 0 only asks whether the process exists: harmless. */
	if (!protected_pid || sig == 0 || BPF_CORE_READ(p, tgid) != protected_pid)
		return 0;
	if (sender == protected_pid)
		return 0;	/* a process may signal itself */

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = sender;
		e->target = protected_pid;
		e->sig = sig;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	return -EPERM;
}
