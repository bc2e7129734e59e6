/* btfset_part: partial BTF sets, what `btf gen --shard K/N` writes, and
 * `btf merge`, which joins the N parts into the set one full run makes,
 * byte for byte.
 *
 * A part is not a BTF set and cannot pass for one: it starts with its own
 * magic, so the runtime (and `btf embed`, `inspect`) refuse it as "not a
 * bpfpack BTF set", and the set format (runtime/btfset.h) is unchanged.
 *
 * Format (version 1; integers little-endian):
 *    0  magic "BPFBTFP1"
 *    8  u16 part format version (BTFSET_PART_VERSION)
 *   10  u32 shard K (1-based)      14 u32 shard count N
 *   18  u32 kernels of the whole selection (all N shards)
 *   22  u32 kernels in this part
 *   26  16 bytes selection key (shard_selection_key: the whole selection's keys)
 *   42  16 bytes object key (XXH128 of the objects' bytes, in order)
 *   58  u32 dictionary size D, then D bytes: the one object the final set
 *       compresses against (D = 0 for a set of several objects)
 *   62+D u32 CRC32 (zlib) of bytes 0 .. 61+D
 *   66+D a BTF set (runtime/btfset.h) without dictionary that holds this
 *       part's kernels with their minimized BTF exactly as the minimizer made
 *       it (not canonicalized), so the merge adds the very (key, BTF) pairs a
 *       full run adds; absent when the part has no kernel.
 * Merging checks that every part has the same N, selection, object and
 * dictionary, that each shard 1..N is there once, and that the kernel counts
 * add up to the selection's. */
#ifndef BPFPACK_BTFSET_PART_H
#define BPFPACK_BTFSET_PART_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "../runtime/btfset.h"	/* BTFSET_PART_MAGIC */

#define BTFSET_PART_VERSION 1

struct btfset_builder;
struct btfset;

struct btfset_part_info {
	uint32_t shard, nshards;	/* K of N */
	uint32_t total;			/* kernels in the whole selection */
	uint32_t count;			/* kernels in this part */
	unsigned char selection[16];
	unsigned char objects[16];
};

/* XXH128 of the bytes of OBJECTS, in order (the object key). */
int btfset_part_objects_key(char *const objects[], size_t n, unsigned char out[16]);

/* Appends to OUT the part INFO, with DICT (may be NULL) and the kernels of
 * B, a builder made with canonical = 0 and no dictionary. INFO->count is
 * taken from B. */
int btfset_part_write(struct btfset_part_info *info, const void *dict, size_t dict_size,
		      struct btfset_builder *b, struct buf *out);

/* A part as read. */
struct btfset_part {
	struct btfset_part_info info;
	struct buf dict;
	struct btfset *set;	/* NULL when the part has no kernel */
};

/* Reads the part in DATA; NAME is for messages. Reports and returns -errno
 * (-EBADMSG for what is not a part or is corrupt). */
int btfset_part_read(const void *data, size_t size, const char *name, struct btfset_part *out);
void btfset_part_free(struct btfset_part *p);

/* Reads the parts at PATHS, checks that they make one whole set and appends
 * that set to OUT, the same bytes as the one full run. *NKERNELS (may be
 * NULL) gets its kernel count. Reports and returns -errno. */
int btfset_merge(char *const paths[], size_t n, struct buf *out, size_t *nkernels);

#endif
