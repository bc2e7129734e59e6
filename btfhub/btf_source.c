/* btf_source: turns any kernel BTF source into kernel entries and pulls the
 * raw BTF out of each. A file's kind is decided by its magic bytes, so a wrong
 * file gets an error that says what it is instead of libbpf's generic
 * "Invalid argument". Archives and compression go through libarchive (and
 * kimage for kernel images); nothing is ever extracted to disk. */
#include "btf_source.h"

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

/* How deep a btfhub tree may nest below the directory given (the layout
 * needs 3; a little slack for a checkout's own top directory). */
#define BTF_SOURCE_MAX_DEPTH 6
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
static char *source_ctx(const char *path, const char *member)
{
	if (member)
		return xasprintf("cannot load kernel BTF from %s (%s)", path, member);
	return xasprintf("cannot load kernel BTF from %s", path);
}

/* ---- keys ---------------------------------------------------------------- */

static bool key_release_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+' || c == '~';
}

/* A plausible uname -r: starts with a digit, has a dot, only release chars. */
static bool key_valid_release(const char *s, size_t n)
{
	bool dot = false;

	if (n == 0 || n >= sizeof(((struct btf_key *)0)->release) || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!key_release_char((unsigned char)s[i]))
			return false;
		dot |= s[i] == '.';
	}
	return dot;
}

static void key_set(char *field, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(field, v, n);
	field[n] = '\0';
}

#define KEY_SET(k, field, v) key_set((k)->field, sizeof((k)->field), (v), strlen(v))

/* The btfhub name of an architecture name from any source, or NULL. */
static const char *key_norm_arch(const char *a)
{
	if (!a)
		return NULL;
	if (!strcmp(a, "x86_64") || !strcmp(a, "amd64"))
		return "x86_64";
	if (!strcmp(a, "arm64") || !strcmp(a, "aarch64"))
		return "arm64";
	return NULL;
}

/* The release inside a file name: "vmlinuz-6.1.0-50-amd64" and
 * "6.1.0-50-amd64.btf.tar.xz" both give "6.1.0-50-amd64". */
static bool key_release_from_name(const char *name, char *out, size_t size)
{
	static const char *const prefixes[] = {
		"vmlinuz-", "vmlinux-", "bzImage-", "Image-", "zImage-", "linux-image-",
	};
	static const char *const suffixes[] = {
		".btf.tar.xz", ".btf.tar.gz", ".btf.tar.zst", ".tar.xz", ".tar.gz", ".tar.zst",
		".tar", ".btf", ".xz", ".gz", ".zst", ".lz4", ".bz2", ".lzma", ".efi", ".deb",
	};
	const char *s = fs_basename(name);
	size_t n;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
			s += strlen(prefixes[i]);
	n = strlen(s);
	/* "X.btf.zst" loses ".zst", then ".btf". */
	for (bool again = true; again; ) {
		again = false;
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			size_t l = strlen(suffixes[i]);

			if (n > l && !strncmp(s + n - l, suffixes[i], l)) {
				n -= l;
				again = true;
				break;
			}
		}
	}
	if (!key_valid_release(s, n) || n >= size)
		return false;
	key_set(out, size, s, n);
	return true;
}

/* N from "+debN", ".debN", "~debN", "-debN" or "~bpoN" in S (Debian's
 * release and package version suffixes). */
static bool key_debian_suffix(const char *s, char *out, size_t size)
{
	if (!s)
		return false;
	for (const char *p = s; *p; p++) {
		size_t tag;

		if (p > s && strchr("+.~-", p[-1]) && !strncmp(p, "deb", 3) && isdigit((unsigned char)p[3]))
			tag = 3;
		else if (p > s && p[-1] == '~' && !strncmp(p, "bpo", 3) && isdigit((unsigned char)p[3]))
			tag = 3;
		else
			continue;
		size_t n = strspn(p + tag, "0123456789");

		key_set(out, size, p + tag, n);
		return true;
	}
	return false;
}

/* "20.04" from "~20.04" in an Ubuntu package version or banner. */
static bool key_ubuntu_suffix(const char *s, char *out, size_t size)
{
	if (!s)
		return false;
	for (const char *p = strchr(s, '~'); p; p = strchr(p + 1, '~')) {
		if (isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) && p[3] == '.' &&
		    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
			key_set(out, size, p + 1, 5);
			return true;
		}
	}
	return false;
}

/* Which release shipped a kernel series: Debian's and Ubuntu's stable
 * releases each have one (Ubuntu's HWE series land on one LTS each; an
 * LTS's GA series also ships as the previous LTS's HWE kernel, whose package
 * version then says "~18.04", checked before this table). */
static const char *key_series_version(const char *distro, const char *release)
{
	static const struct {
		const char *distro, *series, *version;
	} table[] = {
		{ "debian", "3.2", "7" }, { "debian", "3.16", "8" }, { "debian", "4.9", "9" },
		{ "debian", "4.19", "10" }, { "debian", "5.10", "11" }, { "debian", "6.1", "12" },
		{ "debian", "6.12", "13" },
		{ "ubuntu", "4.4", "16.04" }, { "ubuntu", "4.8", "16.04" }, { "ubuntu", "4.10", "16.04" },
		{ "ubuntu", "4.13", "16.04" }, { "ubuntu", "4.15", "18.04" }, { "ubuntu", "4.18", "18.04" },
		{ "ubuntu", "5.0", "18.04" }, { "ubuntu", "5.3", "18.04" }, { "ubuntu", "5.4", "20.04" },
		{ "ubuntu", "5.8", "20.04" }, { "ubuntu", "5.11", "20.04" }, { "ubuntu", "5.13", "20.04" },
		{ "ubuntu", "5.15", "22.04" }, { "ubuntu", "5.19", "22.04" }, { "ubuntu", "6.2", "22.04" },
		{ "ubuntu", "6.5", "22.04" }, { "ubuntu", "6.8", "24.04" }, { "ubuntu", "6.11", "24.04" },
		{ "ubuntu", "6.14", "24.04" },
	};
	char series[16];
	size_t n = strspn(release, "0123456789");

	if (!n || release[n] != '.')
		return NULL;
	n += 1 + strspn(release + n + 1, "0123456789");
	if (n >= sizeof(series))
		return NULL;
	key_set(series, sizeof(series), release, n);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].distro, distro) && !strcmp(table[i].series, series))
			return table[i].version;
	return NULL;
}

/* The flavour of a Debian or Ubuntu release: "X.Y.Z-ABI-FLAVOUR"
 * ("6.1.0-50-cloud-amd64", backports "6.1.0-0.deb11.48-amd64") or Debian's
 * newer "X.Y.Z+debN-FLAVOUR"; NULL when the release is not shaped so. */
static const char *key_flavour(const char *release)
{
	const char *p = strchr(release, '-');

	if (!p)
		return NULL;
	if (!isdigit((unsigned char)p[1])) {
		const char *deb = strstr(release, "+deb");

		return deb && deb < p ? p + 1 : NULL;
	}
	p++;
	p += strspn(p, "0123456789.deb");
	if (*p != '-')
		return NULL;
	return p + 1;
}

static bool key_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static const char *key_distro_of_flavour(const char *flavour)
{
	static const char *const debian[] = {
		"amd64", "cloud-amd64", "rt-amd64", "arm64", "cloud-arm64", "rt-arm64",
		"arm64-16k", "686", "686-pae", "rt-686-pae", "armmp", "armmp-lpae",
		"powerpc64le", "s390x", "marvell", "rpi", "loong64", "riscv64",
	};
	static const char *const ubuntu[] = {
		"generic", "generic-64k", "generic-lpae", "lowlatency", "lowlatency-64k",
		"aws", "azure", "gcp", "gke", "gkeop", "kvm", "oracle", "ibm", "raspi",
		"nvidia", "intel-iotg", "oem", "virtual",
	};

	if (!flavour)
		return NULL;
	if (key_in(flavour, debian, sizeof(debian) / sizeof(debian[0])))
		return "debian";
	if (key_in(flavour, ubuntu, sizeof(ubuntu) / sizeof(ubuntu[0])))
		return "ubuntu";
	return NULL;
}

/* RHEL-family and others name the distro in the release:
 * "3.10.0-1160.el7.x86_64", "5.14.0-70.fc36", "4.14.35-1.amzn2.x86_64". */
static bool key_rpm_distro(const char *release, struct btf_key *k)
{
	const char *p;

	if ((p = strstr(release, ".el")) && isdigit((unsigned char)p[3])) {
		/* btfhub files Oracle's UEK kernels under ol, the rest of the
		 * RHEL family's .elN kernels under centos. */
		KEY_SET(k, distro, strstr(release, "uek") ? "ol" : "centos");
		key_set(k->version, sizeof(k->version), p + 3, strspn(p + 3, "0123456789"));
		return true;
	}
	if ((p = strstr(release, ".fc")) && isdigit((unsigned char)p[3])) {
		KEY_SET(k, distro, "fedora");
		key_set(k->version, sizeof(k->version), p + 3, strspn(p + 3, "0123456789"));
		return true;
	}
	if ((p = strstr(release, ".amzn")) && isdigit((unsigned char)p[5])) {
		KEY_SET(k, distro, "amzn");
		key_set(k->version, sizeof(k->version), p + 5, strspn(p + 5, "0123456789"));
		return true;
	}
	return false;
}

/* The package version a banner names after the build number:
 * "... #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)" gives
 * "6.1.176-1". The compiler's version earlier in the banner is not it. */
static bool key_banner_pkg_version(const char *banner, char *out, size_t size)
{
	const char *hash = banner ? strrchr(banner, '#') : NULL;
	const char *p = hash ? strstr(hash, " Debian ") : NULL;
	size_t n;

	if (!p)
		return false;
	p += strlen(" Debian ");
	n = strcspn(p, " ");
	if (!n || n >= size)
		return false;
	key_set(out, size, p, n);
	return true;
}

void btf_key_derive(struct btf_key *k, const struct btf_key_hints *h)
{
	char pkgv[64] = "";
	const char *hash, *arch;

	if (!k->release[0]) {
		if (h->release && key_valid_release(h->release, strlen(h->release)))
			KEY_SET(k, release, h->release);
		else if (h->banner && key_valid_release(h->banner, strcspn(h->banner, " ")))
			key_set(k->release, sizeof(k->release), h->banner, strcspn(h->banner, " "));
		else if (h->file_name)
			key_release_from_name(h->file_name, k->release, sizeof(k->release));
	}

	if (!k->arch[0]) {
		const char *fl = k->release[0] ? key_flavour(k->release) : NULL;
		size_t rl = strlen(k->release);

		arch = key_norm_arch(h->arch);
		if (!arch)
			arch = key_norm_arch(h->pkg_arch);
		if (!arch && rl > 7 && !strcmp(k->release + rl - 7, ".x86_64"))
			arch = "x86_64";
		if (!arch && rl > 8 && !strcmp(k->release + rl - 8, ".aarch64"))
			arch = "arm64";
		/* Debian flavours end in their arch: "cloud-amd64", "arm64-16k". */
		if (!arch && fl && key_distro_of_flavour(fl) && !strcmp(key_distro_of_flavour(fl), "debian"))
			arch = strstr(fl, "amd64") ? "x86_64" : strstr(fl, "arm64") ? "arm64" : NULL;
		if (arch)
			KEY_SET(k, arch, arch);
	}

	if (k->distro[0] && k->version[0])
		return;
	if (h->pkg_version)
		snprintf(pkgv, sizeof(pkgv), "%s", h->pkg_version);
	else
		key_banner_pkg_version(h->banner, pkgv, sizeof(pkgv));
	hash = h->banner ? strrchr(h->banner, '#') : NULL;

	struct btf_key d = {0};

	if (key_debian_suffix(k->release, d.version, sizeof(d.version)) ||
	    key_debian_suffix(pkgv[0] ? pkgv : NULL, d.version, sizeof(d.version))) {
		KEY_SET(&d, distro, "debian");
	} else if (h->maintainer && strstr(h->maintainer, "debian.org")) {
		KEY_SET(&d, distro, "debian");
	} else if (h->maintainer && (strstr(h->maintainer, "ubuntu.com") || strstr(h->maintainer, "canonical.com"))) {
		KEY_SET(&d, distro, "ubuntu");
	} else if (hash && strstr(hash, "-Ubuntu")) {
		KEY_SET(&d, distro, "ubuntu");
	} else if (hash && strstr(hash, " Debian ")) {
		KEY_SET(&d, distro, "debian");
	} else if (k->release[0] && key_rpm_distro(k->release, &d)) {
		/* distro and version set */
	} else if (k->release[0] && key_distro_of_flavour(key_flavour(k->release))) {
		KEY_SET(&d, distro, key_distro_of_flavour(key_flavour(k->release)));
	}
	if (!strcmp(d.distro, "ubuntu") && !d.version[0] &&
	    !key_ubuntu_suffix(pkgv[0] ? pkgv : NULL, d.version, sizeof(d.version)))
		key_ubuntu_suffix(hash, d.version, sizeof(d.version));
	if (d.distro[0] && !d.version[0] && k->release[0]) {
		const char *v = key_series_version(d.distro, k->release);

		if (v)
			KEY_SET(&d, version, v);
	}
	/* A distro given by the caller (a btfhub path) is not second-guessed. */
	if (!k->distro[0])
		KEY_SET(k, distro, d.distro);
	if (!k->version[0] && !strcmp(k->distro, d.distro))
		KEY_SET(k, version, d.version);
}

const char *btf_key_format(const struct btf_key *k, char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s/%s", k->distro[0] ? k->distro : "?",
		 k->version[0] ? k->version : "?", k->arch[0] ? k->arch : "?",
		 k->release[0] ? k->release : "?");
	return out;
}

static bool key_valid_distro(const char *s, size_t n)
{
	if (n == 0 || n >= sizeof(((struct btf_key *)0)->distro) || !islower((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static bool key_valid_version(const char *s, size_t n)
{
	if (n == 0 || n >= sizeof(((struct btf_key *)0)->version) || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

bool btf_key_from_btfhub_path(const char *path, struct btf_key *k, char *why, size_t why_len)
{
	const char *comp[4], *end = path + strlen(path);
	size_t len[4];
	const char *name, *arch;
	char archbuf[16], dummy[8];
	size_t n;
	int i;

	if (!why) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	/* The last four components, right to left. */
	while (end > path && end[-1] == '/')
		end--;
	for (i = 3; i >= 0; i--) {
		const char *start = end;

		while (start > path && start[-1] != '/')
			start--;
		if (start == end) {
			snprintf(why, why_len, "not inside <distro>/<version>/<arch>/");
			return false;
		}
		comp[i] = start;
		len[i] = (size_t)(end - start);
		end = start;
		while (end > path && end[-1] == '/')
			end--;
	}
	name = comp[3];
	n = len[3];
	if (n > strlen(".btf.tar.xz") && !strncmp(name + n - strlen(".btf.tar.xz"), ".btf.tar.xz", strlen(".btf.tar.xz")))
		n -= strlen(".btf.tar.xz");
	else if (n > strlen(".btf") && !strncmp(name + n - strlen(".btf"), ".btf", strlen(".btf")))
		n -= strlen(".btf");
	else {
		snprintf(why, why_len, "name is not <release>.btf.tar.xz");
		return false;
	}
	if (!key_valid_release(name, n)) {
		snprintf(why, why_len, "'%.*s' is not a kernel release", (int)n, name);
		return false;
	}
	key_set(archbuf, sizeof(archbuf), comp[2], len[2]);
	arch = len[2] < sizeof(archbuf) ? key_norm_arch(archbuf) : NULL;
	/* "amd64" is Debian's name, never btfhub's directory name. */
	if (!arch || !strcmp(archbuf, "amd64")) {
		snprintf(why, why_len, "directory '%.*s' is not an arch (x86_64, arm64)",
			 (int)len[2], comp[2]);
		return false;
	}
	if (!key_valid_version(comp[1], len[1])) {
		snprintf(why, why_len, "directory '%.*s' is not a distro version", (int)len[1], comp[1]);
		return false;
	}
	if (!key_valid_distro(comp[0], len[0])) {
		snprintf(why, why_len, "directory '%.*s' is not a distro name", (int)len[0], comp[0]);
		return false;
	}
	memset(k, 0, sizeof(*k));
	key_set(k->distro, sizeof(k->distro), comp[0], len[0]);
	key_set(k->version, sizeof(k->version), comp[1], len[1]);
	KEY_SET(k, arch, arch);
	key_set(k->release, sizeof(k->release), name, n);
	return true;
}

/* ---- the list ------------------------------------------------------------ */

static struct btf_source_entry *list_push(struct btf_source_list *l, const struct btf_key *k,
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

static void list_truncate(struct btf_source_list *l, size_t n)
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

	err = kimage_decompress(p, len, 0, &plain, why, sizeof(why), &partial);
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

/* ---- archives ---------------------------------------------------------- */

/* A file in a tar that may hold a kernel's BTF: btfhub's "<release>.btf", or
 * a vmlinux/vmlinuz/Image someone packed. */
static bool source_tar_candidate(struct archive_entry *e)
{
	const char *base;
	size_t n;

	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
		return false;
	base = fs_basename(archive_entry_pathname(e));
	n = strlen(base);
	return (n > 4 && !strcmp(base + n - 4, ".btf")) || !strncmp(base, "vmlinux", 7) ||
	       !strncmp(base, "vmlinuz", 7) || !strncmp(base, "bzImage", 7) || !strncmp(base, "Image", 5);
}

/* Lists the kernels in the tar archive at PATH (already opened as A). */
static int source_expand_tar(struct archive *a, const char *path, struct btf_source_list *list)
{
	struct archive_entry *e;
	char *ctx = source_ctx(path, NULL);
	struct strv members = {0};
	char why[512];
	int r, err = 0;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (!archive_reader_entry_safe(e, why, sizeof(why))) {
			report_error("%s: %s; refusing the archive", ctx, why);
			err = -EINVAL;
			goto out;
		}
		if (source_tar_candidate(e))
			strv_push(&members, archive_entry_pathname(e));
		/* Skipping still decompresses: that is how a truncated
		 * archive is caught here rather than later. */
		if (archive_read_data_skip(a) < ARCHIVE_WARN) {
			r = ARCHIVE_FATAL;
			break;
		}
	}
	if (r != ARCHIVE_EOF) {
		report_error("%s: archive is truncated or corrupt: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
		goto out;
	}
	if (members.n == 0) {
		report_error("%s: the archive holds no BTF file (no <release>.btf, vmlinux or kernel image)", ctx);
		err = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < members.n; i++) {
		const char *mem = members.v[i];
		struct btf_key k = {0};
		struct btf_key_hints h = { .file_name = mem };
		char *full = fs_realpath(path), *origin;

		/* The archive's own btfhub path names its one kernel. */
		if (!(members.n == 1 && full && btf_key_from_btfhub_path(full, &k, NULL, 0)) &&
		    !btf_key_from_btfhub_path(mem, &k, NULL, 0))
			btf_key_derive(&k, &h);
		origin = xasprintf("%s (%s)", path, archive_reader_member_name(mem));
		list_push(list, &k, path, origin, BTF_SOURCE_ARCHIVE, mem);
		free(origin);
		free(full);
	}
out:
	strv_free(&members);
	free(ctx);
	return err;
}

/* Finds MEMBER (NULL: the only BTF file) in the tar at PATH and reads it
 * into DATA, or when FD >= 0 writes it to FD (see source_archive_read_entry).
 * Every entry is checked, as when listing. */
static int source_read_tar(const char *path, const char *member, struct buf *data, int fd,
			   char **found)
{
	struct archive *a = archive_reader_new(true, false, false);
	struct archive_entry *e;
	char *ctx = source_ctx(path, member);
	char why[512];
	size_t candidates = 0;
	int r, err = 0;

	*found = NULL;
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		report_error("%s: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		bool want;

		if (!archive_reader_entry_safe(e, why, sizeof(why))) {
			report_error("%s: %s; refusing the archive", ctx, why);
			err = -EINVAL;
			goto out;
		}
		want = member ? !strcmp(name, member) && archive_entry_filetype(e) == AE_IFREG
			      : source_tar_candidate(e);
		if (want && ++candidates > 1 && !member) {
			report_error("%s: the archive holds more than one BTF file ('%s', '%s')", ctx,
				     *found, name);
			report_hint("list it with `bpfpack inspect`, or unpack the one you want");
			err = -EINVAL;
			goto out;
		}
		if (want && candidates == 1) {
			*found = xstrdup(name);
			err = archive_reader_read_entry(a, ctx, (size_t)FORMATS_MAX_IMAGE, data, fd);
			if (err)
				goto out;
		} else if (archive_read_data_skip(a) < ARCHIVE_WARN) {
			r = ARCHIVE_FATAL;
			break;
		}
	}
	if (r != ARCHIVE_EOF) {
		report_error("%s: archive is truncated or corrupt: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
	} else if (!candidates) {
		if (member)
			report_error("%s: the archive has no file '%s'", ctx, member);
		else
			report_error("%s: the archive holds no BTF file (no <release>.btf, vmlinux or kernel image)", ctx);
		err = -ENOENT;
	}
out:
	if (err) {
		free(*found);
		*found = NULL;
	}
	archive_read_free(a);
	free(ctx);
	return err;
}

/* ---- .deb ------------------------------------------------------------------ */

/* The kernel's path in a package: an image in boot/, or a vmlinux with
 * debug info in a -dbg (Debian) or -dbgsym (Ubuntu) package. */
static bool source_deb_kernel(const char *path, char *release, size_t size)
{
	static const char *const prefixes[] = {
		"boot/vmlinuz-", "boot/vmlinux-", "usr/lib/debug/boot/vmlinux-",
	};
	static const char mods[] = "usr/lib/debug/lib/modules/";

	path = archive_reader_member_name(path);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(path, prefixes[i], n) && key_valid_release(path + n, strlen(path + n))) {
			key_set(release, size, path + n, strlen(path + n));
			return true;
		}
	}
	if (!strncmp(path, mods, strlen(mods))) {
		const char *rel = path + strlen(mods), *slash = strchr(rel, '/');

		if (slash && !strcmp(slash, "/vmlinux") && key_valid_release(rel, (size_t)(slash - rel))) {
			key_set(release, size, rel, (size_t)(slash - rel));
			return true;
		}
	}
	return false;
}

struct source_deb {
	struct deb_control c;
	char *member;		/* path of the kernel in data.tar */
	char release[128];
	/* What the walk looks for (see source_deb_walk). */
	const char *want, *ctx;
	bool debug_only;
	struct buf *data;
	int fd;
};

static int source_deb_take(void *ctx, const char *iname, struct archive *in,
			   const struct deb_control *c)
{
	struct source_deb *d = ctx;

	(void)c;
	if (d->want ? strcmp(iname, archive_reader_member_name(d->want)) != 0
		    : !source_deb_kernel(iname, d->release, sizeof(d->release)))
		return 0;
	if (d->debug_only && strncmp(iname, "usr/lib/debug/", 14))
		return 0;
	d->member = xstrdup(iname);
	if (d->want)
		source_deb_kernel(iname, d->release, sizeof(d->release));
	if (d->data || d->fd >= 0) {
		/* A vmlinux with DWARF goes to a file for pahole; a kernel
		 * read into memory has the smaller cap. */
		int err = archive_reader_read_entry(in, d->ctx, d->fd >= 0 ? (size_t)FORMATS_MAX_DEBUG_VMLINUX
									      : (size_t)FORMATS_MAX_IMAGE,
						    d->data, d->fd);
		if (err)
			return err;
	}
	return 1;
}

/* Walks the .deb at PATH (formats/deb): reads its control file and finds its
 * kernel (WANT: that member; NULL: the first kernel, for listing; with
 * DEBUG_ONLY only a vmlinux with debug info counts). When DATA is given,
 * reads the kernel into it; when FD >= 0, writes it there. */
static int source_deb_walk(const char *path, const char *want, bool debug_only,
			   struct source_deb *d, struct buf *data, int fd)
{
	char *ctx = source_ctx(path, want ? archive_reader_member_name(want) : NULL);
	int err;

	memset(d, 0, sizeof(*d));
	d->want = want;
	d->ctx = ctx;
	d->debug_only = debug_only;
	d->data = data;
	d->fd = fd;
	err = deb_walk(path, ctx, &d->c, source_deb_take, d);
	if (err > 0) {
		err = 0;
	} else if (err < 0) {
		/* reported */
	} else if (want) {
		report_error("%s: the package has no file '%s'", ctx, archive_reader_member_name(want));
		err = -ENOENT;
	} else if (debug_only) {
		report_error("%s: package %s %s holds no vmlinux with debug info (no usr/lib/debug/boot/vmlinux-*)",
			     ctx, d->c.package[0] ? d->c.package : "?", d->c.version[0] ? d->c.version : "?");
		report_hint("the DWARF of a Debian kernel is in linux-image-<release>-dbg");
		err = -ENOENT;
	} else {
		report_error("%s: package %s %s holds no kernel (no boot/vmlinuz-* or usr/lib/debug/boot/vmlinux-*)",
			     ctx, d->c.package[0] ? d->c.package : "?", d->c.version[0] ? d->c.version : "?");
		if (!d->c.has_data)
			report_hint("the package has no data.tar member");
		else if (!strncmp(d->c.package, "linux-image-", 12))
			report_hint("a linux-image metapackage only depends on the real one, linux-image-<release>");
		err = -ENOENT;
	}
	if (err) {
		free(d->member);
		d->member = NULL;
	}
	free(ctx);
	return err;
}

int btf_source_deb_extract(const char *path, int fd, char **member)
{
	struct source_deb d;
	int err = source_deb_walk(path, NULL, true, &d, NULL, fd);

	*member = err ? NULL : d.member;
	return err;
}

static int source_expand_deb(const char *path, struct btf_source_list *list)
{
	struct source_deb d;
	struct btf_key k = {0};
	struct btf_key_hints h = {0};
	char *origin;
	int err = source_deb_walk(path, NULL, false, &d, NULL, -1);

	if (err)
		return err;
	h.release = d.release;
	h.pkg_version = d.c.version[0] ? d.c.version : NULL;
	h.pkg_arch = d.c.arch[0] ? d.c.arch : NULL;
	h.maintainer = d.c.maintainer[0] ? d.c.maintainer : NULL;
	btf_key_derive(&k, &h);
	origin = xasprintf("%s (%s)", path, archive_reader_member_name(d.member));
	list_push(list, &k, path, origin, BTF_SOURCE_DEB, d.member);
	free(origin);
	free(d.member);
	return 0;
}

/* ---- btfhub trees ---------------------------------------------------------- */

static bool source_name_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && !strcmp(name + n - s, suffix);
}

/* A btfhub-archive checkout's own documents, skipped without a word. */
static bool source_is_doc(const char *name)
{
	return !strncmp(name, "README", 6) || !strncmp(name, "LICENSE", 7) ||
	       !strncmp(name, "COPYING", 7) || source_name_ends(name, ".md") ||
	       source_name_ends(name, ".txt");
}

/* "debian/12/x86_64/X.btf.tar.xz": the last four components of PATH. */
static const char *source_btfhub_origin(const char *path)
{
	const char *p = path + strlen(path);
	int slashes = 0;

	while (p > path) {
		if (p[-1] == '/' && ++slashes == 4)
			break;
		p--;
	}
	return p;
}

static int source_walk(const char *root, const char *rel, int depth, struct btf_source_list *list)
{
	char *dir = rel[0] ? fs_path_join(root, rel) : xstrdup(root);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), err = 0;

	if (n < 0) {
		err = -errno;
		report_error("cannot load kernel BTF from %s: %s", dir, strerror(-err));
		free(dir);
		return err;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *sub = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		char *full = fs_path_join(root, sub);
		struct stat st, lst;
		struct btf_key k;
		char why[256];

		if (err || name[0] == '.')
			goto next;
		if (lstat(full, &lst) < 0 || stat(full, &st) < 0) {
			report_warn("skipping %s: %s", full, strerror(errno));
			goto next;
		}
		if (S_ISDIR(st.st_mode)) {
			if (S_ISLNK(lst.st_mode))
				report_warn("skipping %s: a symlink to a directory (not followed)", full);
			else if (depth >= BTF_SOURCE_MAX_DEPTH)
				report_warn("skipping %s: nested deeper than <distro>/<version>/<arch>/", full);
			else
				err = source_walk(root, sub, depth + 1, list);
			goto next;
		}
		if (!S_ISREG(st.st_mode)) {
			report_warn("skipping %s: not a regular file", full);
			goto next;
		}
		if (!btf_key_from_btfhub_path(full, &k, why, sizeof(why))) {
			if (!source_is_doc(name))
				report_warn("skipping %s: %s", full, why);
			goto next;
		}
		for (size_t j = 0; j < list->n; j++) {
			if (!memcmp(&list->v[j].key, &k, sizeof(k))) {
				report_warn("skipping %s: kernel %s/%s/%s/%s is already in %s", full,
					    k.distro, k.version, k.arch, k.release, list->v[j].origin);
				goto next;
			}
		}
		list_push(list, &k, full, source_btfhub_origin(full),
			  source_name_ends(name, ".btf") ? BTF_SOURCE_RAW : BTF_SOURCE_ARCHIVE, NULL);
next:
		free(sub);
		free(full);
		free(names[i]);
	}
	free(names);
	free(dir);
	return err;
}

static int source_expand_dir(const char *path, struct btf_source_list *list)
{
	char *root = fs_realpath(path);
	size_t before = list->n;
	int err;

	if (!root) {
		err = -errno;
		report_error("cannot load kernel BTF from %s: %s", path, strerror(-err));
		return err;
	}
	/* Keys come from the real path, so "btf-corpus/debian/12" names its
	 * kernels as well as the tree's root does. */
	err = source_walk(root, "", 0, list);
	if (!err && list->n == before) {
		report_error("cannot load kernel BTF from %s: the directory holds no kernel BTF (expected <distro>/<version>/<arch>/<release>.btf.tar.xz)",
			     path);
		err = -ENOENT;
	}
	if (err)
		list_truncate(list, before);
	free(root);
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

/* Decompresses a stream only as far as the banner (for a name that does not
 * say the release): it sits in .rodata, well before a vmlinux's DWARF. */
static void source_stream_banner(const unsigned char *p, size_t len, const char *ctx,
				 char *release, size_t rsize, char *banner, size_t bsize)
{
	struct buf plain = {0}, kernel = {0};
	struct kimage_info info;
	struct archive *a;
	struct archive_entry *e;
	size_t searched = 0, total = 0;
	bool seen = false;

	if (kimage_probe(p, len, ctx, &info) == 0 && info.format != KIMAGE_STREAM) {
		if (kimage_unpack(p, len, &info, ctx, &kernel) == 0)
			kimage_find_banner(kernel.data, kernel.len, release, rsize, banner, bsize);
		buf_free(&kernel);
		return;
	}
	a = archive_reader_new(false, true, false);
	if (archive_read_open_memory(a, p, len) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		for (;;) {
			const void *block;
			size_t n;
			la_int64_t off;
			int r = archive_read_data_block(a, &block, &n, &off);
			bool done = r != ARCHIVE_OK && r != ARCHIVE_WARN;

			if (!done) {
				buf_append(&plain, block, n);
				total += n;
			}
			/* Search again from a little before the new bytes. A banner
			 * found is read again after one more block, in case the
			 * block ended inside it. */
			if (plain.len && kimage_find_banner(plain.data + searched, plain.len - searched,
					       release, rsize, banner, bsize) == 0) {
				if (done || seen)
					break;
				seen = true;
				continue;
			}
			if (done || total > FORMATS_MAX_IMAGE)
				break;
			/* Only the tail can hold the start of a banner: keep 2 KiB of
			 * it, so a stream without one (a decompression bomb) cannot
			 * take memory in proportion to its size. */
			if (plain.len > (1u << 20)) {
				memmove(plain.data, plain.data + plain.len - 2048, 2048);
				plain.len = 2048;
			}
			searched = plain.len > 2048 ? plain.len - 2048 : 0;
		}
	}
	archive_read_free(a);
	buf_free(&plain);
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

/* ---- filters --------------------------------------------------------------- */

int btf_filter_parse(const char *spec, struct btf_filter *f)
{
	const char *p = spec;

	memset(f, 0, sizeof(*f));
	if (!spec || !*spec) {
		report_error("invalid filter '': empty");
		report_hint("a filter is comma-separated DISTRO, DISTRO:VERSION or arch terms, e.g. debian:12,ubuntu,x86_64");
		return -EINVAL;
	}
	for (;;) {
		size_t n = strcspn(p, ","), colon = strcspn(p, ":,");
		char term[96];
		const char *arch;

		if (n == 0 || n >= sizeof(term)) {
			report_error("invalid filter '%s': %s term", spec, n ? "an overlong" : "an empty");
			goto bad;
		}
		key_set(term, sizeof(term), p, n);
		arch = key_norm_arch(term);
		if (arch) {
			if (!strcmp(arch, "x86_64"))
				f->x86_64 = true;
			else
				f->arm64 = true;
		} else {
			struct btf_filter_term t = {0};

			if (!key_valid_distro(p, colon)) {
				report_error("invalid filter '%s': '%.*s' is neither a distro (lower case, like debian) nor an arch (x86_64, arm64)",
					     spec, (int)colon, p);
				goto bad;
			}
			key_set(t.distro, sizeof(t.distro), p, colon);
			if (colon < n && !key_valid_version(p + colon + 1, n - colon - 1)) {
				report_error("invalid filter '%s': '%s' has no valid version after ':' (like 12 or 20.04)",
					     spec, term);
				goto bad;
			}
			if (colon < n)
				key_set(t.version, sizeof(t.version), p + colon + 1, n - colon - 1);
			f->distros = xrealloc(f->distros, (f->n_distros + 1) * sizeof(*f->distros));
			f->distros[f->n_distros++] = t;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	return 0;
bad:
	report_hint("a filter is comma-separated DISTRO, DISTRO:VERSION or arch terms, e.g. debian:12,ubuntu,x86_64");
	btf_filter_free(f);
	return -EINVAL;
}

bool btf_filter_match(const struct btf_filter *f, const struct btf_key *k)
{
	if (f->n_distros) {
		bool ok = false;

		for (size_t i = 0; i < f->n_distros && !ok; i++)
			ok = !strcmp(f->distros[i].distro, k->distro) &&
			     (!f->distros[i].version[0] || !strcmp(f->distros[i].version, k->version));
		if (!ok)
			return false;
	}
	if (f->x86_64 || f->arm64)
		return (f->x86_64 && !strcmp(k->arch, "x86_64")) || (f->arm64 && !strcmp(k->arch, "arm64"));
	return true;
}

void btf_filter_free(struct btf_filter *f)
{
	free(f->distros);
	memset(f, 0, sizeof(*f));
}
