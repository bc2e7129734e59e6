/* core_relo: what `check` needs to know about a BPF object file, read from
 * its ELF once: the program sections' instructions, the entry programs and
 * subprograms (symbols), the calls that leave a section (subprogram calls and
 * kfunc calls through ELF relocations), the CO-RE relocation records and line
 * info of .BTF.ext, and the object's own (local) BTF. Everything is checked
 * against the bytes it came from: a corrupt record is an error naming what is
 * wrong, never a crash (tests/fuzz/fuzz_core_relo.c). */
#ifndef BPFPACK_CORE_RELO_H
#define BPFPACK_CORE_RELO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

struct btf;

/* One CO-RE relocation record (struct bpf_core_relo). */
struct core_relo {
	uint32_t insn_off;	/* bytes from the start of its section */
	uint32_t type_id;	/* local BTF type */
	uint32_t access_str_off;
	uint32_t kind;		/* enum bpf_core_relo_kind */
};

/* One line info record (struct bpf_line_info); strings are local BTF's. */
struct core_line {
	uint32_t insn_off;	/* bytes from the start of its section */
	uint32_t file_name_off;
	uint32_t line_off;
	uint32_t line_col;	/* line << 10 | column */
};

/* The .BTF.ext records of one section. */
struct core_ext_sec {
	char *name;
	struct core_relo *relos;
	size_t n_relos;
	struct core_line *lines;
	size_t n_lines;
};

struct core_ext {
	struct core_ext_sec *secs;
	size_t n;
};

/* Parses the bytes of a .BTF.ext section (DATA, LEN) against the object's
 * BTF (for section names, access strings, type ids). 0, or -EINVAL with
 * what is wrong in ERR. OUT is empty on failure. */
int core_ext_parse(const void *data, size_t len, const struct btf *btf, struct core_ext *out,
		   char *err, size_t err_len);
void core_ext_free(struct core_ext *ext);
/* The records of section NAME, or NULL. */
const struct core_ext_sec *core_ext_find(const struct core_ext *ext, const char *name);

/* A call out of a section's instruction, found through the ELF relocation
 * at it: to a subprogram (in this or another section) or to an extern. */
struct bpfobj_call {
	size_t insn;		/* index of the call instruction in its section */
	size_t target_sec;	/* subprogram: index into bpfobj.secs */
	size_t target_insn;	/* subprogram: index of its first instruction */
	char *extern_name;	/* kfunc / extern: its name (target_sec unused) */
};

/* A reference to an extern variable (ld_imm64 through a relocation). */
struct bpfobj_ksym_ref {
	size_t insn;
	char *name;
};

/* One executable section. */
struct bpfobj_sec {
	char *name;
	size_t shndx;
	const struct bpf_insn *insns;	/* points into the object's bytes, or owned_insns */
	struct bpf_insn *owned_insns;	/* a copy when the bytes are not aligned for them */
	size_t n_insns;
	struct bpfobj_call *calls;
	size_t n_calls;
	struct bpfobj_ksym_ref *ksyms;
	size_t n_ksyms;
	const struct core_ext_sec *ext;	/* its .BTF.ext records, or NULL */
};

/* A function symbol: an entry program (outside .text) or a subprogram. */
struct bpfobj_func {
	char *name;
	size_t sec;		/* index into secs */
	size_t start, n;	/* instruction range in the section */
	bool entry;		/* a program libbpf loads (not in .text) */
};

/* An undefined symbol the object needs from the kernel or libbpf. */
struct bpfobj_extern {
	char *name;
	bool weak;
};

struct bpfobj {
	char *name;		/* for messages: the file's base name */
	struct btf *btf;	/* local BTF; NULL when the object has none */
	struct core_ext ext;	/* empty without .BTF.ext */
	bool has_ext;
	struct bpfobj_sec *secs;
	size_t n_secs;
	struct bpfobj_func *funcs;
	size_t n_funcs;
	struct bpfobj_extern *externs;
	size_t n_externs;
	void *bytes;		/* the object file, owned */
	size_t len;
};

/* Reads the BPF object in DATA (copied). 0, or a negative errno with what is
 * wrong in ERR (not reported: the caller names the file). */
int bpfobj_read(const void *data, size_t len, const char *name, struct bpfobj *out, char *err,
		size_t err_len);
void bpfobj_free(struct bpfobj *o);

/* Which section and function hold instruction INSN of section SEC. */
const struct bpfobj_func *bpfobj_func_at(const struct bpfobj *o, size_t sec, size_t insn);

/* "file.bpf.c:42" (with the source text, trimmed, after ": " when
 * WITH_TEXT) of the line info that covers instruction INSN of section SEC,
 * into OUT; "" when the object has no line info there. */
const char *bpfobj_line_at(const struct bpfobj *o, size_t sec, size_t insn, bool with_text,
			   char *out, size_t size);

#endif
