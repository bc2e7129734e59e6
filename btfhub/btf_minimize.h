/* btf_minimize: the native minimizer of `btf gen` (--engine native). Given a
 * kernel's BTF and BPF objects, resolves every CO-RE relocation in process
 * with core_resolve (the resolver `check` uses, equal to libbpf's
 * bpf_core_calc_relo_insn) and keeps what bpftool's `gen min_core_btf`
 * keeps: for field relocations the root type and, along the target access
 * path, each member used and its type; for type relocations the type with
 * what it refers to (pointers followed); for type-matches relocations the
 * types with all members, stopping behind pointers; for enum value
 * relocations the whole enum. Structs and unions keep only marked members;
 * types keep their order, so the result is what bpftool writes, without one
 * bpftool process (and one BTF parse) per kernel. */
#ifndef BPFPACK_BTF_MINIMIZE_H
#define BPFPACK_BTF_MINIMIZE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

struct btf;
struct bpfobj;
struct core_index;

/* Minimizes the kernel BTF that IX indexes for OBJS into *OUT (a new BTF the
 * caller frees with btf__free). Returns 0, or -errno with what went wrong in
 * ERR (a relocation libbpf would refuse, a kind bpftool cannot keep). */
int btf_minimize(const struct core_index *ix, const struct bpfobj *const objs[], size_t n_objs,
		 struct btf **out, char *err, size_t err_len);

/* The kinds (mask of 1 << BTF_KIND_x) of the types OBJS' relocations look
 * up in a kernel: what core_index_new_kinds() must index for btf_minimize. */
uint32_t btf_minimize_kinds(const struct bpfobj *const objs[], size_t n_objs);

/* An id-independent canonical dump of BTF: one line per type, the types it
 * refers to by kind and name (anonymous ones spelled out in place), lines
 * sorted. Two BTFs with equal dumps mean the same to libbpf's CO-RE. */
void btf_canon_dump(const struct btf *btf, struct buf *out);

#endif
