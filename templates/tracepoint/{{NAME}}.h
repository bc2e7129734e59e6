/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the event record the BPF
 * program writes into the ring buffer and user space reads. Plain C types
 * only, so both sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 256

struct event {
	int pid;
	int ppid;
	unsigned int uid;
	char comm[TASK_COMM_LEN];
	char filename[MAX_FILENAME_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
