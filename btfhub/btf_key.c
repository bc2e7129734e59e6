/* btf_key: what names a kernel (distro, version, arch, release) and the
 * filters that select kernels: deriving a key from whatever a source says
 * (file name, package control file, banner, btfhub path). Split from
 * btf_source.c along its seam. */
#include "btf_source.h"
#include "btf_source_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/report.h"

/* ---- keys ---------------------------------------------------------------- */

static bool key_release_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+' || c == '~';
}

/* A plausible uname -r: starts with a digit, has a dot, only release chars. */
bool key_valid_release(const char *s, size_t n)
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

void key_set(char *field, size_t size, const char *v, size_t n)
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
bool key_release_from_name(const char *name, char *out, size_t size)
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

/* ---- filters --------------------------------------------------------------- */

int btf_filter_parse(const char *spec, struct btf_filter *f)
{
	const char *p = spec;

	memset(f, 0, sizeof(*f));
	if (!spec || !*spec) {
		report_error("invalid filter '': empty");
		report_hint("a filter is comma-separated DISTRO, DISTRO:VERSION, arch or release=R terms, e.g. debian:12,ubuntu,x86_64");
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
		if (!strncmp(term, "release=", 8)) {
			const char *r = term + 8;
			bool ok = *r != '\0';

			/* Release characters and the glob's *?[]!; fnmatch takes the rest. */
			for (const char *c = r; *c && ok; c++)
				ok = key_release_char((unsigned char)*c) || strchr("*?[]!", *c);
			if (!ok) {
				report_error("invalid filter '%s': '%s' is not a kernel release (like release=6.1.0-50-amd64 or release=5.4.*)",
					     spec, term);
				goto bad;
			}
			f->releases = xrealloc(f->releases, (f->n_releases + 1) * sizeof(*f->releases));
			f->releases[f->n_releases++] = xstrdup(r);
		} else if (arch) {
			if (!strcmp(arch, "x86_64"))
				f->x86_64 = true;
			else
				f->arm64 = true;
		} else {
			struct btf_filter_term t = {0};

			if (!key_valid_distro(p, colon)) {
				report_error("invalid filter '%s': '%.*s' is neither a distro (lower case, like debian), an arch (x86_64, arm64) nor release=R",
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
	report_hint("a filter is comma-separated DISTRO, DISTRO:VERSION, arch or release=R terms, e.g. debian:12,ubuntu,x86_64");
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
	if (f->n_releases) {
		bool ok = false;

		for (size_t i = 0; i < f->n_releases && !ok; i++)
			ok = *k->release && fnmatch(f->releases[i], k->release, 0) == 0;
		if (!ok)
			return false;
	}
	if (f->x86_64 || f->arm64)
		return (f->x86_64 && !strcmp(k->arch, "x86_64")) || (f->arm64 && !strcmp(k->arch, "arm64"));
	return true;
}

void btf_filter_free(struct btf_filter *f)
{
	for (size_t i = 0; i < f->n_releases; i++)
		free(f->releases[i]);
	free(f->releases);
	free(f->distros);
	memset(f, 0, sizeof(*f));
}
