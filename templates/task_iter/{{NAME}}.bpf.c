// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A task iterator: reading the iterator's file runs
 * this program once per task in the system, and what it writes with
 * bpf_seq_write() is what read() returns. It writes one struct task_info per
 * process (thread-group leader), every field read with CO-RE. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile int targ_pid = 0;			/* 0: every process */
const volatile char targ_comm[TASK_COMM_LEN] = {};	/* "": every command */

/* Linux 5.14 renamed task_struct's 'state' to '__state' (and made it an
 * unsigned int). A "flavor" of the struct with the old name lets CO-RE
 * check which one the running kernel has. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___pre514 *)task, state);
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct task_info info = {};
	struct mm_struct *mm;

	/* NULL marks the end of the iteration. */
	if (!task)
		return 0;
	info.pid = BPF_CORE_READ(task, tgid);
	/* One record per process: skip threads other than the leader. */
	if (BPF_CORE_READ(task, pid) != info.pid)
		return 0;
	if (targ_pid && info.pid != targ_pid)
		return 0;
	BPF_CORE_READ_STR_INTO(&info.comm, task, comm);
	if (targ_comm[0] && !comm_matches(info.comm))
		return 0;

	info.ppid = BPF_CORE_READ(task, real_parent, tgid);
	info.uid = BPF_CORE_READ(task, cred, uid.val);
	info.state = task_state(task);
	info.exit_state = BPF_CORE_READ(task, exit_state);
	info.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	mm = BPF_CORE_READ(task, mm);
	if (mm)
		info.vm_pages = BPF_CORE_READ(mm, total_vm);
	bpf_seq_write(seq, &info, sizeof(info));
	return 0;
}
