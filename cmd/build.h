/* build: the state one `bpfpack build` run shares between its steps. */
#ifndef BPFPACK_CMD_BUILD_H
#define BPFPACK_CMD_BUILD_H

#include <stdbool.h>
#include <stddef.h>

struct project;
struct toolchain;
struct jobs;
struct compdb;

struct build_ctx {
	struct project *p;
	struct toolchain *tc;
	struct jobs *jobs;
	struct compdb *db;
	char *out_dir;		/* PROJECT/.output */
	char *include_dir;	/* bpfpack's include/, or NULL */
	int parallel;
	bool debug;
	char *vmlinux_h;	/* generated .output/vmlinux.h, or NULL when the project has one */
};

int build_project(struct build_ctx *b);
/* Takes the project's build lock (waiting for another build); returns the fd. */
int build_lock(const char *out_dir);

#endif
