// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A uprobe on getaddrinfo() in the C library saves the
 * host name and the start time per thread; a uretprobe adds the result and
 * the latency and sends the record to user space. User space attaches both,
 * to every process or to one (-p), since the library's path is only known
 * at run time. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

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

SEC("uprobe")
int BPF_UPROBE(getaddrinfo_entry, const char *node, const char *service)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event e = {};

	(void)service;
	e.pid = id >> 32;
	e.start_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	/* node is a pointer into the traced process's memory; NULL is allowed. */
	if (node)
		bpf_probe_read_user_str(&e.host, sizeof(e.host), node);
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(getaddrinfo_exit, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&inflight, &tid);

	if (!e)
		return 0;
	e->ret = ret;
	e->delta_ns = bpf_ktime_get_ns() - e->start_ns;
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
