/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record sent to user space
 * for every finished unlink. Plain C types only, so both sides agree on the
 * layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 256

struct event {
	int pid;
	int ret;			/* 0, or a negative errno */
	char comm[TASK_COMM_LEN];
	char filename[MAX_FILENAME_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
