/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record sent to user space
 * for every IP packet. Plain C types only, so both sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

enum direction {
	DIR_INGRESS = 0,
	DIR_EGRESS = 1,
};

struct event {
	unsigned int len;		/* the whole frame, Ethernet header included */
	unsigned char direction;	/* enum direction */
	unsigned char family;		/* 4 or 6 */
	unsigned char protocol;		/* IP protocol number */
	unsigned char pad;
	unsigned short sport;		/* host order; 0 unless TCP or UDP */
	unsigned short dport;
	unsigned char saddr[16];	/* IPv4: the first 4 bytes */
	unsigned char daddr[16];
};

#endif /* __{{NAME_UPPER}}_H */
