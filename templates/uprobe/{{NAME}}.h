/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record sent to user space
 * for every finished getaddrinfo() call. Plain C types only, so both sides
 * agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16
#define MAX_HOST_LEN 128

struct event {
	int pid;
	int ret;			/* getaddrinfo()'s result: 0 or an EAI_* code */
	unsigned long long start_ns;
	unsigned long long delta_ns;	/* time spent in getaddrinfo() */
	char comm[TASK_COMM_LEN];
	char host[MAX_HOST_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
