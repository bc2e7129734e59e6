/* btfset_write: builds the embedded BTF set (format in runtime/btfset.h)
 * from the minimized BTF of many kernels. Blobs are stored once per distinct
 * content, in a canonical type order so that the BTF of neighbouring kernels
 * lines up byte for byte and zstd finds the similarity; the output depends
 * only on the set of (key, BTF) pairs, never on the order they were added. */
#ifndef BPFPACK_BTFSET_WRITE_H
#define BPFPACK_BTFSET_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "btf_source.h"

struct btfset_builder_kernel;
struct btfset_builder_blob;

struct btfset_builder {
	struct btfset_builder_kernel *kernels;
	size_t nkernels, kernels_cap;
	struct btfset_builder_blob *blobs;	/* distinct, in add order */
	size_t nblobs, blobs_cap;
	int level;		/* zstd level; btfset_builder_init sets 19 */
	int canonical;		/* renumber types canonically (init: 1); 0 stores blobs as given */
	const void *dict;	/* btfset_builder_set_dict; not owned */
	size_t dict_size;
	/* Filled by btfset_builder_write, for messages and inspect-like output. */
	size_t raw_bytes;	/* sum of the blobs as added (one per kernel) */
	size_t distinct_bytes;	/* sum of the distinct blobs as stored */
	size_t payload_bytes;	/* uncompressed payload */
};

void btfset_builder_init(struct btfset_builder *b);
/* Adds the minimized BTF BLOB of the kernel KEY (copied). The blob must be
 * valid BTF (checked with libbpf); the key's release must be non-empty and
 * every field NUL-terminated and free of control characters. Adding the same
 * key twice with the same BTF is a no-op; with a different BTF it is an
 * error. Reports and returns a negative errno on failure. */
int btfset_builder_add(struct btfset_builder *b, const struct btf_key *key, const void *blob,
		       size_t size);
/* Makes the set compress against DICT (DICT_SIZE bytes, not copied: it must
 * outlive btfset_builder_write): the one BPF object the set is made for, the
 * bytes the tool carries in .bpfpack.bpfobj. Readers then need the same bytes
 * (btfset_open_dict). NULL or 0 bytes: no dictionary. */
void btfset_builder_set_dict(struct btfset_builder *b, const void *dict, size_t dict_size);
/* Appends the set to OUT. Fails (reports, -EINVAL) when nothing was added.
 * The same set of kernels and blobs always gives the same bytes. */
int btfset_builder_write(struct btfset_builder *b, struct buf *out);
void btfset_builder_free(struct btfset_builder *b);

#endif
