/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record the BPF program
 * writes into the ring buffer for every sample. Plain C types only, so both
 * sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16
#define MAX_STACK_DEPTH 32

struct event {
	int pid;
	int tid;
	int cpu;
	int kstack_sz;			/* bytes of kstack filled, or a negative errno */
	int ustack_sz;			/* bytes of ustack filled, or a negative errno */
	char comm[TASK_COMM_LEN];
	unsigned long long kstack[MAX_STACK_DEPTH];	/* innermost frame first */
	unsigned long long ustack[MAX_STACK_DEPTH];
};

#endif /* __{{NAME_UPPER}}_H */
