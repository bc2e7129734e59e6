/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the key and value of the
 * histogram hash map. Plain C types only, so both sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

#define TASK_COMM_LEN 16
#define MAX_SLOTS 27		/* log2 buckets: up to 2^26 us (about 67 s) */

struct hist_key {
	char comm[TASK_COMM_LEN];
};

struct hist {
	unsigned int slots[MAX_SLOTS];	/* slot n: latencies in [2^n, 2^(n+1)) units */
};

#endif /* __{{NAME_UPPER}}_H */
