// SPDX-License-Identifier: GPL-2.0
/* runqlat: the BPF side. Run-queue latency: the time from a task becoming
 * runnable (woken up, created, or preempted while still runnable) to it
 * running on a CPU. Raw tracepoints on sched_wakeup, sched_wakeup_new and
 * sched_switch hand over the task_structs, read with CO-RE; the latencies
 * go into log2 histograms in a hash map, read by user space at exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "runqlat.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING 0

const volatile int targ_tgid = 0;		/* 0: every process */
const volatile bool targ_per_process = false;	/* one histogram per process */
const volatile bool targ_ms = false;		/* milliseconds, not microseconds */

/* When each runnable task was queued, by thread ID. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* Key 0, or the process ID with -P. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct hist);
} hists SEC(".maps");

static const struct hist zero_hist;

/* Linux 5.14 renamed task_struct's 'state' to '__state'; this flavor of the
 * struct has the old name, and CO-RE picks whichever the kernel has. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline __u32 log2l(__u64 v)
{
	__u32 r = 0;

	for (int i = 32; i > 0; i >>= 1) {
		if (v >= (1ULL << i)) {
			v >>= i;
			r += i;
		}
	}
	return r;
}

static __always_inline int enqueue(struct task_struct *t)
{
	__u32 tid = BPF_CORE_READ(t, pid);
	__u64 ts;

	if (!tid)	/* the idle task */
		return 0;
	if (targ_tgid && BPF_CORE_READ(t, tgid) != targ_tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	return enqueue(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new, struct task_struct *p)
{
	return enqueue(p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid), key = 0, slot;
	struct hist *h;
	__u64 *tsp, delta;

	/* Preempted while runnable: it waits in the run queue again. */
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev);

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &tid);

	if (targ_per_process)
		key = BPF_CORE_READ(next, tgid);
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return 0;
		if (targ_per_process)
			BPF_CORE_READ_STR_INTO(&h->comm, next, group_leader, comm);
	}
	delta /= targ_ms ? 1000000 : 1000;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}
