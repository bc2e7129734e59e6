/* embed: the sections bpfpack puts into a tool's binary. Both are
 * non-allocated (never loaded into memory when the tool runs; the runtime
 * reads them from /proc/self/exe), so they can be replaced in a built binary
 * without relinking:
 *   .bpfpack.btf     the BTF set (btfset format), for kernels without BTF;
 *   .bpfpack.bpfobj  the tool's BPF object, so `bpfpack btf embed` can
 *                    minimize BTF for a binary without its project; also
 *                    the dictionary the set is compressed against. */
#ifndef BPFPACK_EMBED_H
#define BPFPACK_EMBED_H

#include <sys/types.h>

#include "../include/bpfpack.h"
#include "../lib/buf.h"

#define EMBED_SECTION_BTF BPFPACK_BTF_SECTION
#define EMBED_SECTION_OBJ BPFPACK_OBJ_SECTION

/* Appends to ARGV an objcopy command that copies IN to OUT with the sections
 * replaced by the files given (a NULL file leaves that section as it is). */
void embed_objcopy_argv(struct strv *argv, const char *objcopy, const char *in, const char *out,
			const char *btf_file, const char *obj_file);

/* objcopy: $OBJCOPY, else `objcopy` in PATH (binutils; LLVM's objcopy cannot
 * rewrite static glibc binaries). NULL when not found. */
char *embed_find_objcopy(void);

/* Whether the linked tool at PATH carries bpfpack's runtime on a path that
 * reads the embedded set: bpfpack_btf_setup() or one of the wrappers of
 * libbpf's open functions (runtime/bpfpack_open.c). 1 yes, 0 no (e.g. a
 * light skeleton, which opens nothing through libbpf), -ENODATA when it has
 * no symbol table to tell (stripped), another negative errno when PATH
 * cannot be read as ELF. */
int embed_runtime_linked(const char *path);

#endif
