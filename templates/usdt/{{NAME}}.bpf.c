// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. Runs on CPython's USDT probes gc__start(generation)
 * and gc__done(collected): the first saves the generation and the time per
 * thread, the second adds the result and sends the record to user space.
 * BPF_USDT reads each argument from wherever the probe's ELF note says it is
 * (a register, the stack, a constant); libbpf works that out at attach time. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Collections in progress, by thread ID. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("usdt")
int BPF_USDT(gc_start, int generation)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event e = {};

	e.pid = id >> 32;
	e.generation = generation;
	e.start_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_done, long collected)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&inflight, &tid);

	if (!e)
		return 0;
	e->collected = collected;
	e->delta_ns = bpf_ktime_get_ns() - e->start_ns;
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
