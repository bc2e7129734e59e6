/* kimage: finds the kernel inside a compressed kernel image and unpacks it,
 * then finds the kernel's BTF. Images: x86 bzImage (the setup header gives the
 * payload and the version string), EFI zboot images (arm64/riscv vmlinuz with a
 * "zimg" header), and generic ones (Image.gz, vmlinuz of other boot stubs)
 * whose payload is found by its compression magic. Decompression is
 * libarchive's (gzip, xz, lzma, zstd, lz4 legacy, bzip2); nothing here decodes
 * a compressed format by hand.
 *
 * Each function reports one line on failure, starting with the caller's
 * context CTX ("cannot load kernel BTF from X"), so the message reads as the
 * caller's own. */
#ifndef BPFPACK_KIMAGE_H
#define BPFPACK_KIMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"
#include "limits.h"

/* Largest kernel we unpack in memory (limits.h); more means a corrupt or
 * hostile stream (a decompression bomb). */
#define KIMAGE_MAX_UNPACKED FORMATS_MAX_IMAGE

enum kimage_format {
	KIMAGE_UNKNOWN = 0,
	KIMAGE_BZIMAGE,		/* x86 boot image, "HdrS" setup header */
	KIMAGE_ZBOOT,		/* EFI zboot: "MZ" ... "zimg", payload offset/size */
	KIMAGE_STREAM,		/* a compressed stream at offset 0 (Image.gz) */
	KIMAGE_SCANNED,		/* a payload found by its magic after a boot stub */
};

struct kimage_info {
	enum kimage_format format;
	size_t payload_off;	/* where the compressed kernel starts */
	size_t payload_len;	/* its length in bytes */
	const char *compression;	/* "gzip", "xz", ... by magic; NULL if unknown */
	char arch[16];		/* "x86_64", "arm64", ... from the header; "" if unknown */
	/* bzImage: the header's version string, "6.1.0-50-cloud-amd64 (debian-
	 * kernel@lists.debian.org) #1 SMP ... Debian 6.1.176-1 (2026-07-02)";
	 * "" for other formats. */
	char version[256];
	char release[128];	/* its first word, uname -r; "" if unknown */
};

/* Reads the headers at the start of DATA (no decompression, no scanning).
 * Returns 0 with INFO filled when DATA is a bzImage, a zboot image or starts
 * with a compressed stream; -ENOENT without a report when it is none of
 * these; -EINVAL after reporting when a header points outside the file (a
 * truncated or corrupt image). */
int kimage_probe(const void *data, size_t len, const char *ctx, struct kimage_info *info);

/* Looks for a compressed payload anywhere in DATA (a boot stub of unknown
 * layout before it): the first place where a compression magic starts a
 * stream that decompresses to a kernel (ELF, arm64/riscv Image). Returns 0
 * with INFO filled (format KIMAGE_SCANNED), -ENOENT without a report when
 * there is none. */
int kimage_scan(const void *data, size_t len, struct kimage_info *info);

struct archive;

/* Registers on the libarchive reader A the decompressors bpfpack accepts
 * (gzip, xz, lzma, zstd, lz4, bzip2): all built into libarchive, none that
 * would start an external program. */
void kimage_archive_support_filters(struct archive *a);

/* The one decompression loop: passes the output of the compressed stream
 * A (a libarchive reader of the raw format, its header read) to FN block by
 * block, CAP bytes at most in all. FN returns 0 to go on, > 0 to stop there
 * (returned), < 0 on its own failure (returned; FN reported it). Returns 0
 * at the stream's end, -EFBIG past CAP (FN got what fits), -EINVAL on
 * corrupt data; WHY says which. */
typedef int (*kimage_block_fn)(void *ctx, const void *block, size_t len);
int kimage_stream_each(struct archive *a, size_t cap, kimage_block_fn fn, void *ctx, char *why,
		       size_t why_len);

/* Name of the compression format whose magic starts DATA, or NULL. */
const char *kimage_compression_at(const void *data, size_t len);

/* Decompresses the single compressed stream DATA into OUT (appending), up to
 * LIMIT bytes (0: KIMAGE_MAX_UNPACKED). Trailing bytes after the stream (the
 * size word a kernel build appends) are not an error once output came out.
 * On failure *PARTIAL (may be NULL) tells whether some output came before the
 * error; WHY gets libarchive's reason. Returns 0, -EINVAL (not compressed or
 * corrupt), -EFBIG (over LIMIT); does not report: callers add context. */
int kimage_decompress(const void *data, size_t len, size_t limit, struct buf *out,
		      char *why, size_t why_len, bool *partial);

/* The same, but more than CAP bytes of output is an error (-EFBIG): for a
 * stream whose content calls for a smaller cap than a kernel's. */
int kimage_decompress_capped(const void *data, size_t len, size_t cap, struct buf *out,
			     char *why, size_t why_len, bool *partial);

/* Unpacks the kernel of the image DATA described by INFO (from kimage_probe or
 * kimage_scan) into OUT: a vmlinux ELF for x86, a raw Image for arm64. */
int kimage_unpack(const void *data, size_t len, const struct kimage_info *info,
		  const char *ctx, struct buf *out);

/* Whether DATA is an ELF file whose section headers lie inside it: nothing
 * that matters was cut off (linkers put them last). */
bool kimage_elf_complete(const void *data, size_t len);

/* Whether DATA is a raw (not ELF) arm64 or riscv kernel Image. */
bool kimage_is_raw_image(const void *data, size_t len);

/* Finds the BTF of an unpacked kernel: the .BTF section of a vmlinux ELF
 * (libelf), or in a raw Image without section headers, the blob whose BTF
 * header and contents libbpf accepts. Sets *OFF and *SIZE. When there is no
 * BTF, reports that the kernel was built without CONFIG_DEBUG_INFO_BTF and
 * points at `bpfpack btf from-debug`; returns -ENODATA. */
int kimage_find_btf(const void *kernel, size_t len, const char *ctx, size_t *off, size_t *size);

/* Finds section NAME of the ELF DATA (through libelf; DATA must be writable
 * memory, e.g. a MAP_PRIVATE mapping, as elf_memory() asks). Returns 0 with
 * *OFF and *SIZE set, -ENOENT when there is no such section, or -EINVAL with
 * WHY set when libelf cannot read the file or the section lies outside it.
 * Does not report. */
int kimage_elf_section(const void *data, size_t len, const char *name,
		       size_t *off, size_t *size, char *why, size_t why_len);

/* Whether the ELF DATA has DWARF (.debug_info). */
bool kimage_elf_has_dwarf(const void *data, size_t len);

/* Finds "Linux version <release> ..." in DATA and copies the release into
 * RELEASE and the text after "Linux version " (to the end of the line) into
 * BANNER (either may be NULL). Returns 0, or -ENOENT when there is none. */
int kimage_find_banner(const void *data, size_t len, char *release, size_t release_size,
		       char *banner, size_t banner_size);

/* The arch of an unpacked kernel (ELF or raw Image), as kimage_elf_arch. */
const char *kimage_kernel_arch(const void *data, size_t len);

/* The btfhub name of an ELF e_machine ("x86_64", "arm64", ...), or NULL. */
const char *kimage_elf_arch(const void *data, size_t len);

#endif
