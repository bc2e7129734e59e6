/* shard: stable shards of a kernel selection (see shard.h). */
#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../lib/buf.h"
#include "../lib/report.h"

int shard_parse(const char *spec, uint32_t *k, uint32_t *n)
{
	char *end;
	unsigned long a, b;

	a = strtoul(spec, &end, 10);
	if (end == spec || *end != '/' || spec[0] == '-')
		goto bad;
	spec = end + 1;
	b = strtoul(spec, &end, 10);
	if (end == spec || *end || spec[0] == '-' || b < 1 || b > SHARD_MAX || a < 1 || a > b)
		goto bad;
	*k = (uint32_t)a;
	*n = (uint32_t)b;
	return 0;
bad:
	report_error("--shard takes K/N with 1 <= K <= N <= %d (e.g. 2/4), not '%s'", SHARD_MAX, spec);
	return -EINVAL;
}

/* The bytes that name a kernel: its key's fields, each with its NUL. A
 * source without a release (a bare file) falls back on its origin's base
 * name, which is as stable as the key would be. */
static XXH128_hash_t key_hash(const struct btf_source_entry *e)
{
	const struct btf_key *k = &e->key;
	const char *rel = k->release;
	struct buf b = { 0 };
	XXH128_hash_t r;

	if (!*rel && e->origin) {
		rel = strrchr(e->origin, '/');
		rel = rel ? rel + 1 : e->origin;
	}
	buf_append(&b, k->distro, strlen(k->distro) + 1);
	buf_append(&b, k->version, strlen(k->version) + 1);
	buf_append(&b, k->arch, strlen(k->arch) + 1);
	buf_append(&b, rel, strlen(rel) + 1);
	r = XXH3_128bits(b.data, b.len);
	buf_free(&b);
	return r;
}

uint32_t shard_of(const struct btf_source_entry *e, uint32_t n)
{
	return (uint32_t)(key_hash(e).low64 % n) + 1;
}

static int hash_cmp(const void *a, const void *b)
{
	return XXH128_cmp(a, b);
}

void shard_selection_key(const struct btf_source_list *l, unsigned char out[16])
{
	XXH128_hash_t *hs = xcalloc(l->n ? l->n : 1, sizeof(*hs));
	XXH128_canonical_t c;
	XXH128_hash_t r;

	/* Hashes of the keys, sorted: independent of the order the sources
	 * were walked in. */
	for (size_t i = 0; i < l->n; i++)
		hs[i] = key_hash(&l->v[i]);
	qsort(hs, l->n, sizeof(*hs), hash_cmp);
	r = XXH3_128bits(hs, l->n * sizeof(*hs));
	XXH128_canonicalFromHash(&c, r);
	memcpy(out, c.digest, 16);
	free(hs);
}

void shard_select(struct btf_source_list *l, uint32_t k, uint32_t n, size_t **pos)
{
	size_t kept = 0, *p = pos ? xcalloc(l->n ? l->n : 1, sizeof(*p)) : NULL;

	for (size_t i = 0; i < l->n; i++) {
		struct btf_source_entry *e = &l->v[i];

		if (shard_of(e, n) != k) {
			free(e->path);
			free(e->origin);
			free(e->member);
			continue;
		}
		if (p)
			p[kept] = i;
		l->v[kept++] = *e;
	}
	l->n = kept;
	if (pos)
		*pos = p;
}

size_t shard_distinct_keys(const struct btf_source_list *l)
{
	XXH128_hash_t *hs = xcalloc(l->n ? l->n : 1, sizeof(*hs));
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		hs[i] = key_hash(&l->v[i]);
	qsort(hs, l->n, sizeof(*hs), hash_cmp);
	for (size_t i = 0; i < l->n; i++)
		if (i == 0 || !XXH128_isEqual(hs[i], hs[i - 1]))
			n++;
	free(hs);
	return n;
}

void shard_key_hex(const unsigned char key[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}
