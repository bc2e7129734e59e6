/* bashreadline: the record bashreadline.bpf.c sends to user space for every
 * line bash read. */
#ifndef BASHREADLINE_H
#define BASHREADLINE_H

#define TASK_COMM_LEN 16
#define MAX_LINE_SIZE 240

struct event {
	int pid;
	char comm[TASK_COMM_LEN];
	char line[MAX_LINE_SIZE];
};

#endif /* BASHREADLINE_H */
