// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A socket filter: the kernel runs it on every packet
 * a packet socket would receive, and only the packets it passes (by returning
 * their length) are queued to the socket; the rest cost user space nothing.
 * This one passes the TCP and UDP packets to or from one port. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* From <linux/if_ether.h> and <linux/in.h>: macros are not in vmlinux.h. */
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_NR 6
#define IPPROTO_UDP_NR 17

/* Set by user space before load; 0 means "every TCP and UDP packet". */
const volatile __u16 targ_port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} stats SEC(".maps");

/* Socket filters cannot read the packet directly: bpf_skb_load_bytes()
 * copies from it, whatever its layout in memory. Offsets count from the
 * Ethernet header. */
static __always_inline bool wanted(struct __sk_buff *skb)
{
	__u32 l4_off;
	__u16 ports[2];
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__u8 vihl;
		__u16 frag;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &vihl, 1) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + 6, &frag, 2) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + 9, &proto, 1))
			return false;
		/* Only the first fragment carries the ports. */
		if (frag & bpf_htons(0x1fff))
			return false;
		l4_off = ETH_HLEN + (vihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		/* Extension headers are not followed. */
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 6, &proto, 1))
			return false;
		l4_off = ETH_HLEN + 40;
	} else {
		return false;
	}
	if (proto != IPPROTO_TCP_NR && proto != IPPROTO_UDP_NR)
		return false;
	if (!targ_port)
		return true;
	if (bpf_skb_load_bytes(skb, l4_off, ports, sizeof(ports)))
		return false;
	return ports[0] == bpf_htons(targ_port) || ports[1] == bpf_htons(targ_port);
}

SEC("socket")
int port_filter(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct stats *st = bpf_map_lookup_elem(&stats, &zero);
	bool pass = wanted(skb);

	if (st) {
		st->seen++;
		if (pass)
			st->matched++;
	}
	/* The number of bytes to queue: all of it, or nothing. */
	return pass ? skb->len : 0;
}
