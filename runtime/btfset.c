/* btfset: reads and validates an embedded BTF set (format in btfset.h).
 * Shared by the runtime inside every tool and by `bpfpack inspect`; it must
 * stay free of lib/ (tools do not link the driver's library). */
#include "btfset.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

struct btfset_blob {
	uint32_t off, size, crc;
};

struct btfset {
	unsigned char *payload;		/* decompressed; the kernels' strings point into it */
	size_t payload_size;
	size_t stored_size;		/* header + compressed payload */
	const unsigned char *data;	/* blob data area, inside payload */
	uint32_t data_size;
	uint32_t nkernels, nblobs;
	struct btfset_kernel *kernels;
	struct btfset_blob *blobs;
};

static void btfset_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void btfset_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* zlib's crc32 takes a uInt length; the payload cap keeps every length below
 * that, but loop anyway so the helper is right for any size_t. */
static uint32_t btfset_crc32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uLong crc = crc32(0L, Z_NULL, 0);

	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

/* The string at OFF of the table, if it is in range and at most MAX bytes
 * long; NULL otherwise. The table ends with a NUL (checked by the caller), so
 * every in-range offset starts a terminated string. */
static const char *btfset_string(const char *tab, uint32_t tabsize, uint32_t off, size_t max)
{
	if (off >= tabsize)
		return NULL;
	if (strnlen(tab + off, max + 1) > max)
		return NULL;
	return tab + off;
}

static int btfset_key_cmp(const struct btfset_kernel *a, const struct btfset_kernel *b)
{
	int c;

	if ((c = strcmp(a->distro, b->distro)))
		return c;
	if ((c = strcmp(a->version, b->version)))
		return c;
	if ((c = strcmp(a->arch, b->arch)))
		return c;
	return strcmp(a->release, b->release);
}

/* Checks the header; on success fills the counts and sizes. */
static int btfset_check_header(const unsigned char *p, size_t size, uint32_t *nkernels,
			       uint32_t *nblobs, uint32_t *csize, uint32_t *usize, uint32_t *flags,
			       uint32_t *dict_crc, char *err, size_t errlen)
{
	uint16_t version, hsize;
	uint32_t crc, hcrc;
	size_t i;

	if (size < BTFSET_MAGIC_LEN || memcmp(p, BTFSET_MAGIC, BTFSET_MAGIC_LEN) != 0) {
		btfset_set_err(err, errlen, "not a bpfpack BTF set (bad magic)");
		return -EBADMSG;
	}
	if (size < BTFSET_HEADER_SIZE) {
		btfset_set_err(err, errlen, "truncated: %zu bytes, the header alone needs %d",
			       size, BTFSET_HEADER_SIZE);
		return -EBADMSG;
	}
	version = get_le16(p + 8);
	hsize = get_le16(p + 10);
	*flags = get_le32(p + 12);
	*nkernels = get_le32(p + 16);
	*nblobs = get_le32(p + 20);
	*csize = get_le32(p + 24);
	*usize = get_le32(p + 28);
	*dict_crc = get_le32(p + 36);
	hcrc = get_le32(p + 40);
	if (version != BTFSET_VERSION) {
		btfset_set_err(err, errlen,
			       "unsupported format version %u (this reader knows version %d)",
			       version, BTFSET_VERSION);
		return -EPROTONOSUPPORT;
	}
	crc = btfset_crc32(p, 40);
	if (crc != hcrc) {
		btfset_set_err(err, errlen,
			       "header checksum mismatch (stored %08x, computed %08x): the set is corrupt",
			       hcrc, crc);
		return -EBADMSG;
	}
	if (hsize != BTFSET_HEADER_SIZE || (*flags & ~BTFSET_FLAG_DICT) ||
	    (!(*flags & BTFSET_FLAG_DICT) && *dict_crc)) {
		btfset_set_err(err, errlen, "bad header (size %u, flags %#x)", hsize, *flags);
		return -EBADMSG;
	}
	if (*csize > size - BTFSET_HEADER_SIZE) {
		btfset_set_err(err, errlen,
			       "truncated: the header announces %u payload bytes, %zu are present",
			       *csize, size - BTFSET_HEADER_SIZE);
		return -EBADMSG;
	}
	/* Zero padding after the payload is tolerated (section alignment);
	 * anything else means the set was overwritten or glued to something. */
	for (i = BTFSET_HEADER_SIZE + (size_t)*csize; i < size; i++) {
		if (p[i]) {
			btfset_set_err(err, errlen, "%zu unexpected bytes after the payload",
				       size - BTFSET_HEADER_SIZE - (size_t)*csize);
			return -EBADMSG;
		}
	}
	if (*usize > BTFSET_MAX_PAYLOAD) {
		btfset_set_err(err, errlen, "payload of %u bytes is over the limit of %u",
			       *usize, BTFSET_MAX_PAYLOAD);
		return -E2BIG;
	}
	if (*nkernels > BTFSET_MAX_KERNELS) {
		btfset_set_err(err, errlen, "%u kernels is over the limit of %u", *nkernels,
			       BTFSET_MAX_KERNELS);
		return -E2BIG;
	}
	if (*nkernels == 0 || *nblobs == 0) {
		btfset_set_err(err, errlen, "the set holds no kernels");
		return -EBADMSG;
	}
	/* Every kernel costs at least 3 payload bytes (blob number, release
	 * and its NUL) and every blob 8 (size, CRC), so the counts are bounded
	 * by the payload size before anything is allocated. */
	if (*nblobs > *nkernels ||
	    16 + 3 * (uint64_t)*nkernels + 8 * (uint64_t)*nblobs > *usize) {
		btfset_set_err(err, errlen,
			       "counts do not fit: %u kernels and %u blobs in a payload of %u bytes",
			       *nkernels, *nblobs, *usize);
		return -EBADMSG;
	}
	return 0;
}

static uint32_t btfset_blob_width(uint32_t nblobs)
{
	return nblobs <= 0x100 ? 1 : nblobs <= 0x10000 ? 2 : 4;
}

/* Validates the decompressed payload and builds the kernel and blob tables. */
static int btfset_parse_payload(struct btfset *s, char *err, size_t errlen)
{
	const unsigned char *p = s->payload, *groups, *blobnums, *sizes, *crcs;
	uint32_t K = s->nkernels, B = s->nblobs, W = btfset_blob_width(B);
	uint32_t nsize, rsize, ngroups, g, i, k = 0;
	const char *names, *rel, *rel_end;
	uint64_t need, off = 0;

	if (s->payload_size < 16) {
		btfset_set_err(err, errlen, "payload of %zu bytes is too short", s->payload_size);
		return -EBADMSG;
	}
	nsize = get_le32(p);
	rsize = get_le32(p + 4);
	s->data_size = get_le32(p + 8);
	ngroups = get_le32(p + 12);
	if (ngroups == 0 || ngroups > K) {
		btfset_set_err(err, errlen, "%u key groups for %u kernels", ngroups, K);
		return -EBADMSG;
	}
	need = 16 + 16 * (uint64_t)ngroups + (uint64_t)W * K + 8 * (uint64_t)B + nsize + rsize +
	       s->data_size;
	if (need != s->payload_size) {
		btfset_set_err(err, errlen,
			       "index sizes do not add up: %llu bytes described, %zu present",
			       (unsigned long long)need, s->payload_size);
		return -EBADMSG;
	}
	groups = p + 16;
	blobnums = groups + 16 * (size_t)ngroups;
	sizes = blobnums + (size_t)W * K;
	crcs = sizes + 4 * (size_t)B;
	names = (const char *)crcs + 4 * (size_t)B;
	rel = names + nsize;
	rel_end = rel + rsize;
	s->data = (const unsigned char *)rel_end;
	if (nsize == 0 || names[nsize - 1] != '\0') {
		btfset_set_err(err, errlen, "the name table is not NUL-terminated");
		return -EBADMSG;
	}

	s->kernels = calloc(K, sizeof(*s->kernels));
	s->blobs = calloc(B, sizeof(*s->blobs));
	if (!s->kernels || !s->blobs) {
		btfset_set_err(err, errlen, "out of memory for %u kernels", K);
		return -ENOMEM;
	}

	for (i = 0; i < B; i++) {
		struct btfset_blob *b = &s->blobs[i];

		b->off = (uint32_t)off;
		b->size = get_le32(sizes + 4 * (size_t)i);
		b->crc = get_le32(crcs + 4 * (size_t)i);
		off += b->size;
		if (b->size == 0 || off > s->data_size) {
			btfset_set_err(err, errlen,
				       "blob %u (size %u) does not fit in the %u bytes of blob data",
				       i, b->size, s->data_size);
			return -EBADMSG;
		}
	}
	if (off != s->data_size) {
		btfset_set_err(err, errlen, "%llu bytes of blob data belong to no blob",
			       (unsigned long long)(s->data_size - off));
		return -EBADMSG;
	}

	for (g = 0; g < ngroups; g++) {
		const unsigned char *e = groups + 16 * (size_t)g;
		const char *distro = btfset_string(names, nsize, get_le32(e), BTFSET_MAX_DISTRO);
		const char *version = btfset_string(names, nsize, get_le32(e + 4), BTFSET_MAX_VERSION);
		const char *arch = btfset_string(names, nsize, get_le32(e + 8), BTFSET_MAX_ARCH);
		uint32_t count = get_le32(e + 12), j;

		if (!distro || !version || !arch) {
			btfset_set_err(err, errlen,
				       "key group %u: a name lies outside the name table or is too long",
				       g);
			return -EBADMSG;
		}
		if (count == 0 || count > K - k) {
			btfset_set_err(err, errlen, "key group %u claims %u kernels, %u are left", g,
				       count, K - k);
			return -EBADMSG;
		}
		for (j = 0; j < count; j++, k++) {
			struct btfset_kernel *kn = &s->kernels[k];
			size_t len = strnlen(rel, (size_t)(rel_end - rel));

			if (len == (size_t)(rel_end - rel)) {
				btfset_set_err(err, errlen, "the releases end before kernel %u", k);
				return -EBADMSG;
			}
			if (len == 0 || len > BTFSET_MAX_RELEASE) {
				btfset_set_err(err, errlen, "kernel %u has a release of %zu bytes", k,
					       len);
				return -EBADMSG;
			}
			kn->distro = distro;
			kn->version = version;
			kn->arch = arch;
			kn->release = rel;
			rel += len + 1;
			if (W == 1)
				kn->blob = blobnums[k];
			else if (W == 2)
				kn->blob = get_le16(blobnums + 2 * (size_t)k);
			else
				kn->blob = get_le32(blobnums + 4 * (size_t)k);
			if (kn->blob >= B) {
				btfset_set_err(err, errlen, "kernel %u (%s) points at blob %u of %u", k,
					       kn->release, kn->blob, B);
				return -EBADMSG;
			}
			if (k > 0 && btfset_key_cmp(&s->kernels[k - 1], kn) >= 0) {
				btfset_set_err(err, errlen,
					       "kernel %u (%s %s %s %s) is out of order or a duplicate",
					       k, kn->distro, kn->version, kn->arch, kn->release);
				return -EBADMSG;
			}
		}
	}
	if (k != K) {
		btfset_set_err(err, errlen, "the key groups hold %u kernels, the header says %u", k,
			       K);
		return -EBADMSG;
	}
	if (rel != rel_end) {
		btfset_set_err(err, errlen, "%zu bytes after the last release",
			       (size_t)(rel_end - rel));
		return -EBADMSG;
	}
	return 0;
}

int btfset_open_dict(const void *data, size_t size, const void *dict, size_t dict_size,
		     struct btfset **out, char *err, size_t errlen)
{
	const unsigned char *p = data;
	uint32_t nkernels, nblobs, csize, usize, flags, dict_crc, crc;
	ZSTD_DCtx *dctx;
	struct btfset *s;
	unsigned long long fsize;
	size_t got;
	int ret;

	*out = NULL;
	if ((!data && size) || (!dict && dict_size)) {
		btfset_set_err(err, errlen, "no data");
		return -EINVAL;
	}
	ret = btfset_check_header(p, size, &nkernels, &nblobs, &csize, &usize, &flags, &dict_crc,
				  err, errlen);
	if (ret)
		return ret;
	if (!(flags & BTFSET_FLAG_DICT)) {
		dict = NULL;
		dict_size = 0;
	} else if (!dict || !dict_size) {
		btfset_set_err(err, errlen, "the set is compressed against the tool's BPF object, "
			       "which is missing");
		return -ENOKEY;
	} else if ((crc = btfset_crc32(dict, dict_size)) != dict_crc) {
		btfset_set_err(err, errlen, "the set was made for another BPF object than this "
			       "one (object checksum %08x, the set's %08x)", crc, dict_crc);
		return -ENOKEY;
	}
	crc = btfset_crc32(p + BTFSET_HEADER_SIZE, csize);
	if (crc != get_le32(p + 32)) {
		btfset_set_err(err, errlen,
			       "payload checksum mismatch (stored %08x, computed %08x): the set is corrupt",
			       get_le32(p + 32), crc);
		return -EBADMSG;
	}

	/* The frame says its own size; check it before allocating for it. */
	fsize = ZSTD_getFrameContentSize(p + BTFSET_HEADER_SIZE, csize);
	if (fsize != usize) {
		if (fsize == ZSTD_CONTENTSIZE_ERROR || fsize == ZSTD_CONTENTSIZE_UNKNOWN)
			btfset_set_err(err, errlen, "the payload is not a zstd frame of known size");
		else
			btfset_set_err(err, errlen,
				       "the payload frame holds %llu bytes, the header says %u",
				       fsize, usize);
		return -EBADMSG;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		btfset_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->nkernels = nkernels;
	s->nblobs = nblobs;
	s->stored_size = BTFSET_HEADER_SIZE + (size_t)csize;
	s->payload_size = usize;
	s->payload = malloc(usize);
	if (!s->payload) {
		btfset_set_err(err, errlen, "out of memory for a payload of %u bytes", usize);
		ret = -ENOMEM;
		goto fail;
	}
	/* One-shot decompression writes straight into the buffer, never past
	 * its end, and needs no window buffer whatever the frame claims. */
	dctx = ZSTD_createDCtx();
	if (!dctx) {
		btfset_set_err(err, errlen, "out of memory for a zstd context");
		ret = -ENOMEM;
		goto fail;
	}
	got = ZSTD_decompress_usingDict(dctx, s->payload, usize, p + BTFSET_HEADER_SIZE, csize,
					dict, dict_size);
	ZSTD_freeDCtx(dctx);
	if (ZSTD_isError(got)) {
		btfset_set_err(err, errlen, "cannot decompress the payload: %s",
			       ZSTD_getErrorName(got));
		ret = -EBADMSG;
		goto fail;
	}
	if (got != usize) {
		btfset_set_err(err, errlen, "payload decompressed to %zu bytes, the header says %u",
			       got, usize);
		ret = -EBADMSG;
		goto fail;
	}
	ret = btfset_parse_payload(s, err, errlen);
	if (ret)
		goto fail;
	*out = s;
	return 0;
fail:
	btfset_close(s);
	return ret;
}

int btfset_open(const void *data, size_t size, struct btfset **out, char *err, size_t errlen)
{
	return btfset_open_dict(data, size, NULL, 0, out, err, errlen);
}

uint32_t btfset_kernel_count(const struct btfset *s)
{
	return s ? s->nkernels : 0;
}

const struct btfset_kernel *btfset_kernel_at(const struct btfset *s, uint32_t i)
{
	if (!s || i >= s->nkernels)
		return NULL;
	return &s->kernels[i];
}

uint32_t btfset_blob_count(const struct btfset *s)
{
	return s ? s->nblobs : 0;
}

int btfset_blob_get(const struct btfset *s, uint32_t blob, const void **data, uint32_t *size,
		    char *err, size_t errlen)
{
	const struct btfset_blob *b;
	uint32_t crc;

	if (!s || blob >= s->nblobs) {
		btfset_set_err(err, errlen, "no blob %u (the set has %u)", blob,
			       s ? s->nblobs : 0);
		return -ERANGE;
	}
	b = &s->blobs[blob];
	crc = btfset_crc32(s->data + b->off, b->size);
	if (crc != b->crc) {
		btfset_set_err(err, errlen,
			       "blob %u checksum mismatch (stored %08x, computed %08x): the set is corrupt",
			       blob, b->crc, crc);
		return -EBADMSG;
	}
	*data = s->data + b->off;
	*size = b->size;
	return 0;
}

size_t btfset_compressed_size(const struct btfset *s)
{
	return s ? s->stored_size : 0;
}

size_t btfset_payload_size(const struct btfset *s)
{
	return s ? s->payload_size : 0;
}

void btfset_close(struct btfset *s)
{
	if (!s)
		return;
	free(s->kernels);
	free(s->blobs);
	free(s->payload);
	free(s);
}
