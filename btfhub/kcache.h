/* kcache: the decoded-kernel cache. Decoding a btfhub archive (xz) costs
 * most of a cold `btf gen` or `check`; after an edit to a BPF program the
 * corpus is the same, so each kernel's raw BTF is kept decoded, keyed by the
 * source file's content and the kernel's place in it. Stored as plain raw
 * BTF (about 4 MiB a kernel): reading it is a copy from the page cache,
 * where even zstd's fastest level costs as much again as the rest of a
 * re-minimization. `btf gen` stores; `check` reads what it stored.
 *
 * Bounded: after a run that added files, the least recently used ones (by
 * modification time, refreshed on every hit) are removed until the cache is
 * under its limit ($BPFPACK_KERNEL_CACHE_MAX, default 2 GiB: some 450
 * kernels). Disabled by --no-kernel-cache or BPFPACK_KERNEL_CACHE=0. A cache
 * that cannot be written warns once and the work goes on without it. */
#ifndef BPFPACK_KCACHE_H
#define BPFPACK_KCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/buf.h"

struct btf_source_entry;

#define KCACHE_DEFAULT_MAX (2ULL << 30)

struct kcache {
	char *dir;		/* <cache>/kernels; NULL: disabled */
	uint64_t max_bytes;
	bool read_only;		/* hits are used, misses are not stored */
};

/* Opens the cache under CACHE_DIR (NULL: btfgen_cache_dir()), unless
 * DISABLE or the environment turns it off: then KC->dir is NULL and every
 * read decodes. A directory that cannot be made or written warns once and
 * leaves the cache disabled. Never fails. */
void kcache_open(struct kcache *kc, const char *cache_dir, bool disable);
void kcache_close(struct kcache *kc);

/* Opens the cache for reading only (what `check` does: storing a kernel
 * costs a compression that a check alone would not earn back; `btf gen`,
 * which runs first in a build, stores). Silent; disabled like kcache_open. */
void kcache_open_read_only(struct kcache *kc, const char *cache_dir, bool disable);

/* Whether BPFPACK_KERNEL_CACHE turns the cache off ("0", "off", "no"). */
bool kcache_env_disabled(void);

/* The cache key of kernel E: its file's content hash (FILE_HASH, 32 hex
 * digits, or NULL to hash the file now) with its release, member and kind.
 * Returns a malloc'd string, or NULL after reporting a file that cannot be
 * read. */
char *kcache_key(const struct btf_source_entry *e, const char *file_hash);

/* Kernel E's raw BTF into OUT: from the cache when it holds KEY, else decoded
 * from its source and stored (a failed store is silent: kcache_open already
 * checked that the directory is writable). *HIT (may be NULL) says which.
 * Reports and returns -errno when the source cannot be read. */
int kcache_read_raw(const struct kcache *kc, const struct btf_source_entry *e, const char *key,
		    struct buf *out, bool *hit);

/* Removes the least recently used files until the cache holds at most
 * KC->max_bytes; returns how many bytes it holds after. */
uint64_t kcache_evict(const struct kcache *kc);

/* Parses a size: a number with an optional K, M or G suffix (powers of 2).
 * Returns 0, or -EINVAL. */
int kcache_parse_size(const char *s, uint64_t *out);

#endif
