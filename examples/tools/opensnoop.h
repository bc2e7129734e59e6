/* opensnoop: the record opensnoop.bpf.c sends to user space for every
 * finished open()/openat(). */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#define TASK_COMM_LEN 16
#define NAME_MAX 255

struct event {
	int pid;
	unsigned int uid;
	int ret;			/* the file descriptor, or a negative errno */
	int flags;			/* the O_* flags passed */
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX + 1];	/* the path as passed */
};

#endif /* OPENSNOOP_H */
