/* core_resolve: resolving a CO-RE relocation against a kernel's BTF the way
 * libbpf does when it loads an object (relo_core.c): candidates by essential
 * name (a `___flavour` suffix stripped), field / type / enum value kinds,
 * bitfields, ambiguity between candidates, and the same outcome: a value
 * patched into the instruction, a poisoned instruction (fatal only where the
 * verifier reaches it), or an error that fails the whole load. On failure it
 * says why in words, with what the kernel has instead when that helps. */
#ifndef BPFPACK_CORE_RESOLVE_H
#define BPFPACK_CORE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;
struct core_relo;

/* The candidates of a kernel's BTF, indexed once by essential name. An
 * index belongs to one thread: its functions are indexed on first use. */
struct core_index;

struct core_index *core_index_new(const struct btf *targ);
/* The same for only the kinds in KINDS (a mask of 1 << BTF_KIND_x): finds
 * of other kinds find nothing. For btf gen, whose relocations name a few
 * kinds: a kernel's 60k functions need no hashing. */
struct core_index *core_index_new_kinds(const struct btf *targ, uint32_t kinds);
void core_index_free(struct core_index *ix);

enum core_res_status {
	CORE_RES_OK = 0,	/* resolved: NEW_VAL goes into the instruction */
	CORE_RES_POISON,	/* unresolved: the instruction is poisoned */
	CORE_RES_ERROR,		/* libbpf refuses the object (ambiguity, bad record) */
};

#define CORE_SPEC_MAX 64

struct core_res {
	int status;
	uint64_t orig_val;	/* what the compiler put in (local BTF) */
	uint64_t new_val;	/* what libbpf puts in for this kernel */
	uint32_t targ_id;	/* the matched target root type, 0 when none */
	uint32_t n_cands;	/* candidates of the same essential name */
	uint32_t n_matched;	/* ... of which matched */
	uint32_t orig_sz, new_sz;	/* field sizes, for memory size adjustment */
	bool fail_memsz;	/* a load/store would change size unsafely: poisoned */
	/* The target spec of the first matching candidate (libbpf's targ_spec):
	 * its root type and raw access indices, what btf gen's native minimizer
	 * keeps. TARG_RAW_LEN is 0 when nothing matched. */
	uint32_t targ_root;
	int targ_raw_len;
	int targ_raw[CORE_SPEC_MAX];
	char what[160];		/* the relocation, C-like: "task_struct.__state (field offset)" */
	char why[320];		/* POISON / ERROR: why, and what the kernel has instead */
};

/* Resolves R (a record of LOCAL's object) against the kernel BTF indexed by
 * IX. Never fails itself: the outcome is in RES. */
void core_resolve(const struct btf *local, const struct core_relo *r, const struct core_index *ix,
		  struct core_res *res);

/* The candidates of one local type, as libbpf caches them per object: the
 * first relocation of the type looks them up, each relocation that matches
 * some keeps only those for the type's next ones (bpftool's min_core_btf
 * and libbpf's load both do). Zeroed before first use. */
#define CORE_MAX_CANDS 256
struct core_cands {
	bool init;
	uint32_t n;
	uint32_t ids[CORE_MAX_CANDS];
};

/* core_resolve() with the candidates of R's local type in CC (NULL: looked
 * up afresh, as core_resolve() does). */
void core_resolve_cached(const struct btf *local, const struct core_relo *r, const struct core_index *ix,
			 struct core_cands *cc, struct core_res *res);

/* Name of a relocation kind as libbpf prints it ("byte_off", "field_exists"). */
const char *core_relo_kind_name(uint32_t kind);

/* Whether an unresolved relocation of KIND is a 0 value rather than poison:
 * the exists kinds, type_matches, and type-based ones. */
bool core_relo_kind_is_exists(uint32_t kind);

/* The kernel's BTF this index was made for. */
const struct btf *core_index_btf(const struct core_index *ix);

/* Type ids of the kernel whose essential name is NAME[0..LEN) and whose
 * kind is KIND (enum and enum64 count as one); returns how many, with at
 * most MAX of them in IDS. */
size_t core_index_find(const struct core_index *ix, const char *name, size_t len, int kind,
		       uint32_t *ids, size_t max);

/* libbpf's bpf_core_types_are_compat(): 1 when local type LID and kernel
 * type TID are compatible (kfunc prototypes), 0 when not, < 0 on bad BTF. */
int core_types_compat(const struct btf *local, uint32_t lid, const struct btf *targ, uint32_t tid);

/* Length of NAME without its `___flavour` suffix. */
size_t core_essential_name_len(const char *name);

#endif
