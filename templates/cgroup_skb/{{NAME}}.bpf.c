// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. Two cgroup_skb programs, run on every packet a
 * socket of the cgroup (or of its descendants) receives or sends: each counts
 * the packet by direction and IP protocol and allows it (returns 1). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* From <linux/if_ether.h>: macros are not in vmlinux.h. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* Per-CPU: each CPU counts its own packets without atomics; user space sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_SLOTS);
	__type(key, __u32);
	__type(value, struct counter);
} counters SEC(".maps");

/* A cgroup_skb program sees the packet from its IP header on. */
static __always_inline int count_packet(struct __sk_buff *skb, __u32 dir)
{
	struct counter *c;
	__u8 proto = 0;
	__u32 slot;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		bpf_skb_load_bytes(skb, 9, &proto, 1);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		bpf_skb_load_bytes(skb, 6, &proto, 1);
	slot = dir * NR_PROTOS + proto;
	c = bpf_map_lookup_elem(&counters, &slot);
	if (c) {
		c->packets++;
		c->bytes += skb->len;
	}
	return 1;	/* 1: let the packet through; 0 would drop it */
}

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb)
{
	return count_packet(skb, DIR_INGRESS);
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	return count_packet(skb, DIR_EGRESS);
}
