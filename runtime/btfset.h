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
 * Format (all integers little-endian, fixed width):
 *
 *   header (BTFSET_HEADER_SIZE bytes, not compressed)
 *     0  magic "BPFBTFS1"
 *     8  u16 format version (BTFSET_VERSION)
 *    10  u16 header size (BTFSET_HEADER_SIZE)
 *    12  u32 flags: BTFSET_FLAG_DICT or 0
 *    16  u32 kernel count K
 *    20  u32 blob count B
 *    24  u32 compressed payload size
 *    28  u32 uncompressed payload size
 *    32  u32 CRC32 (zlib) of the compressed payload
 *    36  u32 CRC32 of the dictionary (0 without BTFSET_FLAG_DICT)
 *    40  u32 CRC32 of header bytes 0..39
 *   payload: one zstd frame (zero bytes may follow it: section padding),
 *     compressed with BTFSET_FLAG_DICT against a dictionary (zstd raw
 *     content): the BPF object the set was made for (when it was made for
 *     one), which the tool carries anyway (section .bpfpack.bpfobj). The minimized BTF repeats the type
 *     and member names of the object's own BTF, so for small tools this
 *     saves a fifth of the set. The decompressed payload is
 *     u32 names size N, u32 releases size R, u32 blob data size D,
 *     u32 group count G
 *     G x { u32 distro, u32 version, u32 arch, u32 count }
 *          offsets into the names; the next COUNT kernels share this
 *          distro, version and arch (COUNT >= 1, the counts add up to K)
 *     K x blob number: 1 byte each when B <= 256, 2 when B <= 65536, else 4
 *     B x u32 blob size (the blobs lie back to back: offsets are implicit)
 *     B x u32 blob CRC32
 *     char names[N]     the distinct distro/version/arch strings, NUL-terminated
 *     char releases[R]  the K kernel releases in kernel order, NUL-terminated
 *     u8 data[D]        the distinct minimized BTF blobs
 *   Kernels are sorted by (distro, version, arch, release), strictly
 *   ascending (no duplicates). Nothing in the index is stored that can be
 *   derived (offsets, repeated keys): for a few dozen kernels of small
 *   minimized BTF the index is a sixth of the compressed set. */
#ifndef BPFPACK_BTFSET_H
#define BPFPACK_BTFSET_H

#include <stddef.h>
#include <stdint.h>

#define BTFSET_MAGIC "BPFBTFS1"
#define BTFSET_MAGIC_LEN 8
#define BTFSET_VERSION 2
#define BTFSET_HEADER_SIZE 44
/* Header flag: the payload needs the dictionary whose CRC32 the header holds. */
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

/* Verifies the header and the payload's CRC, decompresses the payload and
 * validates the whole index. DICT (DICT_SIZE bytes; may be NULL) is the BPF
 * object the set was made for; it is needed only by a set with
 * BTFSET_FLAG_DICT, and must then be the very bytes it was made with. DATA
 * and DICT are not referenced after the call. Returns 0 and sets *OUT, or a
 * negative errno and a one-line message in ERR (-EBADMSG corrupt or
 * truncated, -EPROTONOSUPPORT unknown format version, -ENOKEY the dictionary
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
/* Points *DATA at blob BLOB (valid as long as S) after checking its CRC32.
 * Returns 0, -ERANGE for a blob number out of range, -EBADMSG on a checksum
 * mismatch (with a message in ERR). */
int btfset_blob_get(const struct btfset *s, uint32_t blob, const void **data, uint32_t *size,
		    char *err, size_t errlen);
/* Size of the set as stored (header + compressed payload), for inspect. */
size_t btfset_compressed_size(const struct btfset *s);
/* Size of the decompressed payload. */
size_t btfset_payload_size(const struct btfset *s);
void btfset_close(struct btfset *s);

#endif
