// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A raw tracepoint on sched_process_exit: it gets the
 * exiting task_struct itself (not a formatted record as a classic tracepoint
 * does), so every field is read with CO-RE from the running kernel's layout. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile int targ_pid = 0;	/* 0: every process */
const volatile bool failed_only = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("raw_tp/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	int pid = BPF_CORE_READ(task, tgid);
	unsigned int code;
	struct event *e;

	/* Report the process once, when its main thread exits. */
	if (BPF_CORE_READ(task, pid) != pid)
		return 0;
	if (targ_pid && pid != targ_pid)
		return 0;
	code = BPF_CORE_READ(task, exit_code);
	if (failed_only && code == 0)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = code;
	e->age_ns = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
