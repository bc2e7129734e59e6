/* btf_source: turns any kernel BTF source into kernel entries and pulls the
 * raw BTF out of each. A file's kind is decided by its magic bytes, so a wrong
 * file gets an error that says what it is instead of libbpf's generic
 * "Invalid argument". Archives and compression go through libarchive (and
 * kimage for kernel images); nothing is ever extracted to disk. */
#include "btf_source.h"
#include "btf_source_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../lib/fs.h"
#include "../lib/report.h"
#include "../formats/archive_reader.h"
#include "../formats/deb.h"
#include "../formats/kimage.h"

/* Enough decompressed bytes to tell what a compressed file holds. */
#define BTF_SOURCE_PEEK 4096

const char *btf_source_kind_name(int kind)
{
	switch (kind) {
	case BTF_SOURCE_RAW: return "raw BTF";
	case BTF_SOURCE_ELF: return "ELF with .BTF";
	case BTF_SOURCE_IMAGE: return "kernel image";
	case BTF_SOURCE_COMPRESSED: return "compressed file";
	case BTF_SOURCE_ARCHIVE: return "tar archive";
	case BTF_SOURCE_DEB: return "Debian package";
	default: return "unknown";
	}
}

/* "cannot load kernel BTF from PATH" or "... from PATH (MEMBER)": the start of
 * every error line about a source. malloc'd. */
char *source_ctx(const char *path, const char *member)
{
	if (member)
		return xasprintf("cannot load kernel BTF from %s (%s)", path, member);
	return xasprintf("cannot load kernel BTF from %s", path);
}

/* ---- the list ------------------------------------------------------------ */

struct btf_source_entry *list_push(struct btf_source_list *l, const struct btf_key *k,
					  const char *path, const char *origin, int kind,
					  const char *member)
{
	struct btf_source_entry *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->path = xstrdup(path);
	e->origin = xstrdup(origin);
	e->kind = kind;
	e->member = member ? xstrdup(member) : NULL;
	return e;
}

void list_truncate(struct btf_source_list *l, size_t n)
{
	while (l->n > n) {
		struct btf_source_entry *e = &l->v[--l->n];

		free(e->path);
		free(e->origin);
		free(e->member);
	}
}

void btf_source_list_free(struct btf_source_list *list)
{
	list_truncate(list, 0);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* ---- reading files --------------------------------------------------------- */

/* A whole file in memory: mapped when it is a regular file (a vmlinux with
 * DWARF is hundreds of MB, and mostly not needed), read otherwise (sysfs).
 * The mapping is private and writable because libelf may want to write. */
struct source_map {
	unsigned char *data;
	size_t len;
	size_t map_len;
	struct buf copy;
};

static int source_map_open(const char *path, const char *ctx, struct source_map *m)
{
	struct stat st;
	int fd, err = 0;

	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		report_error("%s: %s", ctx, strerror(-err));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		report_error("%s: %s", ctx, strerror(EISDIR));
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

		if (p != MAP_FAILED) {
			m->data = p;
			m->len = m->map_len = (size_t)st.st_size;
			goto out;
		}
	}
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			report_error("%s: %s", ctx, strerror(-err));
			buf_free(&m->copy);
			goto out;
		}
		if (n == 0)
			break;
		buf_append(&m->copy, chunk, (size_t)n);
	}
	m->data = (unsigned char *)m->copy.data;
	m->len = m->copy.len;
out:
	if (fd >= 0)
		close(fd);
	return err;
}

static void source_map_close(struct source_map *m)
{
	if (m->map_len)
		munmap(m->data, m->map_len);
	buf_free(&m->copy);
	memset(m, 0, sizeof(*m));
}

static bool source_has(const unsigned char *p, size_t len, size_t off, const void *magic, size_t n)
{
	return len >= off + n && memcmp(p + off, magic, n) == 0;
}

static bool source_is_btf(const unsigned char *p, size_t len)
{
	return source_has(p, len, 0, "\x9f\xeb", 2) || source_has(p, len, 0, "\xeb\x9f", 2);
}

static bool source_is_elf(const unsigned char *p, size_t len)
{
	return source_has(p, len, 0, ELFMAG, SELFMAG);
}

static bool source_is_tar(const unsigned char *p, size_t len)
{
	return source_has(p, len, 257, "ustar", 5);
}

static bool source_is_ar(const unsigned char *p, size_t len)
{
	return source_has(p, len, 0, "!<arch>\n", 8);
}

/* Says what a file that is no kernel BTF source is, so the user knows. */
static int source_report_other(const char *ctx, const unsigned char *p, size_t len)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
		const char *what;
	} magics[] = {
		{ 0, "PK\x03\x04", 4, "a zip archive" },
		{ 0, "MZ", 2, "a PE executable, not a kernel image" },
		{ 0, "\x89PNG", 4, "a PNG image" },
		{ 0, "%PDF", 4, "a PDF document" },
	};
	char hex[3 * 8 + 1] = "";
	size_t n = len < 8 ? len : 8;
	bool text = true;

	if (len == 0) {
		report_error("%s: file is empty", ctx);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (source_has(p, len, magics[i].off, magics[i].magic, magics[i].len)) {
			report_error("%s: not BTF or ELF, it is %s", ctx, magics[i].what);
			report_hint("--btf takes raw BTF, a vmlinux, a kernel image, a btfhub archive or tree, or a kernel .deb");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < len && i < 64; i++)
		if (!isprint(p[i]) && !isspace(p[i]))
			text = false;
	if (text) {
		report_error("%s: not BTF or ELF, it is a text file", ctx);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x%s", p[i], i + 1 < n ? " " : "");
	report_error("%s: not BTF or ELF (first bytes: %s)", ctx, hex);
	return -EINVAL;
}

static uint32_t source_u32(uint32_t v, bool swap)
{
	return swap ? __builtin_bswap32(v) : v;
}

/* Checks a raw BTF header against the bytes there are: libbpf only says
 * "Invalid argument" for a cut-off file, which hides the real cause. */
static int source_check_raw(const char *ctx, const unsigned char *p, size_t len)
{
	bool swap = (p[0] == 0xeb) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	unsigned long long need, types_end, strs_end;
	struct btf_header h;

	if (len < sizeof(h)) {
		report_error("%s: BTF is truncated: %zu bytes, shorter than its header", ctx, len);
		return -EINVAL;
	}
	memcpy(&h, p, sizeof(h));
	types_end = (unsigned long long)source_u32(h.type_off, swap) + source_u32(h.type_len, swap);
	strs_end = (unsigned long long)source_u32(h.str_off, swap) + source_u32(h.str_len, swap);
	need = source_u32(h.hdr_len, swap) + (types_end > strs_end ? types_end : strs_end);
	if (len < need) {
		report_error("%s: BTF is truncated: header says %llu bytes, file has %zu", ctx, need, len);
		return -EINVAL;
	}
	return 0;
}

/* Same idea for ELF: a cut-off vmlinux loses its section headers first. */
static int source_check_elf(const char *ctx, const unsigned char *p, size_t len)
{
	bool swap;
	unsigned long long shoff, shend;

	if (len < EI_NIDENT)
		goto truncated;
	swap = (p[EI_DATA] == ELFDATA2MSB) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	if (p[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr e;

		if (len < sizeof(e))
			goto truncated;
		memcpy(&e, p, sizeof(e));
		shoff = swap ? __builtin_bswap64(e.e_shoff) : e.e_shoff;
		shend = shoff + (unsigned long long)(swap ? __builtin_bswap16(e.e_shnum) : e.e_shnum) *
				(swap ? __builtin_bswap16(e.e_shentsize) : e.e_shentsize);
	} else if (p[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e;

		if (len < sizeof(e))
			goto truncated;
		memcpy(&e, p, sizeof(e));
		shoff = swap ? __builtin_bswap32(e.e_shoff) : e.e_shoff;
		shend = shoff + (unsigned long long)(swap ? __builtin_bswap16(e.e_shnum) : e.e_shnum) *
				(swap ? __builtin_bswap16(e.e_shentsize) : e.e_shentsize);
	} else {
		report_error("%s: ELF file of unknown class %u", ctx, p[EI_CLASS]);
		return -EINVAL;
	}
	if (len < shend) {
		report_error("%s: ELF file is truncated: section headers end at %llu, file has %zu",
			     ctx, shend, len);
		return -EINVAL;
	}
	return 0;
truncated:
	report_error("%s: ELF file is truncated: %zu bytes, shorter than its header", ctx, len);
	return -EINVAL;
}

/* ---- from bytes to BTF ----------------------------------------------------- */

static int source_btf_from_mem(const unsigned char *p, size_t len, const char *ctx,
			       struct buf *out, int depth);

/* A compressed stream holding raw BTF, a vmlinux or an Image. What came out
 * before an error counts when it is whole (bytes after a stream read as a
 * broken second stream). */
static int source_from_stream(const unsigned char *p, size_t len, const char *ctx,
			      struct buf *out, int depth)
{
	const char *comp = kimage_compression_at(p, len);
	struct buf plain = {0};
	char why[256];
	bool partial;
	int err;

	/* Raw BTF is a few MB: a stream of it gets the smaller cap. */
	kimage_decompress(p, len, BTF_SOURCE_PEEK, &plain, why, sizeof(why), NULL);
	if (source_is_btf((const unsigned char *)plain.data, plain.len)) {
		buf_reset(&plain);
		err = kimage_decompress_capped(p, len, (size_t)FORMATS_MAX_BTF, &plain, why,
					       sizeof(why), &partial);
	} else {
		buf_reset(&plain);
		err = kimage_decompress(p, len, 0, &plain, why, sizeof(why), &partial);
	}
	if (err == -EINVAL && partial) {
		const unsigned char *q = (const unsigned char *)plain.data;

		if (kimage_elf_complete(q, plain.len) || kimage_is_raw_image(q, plain.len))
			err = 0;
		else if (source_is_btf(q, plain.len) && plain.len >= sizeof(struct btf_header))
			err = 0;	/* source_check_raw judges whether it is whole */
		if (!err)
			report_debug("%s: ignoring what follows the %s stream: %s", ctx, comp, why);
	}
	if (err == -EFBIG)
		report_error("%s: %s-compressed data %s; refusing it", ctx, comp, why);
	else if (err)
		report_error("%s: %s-compressed data is truncated or corrupt: %s", ctx,
			     comp ? comp : "compressed", why);
	if (!err)
		err = source_btf_from_mem((const unsigned char *)plain.data, plain.len, ctx, out, depth + 1);
	buf_free(&plain);
	return err;
}

static int source_btf_from_mem(const unsigned char *p, size_t len, const char *ctx,
			       struct buf *out, int depth)
{
	struct kimage_info info;
	size_t off, size;
	int err;

	if (len == 0) {
		report_error("%s: file is empty", ctx);
		return -EINVAL;
	}
	if (source_is_btf(p, len)) {
		err = source_check_raw(ctx, p, len);
		if (!err) {
			buf_reset(out);
			buf_append(out, p, len);
		}
		return err;
	}
	if (source_is_elf(p, len)) {
		err = source_check_elf(ctx, p, len);
		if (!err)
			err = kimage_find_btf(p, len, ctx, &off, &size);
		if (!err)
			err = source_check_raw(ctx, p + off, size);
		if (!err) {
			buf_reset(out);
			buf_append(out, p + off, size);
		}
		return err;
	}
	if (depth > 2) {
		/* A stream inside a stream inside a stream: not a kernel. */
		report_error("%s: compressed data nested too deep to be a kernel", ctx);
		return -EINVAL;
	}
	if (kimage_is_raw_image(p, len)) {
		err = kimage_find_btf(p, len, ctx, &off, &size);
		if (!err)
			err = source_check_raw(ctx, p + off, size);
		if (!err) {
			buf_reset(out);
			buf_append(out, p + off, size);
		}
		return err;
	}
	if (source_is_ar(p, len) || source_is_tar(p, len)) {
		report_error("%s: it is %s inside a kernel source, not a kernel", ctx,
			     source_is_ar(p, len) ? "an ar archive" : "a tar archive");
		return -EINVAL;
	}
	err = kimage_probe(p, len, ctx, &info);
	if (err == -ENOENT && len > 4096)
		err = kimage_scan(p, len, &info);
	if (err == -ENOENT)
		return source_report_other(ctx, p, len);
	if (err)
		return err;
	if (info.format == KIMAGE_STREAM)
		return source_from_stream(p, len, ctx, out, depth);

	struct buf kernel = {0};

	err = kimage_unpack(p, len, &info, ctx, &kernel);
	if (!err)
		err = source_btf_from_mem((const unsigned char *)kernel.data, kernel.len, ctx, out, depth + 1);
	buf_free(&kernel);
	return err;
}

/* ---- expand ---------------------------------------------------------------- */

/* The banner and arch of a vmlinux ELF, from its .rodata (a vmlinux with
 * DWARF is large; the banner is in .rodata). */
static void source_elf_hints(const struct source_map *m, char *release, size_t rsize,
			     char *banner, size_t bsize)
{
	size_t off, size;
	char why[128];

	if (kimage_elf_section(m->data, m->len, ".rodata", &off, &size, why, sizeof(why)) == 0)
		kimage_find_banner(m->data + off, size, release, rsize, banner, bsize);
}

struct source_banner {
	struct buf plain;
	size_t searched;
	bool seen;
	char *release, *banner;
	size_t rsize, bsize;
};

/* Searches the new bytes (from a little before them) for the banner. A
 * banner found is read again after one more block, in case the block ended
 * inside it; then the stream stops (1). */
static int source_banner_block(void *ctx, const void *block, size_t n)
{
	struct source_banner *sb = ctx;

	buf_append(&sb->plain, block, n);
	if (kimage_find_banner(sb->plain.data + sb->searched, sb->plain.len - sb->searched,
			       sb->release, sb->rsize, sb->banner, sb->bsize) == 0) {
		if (sb->seen)
			return 1;
		sb->seen = true;
		return 0;
	}
	/* Only the tail can hold the start of a banner: keep 2 KiB of it, so
	 * a stream without one (a decompression bomb) cannot take memory in
	 * proportion to its size. */
	if (sb->plain.len > (1u << 20)) {
		memmove(sb->plain.data, sb->plain.data + sb->plain.len - 2048, 2048);
		sb->plain.len = 2048;
	}
	sb->searched = sb->plain.len > 2048 ? sb->plain.len - 2048 : 0;
	return 0;
}

/* Decompresses a stream only as far as the banner (for a name that does not
 * say the release): it sits in .rodata, well before a vmlinux's DWARF. */
static void source_stream_banner(const unsigned char *p, size_t len, const char *ctx,
				 char *release, size_t rsize, char *banner, size_t bsize)
{
	struct source_banner sb = { .release = release, .banner = banner, .rsize = rsize,
				    .bsize = bsize };
	struct buf kernel = {0};
	struct kimage_info info;
	struct archive *a;
	struct archive_entry *e;
	char why[256];

	if (kimage_probe(p, len, ctx, &info) == 0 && info.format != KIMAGE_STREAM) {
		if (kimage_unpack(p, len, &info, ctx, &kernel) == 0)
			kimage_find_banner(kernel.data, kernel.len, release, rsize, banner, bsize);
		buf_free(&kernel);
		return;
	}
	a = archive_reader_new(false, true, false);
	if (archive_read_open_memory(a, p, len) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK)
		kimage_stream_each(a, (size_t)FORMATS_MAX_IMAGE, source_banner_block, &sb, why,
				   sizeof(why));
	archive_read_free(a);
	buf_free(&sb.plain);
}

/* The kernel release of the machine we run on, for its /sys/kernel/btf. */
static bool source_is_running_kernel(const char *path, struct btf_key *k)
{
	char *real = fs_realpath(path);
	bool yes = real && !strcmp(real, BTF_SOURCE_KERNEL_PATH);
	struct utsname u;

	free(real);
	if (!yes || uname(&u) < 0)
		return false;
	struct btf_key_hints h = { .release = u.release, .arch = u.machine };

	btf_key_derive(k, &h);
	return true;
}

/* A compressed file: a tar (btfhub's .btf.tar.xz) or one compressed file.
 * Returns 1 without a report when libarchive finds it is not compressed. */
static int source_expand_compressed(const char *path, const struct source_map *m,
				    struct btf_source_list *list)
{
	struct archive *a = archive_reader_new(true, true, false);
	struct archive_entry *e;
	char *ctx = source_ctx(path, NULL);
	const char *comp = kimage_compression_at(m->data, m->len);
	int err = 0;

	if (archive_read_open_memory(a, m->data, m->len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		report_error("%s: %s-compressed data is truncated or corrupt: %s", ctx,
			     comp ? comp : "compressed", archive_reader_why(a));
		err = -EINVAL;
		goto out;
	}
	/* A magic as short as lzma's also starts files that are not lzma. */
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		err = 1;
		goto out;
	}
	if (archive_format(a) != ARCHIVE_FORMAT_RAW) {
		archive_read_free(a);
		a = archive_reader_new(true, false, false);
		if (archive_read_open_memory(a, m->data, m->len) != ARCHIVE_OK) {
			report_error("%s: %s", ctx, archive_reader_why(a));
			err = -EINVAL;
			goto out;
		}
		err = source_expand_tar(a, path, list);
		goto out;
	}

	/* One compressed file: what it holds decides the kind. */
	unsigned char head[BTF_SOURCE_PEEK];
	size_t got = 0;

	while (got < sizeof(head)) {
		la_ssize_t n = archive_read_data(a, head + got, sizeof(head) - got);

		if (n == 0)
			break;
		if (n < 0) {
			if (got)
				break;	/* judged on what came out */
			report_error("%s: %s-compressed data is truncated or corrupt: %s", ctx,
				     comp ? comp : "compressed", archive_reader_why(a));
			err = -EINVAL;
			goto out;
		}
		got += (size_t)n;
	}
	if (!source_is_btf(head, got) && !source_is_elf(head, got) && !kimage_is_raw_image(head, got)) {
		if (got == 0)
			report_error("%s: %s-compressed data holds an empty file", ctx, comp ? comp : "compressed");
		else if (source_is_ar(head, got))
			report_error("%s: %s-compressed data holds an ar archive, not a kernel", ctx,
				     comp ? comp : "compressed");
		else
			report_error("%s: %s-compressed data holds neither BTF nor a kernel (first bytes: %02x %02x %02x %02x)",
				     ctx, comp ? comp : "compressed", head[0], got > 1 ? head[1] : 0,
				     got > 2 ? head[2] : 0, got > 3 ? head[3] : 0);
		err = -EINVAL;
		goto out;
	}

	struct btf_key k = {0};
	char release[128] = "", banner[512] = "";
	char *full = fs_realpath(path);
	struct btf_key_hints h = { .file_name = path };

	if (!(full && btf_key_from_btfhub_path(full, &k, NULL, 0))) {
		h.arch = kimage_kernel_arch(head, got);
		if (!key_release_from_name(path, release, sizeof(release)) && !source_is_btf(head, got))
			source_stream_banner(m->data, m->len, ctx, release, sizeof(release), banner, sizeof(banner));
		h.release = release[0] ? release : NULL;
		h.banner = banner[0] ? banner : NULL;
		btf_key_derive(&k, &h);
	}
	free(full);
	list_push(list, &k, path, path, BTF_SOURCE_COMPRESSED, NULL);
out:
	archive_read_free(a);
	free(ctx);
	return err;
}

static int source_expand_file(const char *path, struct btf_source_list *list)
{
	char *ctx = source_ctx(path, NULL);
	char *full = NULL;
	struct source_map m;
	struct btf_key k = {0};
	struct btf_key_hints h = { .file_name = path };
	struct kimage_info info;
	char release[128] = "", banner[512] = "";
	int kind = 0, err;

	err = source_map_open(path, ctx, &m);
	if (err)
		goto out;
	full = fs_realpath(path);
	if (m.len == 0) {
		err = source_report_other(ctx, m.data, 0);
	} else if (source_is_btf(m.data, m.len)) {
		err = source_check_raw(ctx, m.data, m.len);
		kind = BTF_SOURCE_RAW;
	} else if (source_is_elf(m.data, m.len)) {
		err = source_check_elf(ctx, m.data, m.len);
		if (!err) {
			source_elf_hints(&m, release, sizeof(release), banner, sizeof(banner));
			h.arch = kimage_elf_arch(m.data, m.len);
		}
		kind = BTF_SOURCE_ELF;
	} else if (kimage_is_raw_image(m.data, m.len)) {
		/* An uncompressed arm64/riscv Image: its BTF is found by scanning. */
		kind = BTF_SOURCE_IMAGE;
		h.arch = kimage_kernel_arch(m.data, m.len);
		kimage_find_banner(m.data, m.len, release, sizeof(release), banner, sizeof(banner));
	} else if (source_is_ar(m.data, m.len)) {
		err = source_expand_deb(path, list);
		goto out;
	} else if (source_is_tar(m.data, m.len)) {
		struct archive *a = archive_reader_new(true, false, false);

		if (archive_read_open_memory(a, m.data, m.len) != ARCHIVE_OK) {
			report_error("%s: %s", ctx, archive_reader_why(a));
			err = -EINVAL;
		} else {
			err = source_expand_tar(a, path, list);
		}
		archive_read_free(a);
		goto out;
	} else {
		err = kimage_compression_at(m.data, m.len) ? source_expand_compressed(path, &m, list) : 1;
		if (err <= 0)
			goto out;
		err = kimage_probe(m.data, m.len, ctx, &info);
		if (err == -ENOENT && m.len > 4096)
			err = kimage_scan(m.data, m.len, &info);
		if (err == -ENOENT)
			err = source_report_other(ctx, m.data, m.len);
		if (!err) {
			kind = BTF_SOURCE_IMAGE;
			h.arch = info.arch[0] ? info.arch : NULL;
			if (info.release[0]) {
				snprintf(release, sizeof(release), "%s", info.release);
				snprintf(banner, sizeof(banner), "%s", info.version);
			} else if (!key_release_from_name(path, release, sizeof(release))) {
				source_stream_banner(m.data, m.len, ctx, release, sizeof(release),
						     banner, sizeof(banner));
			}
		}
	}
	if (err)
		goto out;
	if (!(full && btf_key_from_btfhub_path(full, &k, NULL, 0)) && !source_is_running_kernel(path, &k)) {
		h.release = release[0] ? release : NULL;
		h.banner = banner[0] ? banner : NULL;
		btf_key_derive(&k, &h);
	}
	list_push(list, &k, path, path, kind, NULL);
out:
	if (m.data)
		source_map_close(&m);
	free(full);
	free(ctx);
	return err;
}

int btf_source_expand(const char *path, struct btf_source_list *list)
{
	size_t before = list->n;
	int err;

	if (!path)
		path = BTF_SOURCE_KERNEL_PATH;
	if (fs_is_dir(path))
		return source_expand_dir(path, list);
	err = source_expand_file(path, list);
	if (err)
		list_truncate(list, before);
	return err;
}

/* ---- read ---------------------------------------------------------------- */

int btf_source_read_raw(const struct btf_source_entry *e, struct buf *out)
{
	struct source_map m;
	struct buf data = {0};
	char *ctx, *found = NULL;
	int err;

	switch (e->kind) {
	case BTF_SOURCE_RAW:
	case BTF_SOURCE_ELF:
	case BTF_SOURCE_IMAGE:
	case BTF_SOURCE_COMPRESSED:
		ctx = source_ctx(e->path, NULL);
		err = source_map_open(e->path, ctx, &m);
		if (!err) {
			err = source_btf_from_mem(m.data, m.len, ctx, out, 0);
			source_map_close(&m);
		}
		free(ctx);
		return err;
	case BTF_SOURCE_ARCHIVE:
		err = source_read_tar(e->path, e->member, &data, -1, &found);
		if (!err) {
			ctx = source_ctx(e->path, archive_reader_member_name(found));
			err = source_btf_from_mem((const unsigned char *)data.data, data.len, ctx, out, 0);
			free(ctx);
		}
		free(found);
		buf_free(&data);
		return err;
	case BTF_SOURCE_DEB: {
		struct source_deb d;

		err = source_deb_walk(e->path, e->member, false, &d, &data, -1);
		if (!err) {
			ctx = source_ctx(e->path, archive_reader_member_name(d.member));
			err = source_btf_from_mem((const unsigned char *)data.data, data.len, ctx, out, 0);
			free(ctx);
			free(d.member);
		}
		buf_free(&data);
		return err;
	}
	default:
		report_error("cannot load kernel BTF from %s: unknown source kind %d", e->path, e->kind);
		return -EINVAL;
	}
}

/* Writes LEN bytes of P to FD from offset 0 and truncates FD to LEN. */
static int source_write_fd(int fd, const void *p, size_t len, const char *ctx)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = pwrite(fd, (const char *)p + done, len - done, (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		done += (size_t)w;
	}
	if (done == len && ftruncate(fd, (off_t)len) == 0)
		return 0;
	int err = errno;

	report_error("%s: cannot buffer its BTF: %s", ctx, strerror(err));
	return -err;
}

/* Like btf_source_read_raw(), but leaves the BTF in FD (from offset 0, FD
 * truncated to its length; FD may hold an older kernel: it is overwritten in
 * place, so its pages are reused) and its length in *LEN. The member of a
 * btfhub archive is decompressed straight into FD and never held in memory:
 * btfgen does this once per kernel of a corpus, and growing a buffer, copying
 * it and writing it out faulted in three times the kernel's 5 MB each time. */
int btf_source_read_raw_fd(const struct btf_source_entry *e, int fd, size_t *len)
{
	struct buf raw = {0};
	unsigned char head[sizeof(struct btf_header)];
	char *ctx, *found = NULL;
	struct stat st;
	ssize_t got = 0;
	int err;

	if (e->kind != BTF_SOURCE_ARCHIVE) {
		err = btf_source_read_raw(e, &raw);
		if (!err) {
			ctx = source_ctx(e->path, e->member ? archive_reader_member_name(e->member) : NULL);
			err = source_write_fd(fd, raw.data, raw.len, ctx);
			free(ctx);
			*len = raw.len;
		}
		buf_free(&raw);
		return err;
	}
	err = source_read_tar(e->path, e->member, NULL, fd, &found);
	if (err)
		return err;
	ctx = source_ctx(e->path, archive_reader_member_name(found));
	if (fstat(fd, &st) < 0 || (got = pread(fd, head, sizeof(head), 0)) < 0) {
		err = -errno;
		report_error("%s: cannot read the unpacked file: %s", ctx, strerror(-err));
		goto out;
	}
	*len = (size_t)st.st_size;
	if (*len == 0) {
		report_error("%s: file is empty", ctx);
		err = -EINVAL;
	} else if (source_is_btf(head, (size_t)got)) {
		/* As source_btf_from_mem() checks it: only the header is read,
		 * so it is judged against the length it has in FD. */
		if ((size_t)got < sizeof(head))
			err = source_check_raw(ctx, head, (size_t)got);
		else
			err = source_check_raw(ctx, head, *len);
	} else {
		/* A vmlinux or an image packed in a tar: find its BTF in place. */
		void *p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			err = -errno;
			report_error("%s: cannot read the unpacked file: %s", ctx, strerror(-err));
			goto out;
		}
		err = source_btf_from_mem(p, *len, ctx, &raw, 0);
		munmap(p, *len);
		if (!err)
			err = source_write_fd(fd, raw.data, raw.len, ctx);
		if (!err)
			*len = raw.len;
	}
out:
	buf_free(&raw);
	free(found);
	free(ctx);
	return err;
}

/* libbpf's own messages would add lines beside our one-line error; show them
 * only with -v (debug ones with -vv), where they tell why a file was refused. */
static int source_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (report_verbose() < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int btf_source_parse(const struct btf_source_entry *e, const struct buf *raw, struct btf **out)
{
	libbpf_print_fn_t old_print = libbpf_set_print(source_libbpf_print);
	char *ctx = source_ctx(e->path, e->member ? archive_reader_member_name(e->member) : NULL);
	struct btf *btf;
	int err;

	*out = NULL;
	btf = raw->len <= UINT32_MAX ? btf__new(raw->data, (uint32_t)raw->len) : NULL;
	err = btf ? 0 : -errno;
	libbpf_set_print(old_print);
	if (!btf) {
		if (!err)
			err = -EINVAL;
		report_error("%s: corrupt %s: libbpf cannot parse it (%s)", ctx,
			     e->kind == BTF_SOURCE_ELF || e->kind == BTF_SOURCE_IMAGE ||
			     e->kind == BTF_SOURCE_DEB ? ".BTF section" : "BTF", strerror(-err));
	} else if (btf__type_cnt(btf) <= 1) {
		report_error("%s: BTF holds no types", ctx);
		btf__free(btf);
		err = -EINVAL;
	} else {
		*out = btf;
	}
	free(ctx);
	return err;
}

int btf_source_load(const char *path, struct btf **out)
{
	struct btf_source_list list = {0};
	struct buf raw = {0};
	int err;

	*out = NULL;
	if (!path) {
		path = BTF_SOURCE_KERNEL_PATH;
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			report_error("cannot load the running kernel's BTF: the kernel has no BTF (%s does not exist)",
				     path);
			report_hint("pass --btf FILE with the kernel's BTF (a raw .btf file, a vmlinux, a kernel image, a btfhub archive or a kernel .deb)");
			return -ENOENT;
		}
	}
	err = btf_source_expand(path, &list);
	if (err)
		return err;
	if (list.n != 1) {
		const struct btf_source_entry *e = &list.v[0];

		report_error("cannot load kernel BTF from %s: it holds %zu kernels; one is needed here",
			     path, list.n);
		if (e->member)
			report_hint("unpack the one you want, e.g. %s from it", archive_reader_member_name(e->member));
		else
			report_hint("pass one of its files, e.g. %s", e->path);
		btf_source_list_free(&list);
		return -EINVAL;
	}
	err = btf_source_read_raw(&list.v[0], &raw);
	if (!err)
		err = btf_source_parse(&list.v[0], &raw, out);
	buf_free(&raw);
	btf_source_list_free(&list);
	return err;
}
