// SPDX-License-Identifier: GPL-2.0
/* tcpconnect: the BPF side, on the stable tracepoint sock:inet_sock_set_state.
 * CLOSE -> SYN_SENT is connect() starting, in the caller's context: note who
 * and when, by socket. SYN_SENT -> ESTABLISHED (or -> CLOSE) is the answer,
 * in softirq context: send the record, with the source port chosen by then. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tcpconnect.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2	/* from <sys/socket.h>: macros are not in vmlinux.h */

const volatile int targ_pid = 0;		/* 0: every process */
const volatile unsigned short targ_dport = 0;	/* 0: every port */

struct pending {
	unsigned long long ts;
	int pid;
	char comm[TASK_COMM_LEN];
};

/* Connections in progress, by socket address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/sock/inet_sock_set_state")
int handle_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	struct pending *p;
	struct event *e;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT) {
		struct pending np = { .ts = bpf_ktime_get_ns() };

		np.pid = bpf_get_current_pid_tgid() >> 32;
		if (targ_pid && np.pid != targ_pid)
			return 0;
		if (targ_dport && ctx->dport != targ_dport)
			return 0;
		bpf_get_current_comm(&np.comm, sizeof(np.comm));
		bpf_map_update_elem(&pending, &sk, &np, BPF_ANY);
		return 0;
	}
	if (ctx->oldstate != TCP_SYN_SENT)
		return 0;
	p = bpf_map_lookup_elem(&pending, &sk);
	if (!p)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = p->pid;
		__builtin_memcpy(e->comm, p->comm, sizeof(e->comm));
		e->established = ctx->newstate == TCP_ESTABLISHED;
		e->delta_ns = bpf_ktime_get_ns() - p->ts;
		e->family = ctx->family;
		e->sport = ctx->sport;
		e->dport = ctx->dport;
		e->pad = 0;
		/* Copied with a helper: the verifier allows only plain loads at
		 * fixed offsets of the tracepoint context. */
		if (ctx->family == AF_INET) {
			bpf_probe_read_kernel(e->saddr, 4, ctx->saddr);
			bpf_probe_read_kernel(e->daddr, 4, ctx->daddr);
		} else {
			bpf_probe_read_kernel(e->saddr, 16, ctx->saddr_v6);
			bpf_probe_read_kernel(e->daddr, 16, ctx->daddr_v6);
		}
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&pending, &sk);
	return 0;
}
