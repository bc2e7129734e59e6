/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record sent to user space
 * for every finished Python garbage collection. Plain C types only, so both
 * sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16

struct event {
	int pid;
	int generation;			/* 0, 1 or 2 (2 = full collection) */
	long long collected;		/* unreachable objects found */
	unsigned long long start_ns;
	unsigned long long delta_ns;	/* time the collection took */
	char comm[TASK_COMM_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
