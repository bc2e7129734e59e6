/* xdpcount: the key and value of the per-source counters xdpcount.bpf.c keeps
 * and user space reads at exit. */
#ifndef XDPCOUNT_H
#define XDPCOUNT_H

struct source {
	unsigned int family;		/* 4 or 6 */
	unsigned char addr[16];		/* IPv4: the first 4 bytes, the rest 0 */
};

struct counter {
	unsigned long long packets;
	unsigned long long bytes;	/* whole frames, Ethernet header included */
};

#endif /* XDPCOUNT_H */
