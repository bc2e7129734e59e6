/* btfset_part: partial BTF sets and their merge (format in btfset_part.h). */
#include "btfset_part.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>

#include "btf_source.h"
#include "btfset_write.h"
#include "../lib/fs.h"
#include "../lib/report.h"
#include "../runtime/btfset.h"

#define PART_FIXED 62	/* bytes before the dictionary */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_of(const void *data, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const unsigned char *p = data;

	while (len) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;

		c = crc32(c, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)c;
}

int btfset_part_objects_key(char *const objects[], size_t n, unsigned char out[16])
{
	XXH3_state_t *h = XXH3_createState();
	XXH128_canonical_t c;
	int rc = 0;

	if (!h)
		return -ENOMEM;
	XXH3_128bits_reset(h);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct buf b = { 0 };
		uint64_t len;

		rc = fs_read_file(objects[i], &b);
		if (rc == 0) {
			/* The length first: (ab, c) and (a, bc) differ. */
			len = b.len;
			XXH3_128bits_update(h, &len, sizeof(len));
			XXH3_128bits_update(h, b.data, b.len);
		}
		buf_free(&b);
	}
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
	memcpy(out, c.digest, 16);
	XXH3_freeState(h);
	return rc;
}

int btfset_part_write(struct btfset_part_info *info, const void *dict, size_t dict_size,
		      struct btfset_builder *b, struct buf *out)
{
	unsigned char hdr[PART_FIXED], le[4];
	size_t start = out->len;

	info->count = (uint32_t)b->nkernels;
	memcpy(hdr, BTFSET_PART_MAGIC, 8);
	hdr[8] = BTFSET_PART_VERSION & 0xff;
	hdr[9] = BTFSET_PART_VERSION >> 8;
	put32(hdr + 10, info->shard);
	put32(hdr + 14, info->nshards);
	put32(hdr + 18, info->total);
	put32(hdr + 22, info->count);
	memcpy(hdr + 26, info->selection, 16);
	memcpy(hdr + 42, info->objects, 16);
	put32(hdr + 58, (uint32_t)dict_size);
	buf_append(out, hdr, sizeof(hdr));
	if (dict_size)
		buf_append(out, dict, dict_size);
	put32(le, crc_of(out->data + start, out->len - start));
	buf_append(out, le, 4);
	if (!b->nkernels)
		return 0;
	return btfset_builder_write(b, out);
}

void btfset_part_free(struct btfset_part *p)
{
	buf_free(&p->dict);
	btfset_close(p->set);
	memset(p, 0, sizeof(*p));
}

int btfset_part_read(const void *data, size_t size, const char *name, struct btfset_part *out)
{
	const unsigned char *p = data;
	struct btfset_part_info *i = &out->info;
	uint32_t dsize;
	char err[256];
	int rc;

	memset(out, 0, sizeof(*out));
	if (size >= BTFSET_MAGIC_LEN && !memcmp(p, BTFSET_MAGIC, BTFSET_MAGIC_LEN)) {
		report_error("%s is a whole BTF set, not a part of one (made by btf gen --shard K/N)", name);
		return -EBADMSG;
	}
	if (size < PART_FIXED || memcmp(p, BTFSET_PART_MAGIC, 8)) {
		report_error("%s is not a partial BTF set (made by btf gen --shard K/N)", name);
		return -EBADMSG;
	}
	if ((p[8] | p[9] << 8) != BTFSET_PART_VERSION) {
		report_error("%s is a partial BTF set of format version %u; this bpfpack reads version %d",
			     name, (unsigned)(p[8] | p[9] << 8), BTFSET_PART_VERSION);
		return -EPROTONOSUPPORT;
	}
	dsize = get32(p + 58);
	if (dsize > size - PART_FIXED || size - PART_FIXED - dsize < 4) {
		report_error("%s: truncated partial BTF set", name);
		return -EBADMSG;
	}
	if (get32(p + PART_FIXED + dsize) != crc_of(p, PART_FIXED + dsize)) {
		report_error("%s: checksum mismatch: the partial BTF set is corrupt", name);
		return -EBADMSG;
	}
	i->shard = get32(p + 10);
	i->nshards = get32(p + 14);
	i->total = get32(p + 18);
	i->count = get32(p + 22);
	memcpy(i->selection, p + 26, 16);
	memcpy(i->objects, p + 42, 16);
	if (i->nshards < 1 || i->shard < 1 || i->shard > i->nshards || i->count > i->total) {
		report_error("%s: invalid shard %u/%u (%u of %u kernels): the partial BTF set is corrupt",
			     name, i->shard, i->nshards, i->count, i->total);
		return -EBADMSG;
	}
	buf_append(&out->dict, p + PART_FIXED, dsize);
	data = p + PART_FIXED + dsize + 4;
	size -= PART_FIXED + dsize + 4;
	if (!i->count) {
		if (size) {
			report_error("%s: %zu unexpected bytes after an empty part", name, size);
			btfset_part_free(out);
			return -EBADMSG;
		}
		return 0;
	}
	rc = btfset_open(data, size, &out->set, err, sizeof(err));
	if (rc < 0) {
		report_error("%s: the part's kernels: %s", name, err);
		btfset_part_free(out);
		return rc;
	}
	if (btfset_kernel_count(out->set) != i->count) {
		report_error("%s: the part says %u kernels but holds %u: it is corrupt", name, i->count,
			     btfset_kernel_count(out->set));
		btfset_part_free(out);
		return -EBADMSG;
	}
	return 0;
}

/* Copies a string of the reader into a key field (the reader caps them at
 * the same sizes). */
static void key_set(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

int btfset_merge(char *const paths[], size_t n, struct buf *out, size_t *nkernels)
{
	struct btfset_part *parts = xcalloc(n ? n : 1, sizeof(*parts));
	size_t *by_shard = NULL, sum = 0;
	struct btfset_builder b;
	int rc = 0;

	btfset_builder_init(&b);
	if (!n) {
		report_error("no parts to merge");
		rc = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct buf data = { 0 };

		rc = fs_read_file(paths[i], &data);
		if (rc == 0)
			rc = btfset_part_read(data.data, data.len, paths[i], &parts[i]);
		buf_free(&data);
	}
	if (rc < 0)
		goto out;
	/* Every part against the first: one object, one selection, one N. */
	for (size_t i = 1; i < n; i++) {
		const struct btfset_part_info *a = &parts[0].info, *x = &parts[i].info;

		if (memcmp(a->objects, x->objects, 16) || parts[0].dict.len != parts[i].dict.len ||
		    memcmp(parts[0].dict.data, parts[i].dict.data, parts[0].dict.len)) {
			report_error("%s and %s are parts of sets for different BPF objects", paths[0], paths[i]);
			rc = -EINVAL;
		} else if (memcmp(a->selection, x->selection, 16) || a->total != x->total) {
			report_error("%s and %s are parts of sets over different kernels (%u and %u kernels, or "
				     "other sources or filters)", paths[0], paths[i], a->total, x->total);
			rc = -EINVAL;
		} else if (a->nshards != x->nshards) {
			report_error("%s and %s come from different splits: shard %u/%u and %u/%u", paths[0],
				     paths[i], a->shard, a->nshards, x->shard, x->nshards);
			rc = -EINVAL;
		}
		if (rc < 0)
			goto out;
	}
	by_shard = xcalloc(parts[0].info.nshards + 1, sizeof(*by_shard));
	for (size_t i = 0; i < n; i++) {
		uint32_t k = parts[i].info.shard;

		if (by_shard[k]) {
			report_error("shard %u/%u is given twice: %s and %s", k, parts[i].info.nshards,
				     paths[by_shard[k] - 1], paths[i]);
			rc = -EINVAL;
			goto out;
		}
		by_shard[k] = i + 1;
		sum += parts[i].info.count;
	}
	for (uint32_t k = 1; k <= parts[0].info.nshards; k++) {
		if (!by_shard[k]) {
			struct buf missing = { 0 };
			size_t nm = 0;

			for (uint32_t j = k; j <= parts[0].info.nshards; j++)
				if (!by_shard[j]) {
					buf_printf(&missing, "%s%u", nm ? ", " : "", j);
					nm++;
				}
			report_error("shard%s %s of %u missing: a set needs every part", nm > 1 ? "s" : "",
				     missing.data, parts[0].info.nshards);
			buf_free(&missing);
			rc = -EINVAL;
			goto out;
		}
	}
	if (sum != parts[0].info.total) {
		report_error("the parts hold %zu kernels, the selection they were made from %u", sum,
			     parts[0].info.total);
		rc = -EINVAL;
		goto out;
	}
	/* The full run's operations exactly: the same (key, BTF) pairs into a
	 * canonicalizing builder with the same dictionary. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct btfset *s = parts[i].set;

		for (uint32_t j = 0; s && j < btfset_kernel_count(s) && rc == 0; j++) {
			const struct btfset_kernel *k = btfset_kernel_at(s, j);
			struct btf_key key;
			const void *blob;
			uint32_t size;
			char err[256];

			memset(&key, 0, sizeof(key));
			key_set(key.distro, sizeof(key.distro), k->distro);
			key_set(key.version, sizeof(key.version), k->version);
			key_set(key.arch, sizeof(key.arch), k->arch);
			key_set(key.release, sizeof(key.release), k->release);
			if (btfset_blob_get(s, k->blob, &blob, &size, err, sizeof(err)) < 0) {
				report_error("%s: %s", paths[i], err);
				rc = -EBADMSG;
				break;
			}
			rc = btfset_builder_add(&b, &key, blob, size);
		}
	}
	if (rc == 0 && b.nkernels != sum) {
		report_error("the parts hold the same kernel more than once (%zu distinct of %zu)", b.nkernels, sum);
		rc = -EINVAL;
	}
	if (rc == 0 && parts[0].dict.len)
		btfset_builder_set_dict(&b, parts[0].dict.data, parts[0].dict.len);
	if (rc == 0)
		rc = btfset_builder_write(&b, out);
	if (rc == 0 && nkernels)
		*nkernels = b.nkernels;
out:
	for (size_t i = 0; i < n; i++)
		btfset_part_free(&parts[i]);
	free(parts);
	free(by_shard);
	btfset_builder_free(&b);
	return rc;
}
