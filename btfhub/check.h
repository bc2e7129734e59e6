/* check: will a tool's BPF object load and attach on a kernel, predicted
 * from that kernel's BTF alone (`bpfpack check`). Per (tool, kernel): CO-RE
 * relocations resolved as libbpf resolves them, with a reachability pass
 * over each program that folds branches on the kernel's exists-constants
 * (an unresolved relocation is fatal only where the verifier can reach it);
 * helper ids against enum bpf_func_id; map types, program types and attach
 * types against the kernel's enums; kfuncs and typed ksyms; attach targets.
 * Verdict: ok, load-fail or attach-fail, with every reason. */
#ifndef BPFPACK_CHECK_H
#define BPFPACK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf_source.h"
#include "core_relo.h"

struct btf;
struct core_index;

enum check_verdict {
	CHECK_OK = 0,
	CHECK_ATTACH_FAIL,
	CHECK_LOAD_FAIL,
};

/* What a reason is about; names as in the JSON output. */
enum check_what {
	CHECK_WHAT_RELOCATION,
	CHECK_WHAT_HELPER,
	CHECK_WHAT_MAP_TYPE,
	CHECK_WHAT_PROG_TYPE,
	CHECK_WHAT_ATTACH_TYPE,
	CHECK_WHAT_ATTACH_TARGET,
	CHECK_WHAT_KFUNC,
	CHECK_WHAT_KSYM,
	CHECK_WHAT_KERNEL_BTF,
};

struct check_reason {
	int verdict;		/* what this reason costs: CHECK_LOAD_FAIL / CHECK_ATTACH_FAIL,
				 * or CHECK_OK for a note (a __weak kfunc that is absent) */
	int what;		/* enum check_what */
	bool approximate;	/* BTF can only approximate this one */
	char *program;		/* "" for the object as a whole (maps) */
	char *detail;
	char *line;		/* "file.bpf.c:42: source", or "" */
};

struct check_result {
	int verdict;
	bool approximate;
	struct check_reason *v;
	size_t n;
};

void check_result_free(struct check_result *r);
/* "ok", "load-fail", "attach-fail". */
const char *check_verdict_name(int verdict);
/* "relocation", "helper", "map_type", ... */
const char *check_what_name(int what);

/* One program as libbpf opens it. */
struct check_prog {
	char *name;
	char *sec_name;
	int prog_type;		/* enum bpf_prog_type */
	int attach_type;	/* enum bpf_attach_type */
	bool autoload;
};

struct check_map {
	char *name;
	int type;		/* enum bpf_map_type */
};

/* A tool's object, read once and checked against every kernel. */
struct check_tool {
	char *name;
	char *path;
	struct bpfobj obj;
	struct check_prog *progs;
	size_t n_progs;
	struct check_map *maps;
	size_t n_maps;
};

/* Reads the BPF object at PATH for tool NAME. Reports and returns -errno. */
int check_tool_open(const char *path, const char *name, struct check_tool *t);
/* The same from bytes (for tests and the fuzzer); ERR says what is wrong. */
int check_tool_open_mem(const void *data, size_t len, const char *name, struct check_tool *t, char *err,
			size_t err_len);
void check_tool_free(struct check_tool *t);

/* What check needs of one kernel's BTF, derived once. */
struct check_kernel;

struct check_kernel *check_kernel_new(const struct btf *btf);
void check_kernel_free(struct check_kernel *k);
const struct core_index *check_kernel_index(const struct check_kernel *k);

/* Checks tool T against kernel K into OUT (fresh). */
void check_tool_kernel(const struct check_tool *t, const struct check_kernel *k, struct check_result *out);
/* The same for a kernel without BTF of its own when NO_KERNEL_BTF: K is the
 * BTF that stands in for it (embedded BTF, libbpf's btf_custom_path), which
 * serves CO-RE relocations only; what needs the kernel's own BTF is
 * load-fail, "needs kernel BTF" (CHECK_WHAT_KERNEL_BTF). */
void check_tool_kernel_btf(const struct check_tool *t, const struct check_kernel *k, bool no_kernel_btf,
			   struct check_result *out);

/* What needs the running kernel's own BTF, which embedded BTF cannot stand
 * in for: one classification for `btf gen`'s warning and check's verdict
 * on kernels without BTF. libbpf loads the kernel's BTF (and fails without
 * it, whatever btf_custom_path says) for struct_ops, LSM and tracing
 * programs (fentry/fexit/fmod_ret, tp_btf, iterators) and for kfuncs and
 * typed ksyms; the verifier needs it for helpers that return pointers typed
 * by the kernel's BTF. */
/* Programs of PROG_TYPE (enum bpf_prog_type): what they are, as a plural
 * ("LSM programs"), or NULL when they do not need it. */
const char *check_prog_needs_kernel_btf(int prog_type);
/* Extern type ID of an object's BTF B: "kfunc" (an extern FUNC), "typed
 * ksym" (an extern VAR of .ksyms with a type), or NULL. */
const char *check_extern_needs_kernel_btf(const struct btf *b, uint32_t id);
/* Helper ID (enum bpf_func_id): whether it returns a pointer typed by the
 * kernel's BTF (bpf_get_current_task_btf, bpf_task_pt_regs, bpf_skc_to_*,
 * bpf_sock_from_file): its return type is an id in the kernel's BTF, 0
 * without it, and the verifier refuses the call. */
bool check_helper_needs_kernel_btf(uint32_t id);

/* Declares the kernels of KS that one of SPECS (each in --filter's syntax)
 * matches kernels without BTF of their own (entry->no_kernel_btf). WHAT
 * names the declaration in messages ("--no-kernel-btf"). Reports and returns
 * -EINVAL for a spec that does not parse (nothing marked); warns about a
 * spec that matches no kernel. */
int check_mark_no_kernel_btf(struct btf_source_list *ks, char *const specs[], size_t n_specs, const char *what);

/* The whole corpus: every tool against every kernel. */
struct check_opts {
	int parallel;		/* kernels checked at once */
	const char *cache_dir;	/* NULL: btfgen_cache_dir() */
	bool no_cache;		/* neither the verdict cache nor the decoded-kernel cache */
	bool no_kernel_cache;	/* decode every kernel from its source */
	bool progress;
	bool cached_only;	/* only the verdict cache: decode nothing, write nothing;
				 * -ENODATA when it lacks a verdict */
};

/* RESULTS[t * kernels->n + k] gets tool T's result on kernel K. Each kernel
 * is decoded once for all tools. Reports and returns -errno on the first
 * kernel that cannot be read. */
int check_run(const struct btf_source_list *kernels, struct check_tool *tools, size_t n_tools,
	      const struct check_opts *opts, struct check_result *results);

/* Checks tool T against kernel K (entry E's BTF) and stores the result in
 * CACHE_DIR's verdict cache where check_run() looks for it, unless it is
 * there already: btf gen, which decodes the same kernels, leaves verdicts
 * for a later check (one decode serves both). Silent; 0 or -errno. */
int check_store_verdict(const char *cache_dir, const struct check_tool *t, const struct btf_source_entry *e,
			const struct check_kernel *k);

/* For `bpfpack build` with BTF sources: OBJECT's (tool NAME's) verdicts on
 * KERNELS from the verdict cache (btf gen leaves them) and, when some kernel
 * is not ok, one line on stdout:
 * "  CHECK     2 of 41 kernels will not load NAME: bpfpack check".
 * Returns how many kernels are not ok; -ENODATA (silent) when the cache
 * lacks a verdict; other -errno reported. */
int check_build_summary(const char *object, const char *name, const struct btf_source_list *kernels,
			int parallel);

#endif
