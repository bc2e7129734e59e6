// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. fentry runs at the start of do_unlinkat() and notes
 * the time; fexit runs when it returns and sees both its arguments and its
 * return value, so it sends the whole record. Both go through BPF trampolines:
 * cheaper than kprobes, with typed (BTF) arguments. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; 0 means "every process". */
const volatile int targ_pid = 0;

/* Entry time of in-flight calls, by thread ID. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, struct filename *name)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 ts = bpf_ktime_get_ns();

	if (targ_pid && (int)(id >> 32) != targ_pid)
		return 0;
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_exit, int dfd, struct filename *name, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event *e;
	__u64 *tsp;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = id >> 32;
		e->ret = (int)ret;
		e->delta_ns = bpf_ktime_get_ns() - *tsp;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		/* struct filename's layout comes from the running kernel (CO-RE). */
		bpf_probe_read_kernel_str(&e->filename, sizeof(e->filename),
					  BPF_CORE_READ(name, name));
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
