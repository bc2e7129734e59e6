/* shard: splits a kernel selection into N stable shards for CI matrices
 * (`btf gen --shard K/N`, `check --shard K/N`). A kernel's shard depends on
 * its key alone (distro, version, arch, release), never on file order, paths
 * or the machine, so N jobs over the same selection, each with its own
 * checkout, cover every kernel exactly once. */
#ifndef BPFPACK_SHARD_H
#define BPFPACK_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "btf_source.h"

#define SHARD_MAX 4096

/* Parses "K/N" (1 <= K <= N <= SHARD_MAX). Reports and returns -EINVAL. */
int shard_parse(const char *spec, uint32_t *k, uint32_t *n);

/* The shard (1..N) of the kernel E: XXH64 of its key mod N, plus one. */
uint32_t shard_of(const struct btf_source_entry *e, uint32_t n);

/* What identifies the whole selection L: XXH128 of its keys, sorted. Parts
 * of one sharded run have equal selection keys. */
void shard_selection_key(const struct btf_source_list *l, unsigned char out[16]);

/* How many distinct keys L holds (a kernel given by two sources is one
 * kernel of a set). */
size_t shard_distinct_keys(const struct btf_source_list *l);

/* Keeps in L only the kernels of shard K of N, in their order; when POS is
 * not NULL, *POS gets each kept kernel's index in the list as it was
 * (malloc'd, L->n entries after the call). */
void shard_select(struct btf_source_list *l, uint32_t k, uint32_t n, size_t **pos);

/* Hex of a 16-byte key (33 bytes with the NUL). */
void shard_key_hex(const unsigned char key[16], char out[33]);

#endif
