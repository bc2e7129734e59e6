// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. An XDP program, run by the network driver on every
 * frame the interface receives, before the kernel allocates anything for it:
 * it finds the IP protocol, counts the frame and lets it through (XDP_PASS). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* From <linux/if_ether.h>: macros are not in vmlinux.h. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

/* A VLAN tag. Declared here rather than taken from vmlinux.h: the types
 * there are CO-RE-relocated against the running kernel's BTF, and a packet
 * format does not depend on the kernel. */
struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* Per-CPU: each CPU counts its own frames without atomics; user space sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_SLOTS);
	__type(key, __u32);
	__type(value, struct counter);
} counters SEC(".maps");

/* The IP protocol of the frame in [data, data_end), or SLOT_NON_IP. Every read
 * is checked against data_end: the verifier insists. */
static __always_inline __u32 frame_slot(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	if (l3 > data_end)
		return SLOT_NON_IP;
	proto = eth->h_proto;
	/* One VLAN tag (802.1Q or 802.1ad). */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_tag *vlan = l3;

		if ((void *)(vlan + 1) > data_end)
			return SLOT_NON_IP;
		proto = vlan->proto;
		l3 = vlan + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return SLOT_NON_IP;
		return ip->protocol;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return SLOT_NON_IP;
		return ip6->nexthdr;
	}
	return SLOT_NON_IP;
}

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 slot = frame_slot(data, data_end);
	struct counter *c;

	c = bpf_map_lookup_elem(&counters, &slot);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}
