/* btfset: the reader of the embedded BTF set, the one blob that carries the
 * minimized BTF of many kernels inside a tool (ELF section .bpfpack.btf).
 * It is linked into every built tool (static, beside libbpf) and into
 * `bpfpack inspect`, so it depends on nothing but libc, zlib and libzstd, and
 * it reports through a caller-provided buffer instead of lib/report.h.
 *
 * The input may be hostile (a corrupted binary, a fuzzer): every offset and
 * length is checked against the buffer, counts against sizes, and the
 * decompressed size and the kernel count are capped, so no input makes the
 * reader read out of bounds, loop for long, or allocate more than
 * BTFSET_MAX_PAYLOAD plus 40 bytes per kernel (at most BTFSET_MAX_KERNELS).
 *
 * Format (version 3; fixed-width integers little-endian; "varint": unsigned
 * LEB128, at most 5 bytes, at most UINT32_MAX):
 *
 *   header (BTFSET_HEADER_SIZE bytes, not compressed)
 *     0  magic "BPFBTFS1"
 *     8  u16 format version (BTFSET_VERSION)
 *    10  u8  flags: BTFSET_FLAG_DICT or 0
 *    11  u32 CRC32 (zlib) of the dictionary (0 without BTFSET_FLAG_DICT)
 *    15  u32 CRC32 of header bytes 0..14 followed by the whole frame
 *   then one zstd frame in zstd's magicless format (its four magic bytes
 *   left out) that records its content size and ends with zstd's checksum
 *   of the content; zero bytes may follow it (section padding). So every
 *   stored byte is covered by the CRC32, checked before anything is
 *   decompressed, and the decompressed payload (every blob in it) by zstd's
 *   checksum, checked as it is decompressed.
 *   With BTFSET_FLAG_DICT the frame is compressed against a dictionary
 *   (zstd raw content): the BPF object the set was made for, which the tool
 *   carries anyway (section .bpfpack.bpfobj). The minimized BTF repeats the
 *   type and member names of the object's own BTF, so for small tools this
 *   saves a fifth of the set.
 *   The decompressed payload is
 *     varint K (kernels), varint B (distinct blobs), varint G (key groups)
 *     G x { distro NUL, version NUL, arch NUL, varint count }: the next
 *          COUNT kernels share this distro, version and arch (COUNT >= 1,
 *          the counts add up to K)
 *     K x blob number: 1 byte each when B <= 256, 2 when B <= 65536, else 4
 *     B x varint blob size (the blobs lie back to back: offsets are implicit)
 *     K x release NUL, in kernel order
 *     the B distinct minimized BTF blobs, to the end of the payload
 *   Kernels are sorted by (distro, version, arch, release), strictly
 *   ascending (no duplicates). Nothing is stored that can be derived
 *   (offsets, repeated keys, the data size), and the two checksums cover
 *   every blob at open, before any is handed out: for a few dozen kernels
 *   of small minimized BTF the fixed costs (a 44-byte header, fixed-width
 *   index, a CRC32 per blob) were a sixth of the set in version 2. */
#ifndef BPFPACK_BTFSET_H
#define BPFPACK_BTFSET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BTFSET_MAGIC "BPFBTFS1"
#define BTFSET_MAGIC_LEN 8
/* The magic of a partial set (btfhub/btfset_part.h), which the reader
 * refuses with its own message. */
#define BTFSET_PART_MAGIC "BPFBTFP1"
#define BTFSET_VERSION 3
#define BTFSET_HEADER_SIZE 19
/* The reader's statement of the format it reads. It is part of a message
 * the reader can print, so it is in every binary that links the reader:
 * `bpfpack btf embed` looks for it to refuse tools whose runtime is older
 * than the sets it writes. */
#define BTFSET_STR_(x) #x
#define BTFSET_STR(x) BTFSET_STR_(x)
#define BTFSET_READER_TAG "bpfpack BTF set reader: format version " BTFSET_STR(BTFSET_VERSION)
/* Header flag: the frame is compressed against the BPF object whose CRC32
 * the header holds. */
#define BTFSET_FLAG_DICT 1u
/* Upper bound of the decompressed payload: far above any real set (all of
 * btfhub-archive minimized for one tool is a few MB), low enough that a
 * forged header cannot make the reader allocate absurd amounts. */
#define BTFSET_MAX_PAYLOAD (256u << 20)
/* Upper bound of the kernel count (btfhub-archive holds a few thousand), so
 * the tables built at open stay small whatever the payload claims. */
#define BTFSET_MAX_KERNELS (1u << 20)
/* Longest key strings (without the NUL); the same as struct btf_key's
 * fields in btfhub/btf_source.h minus one. */
#define BTFSET_MAX_DISTRO 31
#define BTFSET_MAX_VERSION 31
#define BTFSET_MAX_ARCH 15
#define BTFSET_MAX_RELEASE 127

struct btfset;	/* opaque; owns the decompressed payload */

struct btfset_kernel {
	const char *distro, *version, *arch, *release;	/* never NULL; only release is never empty */
	uint32_t blob;	/* < btfset_blob_count() */
};

/* The order of the kernels in a set: by distro, version, arch, then release,
 * each compared bytewise. The writer (btfhub/btfset_write.c) sorts with this
 * and the reader refuses a set that is out of it, so both use this one
 * function; it lives here, inline, because the runtime links nothing but
 * itself. */
static inline int btfset_key_order(const char *distro_a, const char *version_a,
				   const char *arch_a, const char *release_a,
				   const char *distro_b, const char *version_b,
				   const char *arch_b, const char *release_b)
{
	int c;

	if ((c = strcmp(distro_a, distro_b)))
		return c;
	if ((c = strcmp(version_a, version_b)))
		return c;
	if ((c = strcmp(arch_a, arch_b)))
		return c;
	return strcmp(release_a, release_b);
}

/* Verifies the header and the CRC32 of the stored bytes, decompresses the
 * payload (checking zstd's checksum of it) and validates the whole index. DICT (DICT_SIZE bytes; may be NULL) is the BPF
 * object the set was made for; it is needed only by a set with
 * BTFSET_FLAG_DICT, and must then be the very bytes it was made with. DATA
 * and DICT are not referenced after the call. Returns 0 and sets *OUT, or a
 * negative errno and a one-line message in ERR (-EBADMSG corrupt or
 * truncated, -EPROTONOSUPPORT unknown format version or flags, -ENOKEY the dictionary
 * is missing or not the one the set needs, -E2BIG over the size cap,
 * -ENOMEM). ERR may be NULL. */
int btfset_open_dict(const void *data, size_t size, const void *dict, size_t dict_size,
		     struct btfset **out, char *err, size_t errlen);
/* btfset_open_dict without a dictionary. */
int btfset_open(const void *data, size_t size, struct btfset **out, char *err, size_t errlen);
uint32_t btfset_kernel_count(const struct btfset *s);
/* NULL when I is out of range. The strings live as long as S. */
const struct btfset_kernel *btfset_kernel_at(const struct btfset *s, uint32_t i);
uint32_t btfset_blob_count(const struct btfset *s);
/* Points *DATA at blob BLOB (valid as long as S; its bytes were checked
 * against the payload's checksum by btfset_open_dict). Returns 0, or -ERANGE
 * for a blob number out of range (with a message in ERR). */
int btfset_blob_get(const struct btfset *s, uint32_t blob, const void **data, uint32_t *size,
		    char *err, size_t errlen);
/* Size of the set as stored (header + compressed payload), for inspect. */
size_t btfset_compressed_size(const struct btfset *s);
/* Size of the decompressed payload. */
size_t btfset_payload_size(const struct btfset *s);
void btfset_close(struct btfset *s);

#endif
