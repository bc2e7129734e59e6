/* build: the state one `bpfpack build` run shares between its steps. */
#ifndef BPFPACK_CMD_BUILD_H
#define BPFPACK_CMD_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "../btfhub/btf_source.h"
#include "../lib/buf.h"
#include "../lib/hash.h"

struct project;
struct toolchain;
struct toolchain_probe;
struct toolchain_arch;
struct jobs;
struct compdb;

struct build_ctx {
	struct project *p;
	struct toolchain *tc;
	struct toolchain_probe *probe;	/* clang's include dirs, being learnt: build_project finishes it */
	struct jobs *jobs;
	struct compdb *db;
	char *out_dir;		/* PROJECT/.output, or PROJECT/.output/ARCH for a cross build */
	char *bin_dir;		/* where tools go: PROJECT, or PROJECT/ARCH for a cross build */
	const struct toolchain_arch *arch;	/* the target; NULL: this machine (unknown arch) */
	bool cross;		/* ARCH is not this machine's */
	const char *vmlinux_src;	/* --vmlinux: kernel BTF for vmlinux.h, or NULL */
	char *include_dir;	/* bpfpack's include/, or NULL */
	int parallel;
	bool debug;
	char *self;		/* this bpfpack, for the steps that run it (btf gen) */
	char *ar;		/* the archiver (the target's) */
	char *objcopy;		/* binutils objcopy (the target's), for the embedded sections */
	size_t runtime_job;	/* the job making libbpfpack.a, or (size_t)-1: from the cache */
	char *runtime_lib;	/* OUT_DIR/libbpfpack.a */
	char *shared_cache;	/* where bpfpack keeps what projects share (the runtime
				 * archive, vmlinux.h), or NULL: nothing kept */
	bool shared_cache_warned;	/* said once that the cache cannot take them */
	char vmlinux_key[HASH_HEX_LEN + 1];	/* the vmlinux.h this build made, in it */
	char *vmlinux_dep;	/* ... made from this kernel BTF file; NULL: none made */
	char runtime_key[HASH_HEX_LEN + 1];	/* this build's runtime archive in it */
	const struct strv *btf_sources;	/* kernel BTF sources (--btf or the manifest) */
	const char *btf_filter;
	struct btf_source_list btf_kernels;	/* the sources expanded; empty: embed no BTF */
	char *vmlinux_h;	/* generated OUT_DIR/vmlinux.h, or NULL when the project's is used */
	bool keep_going;	/* -k: a failed tool does not stop the others */
	bool no_pch;		/* --no-pch: every BPF compile parses vmlinux.h itself */
	bool gold;		/* links with -fuse-ld=gold */
	size_t pch_job;		/* the job precompiling vmlinux.h, or (size_t)-1 */
	struct strv selected;	/* the tools to build (named, else all but [build] exclude) */
	/* The make conventions from the environment, split at whitespace. */
	struct strv env_cflags;		/* CFLAGS EXTRA_CFLAGS: user-space sources */
	struct strv env_bpf_cflags;	/* BPF_CFLAGS: BPF sources */
	struct strv env_ldflags;	/* LDFLAGS EXTRA_LDFLAGS: the link, before the objects */
	struct strv env_ldlibs;		/* LDLIBS: the link, before bpfpack's libraries */
};

int build_project(struct build_ctx *b);
/* Takes the project's build lock (waiting for another build); returns the fd. */
int build_lock(const char *out_dir);

#endif
