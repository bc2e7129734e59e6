// SPDX-License-Identifier: GPL-2.0
/* xdpcount: the BPF side. An XDP program counting the IPv4/IPv6 packets an
 * interface receives, per source address, in a per-CPU LRU hash (a flood of
 * sources evicts the oldest rather than failing). Every packet passes on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpcount.h"

char LICENSE[] SEC("license") = "GPL";

/* From <linux/if_ether.h>: macros are not in vmlinux.h. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct source);
	__type(value, struct counter);
} sources SEC(".maps");

SEC("xdp")
int count_sources(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct source src = {};
	struct counter *c;

	/* Every read from the packet is checked against data_end first. */
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		src.family = 4;
		__builtin_memcpy(src.addr, &ip->saddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		src.family = 6;
		__builtin_memcpy(src.addr, &ip6->saddr, 16);
	} else {
		return XDP_PASS;
	}

	c = bpf_map_lookup_elem(&sources, &src);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	} else {
		struct counter first = { .packets = 1, .bytes = data_end - data };

		bpf_map_update_elem(&sources, &src, &first, BPF_NOEXIST);
	}
	return XDP_PASS;
}
