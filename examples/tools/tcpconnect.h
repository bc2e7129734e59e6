/* tcpconnect: the record tcpconnect.bpf.c sends to user space for every TCP
 * connect() that finished (connected or failed). */
#ifndef TCPCONNECT_H
#define TCPCONNECT_H

#define TASK_COMM_LEN 16

struct event {
	int pid;			/* the process that called connect() */
	int established;		/* 1: connected; 0: refused, reset or timed out */
	unsigned long long delta_ns;	/* from SYN sent to the answer */
	unsigned short family;		/* AF_INET or AF_INET6 */
	unsigned short sport;		/* host order */
	unsigned short dport;
	unsigned short pad;
	unsigned char saddr[16];	/* AF_INET: the first 4 bytes */
	unsigned char daddr[16];
	char comm[TASK_COMM_LEN];
};

#endif /* TCPCONNECT_H */
