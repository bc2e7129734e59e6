/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record the BPF program
 * writes into the ring buffer for every process exit. Plain C types only, so
 * both sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16

struct event {
	int pid;
	int ppid;
	unsigned int exit_code;		/* as wait(2) reports it: code << 8 | signal */
	unsigned long long age_ns;	/* from the process's start to its exit */
	char comm[TASK_COMM_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
