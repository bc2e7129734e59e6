/* btf_source: opens a kernel BTF source and hands back a parsed struct btf.
 * The file's kind is decided by its magic bytes, so a wrong file gets an error
 * that says what it is instead of libbpf's generic "Invalid argument". */
#include "btf_source.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../lib/report.h"

/* Enough to see every magic we recognise (bzImage's "HdrS" is at 0x202, tar's
 * "ustar" at 257). */
#define BTF_SOURCE_PROBE_LEN 1024

enum btf_source_kind {
	BTF_SOURCE_RAW_LE,
	BTF_SOURCE_RAW_BE,
	BTF_SOURCE_ELF,
	BTF_SOURCE_OTHER,
};

struct btf_source_probe {
	unsigned char head[BTF_SOURCE_PROBE_LEN];
	size_t len;		/* bytes of head that were read */
	unsigned long long size;	/* file size; valid when is_reg */
	int is_reg;
};

/* Reads the first bytes and the size of PATH. Reports on failure. */
static int btf_source_probe_file(const char *path, struct btf_source_probe *p)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0) {
		err = -errno;
		report_error("cannot load kernel BTF from %s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		report_error("cannot load kernel BTF from %s: %s", path, strerror(-err));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		report_error("cannot load kernel BTF from %s: %s", path, strerror(EISDIR));
		goto out;
	}
	p->is_reg = S_ISREG(st.st_mode);
	p->size = (unsigned long long)st.st_size;
	p->len = 0;
	while (p->len < sizeof(p->head)) {
		ssize_t n = read(fd, p->head + p->len, sizeof(p->head) - p->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			report_error("cannot load kernel BTF from %s: %s", path, strerror(-err));
			goto out;
		}
		if (n == 0)
			break;
		p->len += (size_t)n;
	}
out:
	close(fd);
	return err;
}

static int btf_source_has(const struct btf_source_probe *p, size_t off,
			  const void *magic, size_t len)
{
	return p->len >= off + len && memcmp(p->head + off, magic, len) == 0;
}

static enum btf_source_kind btf_source_classify(const struct btf_source_probe *p)
{
	if (btf_source_has(p, 0, "\x9f\xeb", 2))
		return BTF_SOURCE_RAW_LE;
	if (btf_source_has(p, 0, "\xeb\x9f", 2))
		return BTF_SOURCE_RAW_BE;
	if (btf_source_has(p, 0, ELFMAG, SELFMAG))
		return BTF_SOURCE_ELF;
	return BTF_SOURCE_OTHER;
}

/* Names what a non-BTF file is, so the user knows which step is missing
 * (these are exactly the kinds a later version will unpack itself). */
static const char *btf_source_name_magic(const struct btf_source_probe *p, int *packed)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
		const char *what;
		int packed;
	} magics[] = {
		{ 0, "\x1f\x8b", 2, "gzip-compressed data", 1 },
		{ 0, "\xfd" "7zXZ\0", 6, "xz-compressed data", 1 },
		{ 0, "\x28\xb5\x2f\xfd", 4, "zstd-compressed data", 1 },
		{ 0, "BZh", 3, "bzip2-compressed data", 1 },
		{ 0, "\x04\x22\x4d\x18", 4, "lz4-compressed data", 1 },
		{ 0, "\x02\x21\x4c\x18", 4, "lz4-compressed data", 1 },
		{ 0, "!<arch>\n", 8, "an ar archive (a .deb package?)", 1 },
		{ 257, "ustar", 5, "a tar archive", 1 },
		{ 0, "PK\x03\x04", 4, "a zip archive", 1 },
		{ 0x202, "HdrS", 4, "a compressed kernel image (bzImage)", 1 },
		{ 0, "MZ", 2, "a PE executable (an EFI kernel image?)", 1 },
	};

	*packed = 0;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (btf_source_has(p, magics[i].off, magics[i].magic, magics[i].len)) {
			*packed = magics[i].packed;
			return magics[i].what;
		}
	}
	return NULL;
}

static int btf_source_report_other(const char *path, const struct btf_source_probe *p)
{
	int packed;
	const char *what = btf_source_name_magic(p, &packed);

	if (p->len == 0) {
		report_error("cannot load kernel BTF from %s: file is empty", path);
		return -EINVAL;
	}
	if (what) {
		report_error("cannot load kernel BTF from %s: not BTF or ELF, it is %s", path, what);
		if (packed)
			report_hint("unpack it first; --btf takes a raw .btf file or a vmlinux ELF with a .BTF section");
		return -EINVAL;
	}

	char hex[3 * 8 + 1] = "";
	size_t n = p->len < 8 ? p->len : 8, text = 1;

	for (size_t i = 0; i < p->len && i < 64; i++)
		if (!isprint(p->head[i]) && !isspace(p->head[i]))
			text = 0;
	if (text) {
		report_error("cannot load kernel BTF from %s: not BTF or ELF, it is a text file", path);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x%s", p->head[i], i + 1 < n ? " " : "");
	report_error("cannot load kernel BTF from %s: not BTF or ELF (first bytes: %s)", path, hex);
	return -EINVAL;
}

static uint32_t btf_source_u32(uint32_t v, int swap)
{
	return swap ? __builtin_bswap32(v) : v;
}

/* Checks the raw BTF header against the file size: libbpf only says
 * "Invalid argument" for a cut-off file, which hides the real cause. */
static int btf_source_check_raw(const char *path, const struct btf_source_probe *p, int swap)
{
	struct btf_header h;
	unsigned long long need, types_end, strs_end;

	if (p->len < sizeof(h)) {
		report_error("cannot load kernel BTF from %s: BTF is truncated: %zu bytes, shorter than its header",
			     path, p->len);
		return -EINVAL;
	}
	if (!p->is_reg)
		return 0;
	memcpy(&h, p->head, sizeof(h));
	types_end = (unsigned long long)btf_source_u32(h.type_off, swap) + btf_source_u32(h.type_len, swap);
	strs_end = (unsigned long long)btf_source_u32(h.str_off, swap) + btf_source_u32(h.str_len, swap);
	need = btf_source_u32(h.hdr_len, swap) + (types_end > strs_end ? types_end : strs_end);
	if (p->size < need) {
		report_error("cannot load kernel BTF from %s: BTF is truncated: header says %llu bytes, file has %llu",
			     path, need, p->size);
		return -EINVAL;
	}
	return 0;
}

/* Same idea for ELF: a cut-off vmlinux loses its section headers first. */
static int btf_source_check_elf(const char *path, const struct btf_source_probe *p)
{
	unsigned long long shoff, shend;
	int swap;

	if (p->len < EI_NIDENT)
		goto truncated;
	swap = (p->head[EI_DATA] == ELFDATA2MSB) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	if (p->head[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr e;

		if (p->len < sizeof(e))
			goto truncated;
		memcpy(&e, p->head, sizeof(e));
		shoff = swap ? __builtin_bswap64(e.e_shoff) : e.e_shoff;
		shend = shoff + (unsigned long long)(swap ? __builtin_bswap16(e.e_shnum) : e.e_shnum) *
				(swap ? __builtin_bswap16(e.e_shentsize) : e.e_shentsize);
	} else if (p->head[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e;

		if (p->len < sizeof(e))
			goto truncated;
		memcpy(&e, p->head, sizeof(e));
		shoff = swap ? __builtin_bswap32(e.e_shoff) : e.e_shoff;
		shend = shoff + (unsigned long long)(swap ? __builtin_bswap16(e.e_shnum) : e.e_shnum) *
				(swap ? __builtin_bswap16(e.e_shentsize) : e.e_shentsize);
	} else {
		report_error("cannot load kernel BTF from %s: ELF file of unknown class %u",
			     path, p->head[EI_CLASS]);
		return -EINVAL;
	}
	if (p->is_reg && p->size < shend) {
		report_error("cannot load kernel BTF from %s: ELF file is truncated: section headers end at %llu, file has %llu",
			     path, shend, p->size);
		return -EINVAL;
	}
	return 0;
truncated:
	report_error("cannot load kernel BTF from %s: ELF file is truncated: %zu bytes, shorter than its header",
		     path, p->len);
	return -EINVAL;
}

/* libbpf's own messages would add lines beside our one-line error; show them
 * only with -v (debug ones with -vv), where they tell why a file was refused. */
static int btf_source_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (report_verbose() < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int btf_source_load(const char *path, struct btf **out)
{
	struct btf_source_probe probe;
	enum btf_source_kind kind;
	libbpf_print_fn_t old_print;
	struct btf *btf;
	int err;

	*out = NULL;
	if (!path) {
		path = BTF_SOURCE_KERNEL_PATH;
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			report_error("cannot load the running kernel's BTF: the kernel has no BTF (%s does not exist)",
				     path);
			report_hint("pass --btf FILE with the kernel's BTF (a raw .btf file or a vmlinux with a .BTF section)");
			return -ENOENT;
		}
	}

	err = btf_source_probe_file(path, &probe);
	if (err)
		return err;
	kind = btf_source_classify(&probe);
	switch (kind) {
	case BTF_SOURCE_RAW_LE:
	case BTF_SOURCE_RAW_BE:
		err = btf_source_check_raw(path, &probe,
					   (kind == BTF_SOURCE_RAW_BE) !=
					   (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__));
		break;
	case BTF_SOURCE_ELF:
		err = btf_source_check_elf(path, &probe);
		break;
	case BTF_SOURCE_OTHER:
		err = btf_source_report_other(path, &probe);
		break;
	}
	if (err)
		return err;

	old_print = libbpf_set_print(btf_source_libbpf_print);
	btf = btf__parse(path, NULL);
	err = btf ? 0 : -errno;
	libbpf_set_print(old_print);
	if (!btf) {
		if (!err)
			err = -EINVAL;
		if (kind == BTF_SOURCE_ELF && (err == -ENOENT || err == -ENODATA)) {
			report_error("cannot load kernel BTF from %s: ELF file has no .BTF section", path);
			report_hint("if it is a vmlinux, its kernel was built without CONFIG_DEBUG_INFO_BTF; pahole can generate BTF from its DWARF");
		} else {
			report_error("cannot load kernel BTF from %s: corrupt %s: libbpf cannot parse it (%s)",
				     path, kind == BTF_SOURCE_ELF ? "ELF or .BTF section" : "BTF",
				     strerror(-err));
		}
		return err;
	}
	if (btf__type_cnt(btf) <= 1) {
		report_error("cannot load kernel BTF from %s: BTF holds no types", path);
		btf__free(btf);
		return -EINVAL;
	}
	*out = btf;
	return 0;
}
