/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record sent to user space
 * for every signal the LSM program denied. Plain C types only, so both sides
 * agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16

struct event {
	int pid;			/* the sender */
	int target;			/* the protected process */
	int sig;
	char comm[TASK_COMM_LEN];	/* the sender's */
};

#endif /* __{{NAME_UPPER}}_H */
