/* bpfpack_btf: the runtime part of every tool built by bpfpack. At start it
 * decides which kernel BTF libbpf gets: the kernel's own, BPFPACK_BTF, a
 * vmlinux at libbpf's usual places, or the matching blob of the BTF set
 * embedded in the tool's own binary (section .bpfpack.btf), handed over
 * through a memfd. Linked statically into tools, so it uses only libc,
 * libbpf's header, libelf, zlib and zstd (through btfset.c), never lib/. */
/* secure_getenv, memfd flags: tools may compile this without _GNU_SOURCE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../include/bpfpack.h"

#include <ctype.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/memfd.h>

#include "bpfpack_btf_internal.h"
#include "btfset.h"

#define KERNEL_BTF_PATH "/sys/kernel/btf/vmlinux"
/* os-release is a few hundred bytes; anything past this is not one. */
#define OS_RELEASE_MAX 16384

/* What setup chose, kept so a second call (a tool with two skeletons) gets
 * the same answer without redoing the work, and so cleanup can undo it. */
static struct {
	bool decided;
	const char *custom_path;	/* NULL: the kernel's own BTF */
	char fd_path[64];		/* "/proc/self/fd/N" */
	char *owned_path;		/* BPFPACK_BTF or a vmlinux path (strdup) */
	int fd;				/* the memfd / temp file holding the blob, or -1 */
	char *tmp_file, *tmp_dir;	/* fallback without /proc/self/fd */
} bpfpack_state = { .fd = -1 };

/* Where bpfpack_say's lines go instead of stderr while the open wrappers
 * (bpfpack_btf_auto) decide for a tool that never called setup: libbpf's
 * print callback, so the tool's own -v shows them. */
static void (*bpfpack_say_sink)(const char *line);

/* One line "PROG: message" on stderr, written with one call so parallel
 * output does not split it. */
static void bpfpack_say(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bpfpack_say(const char *prog, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", prog && *prog ? prog : "bpfpack");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (bpfpack_say_sink) {
		bpfpack_say_sink(line);
		return;
	}
	fprintf(stderr, "%s\n", line);
}

/* ---- system information -------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* btfhub's arch names: "arm64" for aarch64, "x86_64" for amd64. */
static const char *arch_normalize(const char *machine)
{
	if (!strcmp(machine, "aarch64") || !strcmp(machine, "arm64"))
		return "arm64";
	if (!strcmp(machine, "x86_64") || !strcmp(machine, "amd64"))
		return "x86_64";
	return machine;
}

/* The value of KEY= in os-release TEXT, unquoted, into OUT. Values may be
 * bare, "double quoted" (with \" \\ \$ \` escapes) or 'single quoted'; the
 * last assignment wins, as when a shell sources the file. */
static void os_release_get(const char *text, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *line = text;

	out[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n'), *p = line;
		size_t n = 0;

		if (!end)
			end = line + strlen(line);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			char quote = 0;

			p += klen + 1;
			if (p < end && (*p == '"' || *p == '\'')) {
				quote = *p++;
			}
			while (p < end) {
				char c = *p++;

				if (quote && c == quote)
					break;
				if (!quote && (c == ' ' || c == '\t' || c == '\r' || c == '#'))
					break;
				if (quote == '"' && c == '\\' && p < end &&
				    strchr("\"\\$`", *p))
					c = *p++;
				if (quote && c == '\r')
					continue;
				if (n + 1 < cap)
					out[n++] = c;
			}
			out[n] = '\0';
		}
		line = *end ? end + 1 : NULL;
	}
}

int bpfpack_sysinfo_parse(const char *os_release_text, const char *uname_release,
			  const char *uname_machine, struct bpfpack_sysinfo *out)
{
	size_t i, len;

	memset(out, 0, sizeof(*out));
	if (!uname_release || !*uname_release || strlen(uname_release) >= sizeof(out->release))
		return -EINVAL;
	copy_str(out->release, sizeof(out->release), uname_release, strlen(uname_release));
	if (uname_machine) {
		const char *a = arch_normalize(uname_machine);

		copy_str(out->arch, sizeof(out->arch), a, strlen(a));
	}
	if (os_release_text) {
		os_release_get(os_release_text, "ID", out->id, sizeof(out->id));
		os_release_get(os_release_text, "VERSION_ID", out->version_id,
			       sizeof(out->version_id));
	}
	/* IDs are lower case by the spec; be lenient with hand-made files. */
	len = strlen(out->id);
	for (i = 0; i < len; i++)
		out->id[i] = (char)tolower((unsigned char)out->id[i]);
	return 0;
}

/* Reads a small text file whole; NULL when it cannot. */
static char *read_small_file(const char *path)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = malloc(OS_RELEASE_MAX + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (len < OS_RELEASE_MAX && (n = read(fd, buf + len, OS_RELEASE_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int sysinfo_of_this_system(struct bpfpack_sysinfo *si)
{
	struct utsname u;
	char *osr;
	int err;

	if (uname(&u) < 0)
		return -errno;
	osr = read_small_file("/etc/os-release");
	if (!osr)
		osr = read_small_file("/usr/lib/os-release");
	err = bpfpack_sysinfo_parse(osr, u.release, u.machine, si);
	free(osr);
	return err;
}

/* ---- matching ------------------------------------------------------------ */

static bool arch_fits(const struct btfset_kernel *k, const struct bpfpack_sysinfo *si)
{
	return !k->arch[0] || !strcmp(arch_normalize(k->arch), si->arch);
}

/* uname -r equals the key's release, or does once a trailing ".x86_64" /
 * ".aarch64" is dropped (btfhub's older CentOS 7 names lack it). */
static bool release_fits(const struct btfset_kernel *k, const struct bpfpack_sysinfo *si)
{
	static const char *const suffixes[] = { ".x86_64", ".aarch64" };
	size_t rlen = strlen(si->release), klen = strlen(k->release), i;

	if (!strcmp(k->release, si->release))
		return true;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t slen = strlen(suffixes[i]);

		if (rlen == klen + slen && !strcmp(si->release + klen, suffixes[i]) &&
		    !strncmp(si->release, k->release, klen))
			return true;
	}
	return false;
}

/* The version btfhub files this system under when it keys the distro by
 * something shorter than VERSION_ID: the major version ("7.9" -> "7", as ol
 * and rhel are), and Amazon Linux 1's dated VERSION_IDs ("2018.03") -> "1".
 * Empty when there is no such short form. */
static void short_version(const struct bpfpack_sysinfo *si, char *out, size_t cap)
{
	const char *dot = strchr(si->version_id, '.');

	out[0] = '\0';
	if (!strcmp(si->id, "amzn") && (!strncmp(si->version_id, "2017.", 5) ||
					 !strncmp(si->version_id, "2018.", 5))) {
		copy_str(out, cap, "1", 1);
		return;
	}
	if (dot && dot > si->version_id)
		copy_str(out, cap, si->version_id, (size_t)(dot - si->version_id));
}

int bpfpack_btf_match(const struct btfset *s, const struct bpfpack_sysinfo *si,
		      uint32_t *kernel_index, const char **how)
{
	static const char *const hows[] = { "exact", "major version", "release only", "release only" };
	uint32_t n = btfset_kernel_count(s), i, best_i = 0;
	char shortv[64];
	int best = 4;

	short_version(si, shortv, sizeof(shortv));
	/* One walk: each kernel whose arch and release fit gets its level
	 * (0: same distro and version, 1: same distro and major version,
	 * 2: same distro, 3: release only); the first kernel of the lowest
	 * level wins. A miss costs one walk of the index, not one per level. */
	for (i = 0; i < n && best > 0; i++) {
		const struct btfset_kernel *k = btfset_kernel_at(s, i);
		bool same_distro;
		int level;

		if (!arch_fits(k, si) || !release_fits(k, si))
			continue;
		same_distro = !strcmp(k->distro, si->id);
		level = !same_distro ? 3 :
			!strcmp(k->version, si->version_id) ? 0 :
			shortv[0] && !strcmp(k->version, shortv) ? 1 : 2;
		if (level < best) {
			best = level;
			best_i = i;
		}
	}
	if (best == 4)
		return -ENOENT;
	*kernel_index = best_i;
	*how = hows[best];
	return 0;
}

void bpfpack_btf_describe_miss(const struct btfset *s, const struct bpfpack_sysinfo *si,
			       char *buf, size_t len)
{
	uint32_t n = btfset_kernel_count(s), i, shown = 0, groups = 0;
	char carried[256] = "";
	size_t used = 0;
	const struct btfset_kernel *prev = NULL;

	/* Kernels are sorted by distro, version and arch: name each group once. */
	for (i = 0; i < n; i++) {
		const struct btfset_kernel *k = btfset_kernel_at(s, i);

		if (prev && !strcmp(prev->distro, k->distro) && !strcmp(prev->version, k->version) &&
		    !strcmp(prev->arch, k->arch))
			continue;
		prev = k;
		groups++;
		if (shown < 4 && used < sizeof(carried)) {
			int w = snprintf(carried + used, sizeof(carried) - used, "%s%s/%s/%s",
					 shown ? ", " : "", k->distro[0] ? k->distro : "?",
					 k->version[0] ? k->version : "?", k->arch[0] ? k->arch : "?");

			if (w > 0)
				used += (size_t)w;
			shown++;
		}
	}
	if (groups > shown && used < sizeof(carried))
		snprintf(carried + used, sizeof(carried) - used, ", ...");
	snprintf(buf, len,
		 "no BTF for this kernel: %s on %s%s%s (%s): "
		 "none of the %u kernel%s this binary carries BTF for (%s) is this one; rebuild it "
		 "with `bpfpack build --btf SOURCE` where SOURCE has this kernel's BTF, or run it "
		 "with BPFPACK_BTF=FILE",
		 si->release, si->id[0] ? si->id : "an unknown distro",
		 si->version_id[0] ? " " : "", si->version_id, si->arch[0] ? si->arch : "unknown arch",
		 n, n == 1 ? "" : "s", carried);
}

/* ---- reading the tool's own binary --------------------------------------- */

int bpfpack_btf_read_section(const char *path, const char *section, void **data, size_t *size,
			     char *err, size_t errlen)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, ret = -ENOENT;

	*data = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		close(fd);
		return -EIO;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
		snprintf(err, errlen, "%s is not an ELF file libelf can read: %s", path,
			 elf_errmsg(-1));
		ret = -ENOEXEC;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, section) != 0)
			continue;
		d = sh.sh_type == SHT_NOBITS ? NULL : elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size || d->d_size == 0) {
			snprintf(err, errlen, "section %s of %s cannot be read%s%s", section, path,
				 d ? "" : ": ", d ? "" : elf_errmsg(-1));
			ret = -EIO;
			goto out;
		}
		*data = malloc(d->d_size);
		if (!*data) {
			snprintf(err, errlen, "out of memory for %zu bytes of %s", d->d_size, section);
			ret = -ENOMEM;
			goto out;
		}
		memcpy(*data, d->d_buf, d->d_size);
		*size = d->d_size;
		ret = 0;
		goto out;
	}
	snprintf(err, errlen, "%s has no %s section", path, section);
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

/* ---- handing a blob to libbpf -------------------------------------------- */

static int write_all(int fd, const void *data, size_t size)
{
	const char *p = data;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* An anonymous file, reachable only through this process's fd table: a memfd,
 * or on kernels older than memfd_create (3.17; RHEL 7's 3.10) an O_TMPFILE or
 * an immediately unlinked mkstemp file. Nobody can swap it under libbpf. */
static int anon_file(bool *sealable)
{
	char tmpl[] = "/tmp/bpfpack-btf.XXXXXX";
	int fd;

	*sealable = false;
#ifdef SYS_memfd_create
	fd = (int)syscall(SYS_memfd_create, "bpfpack-btf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0) {
		*sealable = true;
		return fd;
	}
#endif
#ifdef O_TMPFILE
	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	fd = mkstemp(tmpl);
	if (fd < 0)
		return -errno;
	unlink(tmpl);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Makes BLOB available to libbpf by path and points opts at it. */
static int hand_over(const void *blob, size_t size, const char *prog,
		     struct bpf_object_open_opts *opts)
{
	bool sealable;
	int fd, err;

	if (access("/proc/self/fd", X_OK) == 0) {
		fd = anon_file(&sealable);
		if (fd < 0) {
			bpfpack_say(prog, "cannot hand the embedded BTF to libbpf: no memfd or temp file: %s",
				    strerror(-fd));
			return fd;
		}
		err = write_all(fd, blob, size);
		if (err) {
			close(fd);
			bpfpack_say(prog, "cannot hand the embedded BTF to libbpf: %s", strerror(-err));
			return err;
		}
#ifdef F_ADD_SEALS
		if (sealable)
			fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
#endif
		bpfpack_state.fd = fd;
		snprintf(bpfpack_state.fd_path, sizeof(bpfpack_state.fd_path), "/proc/self/fd/%d", fd);
		bpfpack_state.custom_path = bpfpack_state.fd_path;
	} else {
		/* No /proc (a bare initramfs): a file in a fresh private
		 * directory, removed by bpfpack_btf_cleanup(). */
		char dtmpl[] = "/tmp/bpfpack-btf.XXXXXX";
		char *dir = mkdtemp(dtmpl), *file;

		if (!dir) {
			err = -errno;
			bpfpack_say(prog, "cannot hand the embedded BTF to libbpf: /tmp: %s",
				    strerror(-err));
			return err;
		}
		file = malloc(strlen(dir) + sizeof("/vmlinux.btf"));
		if (!file) {
			rmdir(dir);
			bpfpack_say(prog, "out of memory");
			return -ENOMEM;
		}
		sprintf(file, "%s/vmlinux.btf", dir);
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		err = fd < 0 ? -errno : write_all(fd, blob, size);
		if (fd >= 0 && close(fd) < 0 && !err)
			err = -errno;
		if (err) {
			unlink(file);
			rmdir(dir);
			free(file);
			bpfpack_say(prog, "cannot hand the embedded BTF to libbpf: %s", strerror(-err));
			return err;
		}
		bpfpack_state.tmp_dir = strdup(dir);
		bpfpack_state.tmp_file = file;
		bpfpack_state.custom_path = file;
	}
	opts->btf_custom_path = bpfpack_state.custom_path;
	return 0;
}

int bpfpack_btf_use_set(struct bpf_object_open_opts *opts, const void *set, size_t size,
			const void *obj, size_t obj_size, const struct bpfpack_sysinfo *si,
			const char *prog, int verbose, int forced)
{
	const struct btfset_kernel *k;
	struct btfset *s;
	const void *blob;
	uint32_t idx, blob_size;
	const char *how;
	char err[512];
	int ret;

	ret = btfset_open_dict(set, size, obj, obj_size, &s, err, sizeof(err));
	if (ret) {
		bpfpack_say(prog, "the BTF embedded in this binary is unusable: %s; refusing to load "
			    "it; rebuild the binary with `bpfpack build --btf SOURCE`", err);
		return ret;
	}
	ret = bpfpack_btf_match(s, si, &idx, &how);
	if (ret) {
		char msg[1024];

		bpfpack_btf_describe_miss(s, si, msg, sizeof(msg));
		bpfpack_say(prog, "%s", msg);
		btfset_close(s);
		return ret;
	}
	k = btfset_kernel_at(s, idx);
	ret = btfset_blob_get(s, k->blob, &blob, &blob_size, err, sizeof(err));
	if (ret) {
		bpfpack_say(prog, "the BTF embedded in this binary for %s is unusable: %s; refusing "
			    "to load it; rebuild the binary", k->release, err);
		btfset_close(s);
		return ret;
	}
	ret = hand_over(blob, blob_size, prog, opts);
	if (!ret && verbose) {
		char who[160] = "";

		/* Say what this system is when the key differs from it. */
		if (strcmp(how, "exact"))
			snprintf(who, sizeof(who), " for %s%s%s", si->id[0] ? si->id : "an unknown distro",
				 si->version_id[0] ? " " : "", si->version_id);
		bpfpack_say(prog, "BTF: embedded, for %s/%s/%s/%s (%s match%s; %s; this binary "
			    "carries %u kernel%s in %u BTF blob%s)",
			    k->distro[0] ? k->distro : "?", k->version[0] ? k->version : "?",
			    k->arch[0] ? k->arch : "?", k->release, how, who,
			    forced ? "forced by BPFPACK_BTF_FORCE_EMBEDDED" : "the kernel has no BTF",
			    btfset_kernel_count(s), btfset_kernel_count(s) == 1 ? "" : "s",
			    btfset_blob_count(s), btfset_blob_count(s) == 1 ? "" : "s");
	}
	btfset_close(s);
	return ret;
}

/* ---- setup --------------------------------------------------------------- */

static bool file_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* True when PATH is raw BTF or an ELF file with a non-empty .BTF section,
 * i.e. what libbpf's own search would accept. */
static bool file_has_btf(const char *path)
{
	unsigned char magic[4];
	bool found = false;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *elf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic)) {
		close(fd);
		return false;
	}
	if ((magic[0] == 0x9f && magic[1] == 0xeb) || (magic[0] == 0xeb && magic[1] == 0x9f)) {
		close(fd);
		return true;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		return false;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			found = name && !strcmp(name, ".BTF") && sh.sh_type != SHT_NOBITS &&
				sh.sh_size > 0;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* True when the process runs with more privileges than its caller gave it
 * (setuid, setgid, file capabilities): the kernel sets AT_SECURE then. Such a
 * process must not let the caller's environment choose which file it opens
 * and parses, nor skip the kernel's own BTF. */
static bool running_secure(void)
{
	return getauxval(AT_SECURE) != 0;
}

/* Every variable the runtime reads is read with secure_getenv: NULL in a
 * privileged process whatever the caller set. */
static bool env_flag(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* With -v in a privileged process: names the runtime's variables the caller
 * set and that are being ignored, so nobody wonders why they have no effect.
 * (getenv, not secure_getenv: it only tells whether they are set.) */
static void say_env_ignored(const char *prog)
{
	bool btf = getenv("BPFPACK_BTF") != NULL;
	bool forced = getenv("BPFPACK_BTF_FORCE_EMBEDDED") != NULL;

	if (btf || forced)
		bpfpack_say(prog, "running with elevated privileges (setuid, setgid or file "
			    "capabilities): ignoring %s%s%s from the environment",
			    btf ? "BPFPACK_BTF" : "", btf && forced ? ", " : "",
			    forced ? "BPFPACK_BTF_FORCE_EMBEDDED" : "");
}

/* Section SECTION of the tool's own binary: /proc/self/exe, else the path
 * it was started by. */
static int read_own_section(const char *section, void **data, size_t *size, char *err,
			    size_t errlen)
{
	const char *execfn;
	int ret;

	ret = bpfpack_btf_read_section("/proc/self/exe", section, data, size, err, errlen);
	if (ret == -ENOENT || ret == 0)
		return ret;
	execfn = (const char *)getauxval(AT_EXECFN);
	if (execfn && *execfn)
		return bpfpack_btf_read_section(execfn, section, data, size, err, errlen);
	return ret;
}

static int setup_embedded(struct bpf_object_open_opts *opts, const char *prog, int verbose,
			  bool forced)
{
	struct bpfpack_sysinfo si;
	char err[512];
	void *set, *obj;
	size_t size, obj_size;
	int ret;

	ret = sysinfo_of_this_system(&si);
	if (ret) {
		bpfpack_say(prog, "cannot tell which kernel this is (uname): %s", strerror(-ret));
		return ret;
	}
	ret = read_own_section(BPFPACK_BTF_SECTION, &set, &size, err, sizeof(err));
	if (ret == -ENOENT && forced) {
		/* The kernel may well have BTF: it was skipped on request. */
		bpfpack_say(prog, "BPFPACK_BTF_FORCE_EMBEDDED is set, but this binary carries no "
			    "embedded BTF; rebuild it with `bpfpack build --btf SOURCE` to embed BTF "
			    "for the kernels it must run on");
		return ret;
	}
	if (ret == -ENOENT) {
		bpfpack_say(prog, "kernel %s has no BTF (%s is missing) and this binary carries "
			    "none; rebuild it with `bpfpack build --btf SOURCE` to embed BTF for "
			    "the kernels it must run on, or run it with BPFPACK_BTF=FILE",
			    si.release, KERNEL_BTF_PATH);
		return ret;
	}
	if (ret) {
		bpfpack_say(prog, "cannot read the BTF embedded in this binary: %s", err);
		return ret;
	}
	/* The set's dictionary; without it btfset_open_dict says what is wrong. */
	ret = read_own_section(BPFPACK_OBJ_SECTION, &obj, &obj_size, err, sizeof(err));
	if (ret && ret != -ENOENT) {
		bpfpack_say(prog, "cannot read the BPF object embedded in this binary: %s", err);
		free(set);
		return ret;
	}
	ret = bpfpack_btf_use_set(opts, set, size, obj, obj_size, &si, prog, verbose, forced);
	free(set);
	free(obj);
	return ret;
}

int bpfpack_btf_decide(struct bpf_object_open_opts *opts, const char *prog, int verbose,
		       const char *kernel_btf, const char *release)
{
	static const char *const usual[] = {
		"/boot/vmlinux-%s",
		"/lib/modules/%s/vmlinux-%s",
		"/lib/modules/%s/build/vmlinux",
		"/usr/lib/modules/%s/kernel/vmlinux",
		"/usr/lib/debug/boot/vmlinux-%s",
		"/usr/lib/debug/boot/vmlinux-%s.debug",
		"/usr/lib/debug/lib/modules/%s/vmlinux",
	};
	bool forced;
	const char *env;
	struct utsname u;
	size_t i;

	if (verbose && running_secure())
		say_env_ignored(prog);
	forced = env_flag("BPFPACK_BTF_FORCE_EMBEDDED");
	if (forced)
		return setup_embedded(opts, prog, verbose, true);
	if (!release && uname(&u) == 0)
		release = u.release;

	env = secure_getenv("BPFPACK_BTF");
	if (file_readable(kernel_btf)) {
		if (verbose)
			bpfpack_say(prog, "BTF: the kernel's own (%s)%s", kernel_btf,
				    env && *env ? "; BPFPACK_BTF is for kernels without BTF" : "");
		bpfpack_state.custom_path = NULL;
		return 0;
	}

	if (env && *env) {
		int fd = open(env, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			int err = -errno;

			bpfpack_say(prog, "BPFPACK_BTF=%s: cannot read it: %s", env, strerror(-err));
			return err;
		}
		close(fd);
		if (!file_has_btf(env)) {
			bpfpack_say(prog, "BPFPACK_BTF=%s: not BTF (neither raw BTF nor an ELF file "
				    "with a .BTF section)", env);
			return -EINVAL;
		}
		bpfpack_state.owned_path = strdup(env);
		if (!bpfpack_state.owned_path) {
			bpfpack_say(prog, "out of memory");
			return -ENOMEM;
		}
		bpfpack_state.custom_path = bpfpack_state.owned_path;
		opts->btf_custom_path = bpfpack_state.custom_path;
		if (verbose)
			bpfpack_say(prog, "BTF: %s (from BPFPACK_BTF; the kernel has no BTF)", env);
		return 0;
	}

	if (release) {
		for (i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
			char path[512];

			/* Formats use the release once or twice. */
			snprintf(path, sizeof(path), usual[i], release, release);
			if (!file_has_btf(path))
				continue;
			bpfpack_state.owned_path = strdup(path);
			if (!bpfpack_state.owned_path) {
				bpfpack_say(prog, "out of memory");
				return -ENOMEM;
			}
			bpfpack_state.custom_path = bpfpack_state.owned_path;
			opts->btf_custom_path = bpfpack_state.custom_path;
			if (verbose)
				bpfpack_say(prog, "BTF: %s (the kernel has no BTF; found at one of "
					    "libbpf's usual places)", path);
			return 0;
		}
	}

	return setup_embedded(opts, prog, verbose, false);
}

int bpfpack_btf_setup(struct bpf_object_open_opts *opts, const char *prog, int verbose)
{
	int ret;

	if (!opts) {
		bpfpack_say(prog, "bpfpack_btf_setup: no open options");
		return -EINVAL;
	}
	if (opts->btf_custom_path) {
		if (verbose)
			bpfpack_say(prog, "BTF: %s (chosen by the tool)", opts->btf_custom_path);
		return 0;
	}
	if (bpfpack_state.decided) {
		opts->btf_custom_path = bpfpack_state.custom_path;
		return 0;
	}
	ret = bpfpack_btf_decide(opts, prog, verbose, KERNEL_BTF_PATH, NULL);
	if (ret == 0)
		bpfpack_state.decided = true;
	return ret;
}

void bpfpack_btf_release(void)
{
	if (bpfpack_state.fd >= 0)
		close(bpfpack_state.fd);
	if (bpfpack_state.tmp_file)
		unlink(bpfpack_state.tmp_file);
	if (bpfpack_state.tmp_dir)
		rmdir(bpfpack_state.tmp_dir);
	free(bpfpack_state.tmp_file);
	free(bpfpack_state.tmp_dir);
	free(bpfpack_state.owned_path);
	memset(&bpfpack_state, 0, sizeof(bpfpack_state));
	bpfpack_state.fd = -1;
#ifdef __GLIBC__
	/* The set, its decompressed payload and libbpf's parse of the BTF were
	 * freed; give the heap they grew back to the system, so a tool that runs
	 * for hours holds what it needs to run, not what it needed to start. */
	malloc_trim(0);
#endif
}

void bpfpack_btf_cleanup(void)
{
	bpfpack_btf_release();
}

void bpfpack_btf_set_say_sink(void (*sink)(const char *line))
{
	bpfpack_say_sink = sink;
}
