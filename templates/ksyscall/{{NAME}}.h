/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record sent to user space
 * for every finished kill(). Plain C types only, so both sides agree on the
 * layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16

struct event {
	int pid;			/* the sender */
	int target;			/* kill()'s pid argument, as passed */
	int sig;
	int ret;			/* 0, or a negative errno */
	char comm[TASK_COMM_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
