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

/* A [tool NAME] section of bpfpack.ini: flags for one tool only, added after
 * the [build] ones (its X.c and X.bpf.c, and its link). */
struct project_tool {
	char *name;
	struct strv cflags, bpf_cflags, ldlibs;
};

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
	struct strv exclude;	/* tools not built unless named on the command line */
	struct project_tool *tool_settings;	/* [tool NAME] sections */
	size_t n_tool_settings;
	/* From bpfpack.ini [btf]. */
	struct strv btf_sources;	/* kernel BTF sources, absolute paths */
	char *btf_filter;		/* --filter spec, or NULL */
	struct strv btf_no_kernel_btf;	/* [btf] no_kernel_btf: --filter specs of kernels
					 * without BTF of their own (check) */
};

/* Finds the project that holds START (a directory). Returns 0 and sets
 * p->root; reports and returns -errno when START does not exist. */
int project_discover(const char *start, struct project *p);
/* Lists tools and helpers and reads the manifest. */
int project_scan(struct project *p);
/* Reports and returns -ENOENT when the project has no tool. */
int project_require_tools(const struct project *p);
/* For the commands that take kernel BTF (btf gen, check): discovers, scans
 * and requires tools of the project holding DIR, then fills SOURCES (and
 * *FILTER) and NO_KERNEL_BTF from its [btf] settings unless the options gave
 * them; *NO_KERNEL_BTF_FROM_MANIFEST says whether the manifest's were taken.
 * Reports and returns -errno, -EINVAL when no source is left. */
int project_open_btf(const char *dir, struct project *p, struct strv *sources, const char **filter,
		     struct strv *no_kernel_btf, bool *no_kernel_btf_from_manifest);
void project_free(struct project *p);
/* The [tool NAME] settings of TOOL, or NULL when it has none. */
const struct project_tool *project_tool_find(const struct project *p, const char *tool);

/* 0 when NAME can name a tool (a C identifier that is not a keyword, at most
 * 64 characters); else -EINVAL, with *why set to a static explanation. */
int project_name_check(const char *name, const char **why);

#endif
