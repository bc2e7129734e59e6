/* runqlat: the histogram runqlat.bpf.c keeps in a hash map (one, or one per
 * process) and user space prints at exit. */
#ifndef RUNQLAT_H
#define RUNQLAT_H

#define TASK_COMM_LEN 16
#define MAX_SLOTS 26		/* log2 buckets: up to 2^25 units */

struct hist {
	unsigned int slots[MAX_SLOTS];	/* slot n: latencies in [2^n, 2^(n+1)) units */
	char comm[TASK_COMM_LEN];	/* with -P: the process's command */
};

#endif /* RUNQLAT_H */
