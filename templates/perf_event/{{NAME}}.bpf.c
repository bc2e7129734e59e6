// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. Runs on every tick of a per-CPU software perf event
 * (the CPU clock, sampled at a fixed frequency) and sends the interrupted
 * task's kernel and user stacks to user space. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; 0 means "every process". */
const volatile int targ_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	int pid = id >> 32;
	struct event *e;

	/* PID 0 is the idle task: a CPU with nothing to do. */
	if (pid == 0 || (targ_pid && pid != targ_pid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->tid = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	e->kstack_sz = bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);
	e->ustack_sz = bpf_get_stack(ctx, e->ustack, sizeof(e->ustack), BPF_F_USER_STACK);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
