/* btfset: reads and validates an embedded BTF set (format in btfset.h).
 * Shared by the runtime inside every tool and by `bpfpack inspect`; it must
 * stay free of lib/ (tools do not link the driver's library). */
#include "btfset.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* magicless frames, raw-content prefix, stable output */
#include <zstd.h>

struct btfset_blob {
	uint32_t off, size;
};

struct btfset {
	unsigned char *payload;		/* decompressed; the kernels' strings point into it */
	size_t payload_size;
	size_t stored_size;		/* header + compressed payload */
	const unsigned char *data;	/* blob data area, inside payload */
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
static uint32_t btfset_crc32_more(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

static uint32_t btfset_crc32(const void *data, size_t len)
{
	return btfset_crc32_more((uint32_t)crc32(0L, Z_NULL, 0), data, len);
}

/* A read position in the decompressed payload. */
struct btfset_cursor {
	const unsigned char *p, *end;
};

/* Reads a varint; false when it runs off the payload or exceeds 32 bits. */
static bool btfset_get_varint(struct btfset_cursor *c, uint32_t *v)
{
	uint32_t x = 0;
	int shift;

	for (shift = 0; shift < 35 && c->p < c->end; shift += 7) {
		unsigned char b = *c->p++;

		if (shift == 28 && (b & 0x70))
			return false;
		x |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

/* Reads a NUL-terminated string of at most MAX bytes; NULL when it runs off
 * the payload or is longer. */
static const char *btfset_get_str(struct btfset_cursor *c, size_t max)
{
	const char *s = (const char *)c->p;
	size_t room = (size_t)(c->end - c->p), len = strnlen(s, room < max + 1 ? room : max + 1);

	if (len == room || len > max)
		return NULL;
	c->p += len + 1;
	return s;
}

static int btfset_key_cmp(const struct btfset_kernel *a, const struct btfset_kernel *b)
{
	return btfset_key_order(a->distro, a->version, a->arch, a->release, b->distro, b->version,
				b->arch, b->release);
}

/* Checks the fixed header; on success fills the flags and the checksums. */
static int btfset_check_header(const unsigned char *p, size_t size, uint32_t *flags,
			       uint32_t *dict_crc, uint32_t *crc, char *err, size_t errlen)
{
	uint16_t version;

	/* A part of a sharded `btf gen` (btfhub/btfset_part.h) holds only
	 * some kernels: never usable as it is, so it is refused by name. */
	if (size >= BTFSET_MAGIC_LEN && memcmp(p, BTFSET_PART_MAGIC, BTFSET_MAGIC_LEN) == 0) {
		btfset_set_err(err, errlen, "a partial BTF set (one shard of `btf gen --shard`), "
			       "not a whole one: merge the parts with `bpfpack btf merge`");
		return -EBADMSG;
	}
	if (size < BTFSET_MAGIC_LEN || memcmp(p, BTFSET_MAGIC, BTFSET_MAGIC_LEN) != 0) {
		btfset_set_err(err, errlen, "not a bpfpack BTF set (bad magic)");
		return -EBADMSG;
	}
	/* The version first: a later version may lay its header out anew. */
	if (size < 10) {
		btfset_set_err(err, errlen, "truncated: %zu bytes, the header alone needs %d",
			       size, BTFSET_HEADER_SIZE);
		return -EBADMSG;
	}
	version = get_le16(p + 8);
	if (version != BTFSET_VERSION) {
		btfset_set_err(err, errlen, "unsupported format version %u (" BTFSET_READER_TAG ")",
			       version);
		return -EPROTONOSUPPORT;
	}
	if (size < BTFSET_HEADER_SIZE) {
		btfset_set_err(err, errlen, "truncated: %zu bytes, the header alone needs %d",
			       size, BTFSET_HEADER_SIZE);
		return -EBADMSG;
	}
	*flags = p[10];
	*dict_crc = get_le32(p + 11);
	*crc = get_le32(p + 15);
	return 0;
}

/* Finds the end of the zstd frame at SRC (SIZE bytes) from its frame and
 * block headers, without decoding it, so the checksum can be checked before
 * anything is decompressed. Fills *ZFH and *LEN. */
static int btfset_frame_size(const unsigned char *src, size_t size, ZSTD_frameHeader *zfh,
			     size_t *len, char *err, size_t errlen)
{
	size_t r = ZSTD_getFrameHeader_advanced(zfh, src, size, ZSTD_f_zstd1_magicless);
	size_t pos, n;
	uint32_t bh;

	if (r > 0 && !ZSTD_isError(r)) {
		btfset_set_err(err, errlen, "truncated: the payload's frame header needs %zu bytes, "
			       "%zu are present", r, size);
		return -EBADMSG;
	}
	/* zstd ignores the frame header's unused bit (0x10); bpfpack never
	 * sets it, and every frame it writes has a size and a checksum. */
	if (ZSTD_isError(r) || (src[0] & 0x10) || zfh->frameType != ZSTD_frame ||
	    zfh->frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN || !zfh->checksumFlag) {
		btfset_set_err(err, errlen, "the payload is not a zstd frame of known size with a "
			       "checksum: the set is corrupt");
		return -EBADMSG;
	}
	pos = zfh->headerSize;
	do {
		if (size - pos < 3) {
			btfset_set_err(err, errlen, "truncated: the payload's zstd frame stops at "
				       "byte %zu", size);
			return -EBADMSG;
		}
		bh = (uint32_t)src[pos] | (uint32_t)src[pos + 1] << 8 | (uint32_t)src[pos + 2] << 16;
		pos += 3;
		n = ((bh >> 1) & 3) == 1 ? 1 : bh >> 3;	/* an RLE block stores one byte */
		if (size - pos < n) {
			btfset_set_err(err, errlen, "truncated: the payload's zstd frame stops at "
				       "byte %zu", size);
			return -EBADMSG;
		}
		pos += n;
	} while (!(bh & 1));
	if (size - pos < 4) {
		btfset_set_err(err, errlen, "truncated: the payload's zstd frame stops at byte %zu",
			       size);
		return -EBADMSG;
	}
	*len = pos + 4;
	return 0;
}

/* Decompresses the LEN-byte zstd frame at SRC into S->payload. */
static int btfset_decompress(struct btfset *s, const unsigned char *src, size_t len,
			     const void *dict, size_t dict_size, char *err, size_t errlen)
{
	ZSTD_outBuffer out = { s->payload, s->payload_size, 0 };
	ZSTD_inBuffer in = { src, len, 0 };
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	const char *why = NULL;
	size_t r;

	if (!dctx) {
		btfset_set_err(err, errlen, "out of memory for a zstd context");
		return -ENOMEM;
	}
	/* A stable output buffer: zstd decodes straight into the payload and
	 * allocates no window, whatever window the frame claims. */
	r = ZSTD_DCtx_setParameter(dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
	if (!ZSTD_isError(r))
		r = ZSTD_DCtx_setParameter(dctx, ZSTD_d_stableOutBuffer, 1);
	if (!ZSTD_isError(r) && dict)
		r = ZSTD_DCtx_refPrefix_advanced(dctx, dict, dict_size, ZSTD_dct_rawContent);
	if (!ZSTD_isError(r))
		r = ZSTD_decompressStream(dctx, &out, &in);
	ZSTD_freeDCtx(dctx);
	if (ZSTD_isError(r))
		why = ZSTD_getErrorName(r);
	else if (r != 0 || out.pos != s->payload_size || in.pos != len)
		why = "the frame ends before its content";
	if (why) {
		btfset_set_err(err, errlen, "cannot decompress the payload (%s): the set is corrupt",
			       why);
		return -EBADMSG;
	}
	return 0;
}

/* Validates the decompressed payload and builds the kernel and blob tables. */
static int btfset_parse_payload(struct btfset *s, char *err, size_t errlen)
{
	struct btfset_cursor c = { s->payload, s->payload + s->payload_size };
	uint32_t K, B, G, W, g, i, k = 0;
	uint64_t need = 0;
	size_t left;

	if (!btfset_get_varint(&c, &K) || !btfset_get_varint(&c, &B) ||
	    !btfset_get_varint(&c, &G)) {
		btfset_set_err(err, errlen, "the payload (%zu bytes) does not start with its counts",
			       s->payload_size);
		return -EBADMSG;
	}
	if (K > BTFSET_MAX_KERNELS) {
		btfset_set_err(err, errlen, "%u kernels is over the limit of %u", K,
			       BTFSET_MAX_KERNELS);
		return -E2BIG;
	}
	if (K == 0 || B == 0) {
		btfset_set_err(err, errlen, "the set holds no kernels");
		return -EBADMSG;
	}
	/* Every kernel costs at least 3 payload bytes (a group's share is
	 * extra; blob number, release and its NUL) and every blob 2 (size,
	 * one byte of BTF), so the counts are bounded by the payload size
	 * before anything is allocated. */
	left = (size_t)(c.end - c.p);
	if (B > K || 3 * (uint64_t)K + 2 * (uint64_t)B > left) {
		btfset_set_err(err, errlen,
			       "counts do not fit: %u kernels and %u blobs in a payload of %zu bytes",
			       K, B, s->payload_size);
		return -EBADMSG;
	}
	if (G == 0 || G > K) {
		btfset_set_err(err, errlen, "%u key groups for %u kernels", G, K);
		return -EBADMSG;
	}
	s->nkernels = K;
	s->nblobs = B;
	s->kernels = calloc(K, sizeof(*s->kernels));
	s->blobs = calloc(B, sizeof(*s->blobs));
	if (!s->kernels || !s->blobs) {
		btfset_set_err(err, errlen, "out of memory for %u kernels", K);
		return -ENOMEM;
	}

	for (g = 0; g < G; g++) {
		const char *distro = btfset_get_str(&c, BTFSET_MAX_DISTRO);
		const char *version = distro ? btfset_get_str(&c, BTFSET_MAX_VERSION) : NULL;
		const char *arch = version ? btfset_get_str(&c, BTFSET_MAX_ARCH) : NULL;
		uint32_t count, j;

		if (!arch || !btfset_get_varint(&c, &count)) {
			btfset_set_err(err, errlen,
				       "key group %u: a name is too long or runs off the payload", g);
			return -EBADMSG;
		}
		if (count == 0 || count > K - k) {
			btfset_set_err(err, errlen, "key group %u claims %u kernels, %u are left", g,
				       count, K - k);
			return -EBADMSG;
		}
		for (j = 0; j < count; j++, k++) {
			s->kernels[k].distro = distro;
			s->kernels[k].version = version;
			s->kernels[k].arch = arch;
		}
	}
	if (k != K) {
		btfset_set_err(err, errlen, "the key groups hold %u kernels, the payload says %u", k,
			       K);
		return -EBADMSG;
	}

	W = B <= 0x100 ? 1 : B <= 0x10000 ? 2 : 4;
	if ((size_t)(c.end - c.p) < (uint64_t)W * K) {
		btfset_set_err(err, errlen, "the blob numbers run off the payload");
		return -EBADMSG;
	}
	for (k = 0; k < K; k++, c.p += W) {
		struct btfset_kernel *kn = &s->kernels[k];

		kn->blob = W == 1 ? c.p[0] : W == 2 ? get_le16(c.p) : get_le32(c.p);
		if (kn->blob >= B) {
			btfset_set_err(err, errlen, "kernel %u points at blob %u of %u", k, kn->blob,
				       B);
			return -EBADMSG;
		}
	}

	for (i = 0; i < B; i++) {
		struct btfset_blob *b = &s->blobs[i];

		if (!btfset_get_varint(&c, &b->size)) {
			btfset_set_err(err, errlen, "the blob sizes run off the payload");
			return -EBADMSG;
		}
		if (b->size == 0) {
			btfset_set_err(err, errlen, "blob %u is empty", i);
			return -EBADMSG;
		}
		b->off = (uint32_t)need;	/* need <= payload size here, below 2^32 */
		need += b->size;
		if (need > s->payload_size) {
			btfset_set_err(err, errlen, "blob %u (size %u) does not fit in the payload",
				       i, b->size);
			return -EBADMSG;
		}
	}

	for (k = 0; k < K; k++) {
		struct btfset_kernel *kn = &s->kernels[k];
		size_t room = (size_t)(c.end - c.p);

		kn->release = btfset_get_str(&c, BTFSET_MAX_RELEASE);
		if (!kn->release) {
			if (strnlen((const char *)c.p, room) == room)
				btfset_set_err(err, errlen, "the releases end before kernel %u", k);
			else
				btfset_set_err(err, errlen, "kernel %u has a release of %zu bytes",
					       k, strlen((const char *)c.p));
			return -EBADMSG;
		}
		if (!kn->release[0]) {
			btfset_set_err(err, errlen, "kernel %u has an empty release", k);
			return -EBADMSG;
		}
		if (k > 0 && btfset_key_cmp(&s->kernels[k - 1], kn) >= 0) {
			btfset_set_err(err, errlen,
				       "kernel %u (%s %s %s %s) is out of order or a duplicate", k,
				       kn->distro, kn->version, kn->arch, kn->release);
			return -EBADMSG;
		}
	}

	s->data = c.p;
	left = (size_t)(c.end - c.p);
	if (need != left) {
		if (need > left)
			btfset_set_err(err, errlen, "the blobs need %llu bytes, %zu are left",
				       (unsigned long long)need, left);
		else
			btfset_set_err(err, errlen, "%llu bytes of blob data belong to no blob",
				       (unsigned long long)(left - need));
		return -EBADMSG;
	}
	return 0;
}

int btfset_open_dict(const void *data, size_t size, const void *dict, size_t dict_size,
		     struct btfset **out, char *err, size_t errlen)
{
	const unsigned char *p = data, *frame;
	uint32_t flags, dict_crc, stored_crc, crc;
	ZSTD_frameHeader zfh;
	struct btfset *s;
	size_t flen, i;
	int ret;

	*out = NULL;
	if ((!data && size) || (!dict && dict_size)) {
		btfset_set_err(err, errlen, "no data");
		return -EINVAL;
	}
	ret = btfset_check_header(p, size, &flags, &dict_crc, &stored_crc, err, errlen);
	if (ret)
		return ret;
	frame = p + BTFSET_HEADER_SIZE;
	ret = btfset_frame_size(frame, size - BTFSET_HEADER_SIZE, &zfh, &flen, err, errlen);
	if (ret)
		return ret;
	/* Zero padding after the frame is tolerated (section alignment);
	 * anything else means the set was overwritten or glued to something. */
	for (i = BTFSET_HEADER_SIZE + flen; i < size; i++) {
		if (p[i]) {
			btfset_set_err(err, errlen, "%zu unexpected bytes after the payload",
				       size - BTFSET_HEADER_SIZE - flen);
			return -EBADMSG;
		}
	}
	crc = btfset_crc32_more(btfset_crc32(p, BTFSET_HEADER_SIZE - 4), frame, flen);
	if (crc != stored_crc) {
		btfset_set_err(err, errlen,
			       "checksum mismatch (stored %08x, computed %08x): the set is corrupt",
			       stored_crc, crc);
		return -EBADMSG;
	}
	if (flags & ~BTFSET_FLAG_DICT) {
		btfset_set_err(err, errlen, "unknown flags %#x (" BTFSET_READER_TAG ")", flags);
		return -EPROTONOSUPPORT;
	}
	if (!(flags & BTFSET_FLAG_DICT)) {
		if (dict_crc) {
			btfset_set_err(err, errlen, "a dictionary checksum without the dictionary "
				       "flag: the set is corrupt");
			return -EBADMSG;
		}
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
	/* The frame says its own size; check it before allocating for it. */
	if (zfh.frameContentSize > BTFSET_MAX_PAYLOAD) {
		btfset_set_err(err, errlen, "payload of %llu bytes is over the limit of %u",
			       (unsigned long long)zfh.frameContentSize, BTFSET_MAX_PAYLOAD);
		return -E2BIG;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		btfset_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->stored_size = BTFSET_HEADER_SIZE + flen;
	s->payload_size = (size_t)zfh.frameContentSize;
	s->payload = malloc(s->payload_size ? s->payload_size : 1);
	if (!s->payload) {
		btfset_set_err(err, errlen, "out of memory for a payload of %zu bytes",
			       s->payload_size);
		ret = -ENOMEM;
		goto fail;
	}
	ret = btfset_decompress(s, frame, flen, dict, dict_size, err, errlen);
	if (ret)
		goto fail;
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
	if (!s || blob >= s->nblobs) {
		btfset_set_err(err, errlen, "no blob %u (the set has %u)", blob,
			       s ? s->nblobs : 0);
		return -ERANGE;
	}
	*data = s->data + s->blobs[blob].off;
	*size = s->blobs[blob].size;
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
