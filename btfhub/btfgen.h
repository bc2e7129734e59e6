/* btfgen: minimized kernel BTF for a tool's BPF objects, one per kernel (the
 * btfhub approach), made in parallel and cached. The cache key of a result is
 * (the objects' CO-RE relocation key, the kernel source's content, bpftool), so
 * a re-run with nothing changed does no work and a change that leaves the
 * relocations alone (user space, code that touches no new kernel field) never
 * re-minimizes. Each kernel's decoded BTF is kept in the decoded-kernel cache
 * (kcache), so a changed object over an unchanged corpus decodes nothing. The
 * minimizing engine is btf_minimize (native, in process) or bpftool's
 * `gen min_core_btf`; both give the same bytes (tests/e2e/t-btf-native.sh). */
#ifndef BPFPACK_BTFGEN_H
#define BPFPACK_BTFGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"

struct btf_source_list;
struct btfset_builder;

enum btfgen_engine {
	BTFGEN_ENGINE_NATIVE = 0,	/* btf_minimize, in the workers */
	BTFGEN_ENGINE_BPFTOOL,		/* one `bpftool gen min_core_btf` per kernel */
};

struct btfgen_opts {
	int engine;		/* enum btfgen_engine */
	const char *bpftool;	/* full path; only the bpftool engine needs it */
	bool no_kernel_cache;	/* decode every kernel from its source (kcache off) */
	bool no_check;		/* native engine: do not leave `check` verdicts of each
				 * object on each kernel in the cache (it does by default:
				 * one decode serves both) */
	int parallel;		/* kernels minimized at once */
	const char *cache_dir;	/* NULL: btfgen_cache_dir() */
	bool progress;		/* a progress line on stderr when it is a terminal */
	const char *label;	/* what the progress line names: the tool */
};

struct btfgen_stats {
	size_t kernels;		/* kernels in the set */
	size_t cached;		/* taken from the cache */
	size_t minimized;	/* minimized by this run */
	size_t decoded;		/* of those, decoded from their source (not the kernel cache) */
};

/* "native" or "bpftool" into *ENGINE; -EINVAL for anything else. */
int btfgen_engine_parse(const char *name, int *engine);

/* Minimizes each kernel of KERNELS for OBJECTS (BPF object files) and adds
 * every result, keyed by the kernel, to SET. Reports and returns -errno on the
 * first failure (after the running workers finish); -EINTR on SIGINT/SIGTERM. */
int btfgen_run(const struct btf_source_list *kernels, char *const objects[], size_t n_objects,
	       const struct btfgen_opts *opts, struct btfset_builder *set,
	       struct btfgen_stats *stats);

/* The CO-RE relocation key of OBJECTS as 32 hex digits: a hash of every
 * relocation (kind, access string) and of the local BTF types they reach, with
 * type ids renumbered by first use, so unrelated changes do not alter it. */
int btfgen_relo_key(char *const objects[], size_t n_objects, char key[33]);

/* Warns, once per program, about programs that need the kernel's own BTF
 * (fentry/fexit, tp_btf, lsm, struct_ops, iterators; or a helper returning a
 * pointer typed by the kernel's BTF) and about kfunc / typed ksym externs:
 * embedded BTF cannot make those work on a kernel without BTF. What needs it
 * is check's classification (check_*_needs_kernel_btf in check.h). Returns
 * the number of warnings, or -errno. */
int btfgen_check_programs(const char *object);

/* Expands every source (btf_source_expand) into OUT and keeps the kernels
 * FILTER (a --filter spec, or NULL) passes. Reports and returns -ENOENT when
 * none is left. */
int btfgen_collect_kernels(const struct strv *sources, const char *filter,
			   struct btf_source_list *out);

/* $BPFPACK_CACHE_DIR, else $XDG_CACHE_HOME/bpfpack, else ~/.cache/bpfpack
 * ($HOME, else the passwd entry), else a private temp directory for one run. */
char *btfgen_cache_dir(void);
/* The same when it is one that outlives the run, else NULL (no home). */
char *btfgen_cache_dir_kept(void);

#endif
