/* kimage: the kernel inside a kernel image, and the BTF inside the kernel.
 * Headers are parsed here (they are a few fixed fields); every compressed
 * byte goes through libarchive, restricted to the decompressors it links in,
 * so a hostile image can never make it start an external program. */
#include "kimage.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
#include <zstd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../lib/report.h"
#include "elf_file.h"

/* x86 boot protocol (Documentation/arch/x86/boot.rst): offsets in the file. */
#define BZ_SETUP_SECTS	0x1f1
#define BZ_HEADER	0x202	/* "HdrS" */
#define BZ_VERSION	0x206	/* boot protocol version */
#define BZ_KERNEL_VER	0x20e	/* pointer to the version string, minus 0x200 */
#define BZ_XLOADFLAGS	0x236
#define BZ_PAYLOAD_OFF	0x248	/* from the start of the protected-mode code */
#define BZ_PAYLOAD_LEN	0x24c
#define BZ_HDR_END	0x250

/* EFI zboot header (drivers/firmware/efi/libstub/zboot-header.S). */
#define ZB_MAGIC	0x04	/* "zimg" */
#define ZB_PAYLOAD_OFF	0x08
#define ZB_PAYLOAD_LEN	0x0c
#define ZB_COMP_TYPE	0x18
#define ZB_HDR_END	0x40

/* How much of a scanned candidate to unpack before deciding it is a kernel:
 * enough for an ELF header or an arm64/riscv Image header. */
#define KIMAGE_TRIAL_LEN 4096

static uint16_t kimage_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t kimage_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *kimage_compression_at(const void *data, size_t len)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} magics[] = {
		{ "\x1f\x8b\x08", 3, "gzip" },
		{ "\xfd" "7zXZ\0", 6, "xz" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd" },
		{ "\x02\x21\x4c\x18", 4, "lz4" },	/* legacy frames, as the kernel writes */
		{ "\x04\x22\x4d\x18", 4, "lz4" },
		{ "\x5d\x00\x00", 3, "lzma" },		/* lzma-alone, properties lc=3 lp=0 pb=2 */
	};
	const unsigned char *p = data;

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].len && memcmp(p, magics[i].magic, magics[i].len) == 0)
			return magics[i].name;
	/* "BZh1".."BZh9" then the block magic: "BZh" alone is too common. */
	if (len >= 10 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9' &&
	    memcmp(p + 4, "1AY&SY", 6) == 0)
		return "bzip2";
	return NULL;
}

void kimage_archive_support_filters(struct archive *a)
{
	/* An explicit list, not archive_read_support_filter_all(): that one
	 * also registers lrzip, grzip and lzop, which run external programs. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_bzip2(a);
}

/* One xz stream through liblzma, stopping at its end. libarchive decodes xz
 * as possibly concatenated streams, so the size word a kernel build appends
 * reads to it as a broken second stream, and the error swallows the last
 * block of output. */
static int kimage_xz_single(const void *data, size_t len, size_t limit, bool bounded,
			    struct buf *out, char *why, size_t why_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	unsigned char chunk[65536];
	size_t start = out->len;
	lzma_ret r;
	int err = 0;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) {
		snprintf(why, why_len, "cannot start the xz decoder");
		return -ENOMEM;
	}
	s.next_in = data;
	s.avail_in = len;
	do {
		size_t n;

		s.next_out = chunk;
		s.avail_out = sizeof(chunk);
		r = lzma_code(&s, LZMA_FINISH);
		n = sizeof(chunk) - s.avail_out;
		if (out->len - start + n > limit) {
			if (!bounded) {
				snprintf(why, why_len, "unpacks to more than %zu MiB (the limit for outside input)",
					 limit >> 20);
				err = -EFBIG;
				break;
			}
			buf_append(out, chunk, limit - (out->len - start));
			break;
		}
		buf_append(out, chunk, n);
	} while (r == LZMA_OK);
	if (!err && r != LZMA_OK && r != LZMA_STREAM_END) {
		snprintf(why, why_len, "xz data is %s",
			 r == LZMA_BUF_ERROR ? "truncated" : "corrupt");
		err = -EINVAL;
	}
	lzma_end(&s);
	return err;
}

/* One zstd frame through libzstd, stopping at its end: libarchive reads on
 * into the bytes after it and drops the output of its last call on error. */
static int kimage_zstd_single(const void *data, size_t len, size_t limit, bool bounded,
			      struct buf *out, char *why, size_t why_len)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer in = { data, len, 0 };
	unsigned char chunk[65536];
	size_t start = out->len, ret = 1;
	int err = 0;

	if (!z) {
		snprintf(why, why_len, "cannot start the zstd decoder");
		return -ENOMEM;
	}
	ZSTD_initDStream(z);
	while (ret != 0) {
		ZSTD_outBuffer o = { chunk, sizeof(chunk), 0 };
		size_t before = in.pos;

		ret = ZSTD_decompressStream(z, &o, &in);
		if (ZSTD_isError(ret)) {
			snprintf(why, why_len, "zstd data is corrupt: %s", ZSTD_getErrorName(ret));
			err = -EINVAL;
			break;
		}
		if (out->len - start + o.pos > limit) {
			if (!bounded) {
				snprintf(why, why_len, "unpacks to more than %zu MiB (the limit for outside input)",
					 limit >> 20);
				err = -EFBIG;
				break;
			}
			buf_append(out, chunk, limit - (out->len - start));
			break;
		}
		buf_append(out, chunk, o.pos);
		if (ret != 0 && o.pos == 0 && in.pos == before) {
			snprintf(why, why_len, "zstd data is truncated");
			err = -EINVAL;
			break;
		}
	}
	ZSTD_freeDStream(z);
	return err;
}

static int kimage_decompress_to(const void *data, size_t len, size_t limit, bool bounded,
				struct buf *out, char *why, size_t why_len, bool *partial);

int kimage_stream_each(struct archive *a, size_t cap, kimage_block_fn fn, void *ctx, char *why,
		       size_t why_len)
{
	size_t total = 0;

	for (;;) {
		const void *block;
		size_t n;
		la_int64_t offset;
		int r = archive_read_data_block(a, &block, &n, &offset), rc;

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN) {
			snprintf(why, why_len, "%s", archive_error_string(a) ?: "corrupt data");
			return -EINVAL;
		}
		if (n > cap - total) {
			/* What fits goes to FN first: a bounded reader keeps it. */
			rc = cap > total ? fn(ctx, block, cap - total) : 0;
			if (rc)
				return rc;
			snprintf(why, why_len, "unpacks to more than %zu MiB (the limit for outside input)",
				 cap >> 20);
			return -EFBIG;
		}
		total += n;
		rc = fn(ctx, block, n);
		if (rc)
			return rc;
	}
}

struct kimage_to_buf {
	struct buf *out;
	size_t start, limit;
	bool bounded;
};

/* Appends a block; a bounded read stops (1) once LIMIT bytes came out. */
static int kimage_block_to_buf(void *ctx, const void *block, size_t n)
{
	struct kimage_to_buf *b = ctx;
	size_t have = b->out->len - b->start;

	if (b->bounded && n >= b->limit - have) {
		buf_append(b->out, block, b->limit - have);
		return 1;
	}
	buf_append(b->out, block, n);
	return 0;
}


int kimage_decompress(const void *data, size_t len, size_t limit, struct buf *out,
		      char *why, size_t why_len, bool *partial)
{
	return kimage_decompress_to(data, len, limit ? limit : (size_t)KIMAGE_MAX_UNPACKED,
				    limit != 0, out, why, why_len, partial);
}

int kimage_decompress_capped(const void *data, size_t len, size_t cap, struct buf *out,
			     char *why, size_t why_len, bool *partial)
{
	return kimage_decompress_to(data, len, cap, false, out, why, why_len, partial);
}

static int kimage_decompress_to(const void *data, size_t len, size_t limit, bool bounded,
				struct buf *out, char *why, size_t why_len, bool *partial)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	size_t start = out->len;
	const char *magic;
	int err = 0;

	if (!a)
		return -ENOMEM;
	if (partial)
		*partial = false;
	snprintf(why, why_len, "unknown error");
	kimage_archive_support_filters(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		snprintf(why, why_len, "%s", archive_error_string(a) ?: "unreadable data");
		err = -EINVAL;
		goto out;
	}
	if (archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		snprintf(why, why_len, "%s", archive_error_string(a) ?: "unreadable data");
		err = -EINVAL;
		goto out;
	}
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		snprintf(why, why_len, "not compressed data");
		err = -EINVAL;
		goto out;
	}
	{
		/* A bounded read has no error at LIMIT: it stops there. */
		struct kimage_to_buf b = { out, start, limit, bounded };

		err = kimage_stream_each(a, bounded ? SIZE_MAX : limit, kimage_block_to_buf, &b, why,
					 why_len);
		if (err > 0)
			err = 0;
	}
out:
	/* Kernel builds append the unpacked size after the stream; these two
	 * decoders are run again on their own to stop at the stream's end. */
	magic = kimage_compression_at(data, len);
	if (err == -EINVAL && magic && (!strcmp(magic, "xz") || !strcmp(magic, "zstd"))) {
		char why2[256];
		size_t got = out->len;
		int err2;

		if (!strcmp(magic, "xz"))
			err2 = kimage_xz_single(data, len, limit, bounded, out, why2, sizeof(why2));
		else
			err2 = kimage_zstd_single(data, len, limit, bounded, out, why2, sizeof(why2));
		if (err2 == 0 || out->len - got > got - start) {
			/* Keep the second run's output and reason. */
			memmove(out->data + start, out->data + got, out->len - got);
			out->len = start + (out->len - got);
			err = err2;
			if (err)
				snprintf(why, why_len, "%s", why2);
		} else {
			out->len = got;
		}
		if (out->data)
			out->data[out->len] = '\0';
	}
	/* Some output came before the error: the caller may judge whether what
	 * came out is whole (trailing bytes after a stream read as an error). */
	if (err == -EINVAL && partial)
		*partial = out->len > start;
	archive_read_free(a);
	return err;
}

static void kimage_copy_version(const unsigned char *s, size_t max, struct kimage_info *info)
{
	size_t n = 0, r = 0;

	while (n < max && n + 1 < sizeof(info->version) && s[n] && isprint(s[n]))
		n++;
	memcpy(info->version, s, n);
	info->version[n] = '\0';
	while (r < n && r + 1 < sizeof(info->release) && !isspace(s[r]))
		r++;
	memcpy(info->release, s, r);
	info->release[r] = '\0';
}

static int kimage_probe_bzimage(const unsigned char *p, size_t len, const char *ctx,
				struct kimage_info *info)
{
	unsigned setup_sects = p[BZ_SETUP_SECTS] ? p[BZ_SETUP_SECTS] : 4;
	unsigned proto = kimage_le16(p + BZ_VERSION);
	size_t pm_start = ((size_t)setup_sects + 1) * 512;
	uint16_t ver_ptr = kimage_le16(p + BZ_KERNEL_VER);

	info->format = KIMAGE_BZIMAGE;
	if (proto < 0x208) {
		report_error("%s: bzImage boot protocol %u.%02u is too old to say where its kernel is",
			     ctx, proto >> 8, proto & 0xff);
		return -EINVAL;
	}
	info->payload_off = pm_start + kimage_le32(p + BZ_PAYLOAD_OFF);
	info->payload_len = kimage_le32(p + BZ_PAYLOAD_LEN);
	if (info->payload_off > len || info->payload_len > len - info->payload_off ||
	    info->payload_len == 0) {
		report_error("%s: bzImage is truncated or corrupt: its kernel is at bytes %zu..%zu, the file has %zu",
			     ctx, info->payload_off, info->payload_off + info->payload_len, len);
		return -EINVAL;
	}
	if (ver_ptr && (size_t)ver_ptr + 0x200 < len && (size_t)ver_ptr + 0x200 < pm_start)
		kimage_copy_version(p + ver_ptr + 0x200, pm_start - (ver_ptr + 0x200u), info);
	/* XLF_KERNEL_64: the kernel has a 64-bit entry point. */
	snprintf(info->arch, sizeof(info->arch), "%s",
		 proto >= 0x20c && (kimage_le16(p + BZ_XLOADFLAGS) & 1) ? "x86_64" : "x86");
	info->compression = kimage_compression_at(p + info->payload_off, info->payload_len);
	return 0;
}

/* The PE machine of an EFI image, as a btfhub arch name. */
static const char *kimage_pe_arch(const unsigned char *p, size_t len)
{
	uint32_t pe;

	if (len < 0x40)
		return NULL;
	pe = kimage_le32(p + 0x3c);
	if ((size_t)pe + 6 > len || memcmp(p + pe, "PE\0\0", 4) != 0)
		return NULL;
	switch (kimage_le16(p + pe + 4)) {
	case 0x8664: return "x86_64";
	case 0xaa64: return "arm64";
	case 0x5064: return "riscv64";
	case 0x6264: return "loongarch64";
	default: return NULL;
	}
}

static int kimage_probe_zboot(const unsigned char *p, size_t len, const char *ctx,
			      struct kimage_info *info)
{
	const char *arch = kimage_pe_arch(p, len);
	char comp[16];
	size_t n = 0;

	info->format = KIMAGE_ZBOOT;
	info->payload_off = kimage_le32(p + ZB_PAYLOAD_OFF);
	info->payload_len = kimage_le32(p + ZB_PAYLOAD_LEN);
	if (info->payload_off > len || info->payload_len > len - info->payload_off ||
	    info->payload_len == 0) {
		report_error("%s: EFI zboot image is truncated or corrupt: its kernel is at bytes %zu..%zu, the file has %zu",
			     ctx, info->payload_off, info->payload_off + info->payload_len, len);
		return -EINVAL;
	}
	while (n + 1 < sizeof(comp) && isalnum(p[ZB_COMP_TYPE + n])) {
		comp[n] = (char)p[ZB_COMP_TYPE + n];
		n++;
	}
	comp[n] = '\0';
	info->compression = kimage_compression_at(p + info->payload_off, info->payload_len);
	report_debug("zboot image: %s payload of %zu bytes at %zu", comp, info->payload_len,
		     info->payload_off);
	snprintf(info->arch, sizeof(info->arch), "%s", arch ? arch : "");
	return 0;
}

int kimage_probe(const void *data, size_t len, const char *ctx, struct kimage_info *info)
{
	const unsigned char *p = data;

	memset(info, 0, sizeof(*info));
	if (len >= BZ_HDR_END && memcmp(p + BZ_HEADER, "HdrS", 4) == 0)
		return kimage_probe_bzimage(p, len, ctx, info);
	if (len >= ZB_HDR_END && memcmp(p, "MZ", 2) == 0 && memcmp(p + ZB_MAGIC, "zimg", 4) == 0)
		return kimage_probe_zboot(p, len, ctx, info);
	info->compression = kimage_compression_at(p, len);
	if (info->compression) {
		info->format = KIMAGE_STREAM;
		info->payload_off = 0;
		info->payload_len = len;
		return 0;
	}
	return -ENOENT;
}

static const char *kimage_raw_image_arch(const void *data, size_t len);

bool kimage_is_raw_image(const void *data, size_t len)
{
	const unsigned char *p = data;

	/* arm64: "ARM\x64" at 0x38; riscv: "RSC\x05" at 0x30
	 * (Documentation/arch/{arm64,riscv}/booting.rst, boot-image-header.rst). */
	return (len >= 0x40 && memcmp(p + 0x38, "ARM\x64", 4) == 0) ||
	       (len >= 0x40 && memcmp(p + 0x30, "RSC\x05", 4) == 0);
}

static bool kimage_is_kernel(const void *data, size_t len)
{
	return (len >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0) ||
	       kimage_is_raw_image(data, len);
}

const char *kimage_kernel_arch(const void *data, size_t len)
{
	const char *a = kimage_elf_arch(data, len);

	return a ? a : kimage_raw_image_arch(data, len);
}

const char *kimage_elf_arch(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint16_t machine;

	if (len < 20 || memcmp(p, ELFMAG, SELFMAG) != 0)
		return NULL;
	machine = p[EI_DATA] == ELFDATA2MSB ? (uint16_t)(p[18] << 8 | p[19]) : kimage_le16(p + 18);
	switch (machine) {
	case EM_X86_64: return "x86_64";
	case EM_AARCH64: return "arm64";
	case EM_386: return "x86";
	case EM_RISCV: return "riscv64";
	case EM_S390: return "s390x";
	case EM_PPC64: return "ppc64le";
	default: return NULL;
	}
}

static const char *kimage_raw_image_arch(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= 0x40 && memcmp(p + 0x38, "ARM\x64", 4) == 0)
		return "arm64";
	if (len >= 0x40 && memcmp(p + 0x30, "RSC\x05", 4) == 0)
		return "riscv64";
	return NULL;
}

int kimage_scan(const void *data, size_t len, struct kimage_info *info)
{
	const unsigned char *p = data;
	struct buf trial = {0};
	char why[256];

	memset(info, 0, sizeof(*info));
	for (size_t off = 0; off + 4 <= len; off++) {
		const char *comp = kimage_compression_at(p + off, len - off);
		const char *arch;

		if (!comp)
			continue;
		buf_reset(&trial);
		/* Errors do not matter here, only whether a kernel header came out. */
		kimage_decompress(p + off, len - off, KIMAGE_TRIAL_LEN, &trial, why, sizeof(why), NULL);
		if (!kimage_is_kernel(trial.data, trial.len))
			continue;
		arch = kimage_elf_arch(trial.data, trial.len);
		if (!arch)
			arch = kimage_raw_image_arch(trial.data, trial.len);
		info->format = KIMAGE_SCANNED;
		info->payload_off = off;
		info->payload_len = len - off;
		info->compression = comp;
		snprintf(info->arch, sizeof(info->arch), "%s", arch ? arch : "");
		buf_free(&trial);
		return 0;
	}
	buf_free(&trial);
	return -ENOENT;
}

bool kimage_elf_complete(const void *data, size_t len)
{
	const unsigned char *p = data;
	bool swap;
	unsigned long long end;

	/* The byte order is read only once the identification bytes are there. */
	if (len < EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0)
		return false;
	swap = (p[EI_DATA] == ELFDATA2MSB) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	if (p[EI_CLASS] == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr e;

		memcpy(&e, p, sizeof(e));
		end = (swap ? __builtin_bswap64(e.e_shoff) : e.e_shoff) +
		      (unsigned long long)(swap ? __builtin_bswap16(e.e_shnum) : e.e_shnum) *
		      (swap ? __builtin_bswap16(e.e_shentsize) : e.e_shentsize);
	} else if (p[EI_CLASS] == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr e;

		memcpy(&e, p, sizeof(e));
		end = (swap ? __builtin_bswap32(e.e_shoff) : e.e_shoff) +
		      (unsigned long long)(swap ? __builtin_bswap16(e.e_shnum) : e.e_shnum) *
		      (swap ? __builtin_bswap16(e.e_shentsize) : e.e_shentsize);
	} else {
		return false;
	}
	return end <= len;
}

int kimage_unpack(const void *data, size_t len, const struct kimage_info *info,
		  const char *ctx, struct buf *out)
{
	const unsigned char *p = data;
	const char *comp = info->compression ? info->compression : "compressed";
	size_t start = out->len;
	bool partial;
	char why[256];
	int err;

	if (info->payload_off > len || info->payload_len > len - info->payload_off) {
		report_error("%s: kernel image payload lies outside the file", ctx);
		return -EINVAL;
	}
	if (!info->compression) {
		/* At most 4 bytes, and never past the payload (found by fuzzing). */
		char hex[16] = "";
		size_t used = 0;

		for (size_t i = 0; i < 4 && i < info->payload_len; i++)
			used += (size_t)snprintf(hex + used, sizeof(hex) - used, "%s%02x", i ? " " : "",
						 p[info->payload_off + i]);
		report_error("%s: the kernel in the image is compressed in a format bpfpack cannot unpack (first bytes %s)",
			     ctx, hex);
		report_hint("supported: gzip, xz, lzma, zstd, lz4, bzip2");
		return -ENOTSUP;
	}
	err = kimage_decompress(p + info->payload_off, info->payload_len, 0, out, why,
				sizeof(why), &partial);
	if (err == -EINVAL && info->payload_len > 4) {
		/* Kernel builds append the unpacked size, 4 bytes, after every
		 * stream but gzip's; xz and some others reject that as a broken
		 * second stream, so try again without it. */
		char why2[256];

		out->len = start;
		if (kimage_decompress(p + info->payload_off, info->payload_len - 4, 0, out, why2,
				      sizeof(why2), &partial) == 0)
			err = 0;
	}
	if (err == -EFBIG) {
		report_error("%s: the kernel image %s", ctx, why);
		return err;
	}
	if (err && partial &&
	    (kimage_elf_complete(out->data + start, out->len - start) ||
	     kimage_is_raw_image(out->data + start, out->len - start))) {
		report_debug("%s: ignoring bytes after the %s stream: %s", ctx, comp, why);
		err = 0;
	}
	if (err) {
		report_error("%s: the %s-compressed kernel in the image is truncated or corrupt: %s",
			     ctx, comp, why);
		return err;
	}
	if (!kimage_is_kernel(out->data + start, out->len - start)) {
		report_error("%s: the image's %s payload (%zu bytes unpacked) is not a kernel: neither ELF nor an arm64/riscv Image",
			     ctx, comp, out->len - start);
		return -EINVAL;
	}
	return 0;
}

int kimage_elf_section(const void *data, size_t len, const char *name,
			      size_t *off, size_t *size, char *why, size_t why_len)
{
	Elf *elf;
	GElf_Shdr sh;
	int err;

	elf_version(EV_CURRENT);
	/* elf_memory wants a writable image but only writes to foreign-endian
	 * ones when asked to convert data, which we never do. */
	elf = elf_memory((char *)data, len);
	err = elf_file_find_section(elf, name, NULL, &sh);
	if (err == -ENOEXEC) {
		snprintf(why, why_len, "%s", elf_errmsg(-1));
		err = -EINVAL;
	} else if (!err && (sh.sh_type == SHT_NOBITS || sh.sh_offset > len ||
			    sh.sh_size > len - sh.sh_offset)) {
		snprintf(why, why_len, "section %s lies outside the file (bytes %llu..%llu of %zu)",
			 name, (unsigned long long)sh.sh_offset,
			 (unsigned long long)(sh.sh_offset + sh.sh_size), len);
		err = -EINVAL;
	} else if (!err) {
		*off = sh.sh_offset;
		*size = sh.sh_size;
	}
	if (elf)
		elf_end(elf);
	return err;
}

bool kimage_elf_has_dwarf(const void *data, size_t len)
{
	size_t off, size;
	char why[64];

	return kimage_elf_section(data, len, ".debug_info", &off, &size, why, sizeof(why)) == 0 ||
	       kimage_elf_section(data, len, ".zdebug_info", &off, &size, why, sizeof(why)) == 0;
}

static int kimage_libbpf_silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* A raw Image has no section headers: the BTF is the blob whose header
 * fits the data and which libbpf parses into a kernel-sized type graph. */
static int kimage_raw_find_btf(const unsigned char *p, size_t len, size_t *off, size_t *size)
{
	static const unsigned char magics[2][4] = {
		{ 0x9f, 0xeb, 0x01, 0x00 },	/* little endian, version 1, flags 0 */
		{ 0xeb, 0x9f, 0x01, 0x00 },
	};
	libbpf_print_fn_t old = libbpf_set_print(kimage_libbpf_silent);
	int found = -ENOENT;

	for (int m = 0; m < 2 && found; m++) {
		const unsigned char *q = p;

		while (found && (q = memmem(q, len - (size_t)(q - p), magics[m], 4))) {
			size_t at = (size_t)(q - p), left = len - at;
			bool be = m == 1;
			uint32_t f[5];

			q++;
			if (left < 24)
				break;
			for (int i = 0; i < 5; i++) {
				f[i] = kimage_le32(p + at + 4 + 4 * i);
				if (be)
					f[i] = __builtin_bswap32(f[i]);
			}
			/* hdr_len, type_off, type_len, str_off, str_len */
			unsigned long long hdr = f[0], types = (unsigned long long)f[1] + f[2],
					   strs = (unsigned long long)f[3] + f[4];
			unsigned long long total = hdr + (types > strs ? types : strs);

			if (hdr < 24 || hdr > 256 || f[2] == 0 || f[4] == 0 || total > left)
				continue;
			struct btf *btf = btf__new(p + at, (uint32_t)total);

			if (!btf)
				continue;
			if (btf__type_cnt(btf) > 1) {
				*off = at;
				*size = (size_t)total;
				found = 0;
			}
			btf__free(btf);
		}
	}
	libbpf_set_print(old);
	return found;
}

static void kimage_report_no_btf(const void *kernel, size_t len, const char *ctx, bool is_elf)
{
	char release[128], why[64];
	size_t off, size;
	/* A banner alone could be any program's string; a vmlinux also has
	 * init code in a section of its own. */
	bool kernel_like = !is_elf ||
		kimage_elf_section(kernel, len, ".init.text", &off, &size, why, sizeof(why)) == 0;

	if (kernel_like && kimage_find_banner(kernel, len, release, sizeof(release), NULL, 0) == 0) {
		report_error("%s: kernel %s has no .BTF section: the kernel was built without CONFIG_DEBUG_INFO_BTF; use `bpfpack btf from-debug`",
			     ctx, release);
		report_hint("`bpfpack btf from-debug VMLINUX -o %s.btf` encodes BTF from the DWARF of the same build's vmlinux (or its -dbg .deb)",
			    release);
	} else if (is_elf) {
		report_error("%s: ELF file has no .BTF section", ctx);
		if (kimage_elf_has_dwarf(kernel, len))
			report_hint("it has DWARF: if it is a vmlinux, `bpfpack btf from-debug FILE -o OUT.btf` encodes BTF from it");
		else
			report_hint("if it is a vmlinux, its kernel was built without CONFIG_DEBUG_INFO_BTF; pahole can generate BTF from its DWARF");
	} else {
		report_error("%s: the kernel has no BTF: it was built without CONFIG_DEBUG_INFO_BTF; use `bpfpack btf from-debug`",
			     ctx);
	}
}

int kimage_find_btf(const void *kernel, size_t len, const char *ctx, size_t *off, size_t *size)
{
	char why[256];
	int err;

	if (len >= SELFMAG && memcmp(kernel, ELFMAG, SELFMAG) == 0) {
		err = kimage_elf_section(kernel, len, ".BTF", off, size, why, sizeof(why));
		if (err == -EINVAL) {
			report_error("%s: corrupt ELF file: %s", ctx, why);
			return err;
		}
		if (err == 0 && *size == 0) {
			report_error("%s: the .BTF section is empty", ctx);
			return -EINVAL;
		}
		if (err == 0)
			return 0;
		kimage_report_no_btf(kernel, len, ctx, true);
		return -ENODATA;
	}
	if (kimage_is_raw_image(kernel, len) && kimage_raw_find_btf(kernel, len, off, size) == 0)
		return 0;
	kimage_report_no_btf(kernel, len, ctx, false);
	return -ENODATA;
}

static bool kimage_release_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+' || c == '~';
}

int kimage_find_banner(const void *data, size_t len, char *release, size_t release_size,
		       char *banner, size_t banner_size)
{
	static const char tag[] = "Linux version ";
	const unsigned char *p = data, *q = p;

	while ((q = memmem(q, len - (size_t)(q - p), tag, sizeof(tag) - 1))) {
		const unsigned char *s = q + sizeof(tag) - 1, *end = p + len;
		size_t r = 0, b = 0;

		q++;
		/* Format strings ("Linux version %s") are not the banner. */
		if (s >= end || !isdigit(*s))
			continue;
		while (s + r < end && kimage_release_char(s[r]))
			r++;
		if (s + r >= end || s[r] != ' ' || r >= 128)
			continue;
		if (release && release_size) {
			size_t n = r < release_size - 1 ? r : release_size - 1;

			memcpy(release, s, n);
			release[n] = '\0';
		}
		if (banner && banner_size) {
			while (s + b < end && b + 1 < banner_size && s[b] != '\n' && isprint(s[b]))
				b++;
			memcpy(banner, s, b);
			banner[b] = '\0';
		}
		return 0;
	}
	return -ENOENT;
}
