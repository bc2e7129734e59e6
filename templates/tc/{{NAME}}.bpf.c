// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. Two tc classifiers, on the ingress and the egress
 * hook of one interface (the clsact qdisc): each parses the IP header and the
 * TCP/UDP ports of every packet, sends a record to user space and lets the
 * packet go on unchanged (TC_ACT_OK). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* From <linux/if_ether.h>, <linux/in.h> and <linux/pkt_cls.h>: macros are
 * not in vmlinux.h. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_NR 6
#define IPPROTO_UDP_NR 17
#define TC_ACT_OK 0

/* The ports at the start of a TCP or UDP header. */
struct ports {
	__be16 source;
	__be16 dest;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Every read from the packet is checked against data_end: the verifier
 * insists. */
static __always_inline int log_packet(struct __sk_buff *skb, enum direction dir)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct ports *ports = NULL;
	struct event *e;
	void *l4;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return TC_ACT_OK;
		proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
		/* Only the first fragment carries the ports. */
		if (!(ip->frag_off & bpf_htons(0x1fff)) && (void *)((struct ports *)l4 + 1) <= data_end)
			ports = l4;
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			return TC_ACT_OK;
		__builtin_memset(e, 0, sizeof(*e));
		e->family = 4;
		__builtin_memcpy(e->saddr, &ip->saddr, 4);
		__builtin_memcpy(e->daddr, &ip->daddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_OK;
		/* Extension headers are not followed: their ports stay 0. */
		proto = ip6->nexthdr;
		l4 = ip6 + 1;
		if ((void *)((struct ports *)l4 + 1) <= data_end)
			ports = l4;
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			return TC_ACT_OK;
		__builtin_memset(e, 0, sizeof(*e));
		e->family = 6;
		__builtin_memcpy(e->saddr, &ip6->saddr, 16);
		__builtin_memcpy(e->daddr, &ip6->daddr, 16);
	} else {
		return TC_ACT_OK;
	}
	e->len = skb->len;
	e->direction = dir;
	e->protocol = proto;
	if (ports && (proto == IPPROTO_TCP_NR || proto == IPPROTO_UDP_NR)) {
		e->sport = bpf_ntohs(ports->source);
		e->dport = bpf_ntohs(ports->dest);
	}
	bpf_ringbuf_submit(e, 0);
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	return log_packet(skb, DIR_INGRESS);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return log_packet(skb, DIR_EGRESS);
}
