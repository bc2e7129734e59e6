/* execsnoop: the record execsnoop.bpf.c sends to user space for every
 * finished execve(). */
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#define TASK_COMM_LEN 16
#define ARGSIZE 128			/* longest argument kept, NUL included */
#define MAX_ARGS 20			/* the file name and 19 arguments */
#define FULL_MAX_ARGS_ARR (MAX_ARGS * ARGSIZE)
#define LAST_ARG (FULL_MAX_ARGS_ARR - ARGSIZE)
#define INVALID_UID ((unsigned int)-1)

struct event {
	int pid;
	int ppid;
	unsigned int uid;
	int retval;			/* 0, or a negative errno */
	int args_count;			/* > MAX_ARGS when arguments were left out */
	unsigned int args_size;		/* bytes used in args */
	char comm[TASK_COMM_LEN];	/* after the exec, if it succeeded */
	char args[FULL_MAX_ARGS_ARR];	/* NUL-separated: the file, then argv[1..] */
};

#endif /* EXECSNOOP_H */
