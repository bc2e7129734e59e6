/* exitlog: the event shared by the BPF side and user space. */
#ifndef EXITLOG_H
#define EXITLOG_H

#define TASK_COMM_LEN 16

struct event {
	int pid;
	int exit_code;
	char comm[TASK_COMM_LEN];
};

#endif
