/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the counters the cgroup_skb
 * programs keep in a per-CPU array and user space sums. Plain C types only,
 * so both sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

/* Slot = direction * NR_PROTOS + IP protocol number (IPv4 protocol, IPv6
 * next header). */
#define DIR_INGRESS 0
#define DIR_EGRESS 1
#define NR_PROTOS 256
#define NR_SLOTS (2 * NR_PROTOS)

struct counter {
	unsigned long long packets;
	unsigned long long bytes;	/* IP packets, IP header included */
};

#endif /* __{{NAME_UPPER}}_H */
