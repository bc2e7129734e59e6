/* project: finding the project a command works on and what it holds. A project
 * is the nearest directory upwards with a bpfpack.ini, else the starting
 * directory. Every X.bpf.c with a matching X.c is a tool X; every other .c file
 * is a helper linked into every tool (libbpf-tools' convention). */
#ifndef BPFPACK_PROJECT_H
#define BPFPACK_PROJECT_H

#include <stdbool.h>

#include "buf.h"

#define PROJECT_MANIFEST "bpfpack.ini"
#define PROJECT_OUTPUT_DIR ".output"

struct project {
	char *root;		/* absolute path of the project directory */
	bool has_manifest;
	struct strv tools;	/* tool names, sorted */
	struct strv helpers;	/* helper .c file names, sorted */
	struct strv lone_bpf;	/* X.bpf.c files without an X.c (not built) */
	bool has_vmlinux_h;	/* the project ships its own vmlinux.h */
	/* From bpfpack.ini [build] (each a whitespace-separated list). */
	struct strv cflags;	/* extra flags for user-space sources */
	struct strv bpf_cflags;	/* extra flags for BPF sources */
	struct strv ldlibs;	/* extra libraries for the link, e.g. -lm */
	/* From bpfpack.ini [btf]. */
	struct strv btf_sources;	/* kernel BTF sources, absolute paths */
	char *btf_filter;		/* --filter spec, or NULL */
};

/* Finds the project that holds START (a directory). Returns 0 and sets
 * p->root; reports and returns -errno when START does not exist. */
int project_discover(const char *start, struct project *p);
/* Lists tools and helpers and reads the manifest. */
int project_scan(struct project *p);
/* Reports and returns -ENOENT when the project has no tool. */
int project_require_tools(const struct project *p);
void project_free(struct project *p);

/* 0 when NAME can name a tool (a C identifier that is not a keyword, at most
 * 64 characters); else -EINVAL, with *why set to a static explanation. */
int project_name_check(const char *name, const char **why);

#endif
