/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the record the iterator
 * writes for every process. Plain C types only, so both sides agree on the
 * layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16

struct task_info {
	int pid;
	int ppid;
	unsigned int uid;
	unsigned int state;		/* task state bits (TASK_RUNNING = 0, ...) */
	unsigned int exit_state;	/* EXIT_ZOMBIE, EXIT_DEAD or 0 */
	int nr_threads;
	unsigned long long vm_pages;	/* address space size, in pages; 0 for kernel threads */
	char comm[TASK_COMM_LEN];
};

#endif /* __{{NAME_UPPER}}_H */
