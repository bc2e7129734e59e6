// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. Runs on every exec() via the stable tracepoint
 * sched:sched_process_exec and sends one event per exec to user space. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; 0 means "every process". */
const volatile int targ_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int pid = bpf_get_current_pid_tgid() >> 32;
	unsigned int fname_off;
	struct event *e;

	if (targ_pid && pid != targ_pid)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;

	e->pid = pid;
	/* CO-RE read: the offsets of real_parent and tgid come from the
	 * running kernel's BTF at load time, not from this build's vmlinux.h. */
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (unsigned int)bpf_get_current_uid_gid();
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	/* The filename is a __data_loc field: its low 16 bits are the offset
	 * of the string from the start of the record. */
	fname_off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(&e->filename, sizeof(e->filename), (void *)ctx + fname_off);

	bpf_ringbuf_submit(e, 0);
	return 0;
}
