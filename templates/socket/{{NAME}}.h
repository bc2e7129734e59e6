/* Types shared by {{NAME}}.bpf.c and {{NAME}}.c: the counters the socket
 * filter keeps, which user space prints at exit. Plain C types only, so both
 * sides agree on the layout. */
#ifndef __{{NAME_UPPER}}_H
#define __{{NAME_UPPER}}_H

struct stats {
	unsigned long long seen;	/* every packet the filter ran on */
	unsigned long long matched;	/* those it passed to the socket */
};

#endif /* __{{NAME_UPPER}}_H */
