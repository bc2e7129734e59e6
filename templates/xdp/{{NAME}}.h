/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the per-protocol counters the
 * XDP program keeps in a per-CPU array and user space sums. Plain C types
 * only, so both sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

/* Slots 0-255: the IP protocol number (IPv4 protocol, IPv6 next header);
 * then one slot for frames that are not IP (ARP, LLDP, ...). */
#define NR_IP_PROTOS 256
#define SLOT_NON_IP NR_IP_PROTOS
#define NR_SLOTS (NR_IP_PROTOS + 1)

struct counter {
	unsigned long long packets;
	unsigned long long bytes;	/* whole frames, Ethernet header included */
};

#endif /* __{{NAME_UPPER}}_H */
