// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A kprobe on the kernel function do_unlinkat() saves
 * the file name per thread; a kretprobe on the same function adds the result
 * and sends the record to user space. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; 0 means "every process". */
const volatile int targ_pid = 0;

/* In-flight calls, by thread ID: entry and return run in the same thread. */
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

/* Too big for the 512-byte BPF stack: built in a per-CPU scratch slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(unlink_entry, int dfd, struct filename *name)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0;
	struct event *e;

	(void)dfd;
	if (targ_pid && (int)(id >> 32) != targ_pid)
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->ret = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	/* struct filename's layout comes from the running kernel (CO-RE). */
	bpf_probe_read_kernel_str(&e->filename, sizeof(e->filename), BPF_CORE_READ(name, name));
	bpf_map_update_elem(&inflight, &tid, e, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(unlink_exit, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&inflight, &tid);

	if (!e)
		return 0;
	e->ret = (int)ret;
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
