/* execlog: the event shared by the BPF side and user space. */
#ifndef EXECLOG_H
#define EXECLOG_H

#define TASK_COMM_LEN 16
#define FILENAME_LEN 127

struct event {
	int pid;
	int ppid;
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN + 1];
};

#endif
