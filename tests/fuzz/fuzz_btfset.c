/* fuzz_btfset: the embedded BTF set as the runtime inside every tool reads
 * it (runtime/btfset.c: btfset_open, btfset_kernel_at, btfset_blob_get) and
 * matches it (bpfpack_btf_match, bpfpack_btf_describe_miss). The input is a
 * set as stored in a binary's .bpfpack.btf section.
 *
 * A set is checksummed and its index is zstd-compressed, so plain byte
 * mutations would stop at the CRC check. The custom mutator therefore works
 * on the decompressed payload most of the time, then recompresses it and
 * writes a header with valid checksums; the rest of the time it mutates the
 * stored bytes as they are, which is what a corrupted binary looks like,
 * half of those times fixing the stored CRC afterwards to reach the header's
 * fields and the zstd frame. Either way the saved reproducer is a stored
 * set, the input btfset_open gets in a tool. */
#include <errno.h>
#include <stdbool.h>

#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* magicless frames, raw-content dictionaries */
#include <zstd.h>

#include "../../include/bpfpack.h"
#include "../../runtime/bpfpack_btf_internal.h"
#include "../../runtime/btfset.h"
#include "fuzz.h"

/* The dictionary every set here is read with (a tool's is its BPF object):
 * sets that need it decompress against it, the mutator writes half of its
 * outputs with it, and the seeds' real sets are made without one. */
static const char fuzz_dict[] =
	"bpfpack fuzz dictionary: task_struct pid tgid comm real_parent mm_struct "
	"sock_common skc_family skc_dport file f_path dentry d_name qstr inode i_ino";
#define FUZZ_DICT_SIZE (sizeof(fuzz_dict) - 1)

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Checks what the reader promises about an open set and drives the matcher
 * with each kernel's own key, which must find a kernel. */
static void check_set(const struct btfset *s)
{
	uint32_t n = btfset_kernel_count(s), nb = btfset_blob_count(s), i;
	char err[256], miss[1024];

	if (n == 0 || nb == 0 || nb > n)
		fuzz_fail("open set has %u kernels, %u blobs", n, nb);
	if (btfset_kernel_at(s, n) != NULL)
		fuzz_fail("kernel_at(count) is not NULL");
	for (i = 0; i < n; i++) {
		const struct btfset_kernel *k = btfset_kernel_at(s, i);
		struct bpfpack_sysinfo si;
		uint32_t idx;
		const char *how;

		if (!k || !k->distro || !k->version || !k->arch || !k->release)
			fuzz_fail("kernel %u has a NULL field", i);
		if (strlen(k->distro) > BTFSET_MAX_DISTRO || strlen(k->version) > BTFSET_MAX_VERSION ||
		    strlen(k->arch) > BTFSET_MAX_ARCH || !*k->release ||
		    strlen(k->release) > BTFSET_MAX_RELEASE)
			fuzz_fail("kernel %u has a key field of a bad length", i);
		if (k->blob >= nb)
			fuzz_fail("kernel %u points at blob %u of %u", i, k->blob, nb);

		/* The system this kernel was keyed for must find a kernel. */
		memset(&si, 0, sizeof(si));
		snprintf(si.id, sizeof(si.id), "%s", k->distro);
		snprintf(si.version_id, sizeof(si.version_id), "%s", k->version);
		snprintf(si.arch, sizeof(si.arch), "%s",
			 !strcmp(k->arch, "aarch64") ? "arm64" :
			 !strcmp(k->arch, "amd64") ? "x86_64" : k->arch);
		snprintf(si.release, sizeof(si.release), "%s", k->release);
		if (bpfpack_btf_match(s, &si, &idx, &how) != 0)
			fuzz_fail("kernel %u (%s/%s/%s/%s) does not match its own key", i, k->distro,
				  k->version, k->arch, k->release);
		if (idx >= n || !how)
			fuzz_fail("match gave index %u of %u", idx, n);
	}
	for (i = 0; i <= nb; i++) {
		const void *blob = NULL;
		uint32_t size = 0;
		int rc = btfset_blob_get(s, i, &blob, &size, err, sizeof(err));

		if (i == nb && rc != -ERANGE)
			fuzz_fail("blob_get(count) returned %d", rc);
		if (i < nb && rc != 0)	/* every blob was checked at open */
			fuzz_fail("blob_get(%u) returned %d", i, rc);
		if (rc == 0 && (!blob || size == 0))
			fuzz_fail("blob %u is empty", i);
		if (rc == 0)	/* ASan checks that the blob lies in the payload */
			(void)crc32(0, blob, size);
	}
	{
		struct bpfpack_sysinfo other = { "nosuchdistro", "1", "x86_64", "0.0.0-fuzz" };

		bpfpack_btf_describe_miss(s, &other, miss, sizeof(miss));
		if (!fuzz_terminated(miss, sizeof(miss)))
			fuzz_fail("describe_miss left its buffer unterminated");
	}
	/* The smallest payload: 3 counts, 3 empty names and a count, a blob
	 * number, a size, a 1-byte release and its NUL, 1 byte of BTF. */
	if (btfset_compressed_size(s) <= BTFSET_HEADER_SIZE || btfset_payload_size(s) < 12)
		fuzz_fail("sizes %zu/%zu", btfset_compressed_size(s), btfset_payload_size(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btfset *s = NULL;
	char err[256];
	int rc;

	err[0] = '\0';
	rc = btfset_open_dict(data, size, fuzz_dict, FUZZ_DICT_SIZE, &s, err, sizeof(err));
	if (rc == 0) {
		if (!s)
			fuzz_fail("open returned 0 without a set");
		check_set(s);
		btfset_close(s);
	} else {
		if (s)
			fuzz_fail("open failed (%d) but set *out", rc);
		if (rc != -EBADMSG && rc != -EPROTONOSUPPORT && rc != -E2BIG && rc != -EINVAL &&
		    rc != -ENOKEY)
			fuzz_fail("open returned %d", rc);
		if (!err[0] || !fuzz_terminated(err, sizeof(err)))
			fuzz_fail("open failed (%d) without a message", rc);
	}
	return 0;
}

/* Largest payload the mutator decompresses: far above a real set's. */
#define MUTATE_MAX_PAYLOAD (1u << 20)

/* Sets the stored CRC of a set of SIZE bytes (no padding after its frame),
 * so the reader gets past it to the header fields and the zstd frame. */
static size_t fix_checksum(uint8_t *data, size_t size)
{
	uLong c;

	if (size < BTFSET_HEADER_SIZE || memcmp(data, BTFSET_MAGIC, BTFSET_MAGIC_LEN) != 0)
		return size;
	c = crc32(0, data, 15);
	c = crc32(c, data + BTFSET_HEADER_SIZE, (uInt)(size - BTFSET_HEADER_SIZE));
	put_le32(data + 15, (uint32_t)c);
	return size;
}

/* Wraps PAYLOAD (PLEN bytes) as a stored set with valid checksums into OUT
 * (at most MAX bytes), compressed against fuzz_dict when DICT. Returns the
 * size, or 0. */
static size_t wrap_payload(const uint8_t *payload, size_t plen, bool dict, uint8_t *out,
			   size_t max)
{
	ZSTD_CCtx *cctx;
	size_t c;

	if (max < BTFSET_HEADER_SIZE || max - BTFSET_HEADER_SIZE < ZSTD_compressBound(plen))
		return 0;
	cctx = ZSTD_createCCtx();
	if (!cctx)
		return 0;
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
	if (dict)
		ZSTD_CCtx_refPrefix_advanced(cctx, fuzz_dict, FUZZ_DICT_SIZE, ZSTD_dct_rawContent);
	c = ZSTD_compress2(cctx, out + BTFSET_HEADER_SIZE, max - BTFSET_HEADER_SIZE, payload,
			   plen);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(c))
		return 0;
	memcpy(out, BTFSET_MAGIC, BTFSET_MAGIC_LEN);
	out[8] = BTFSET_VERSION;
	out[9] = 0;
	out[10] = dict ? BTFSET_FLAG_DICT : 0;
	put_le32(out + 11, dict ? (uint32_t)crc32(0, (const Bytef *)fuzz_dict, FUZZ_DICT_SIZE) : 0);
	return fix_checksum(out, BTFSET_HEADER_SIZE + c);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	ZSTD_frameHeader fh;
	ZSTD_DCtx *dctx;
	uint8_t *plain;
	size_t plen, got = 0, out;
	bool dict;

	/* One time in eight: the stored bytes as they are (what a corrupted
	 * binary gives); one in eight: the same with a valid CRC. */
	if (seed % 8 == 1)
		return fix_checksum(data, LLVMFuzzerMutate(data, size, max_size));
	/* Else the payload, unless the input has none readable. */
	if (seed % 8 == 0 || size <= BTFSET_HEADER_SIZE ||
	    memcmp(data, BTFSET_MAGIC, BTFSET_MAGIC_LEN) != 0 ||
	    ZSTD_getFrameHeader_advanced(&fh, data + BTFSET_HEADER_SIZE, size - BTFSET_HEADER_SIZE,
					 ZSTD_f_zstd1_magicless) != 0 ||
	    fh.frameContentSize > MUTATE_MAX_PAYLOAD)
		return LLVMFuzzerMutate(data, size, max_size);

	plen = (size_t)fh.frameContentSize;
	plain = xmalloc(2 * plen + 64);
	dict = data[10] & BTFSET_FLAG_DICT;
	dctx = ZSTD_createDCtx();
	if (dctx) {
		ZSTD_DCtx_setParameter(dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
		if (dict)
			ZSTD_DCtx_refPrefix_advanced(dctx, fuzz_dict, FUZZ_DICT_SIZE,
						     ZSTD_dct_rawContent);
		got = ZSTD_decompressDCtx(dctx, plain, plen, data + BTFSET_HEADER_SIZE,
					  size - BTFSET_HEADER_SIZE);
		ZSTD_freeDCtx(dctx);
	}
	if (!dctx || ZSTD_isError(got) || got != plen) {
		free(plain);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	plen = LLVMFuzzerMutate(plain, plen, 2 * plen + 64);
	/* Half of the outputs compressed against the dictionary. */
	out = wrap_payload(plain, plen, (seed >> 3) & 1, data, max_size);
	free(plain);
	return out ? out : LLVMFuzzerMutate(data, size, max_size);
}
