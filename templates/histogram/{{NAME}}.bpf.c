// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. On every syscall entry (raw_syscalls:sys_enter) it
 * notes the time per thread; on the exit it adds the latency to the log2
 * histogram of the calling command, in a hash map user space reads at exit.
 * Nothing goes to user space per event: the kernel does the aggregation. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile int targ_pid = 0;			/* 0: every process */
const volatile long targ_syscall = -1;			/* -1: every syscall */
const volatile char targ_comm[TASK_COMM_LEN] = {};	/* "": every command */
const volatile bool targ_ms = false;			/* milliseconds, not microseconds */

/* Entry time by thread ID. LRU: a thread that never returns (exit, execve)
 * leaves an entry behind, which the map evicts in time. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* One histogram per command name. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

static const struct hist zero_hist;

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

/* floor(log2(v)) for v > 0; 0 for 0. */
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

SEC("tp/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	char comm[TASK_COMM_LEN];
	__u64 ts;

	/* Filters at entry: a syscall that does not match costs no map update. */
	if (targ_pid && (int)(id >> 32) != targ_pid)
		return 0;
	/* ctx->id is a CO-RE-relocated read of the tracepoint's record. */
	if (targ_syscall >= 0 && ctx->id != targ_syscall)
		return 0;
	if (targ_comm[0]) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!comm_matches(comm))
			return 0;
	}
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tp/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hist_key key = {};
	struct hist *h;
	__u64 *tsp, delta;
	__u32 slot;

	(void)ctx;
	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &tid);

	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		/* First latency of this command: insert an empty histogram (another
		 * CPU may have just done so: BPF_NOEXIST keeps theirs). */
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return 0;
	}
	delta /= targ_ms ? 1000000 : 1000;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}
