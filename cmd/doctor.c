/* doctor: `bpfpack doctor` checks, one line each, everything a build and a
 * built tool need on this machine: clang and its BPF target, bpftool, the C
 * compiler, libbpf's headers and static libraries, the running kernel's BTF,
 * the permission to load BPF and tracefs. Each check does the real thing
 * (compiles, links, parses, loads) rather than looking for file names, because
 * a file being present says little about whether the build will work. A failing
 * check says how to fix it; the exit status is 1 if any failed.
 *
 * With --arch for another machine (arm64 on x86_64) it checks what a cross
 * build and an arm64 vmtest need instead: the BPF compile for that arch, the
 * cross compiler and binutils, libbpf's headers through the cross compiler,
 * a static link against the arch's multiarch libraries (an ELF of that
 * machine; it cannot run here), qemu for that machine and a busybox of that
 * arch for the guest. The running kernel's checks (BTF, loading BPF,
 * tracefs) say nothing about another machine and are left out.
 *
 * Also checked, for the parts that need more than a build: bpfpack's data
 * directory (templates, include, runtime), what vmtest needs (qemu for the
 * arch, a static busybox, KVM or else qemu's TCG) and pahole for
 * `btf from-debug`. On this machine a missing vmtest or pahole piece is a
 * warning (builds work without it); with --arch it fails like the rest.
 *
 * The checks are one table, run in order; each reports through doctor_ok()
 * / doctor_fail(), which print a line at once (or, with --json, collect the
 * results for one JSON document at the end). One summary line ends the text
 * report. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cmd.h"
#include "../formats/deb.h"
#include "../formats/elf_file.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/report.h"
#include "../btfhub/btfgen.h"
#include "../lib/toolchain.h"
#include "../vm/vm.h"
#include "../vm/vm_busybox.h"
#include "../vm/vm_kernel.h"
#include "../vm/vm_rootfs.h"

#ifndef EM_BPF
#define EM_BPF 247	/* older <elf.h> lack it */
#endif

#define DOCTOR_VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define DOCTOR_FIX_CLANG "install clang-19 (./build.sh does) or set CLANG to a clang binary"
#define DOCTOR_FIX_BPFTOOL "install bpftool from bookworm-backports (./build.sh does) or set BPFTOOL to a bpftool binary"
#define DOCTOR_FIX_LIBBPF "install libbpf-dev from bookworm-backports (apt-get install -t bookworm-backports libbpf-dev; ./build.sh does)"
#define DOCTOR_FIX_CROSS_LIBS "install libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 at the versions of their amd64 twins (tests/setup-arm64.sh does)"

/* Linux capability numbers (linux/capability.h), spelled out so the check
 * does not depend on the headers knowing CAP_BPF (added in 5.8). */
#define DOCTOR_CAP_SYS_ADMIN 21
#define DOCTOR_CAP_PERFMON 38
#define DOCTOR_CAP_BPF 39

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

static const char *const doctor_status_names[] = { "ok", "warn", "fail" };

/* One check's outcome, kept for --json. */
struct doctor_result {
	char *check;
	enum doctor_status status;
	char *message;
	char *fix;	/* NULL when it passed */
};

struct doctor {
	const struct toolchain_arch *arch;	/* the target; NULL: this machine (unknown arch) */
	bool cross;	/* ARCH is not this machine's */
	bool json;	/* --json: collect, print one document at the end */
	char *tmpdir;	/* scratch for the compile and link checks; NULL if it could not be made */
	char *clang;	/* NULL when no clang was found */
	char *cc;	/* NULL when no C compiler was found */
	char *qemu;	/* NULL when no qemu for the arch was found */
	const char *only_for;	/* the running check is needed only by this ("vmtest"); NULL: by builds */
	int failed;	/* number of failed checks */
	int warned;	/* number of checks failed that only vmtest or btf from-debug need */
	int passed;
	struct doctor_result *results;
	size_t n_results;
};

/* The smallest program that exercises what every bpfpack tool needs from
 * clang: the BPF backend, libbpf's SEC() and helper declarations, and BTF
 * from -g. A socket filter, so the same kind the permission check loads. */
static const char doctor_bpf_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"\n"
	"SEC(\"socket\")\n"
	"int doctor_prog(struct __sk_buff *skb)\n"
	"{\n"
	"\treturn skb->len + (bpf_get_prandom_u32() & 1);\n"
	"}\n"
	"\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

/* The headers a tool's user-space side includes. */
static const char doctor_headers_src[] =
	"#include <bpf/libbpf.h>\n"
	"#include <bpf/btf.h>\n"
	"#include <bpf/bpf.h>\n"
	"\n"
	"int doctor_headers(void);\n"
	"int doctor_headers(void) { return (int)libbpf_major_version(); }\n";

/* Preprocessed with -E -P, the marker line carries the version numbers. */
static const char doctor_version_src[] =
	"#include <bpf/libbpf_version.h>\n"
	"bpfpack_libbpf_version LIBBPF_MAJOR_VERSION LIBBPF_MINOR_VERSION\n";

/* Opening an object pulls libbpf's loader, and with it libelf and zlib, into
 * the static link; a program calling only a trivial function would link even
 * when those archives are missing. */
static const char doctor_static_src[] =
	"#include <stdio.h>\n"
	"#include <bpf/libbpf.h>\n"
	"\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"\tstruct bpf_object *obj = argc > 1 ? bpf_object__open_file(argv[1], NULL) : NULL;\n"
	"\n"
	"\tif (libbpf_get_error(obj))\n"
	"\t\treturn 1;\n"
	"\tbpf_object__close(obj);\n"
	"\tprintf(\"%s\\n\", libbpf_version_string());\n"
	"\treturn 0;\n"
	"}\n";

static void doctor_ok(struct doctor *d, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void doctor_fail(struct doctor *d, const char *check, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void doctor_record(struct doctor *d, const char *check, enum doctor_status status,
			  const char *fix, const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void doctor_record(struct doctor *d, const char *check, enum doctor_status status,
			  const char *fix, const char *fmt, va_list ap)
{
	struct doctor_result *r;
	struct buf msg = {0};
	char *text = NULL;

	if (status == DOCTOR_FAIL && d->only_for && !d->cross)
		status = DOCTOR_WARN;
	if (status == DOCTOR_OK)
		d->passed++;
	else if (status == DOCTOR_WARN)
		d->warned++;
	else
		d->failed++;
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	buf_append_str(&msg, text ? text : "(out of memory)");
	free(text);
	if (status == DOCTOR_WARN)
		buf_printf(&msg, " (needed by %s only)", d->only_for);
	if (d->json) {
		d->results = xrealloc(d->results, (d->n_results + 1) * sizeof(*d->results));
		r = &d->results[d->n_results++];
		r->check = xstrdup(check);
		r->status = status;
		r->message = xstrdup(msg.data ? msg.data : "");
		r->fix = fix ? xstrdup(fix) : NULL;
	} else {
		printf("%-5s %s: %s", status == DOCTOR_OK ? "ok" : status == DOCTOR_WARN ? "warn" : "FAIL",
		       check, msg.data ? msg.data : "");
		if (status != DOCTOR_OK)
			printf(" — fix: %s", fix);
		putchar('\n');
		/* Children may write to our stderr between checks; keep lines in order. */
		fflush(stdout);
	}
	buf_free(&msg);
}

static void doctor_ok(struct doctor *d, const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doctor_record(d, check, DOCTOR_OK, NULL, fmt, ap);
	va_end(ap);
}

static void doctor_fail(struct doctor *d, const char *check, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doctor_record(d, check, DOCTOR_FAIL, fix, fmt, ap);
	va_end(ap);
}

/* strndup that aborts on OOM like the rest of buf.h's x* helpers. */
static char *doctor_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static const char *doctor_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

/* Runs ARGV capturing both streams; with -v the command is shown first. */
static int doctor_run(char *const argv[], struct buf *out, struct buf *err)
{
	if (report_verbose()) {
		struct buf line = {0};

		proc_format_argv(argv, &line);
		report_debug("running %s", line.data);
		buf_free(&line);
	}
	return proc_run_capture(argv, out, err);
}

/* The first line of TEXT containing NEEDLE (or, when NEEDLE is NULL or absent,
 * the first non-empty line), without DIR's prefix so temp paths do not clutter
 * the one-line report. malloc'd; "" when TEXT is empty. */
static char *doctor_pick_line(const char *text, const char *needle, const char *dir)
{
	const char *start = NULL, *p, *end;
	size_t dlen = dir ? strlen(dir) : 0;

	if (needle && (p = strstr(text, needle))) {
		while (p > text && p[-1] != '\n')
			p--;
		start = p;
	}
	if (!start) {
		start = text;
		while (*start == '\n')
			start++;
	}
	end = strchr(start, '\n');
	if (!end)
		end = start + strlen(start);
	if (dir && (size_t)(end - start) > dlen && strncmp(start, dir, dlen) == 0 && start[dlen] == '/')
		start += dlen + 1;
	return doctor_strndup(start, (size_t)(end - start));
}

/* Reads a small /proc or /sys file into BUF without reporting: a missing file
 * is an answer for the checks, not an error. Returns 0 or -errno. */
static int doctor_read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Writes SRC into the scratch directory; returns the path (malloc'd) or NULL. */
static char *doctor_write_source(struct doctor *d, const char *name, const char *src)
{
	char *path;

	if (!d->tmpdir)
		return NULL;
	path = fs_path_join(d->tmpdir, name);
	if (fs_write_atomic(path, src, strlen(src), 0644) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

static void doctor_check_clang(struct doctor *d)
{
	const char *env = getenv("CLANG");
	int major;

	d->clang = toolchain_find_clang();
	if (!d->clang) {
		if (env && *env)
			doctor_fail(d, "clang", DOCTOR_FIX_CLANG, "CLANG=%s is not an executable program", env);
		else
			doctor_fail(d, "clang", DOCTOR_FIX_CLANG, "no clang-NN or clang in PATH");
		return;
	}
	major = toolchain_clang_major(d->clang);
	if (major < 0)
		doctor_fail(d, "clang", DOCTOR_FIX_CLANG,
			    "%s --version failed or does not say \"clang version N\"", d->clang);
	else if (major < 11)
		doctor_fail(d, "clang", DOCTOR_FIX_CLANG,
			    "%s is clang %d; BTF CO-RE relocations need clang 11 or newer", d->clang, major);
	else
		doctor_ok(d, "clang", "%s, version %d", d->clang, major);
}

/* toolchain_probe_includes() leaves `clang -E`'s stdout to ours, which would
 * put a preprocessed empty file into the report; send it to /dev/null. */
static int doctor_probe_includes(struct toolchain *tc)
{
	int saved, null, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, STDOUT_FILENO);
	rc = toolchain_probe_includes(tc, NULL);
	if (saved >= 0 && null >= 0)
		dup2(saved, STDOUT_FILENO);
	if (saved >= 0)
		close(saved);
	if (null >= 0)
		close(null);
	return rc;
}

static void doctor_check_clang_bpf(struct doctor *d)
{
	const char *check = "clang-bpf";
	struct toolchain tc = {0};
	struct strv argv = {0};
	struct buf err = {0};
	char *src = NULL, *obj = NULL, *line = NULL;
	struct btf *btf;
	int rc, machine;

	if (!d->clang) {
		doctor_fail(d, check, DOCTOR_FIX_CLANG, "no clang to compile with (see the clang check)");
		return;
	}
	src = doctor_write_source(d, "doctor.bpf.c", doctor_bpf_src);
	if (!src) {
		doctor_fail(d, check, "set TMPDIR to a writable directory",
			    "cannot write a test program to a temp directory");
		return;
	}
	obj = fs_path_join(d->tmpdir, "doctor.bpf.o");
	/* Same include setup as the build: clang's own system dirs after the
	 * user's, so <linux/bpf.h> finds <asm/types.h> in the multiarch dir that
	 * the bpf target does not search by itself. */
	tc.clang = xstrdup(d->clang);
	tc.arch = d->arch;	/* a cross target's <asm/...> headers */
	if (doctor_probe_includes(&tc) < 0) {
		doctor_fail(d, check, DOCTOR_FIX_CLANG, "%s -v -E failed: cannot learn its include directories",
			    d->clang);
		goto out;
	}
	strv_push(&argv, d->clang);
	strv_push(&argv, "-target");
	strv_push(&argv, "bpf");
	strv_push(&argv, "-O2");
	strv_push(&argv, "-g");
	if (d->arch)
		strv_pushf(&argv, "-D__TARGET_ARCH_%s", d->arch->bpf_name);
	for (size_t i = 0; i < tc.clang_sys_includes.n; i++) {
		strv_push(&argv, "-idirafter");
		strv_push(&argv, tc.clang_sys_includes.v[i]);
	}
	strv_push(&argv, "-c");
	strv_push(&argv, src);
	strv_push(&argv, "-o");
	strv_push(&argv, obj);
	rc = doctor_run(argv.v, NULL, &err);
	if (rc != 0) {
		line = doctor_pick_line(doctor_str(&err), "error", d->tmpdir);
		if (strstr(line, "bpf/bpf_helpers.h"))
			doctor_fail(d, check, DOCTOR_FIX_LIBBPF, "clang -target bpf cannot find libbpf's headers: %s", line);
		else
			doctor_fail(d, check, DOCTOR_FIX_CLANG, "clang -target bpf failed (exit %d): %s", rc,
				    *line ? line : "no message");
		goto out;
	}
	machine = elf_file_machine(obj);
	if (machine != EM_BPF) {
		if (machine < 0)
			doctor_fail(d, check, DOCTOR_FIX_CLANG, "clang -target bpf wrote no ELF object: %s",
				    strerror(-machine));
		else
			doctor_fail(d, check, DOCTOR_FIX_CLANG,
				    "clang -target bpf wrote an ELF for machine %d, not EM_BPF (%d)", machine, EM_BPF);
		goto out;
	}
	/* CO-RE needs the object's BTF; -g must have produced a .BTF section
	 * that libbpf can read. */
	btf = btf__parse_elf(obj, NULL);
	if (!btf) {
		doctor_fail(d, check, DOCTOR_FIX_CLANG, "the BPF object has no BTF libbpf can read: %s",
			    strerror(errno));
		goto out;
	}
	doctor_ok(d, check, "compiled a socket filter with <bpf/bpf_helpers.h>%s%s: ELF EM_BPF, .BTF with %u types",
		  d->cross ? " for " : "", d->cross ? d->arch->name : "", btf__type_cnt(btf) - 1);
	btf__free(btf);
out:
	free(line);
	buf_free(&err);
	strv_free(&argv);
	toolchain_free(&tc);
	free(obj);
	free(src);
}

/* "7.5.0" from a `bpftool version` first line ("bpftool v7.5.0", or older
 * "/usr/sbin/bpftool v5.10.0"); NULL when there is none. malloc'd. */
static char *doctor_parse_version(const char *text, const char *after)
{
	const char *p = text;

	if (after && !(p = strstr(text, after)))
		return NULL;
	for (; *p && *p != '\n'; p++) {
		if (p[0] == 'v' && (p == text || p[-1] == ' ') && p[1] >= '0' && p[1] <= '9')
			return doctor_strndup(p + 1, strspn(p + 1, "0123456789."));
	}
	return NULL;
}

static void doctor_check_bpftool(struct doctor *d)
{
	const char *check = "bpftool";
	const char *env = getenv("BPFTOOL");
	struct buf out = {0}, err = {0};
	char *bpftool = toolchain_find_bpftool(), *ver = NULL, *libver = NULL;
	int rc;

	if (!bpftool) {
		if (env && *env)
			doctor_fail(d, check, DOCTOR_FIX_BPFTOOL, "BPFTOOL=%s is not an executable program", env);
		else
			doctor_fail(d, check, DOCTOR_FIX_BPFTOOL, "no bpftool in PATH or /usr/sbin");
		return;
	}
	char *version_argv[] = { bpftool, "version", NULL };

	rc = doctor_run(version_argv, &out, &err);
	if (rc != 0 || !(ver = doctor_parse_version(doctor_str(&out), NULL))) {
		doctor_fail(d, check, DOCTOR_FIX_BPFTOOL, "`%s version` failed (exit %d) or printed no version",
			    bpftool, rc);
		goto out;
	}
	libver = doctor_parse_version(doctor_str(&out), "using libbpf ");

	/* Usage goes to stderr; look at both streams. */
	char *help_argv[] = { bpftool, "gen", "help", NULL };

	rc = doctor_run(help_argv, &out, &err);
	buf_append_str(&out, doctor_str(&err));
	if (rc < 0 || !strstr(doctor_str(&out), "gen skeleton")) {
		doctor_fail(d, check, DOCTOR_FIX_BPFTOOL, "%s v%s has no `gen skeleton`", bpftool, ver);
		goto out;
	}
	if (!strstr(doctor_str(&out), "gen min_core_btf")) {
		doctor_fail(d, check, DOCTOR_FIX_BPFTOOL,
			    "%s v%s has no `gen min_core_btf` (needed to minimize BTF for embedding)", bpftool, ver);
		goto out;
	}
	doctor_ok(d, check, "%s v%s%s%s%s, has gen skeleton and gen min_core_btf", bpftool, ver,
		  libver ? " (libbpf v" : "", libver ? libver : "", libver ? ")" : "");
out:
	free(libver);
	free(ver);
	buf_free(&out);
	buf_free(&err);
	free(bpftool);
}

/* The cross compiler PREFIXgcc for a cross target. */
static void doctor_check_cross_cc(struct doctor *d)
{
	const char *check = "cross-cc";
	struct buf out = {0};
	char *name = NULL, *line = NULL, *fix;
	int rc;

	fix = xasprintf("install %s (tests/setup-arm64.sh does) or set CROSS_COMPILE to a cross "
			"toolchain's prefix", toolchain_cross_gcc_package(d->arch));
	d->cc = toolchain_find_cross(d->arch, "gcc", &name);
	if (!d->cc) {
		doctor_fail(d, check, fix, "no %s in PATH", name);
		goto out;
	}
	char *argv[] = { d->cc, "--version", NULL };

	rc = doctor_run(argv, &out, NULL);
	if (rc != 0) {
		doctor_fail(d, check, fix, "`%s --version` failed (exit %d)", d->cc, rc);
		free(d->cc);
		d->cc = NULL;
	} else {
		line = doctor_pick_line(doctor_str(&out), NULL, NULL);
		doctor_ok(d, check, "%s (%s)", d->cc, line);
	}
out:
	free(fix);
	free(line);
	free(name);
	buf_free(&out);
}

/* The cross ar and objcopy: the runtime's archive and the embedded sections. */
static void doctor_check_cross_binutils(struct doctor *d)
{
	static const char *const tools[] = { "ar", "objcopy" };
	const char *check = "cross-binutils";
	struct buf found = {0};

	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		char *name = NULL, *path = toolchain_find_cross(d->arch, tools[i], &name);

		if (!path) {
			char *fix = xasprintf("install binutils-%s (tests/setup-arm64.sh does) or set "
					      "CROSS_COMPILE to a cross toolchain's prefix",
					      d->arch->triplet);

			doctor_fail(d, check, fix, "no %s in PATH", name);
			free(fix);
			free(name);
			buf_free(&found);
			return;
		}
		buf_printf(&found, "%s%s", i ? ", " : "", path);
		free(path);
		free(name);
	}
	doctor_ok(d, check, "%s", found.data);
	buf_free(&found);
}

static void doctor_check_cc(struct doctor *d)
{
	const char *env = getenv("CC");
	const char *fix = "install gcc (./build.sh does) or set CC to a C compiler";
	struct buf out = {0};
	char *line = NULL;
	int rc;

	if (d->cross) {
		doctor_check_cross_cc(d);
		doctor_check_cross_binutils(d);
		return;
	}
	d->cc = toolchain_find_cc();
	if (!d->cc) {
		if (env && *env)
			doctor_fail(d, "cc", fix, "CC=%s is not an executable program", env);
		else
			doctor_fail(d, "cc", fix, "no cc in PATH");
		return;
	}
	char *argv[] = { d->cc, "--version", NULL };

	rc = doctor_run(argv, &out, NULL);
	if (rc != 0) {
		doctor_fail(d, "cc", fix, "`%s --version` failed (exit %d)", d->cc, rc);
		free(d->cc);
		d->cc = NULL;
	} else {
		line = doctor_pick_line(doctor_str(&out), NULL, NULL);
		doctor_ok(d, "cc", "%s (%s)", d->cc, line);
	}
	free(line);
	buf_free(&out);
}

static void doctor_check_libbpf_headers(struct doctor *d)
{
	const char *check = "libbpf-headers";
	const char *fix_libbpf = d->cross ? DOCTOR_FIX_CROSS_LIBS : DOCTOR_FIX_LIBBPF;
	struct buf out = {0}, err = {0};
	char *src = NULL, *vsrc = NULL, *line = NULL, *dir = NULL, *helpers = NULL;
	const char *p;
	int rc, major, minor;

	if (!d->cc) {
		doctor_fail(d, check, "fix the cc check first", "no C compiler to compile with (see the cc check)");
		return;
	}
	src = doctor_write_source(d, "headers.c", doctor_headers_src);
	vsrc = doctor_write_source(d, "version.c", doctor_version_src);
	if (!src || !vsrc) {
		doctor_fail(d, check, "set TMPDIR to a writable directory",
			    "cannot write a test program to a temp directory");
		goto out;
	}
	/* -H lists every header opened, so the compiler itself says where
	 * <bpf/libbpf.h> comes from. */
	char *syntax_argv[] = { d->cc, "-fsyntax-only", "-H", src, NULL };

	rc = doctor_run(syntax_argv, NULL, &err);
	if (rc != 0) {
		line = doctor_pick_line(doctor_str(&err), "error", d->tmpdir);
		doctor_fail(d, check, fix_libbpf, "%s cannot compile with <bpf/libbpf.h>: %s", d->cc,
			    *line ? line : "no message");
		goto out;
	}
	p = strstr(doctor_str(&err), "/bpf/libbpf.h\n");
	if (p) {
		const char *start = p;

		while (start > err.data && start[-1] != ' ')
			start--;
		dir = doctor_strndup(start, (size_t)(p - start) + strlen("/bpf"));
	}
	helpers = dir ? fs_path_join(dir, "bpf_helpers.h") : NULL;
	if (!helpers || !fs_exists(helpers)) {
		doctor_fail(d, check, fix_libbpf, "bpf_helpers.h is not beside %s/libbpf.h",
			    dir ? dir : "the compiler's");
		goto out;
	}
	char *version_argv[] = { d->cc, "-E", "-P", vsrc, NULL };

	rc = doctor_run(version_argv, &out, &err);
	if (rc != 0 || !(p = strstr(doctor_str(&out), "bpfpack_libbpf_version ")) ||
	    sscanf(p, "bpfpack_libbpf_version %d %d", &major, &minor) != 2) {
		/* libbpf_version.h appeared in libbpf 0.6. */
		doctor_fail(d, check, fix_libbpf, "no LIBBPF_MAJOR_VERSION in <bpf/libbpf_version.h>: libbpf is older than 0.6");
		goto out;
	}
	if (major < 1) {
		doctor_fail(d, check, fix_libbpf, "libbpf headers are v%d.%d; bpfpack needs 1.0 or newer",
			    major, minor);
		goto out;
	}
	doctor_ok(d, check, "%s (libbpf.h, bpf_helpers.h), version %d.%d", dir, major, minor);
out:
	free(helpers);
	free(dir);
	free(line);
	free(vsrc);
	free(src);
	buf_free(&out);
	buf_free(&err);
}

/* The Debian package that ships lib<NAME>.a. */
static const char *doctor_lib_package(const char *name)
{
	static const struct { const char *lib, *pkg; } map[] = {
		{ "bpf", "libbpf-dev" }, { "elf", "libelf-dev" },
		{ "z", "zlib1g-dev" }, { "zstd", "libzstd-dev" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].lib, name) == 0)
			return map[i].pkg;
	return NULL;
}

/* Which package most likely provides SYMBOL, from the library's prefix. */
static const char *doctor_symbol_package(const char *symbol)
{
	if (!strncmp(symbol, "elf", 3) || !strncmp(symbol, "gelf", 4))
		return "libelf-dev";
	if (!strncmp(symbol, "gz", 2) || !strncmp(symbol, "inflate", 7) || !strncmp(symbol, "deflate", 7))
		return "zlib1g-dev";
	if (!strncmp(symbol, "ZSTD", 4))
		return "libzstd-dev";
	if (!strncmp(symbol, "bpf", 3) || !strncmp(symbol, "btf", 3) || !strncmp(symbol, "libbpf", 6))
		return "libbpf-dev";
	return NULL;
}

/* Explains a failed static link from the linker's messages. */
static void doctor_fail_static_link(struct doctor *d, const char *check, const char *text, int rc)
{
	struct buf libs = {0}, pkgs = {0}, archives = {0};
	const char *p = text;
	char *line;

	/* ld: "cannot find -lzstd" (newer binutils add ": No such file or directory"). */
	while ((p = strstr(p, "cannot find -l"))) {
		char name[64];
		size_t n;
		const char *pkg;

		p += strlen("cannot find -l");
		n = strcspn(p, ": \n");
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		buf_printf(&libs, "%s-l%s", libs.len ? ", " : "", name);
		pkg = doctor_lib_package(name);
		buf_printf(&pkgs, "%s%s%s%s", pkgs.len ? " " : "", pkg ? pkg : name,
			   d->cross && pkg ? ":" : "", d->cross && pkg ? d->arch->deb_arch : "");
		buf_printf(&archives, "%slib%s.a", archives.len ? " " : "", name);
	}
	if (libs.len) {
		char *fix = xasprintf("install %s (for %s)", pkgs.data, archives.data);

		doctor_fail(d, check, fix, "cc -static cannot find %s", libs.data);
		free(fix);
		goto out;
	}
	if ((p = strstr(text, "undefined reference to `"))) {
		const char *sym = p + strlen("undefined reference to `");
		size_t n = strcspn(sym, "'\n");
		char *name = doctor_strndup(sym, n);
		const char *pkg = doctor_symbol_package(name);
		char *fix = d->cross ? xstrdup(DOCTOR_FIX_CROSS_LIBS) :
			    xasprintf("install %s with its static library (libbpf-dev, libelf-dev, zlib1g-dev, libzstd-dev)",
				      pkg ? pkg : "the library that defines it");

		doctor_fail(d, check, fix, "cc -static: undefined reference to %s", name);
		free(fix);
		free(name);
		goto out;
	}
	line = doctor_pick_line(text, "error", d->tmpdir);
	doctor_fail(d, check, d->cross ? DOCTOR_FIX_CROSS_LIBS : "install libbpf-dev libelf-dev zlib1g-dev libzstd-dev",
		    "cc -static failed (exit %d): %s", rc, *line ? line : "no message");
	free(line);
out:
	buf_free(&libs);
	buf_free(&pkgs);
	buf_free(&archives);
}

/* The runtime's elf_compat.c compiled into an archive in the scratch dir;
 * NULL without a data dir or when it does not build (the link then says
 * what is missing). */
static char *doctor_compat_archive(struct doctor *d)
{
	const char *data = toolchain_data_dir_find();
	char *src, *obj, *lib = NULL, *ar;

	if (!data || !d->tmpdir)
		return NULL;
	src = fs_path_join(data, "runtime/elf_compat.c");
	obj = fs_path_join(d->tmpdir, "elf_compat.o");
	ar = d->cross ? toolchain_find_cross(d->arch, "ar", NULL) : proc_find_program("ar");
	char *cc_argv[] = { d->cc, "-O2", "-c", "-o", obj, src, NULL };

	if (ar && fs_exists(src) && doctor_run(cc_argv, NULL, NULL) == 0) {
		lib = fs_path_join(d->tmpdir, "libbpfpack-compat.a");
		char *ar_argv[] = { ar, "rcs", lib, obj, NULL };

		if (doctor_run(ar_argv, NULL, NULL) != 0) {
			free(lib);
			lib = NULL;
		}
	}
	free(ar);
	free(obj);
	free(src);
	return lib;
}

static void doctor_check_static_libs(struct doctor *d)
{
	const char *check = "static-libs";
	struct buf out = {0}, err = {0};
	char *src, *exe = NULL, *ver = NULL, *compat = NULL;
	int rc;

	if (!d->cc) {
		doctor_fail(d, check, "fix the cc check first", "no C compiler to link with (see the cc check)");
		return;
	}
	src = doctor_write_source(d, "static.c", doctor_static_src);
	if (!src) {
		doctor_fail(d, check, "set TMPDIR to a writable directory",
			    "cannot write a test program to a temp directory");
		return;
	}
	exe = fs_path_join(d->tmpdir, "static");
	/* The libraries the build links every tool with, and after them, as
	 * the build does, an archive of the runtime's elf_compat (what
	 * elfutils 0.192's libelf.a lacks). */
	compat = doctor_compat_archive(d);
	char *link_argv[] = { d->cc, "-static", "-o", exe, src, "-lbpf", "-lelf", "-lz", "-lzstd", compat, NULL };

	rc = doctor_run(link_argv, NULL, &err);
	if (rc != 0) {
		doctor_fail_static_link(d, check, doctor_str(&err), rc);
		goto out;
	}
	if (d->cross) {
		/* A program for another machine cannot run here: its ELF says
		 * whether the link made one for the target. */
		int machine = elf_file_machine(exe);

		if (machine != (int)d->arch->elf_machine)
			doctor_fail(d, check, DOCTOR_FIX_CROSS_LIBS,
				    "%s -static made an ELF for machine %d, not %s (%u)", d->cc, machine,
				    d->arch->name, d->arch->elf_machine);
		else
			doctor_ok(d, check, "%s -static -lbpf -lelf -lz -lzstd links an %s program",
				  d->cc, d->arch->name);
		goto out;
	}
	/* Running it proves the archives make a working binary; a TMPDIR
	 * mounted noexec only costs us the version. */
	char *run_argv[] = { exe, NULL };

	rc = doctor_run(run_argv, &out, NULL);
	if (rc == 0)
		ver = doctor_pick_line(doctor_str(&out), NULL, NULL);
	if (rc > 0)
		doctor_fail(d, check, "reinstall libbpf-dev libelf-dev zlib1g-dev libzstd-dev",
			    "a program linked with -static -lbpf -lelf -lz -lzstd exits %d", rc);
	else if (ver && *ver)
		doctor_ok(d, check, "cc -static -lbpf -lelf -lz -lzstd links and runs (libbpf.a %s)", ver);
	else
		doctor_ok(d, check, "cc -static -lbpf -lelf -lz -lzstd links (could not run it from %s)", d->tmpdir);
out:
	free(compat);
	free(ver);
	free(exe);
	free(src);
	buf_free(&out);
	buf_free(&err);
}

static void doctor_check_kernel_btf(struct doctor *d)
{
	const char *check = "kernel-btf";
	const char *fix = "the kernel has no BTF: CO-RE tools need BTF from elsewhere (BPFPACK_BTF=path)";
	struct utsname u;
	struct btf *btf;

	if (uname(&u) < 0)
		strcpy(u.release, "unknown");
	if (!fs_exists(DOCTOR_VMLINUX_BTF)) {
		doctor_fail(d, check, fix, "%s does not exist (kernel %s built without CONFIG_DEBUG_INFO_BTF)",
			    DOCTOR_VMLINUX_BTF, u.release);
		return;
	}
	btf = btf__parse(DOCTOR_VMLINUX_BTF, NULL);
	if (!btf) {
		int err = errno;

		doctor_fail(d, check, err == EACCES ? "run as root, or make /sys/kernel/btf/vmlinux readable" : fix,
			    "%s does not parse (kernel %s): %s", DOCTOR_VMLINUX_BTF, u.release, strerror(err));
		return;
	}
	doctor_ok(d, check, "%s: %u types, kernel %s", DOCTOR_VMLINUX_BTF, btf__type_cnt(btf) - 1, u.release);
	btf__free(btf);
}

/* Whether the effective capability set holds CAP (from /proc/self/status). */
static int doctor_has_cap(int cap)
{
	char status[8192];
	const char *p;
	unsigned long long eff;

	if (doctor_read_small("/proc/self/status", status, sizeof(status)) < 0 ||
	    !(p = strstr(status, "\nCapEff:")) || sscanf(p + strlen("\nCapEff:"), "%llx", &eff) != 1)
		return 0;
	return (eff >> cap) & 1;
}

static void doctor_check_bpf_permission(struct doctor *d)
{
	const char *check = "bpf-permission";
	const char *fix = "run as root or grant CAP_BPF+CAP_PERFMON (e.g. setcap cap_bpf,cap_perfmon+ep TOOL)";
	struct buf who = {0}, sysctl = {0};
	char val[32];
	int ret, err;

	buf_printf(&who, "uid %u", (unsigned)geteuid());
	if (doctor_has_cap(DOCTOR_CAP_BPF))
		buf_append_str(&who, ", CAP_BPF");
	if (doctor_has_cap(DOCTOR_CAP_PERFMON))
		buf_append_str(&who, ", CAP_PERFMON");
	if (doctor_has_cap(DOCTOR_CAP_SYS_ADMIN))
		buf_append_str(&who, ", CAP_SYS_ADMIN");
	if (!doctor_has_cap(DOCTOR_CAP_BPF) && !doctor_has_cap(DOCTOR_CAP_SYS_ADMIN))
		buf_append_str(&who, ", no CAP_BPF or CAP_SYS_ADMIN");
	if (doctor_read_small("/proc/sys/kernel/unprivileged_bpf_disabled", val, sizeof(val)) == 0) {
		int v = atoi(val);

		buf_printf(&sysctl, "; kernel.unprivileged_bpf_disabled=%d (%s)", v,
			   v == 0 ? "unprivileged users may load some programs" :
			   v == 1 ? "only privileged loads, until reboot" : "only privileged loads");
	}

	/* libbpf loads a trivial socket filter for real. It returns 0, not an
	 * error, when the load is refused; the reason is left in errno. */
	errno = 0;
	ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, NULL);
	err = ret < 0 ? -ret : errno;
	if (ret == 1)
		doctor_ok(d, check, "loaded a socket filter (%s)%s", who.data, doctor_str(&sysctl));
	else if (err == EPERM && geteuid() == 0 && doctor_has_cap(DOCTOR_CAP_SYS_ADMIN))
		doctor_fail(d, check, "allow bpf() for this process: run outside the container/sandbox, or lift kernel lockdown",
			    "cannot load a BPF program: EPERM although privileged (%s)%s: lockdown, seccomp or a container blocks bpf()",
			    who.data, doctor_str(&sysctl));
	else if (err == EPERM || err == EACCES)
		doctor_fail(d, check, fix, "cannot load a BPF program: %s (%s)%s", err == EPERM ? "EPERM" : "EACCES",
			    who.data, doctor_str(&sysctl));
	else if (err == ENOSYS)
		doctor_fail(d, check, "use a kernel built with CONFIG_BPF_SYSCALL=y",
			    "the kernel has no bpf() system call (ENOSYS)");
	else
		doctor_fail(d, check, "use a kernel built with CONFIG_BPF_SYSCALL=y",
			    "the kernel refused a trivial socket filter: %s (%s)%s",
			    err ? strerror(err) : "no reason given", who.data, doctor_str(&sysctl));
	buf_free(&who);
	buf_free(&sysctl);
}

static void doctor_check_tracefs(struct doctor *d)
{
	static const char *const dirs[] = { "/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events" };
	const char *check = "tracefs";
	struct stat st;
	int denied = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (access(dirs[i], R_OK | X_OK) == 0) {
				doctor_ok(d, check, "%s", dirs[i]);
				return;
			}
			denied = 1;
		} else if (errno == EACCES) {
			denied = 1;
		}
	}
	if (denied)
		doctor_fail(d, check, "run as root", "tracefs is mounted but uid %u cannot read its events",
			    (unsigned)geteuid());
	else
		doctor_fail(d, check, "mount -t tracefs nodev /sys/kernel/tracing",
			    "tracefs is not mounted (no /sys/kernel/tracing/events)");
}

/* qemu for the target's machine, asked for its version and its machines. */
static void doctor_check_qemu(struct doctor *d)
{
	const char *check = "qemu";
	const struct vm_machine *m = vm_machine_find(d->arch->name);
	const char *want = getenv(m->qemu_env);
	struct buf out = {0};
	char *qemu, *fix = xasprintf("install %s (%s does) or set %s", m->qemu_package,
				     d->cross ? "tests/setup-arm64.sh" : "./build.sh", m->qemu_env);
	int rc;

	qemu = proc_find_program(want && *want ? want : m->qemu);
	if (!qemu) {
		if (want && *want)
			doctor_fail(d, check, fix, "%s=%s is not an executable program", m->qemu_env, want);
		else
			doctor_fail(d, check, fix, "no %s in PATH (bpfpack vmtest boots %s kernels with it)",
				    m->qemu, d->arch->name);
		goto out;
	}
	char *argv[] = { qemu, "-machine", "help", NULL };

	rc = doctor_run(argv, &out, NULL);
	if (rc != 0 || (!strcmp(m->arch, "arm64") && !strstr(doctor_str(&out), "\nvirt "))) {
		doctor_fail(d, check, fix, "`%s -machine help` failed (exit %d) or lists no virt machine",
			    qemu, rc);
		goto out;
	}
	doctor_ok(d, check, "%s (for vmtest%s%s)", qemu, d->cross ? " --arch " : "", d->cross ? d->arch->name : "");
	d->qemu = qemu;
	qemu = NULL;
out:
	free(qemu);
	free(fix);
	buf_free(&out);
}

/* How vmtest's guests will run: KVM when /dev/kvm can run this machine's
 * kind, else qemu's TCG emulator, which must then be built into qemu. */
static void doctor_check_vm_accel(struct doctor *d)
{
	const char *check = "vm-accel";
	const struct vm_machine *m = vm_machine_find(d->arch->name);
	struct buf out = {0};
	int rc;

	if (!d->qemu) {
		doctor_fail(d, check, "fix the qemu check first", "no qemu to ask (see the qemu check)");
		return;
	}
	if (vm_kvm_usable(m)) {
		doctor_ok(d, check, "KVM (/dev/kvm runs %s guests)", d->arch->name);
		return;
	}
	char *argv[] = { d->qemu, "-accel", "help", NULL };

	rc = doctor_run(argv, &out, NULL);
	if (rc != 0 || !strstr(doctor_str(&out), "\ntcg")) {
		doctor_fail(d, check, "install a qemu with TCG (Debian's qemu-system packages have it), or use a machine with KVM",
			    "no usable KVM and `%s -accel help` (exit %d) lists no tcg", d->qemu, rc);
	} else {
		doctor_ok(d, check, "TCG: no KVM for %s guests here (/dev/kvm absent, not accessible, or a CPU without vmx/svm); "
			  "guests run emulated, slower", d->arch->name);
	}
	buf_free(&out);
}

/* Whether the ELF at PATH is for this machine and has no program
 * interpreter (static). Returns 1, 0, or -errno (-ENOEXEC: not ELF64). */
static int doctor_elf_is_static(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 1;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return -ENOEXEC;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph))) != (ssize_t)sizeof(ph)) {
			rc = -ENOEXEC;
			break;
		}
		if (ph.p_type == PT_INTERP) {
			rc = 0;
			break;
		}
	}
	close(fd);
	return rc;
}

/* The busybox this machine's guests run: found as vmtest finds it ($BUSYBOX,
 * /bin/busybox, PATH); the guest has no libraries, so it must be static. */
static void doctor_check_busybox(struct doctor *d)
{
	const char *check = "busybox";
	const char *fix = "install busybox-static (./build.sh does) or set BUSYBOX to a static busybox";
	const char *want = getenv("BUSYBOX");
	char *bb;
	int st;

	if (!want || !*want)
		want = fs_exists("/bin/busybox") ? "/bin/busybox" : "busybox";
	bb = proc_find_program(want);
	if (!bb) {
		doctor_fail(d, check, fix, "%s%s not found (vmtest's guests run it)",
			    getenv("BUSYBOX") && *getenv("BUSYBOX") ? "BUSYBOX=" : "", want);
		return;
	}
	st = doctor_elf_is_static(bb);
	if (st < 0)
		doctor_fail(d, check, fix, "%s is not a 64-bit ELF program: %s", bb, strerror(-st));
	else if (elf_file_machine(bb) != (int)d->arch->elf_machine)
		doctor_fail(d, check, fix, "%s is not an %s program", bb, d->arch->name);
	else if (!st)
		doctor_fail(d, check, fix, "%s is dynamically linked; the guest has no libraries", bb);
	else
		doctor_ok(d, check, "%s, static (for vmtest)", bb);
	free(bb);
}

/* pahole (dwarves) encodes BTF from DWARF for `btf from-debug`. */
static void doctor_check_pahole(struct doctor *d)
{
	const char *check = "pahole";
	const char *fix = "install dwarves (./build.sh does)";
	struct buf out = {0};
	char *pahole = proc_find_program("pahole"), *line = NULL;
	int rc;

	if (!pahole) {
		doctor_fail(d, check, fix, "no pahole in PATH (btf from-debug runs it on a vmlinux with DWARF)");
		return;
	}
	char *argv[] = { pahole, "--version", NULL };

	rc = doctor_run(argv, &out, NULL);
	line = doctor_pick_line(doctor_str(&out), NULL, NULL);
	if (rc != 0 || !*line)
		doctor_fail(d, check, fix, "`%s --version` failed (exit %d)", pahole, rc);
	else
		doctor_ok(d, check, "%s %s (for btf from-debug)", pahole, line);
	free(line);
	free(pahole);
	buf_free(&out);
}

/* bpfpack's own templates, headers and runtime, without which neither
 * `new` nor `build` can work. */
static void doctor_check_data_dir(struct doctor *d)
{
	const char *check = "data-dir";
	const char *dir = toolchain_data_dir_find();
	const char *env = getenv("BPFPACK_HOME");

	if (dir)
		doctor_ok(d, check, "%s (templates/, include/, runtime/)%s", dir,
			  env && *env ? " from BPFPACK_HOME" : "");
	else
		doctor_fail(d, check, "install bpfpack with `make install` or its .deb, or set BPFPACK_HOME to the directory "
			    "holding templates/, include/ and runtime/",
			    env && *env ? "BPFPACK_HOME=%s lacks templates/, include/ or runtime/" :
			    "no templates/, include/ and runtime/ beside this binary nor in ../share/bpfpack%s",
			    env && *env ? env : "");
}

/* The busybox an arm64 guest runs: found as vmtest finds it and, from a
 * package, extracted, so its ELF machine can be checked. */
static void doctor_check_guest_busybox(struct doctor *d)
{
	const char *check = "guest-busybox";
	char *cache = btfgen_cache_dir(), why[1024];
	struct vm_busybox b = {0};
	int machine, err;

	if (!d->tmpdir) {
		doctor_fail(d, check, "set TMPDIR to a writable directory",
			    "cannot look for the guest's busybox: no temp directory");
		goto out;
	}
	err = vm_busybox_find(d->arch->name, d->arch->deb_arch, cache, d->tmpdir, &b, why,
			      sizeof(why));
	if (err) {
		doctor_fail(d, check, b.fix, "%s", why);
		goto out;
	}
	machine = elf_file_machine(b.path);
	if (machine != (int)d->arch->elf_machine)
		doctor_fail(d, check, b.fix, "%s%s is not an %s program (ELF machine %d)",
			    b.from_deb ? "the busybox of " : "", b.source, d->arch->name, machine);
	else
		doctor_ok(d, check, "%s%s%s (for vmtest --arch %s)", b.from_deb ? b.member : "",
			  b.from_deb ? " of " : "", b.source, d->arch->name);
out:
	if (b.from_deb && b.path)
		unlink(b.path);
	vm_busybox_free(&b);
	free(cache);
}

/* libbpf's own warnings (a failed parse, a refused load) would repeat what the
 * check lines already say; show them only with -v. */
static int doctor_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!report_verbose() || (level == LIBBPF_DEBUG && report_verbose() < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Which runs a check belongs to. */
#define DOCTOR_NATIVE 1u	/* this machine's target */
#define DOCTOR_CROSS 2u		/* --arch for another machine */
#define DOCTOR_BOTH (DOCTOR_NATIVE | DOCTOR_CROSS)

/* Every check, in order: each after the ones it depends on (clang-bpf on
 * clang, static-libs on cc and the data dir, vm-accel on qemu). ONLY_FOR
 * names the one feature that needs it; on this machine its failure is a
 * warning. */
static const struct doctor_check {
	void (*run)(struct doctor *d);
	unsigned int when;
	const char *only_for;
} doctor_checks[] = {
	{ doctor_check_data_dir, DOCTOR_BOTH, NULL },
	{ doctor_check_clang, DOCTOR_BOTH, NULL },
	{ doctor_check_clang_bpf, DOCTOR_BOTH, NULL },
	{ doctor_check_bpftool, DOCTOR_BOTH, NULL },
	{ doctor_check_cc, DOCTOR_BOTH, NULL },	/* cross: cross-cc and cross-binutils */
	{ doctor_check_libbpf_headers, DOCTOR_BOTH, NULL },
	{ doctor_check_static_libs, DOCTOR_BOTH, NULL },
	/* The running kernel says nothing about another machine's. */
	{ doctor_check_kernel_btf, DOCTOR_NATIVE, NULL },
	{ doctor_check_bpf_permission, DOCTOR_NATIVE, NULL },
	{ doctor_check_tracefs, DOCTOR_NATIVE, NULL },
	{ doctor_check_qemu, DOCTOR_BOTH, "vmtest" },
	{ doctor_check_vm_accel, DOCTOR_BOTH, "vmtest" },
	{ doctor_check_busybox, DOCTOR_NATIVE, "vmtest" },
	{ doctor_check_guest_busybox, DOCTOR_CROSS, "vmtest" },
	{ doctor_check_pahole, DOCTOR_NATIVE, "btf from-debug" },
};

static void doctor_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* --json: one document, for CI:
 * {"target":"x86_64","cross":false,"checks":[{"name":..,"status":"ok"|"warn"|"fail",
 *  "message":..,"fix":..|null},...],"ok":N,"warn":N,"fail":N} */
static void doctor_print_json(const struct doctor *d)
{
	printf("{\"target\":");
	if (d->arch)
		doctor_json_str(d->arch->name);
	else
		printf("null");
	printf(",\"cross\":%s,\"checks\":[", d->cross ? "true" : "false");
	for (size_t i = 0; i < d->n_results; i++) {
		const struct doctor_result *r = &d->results[i];

		printf("%s{\"name\":", i ? "," : "");
		doctor_json_str(r->check);
		printf(",\"status\":\"%s\",\"message\":", doctor_status_names[r->status]);
		doctor_json_str(r->message);
		printf(",\"fix\":");
		if (r->fix)
			doctor_json_str(r->fix);
		else
			printf("null");
		putchar('}');
	}
	printf("],\"ok\":%d,\"warn\":%d,\"fail\":%d}\n", d->passed, d->warned, d->failed);
}

/* The last line of the text report. */
static void doctor_print_summary(const struct doctor *d)
{
	printf("summary: %d ok, %d failed, %d warning%s: %s\n", d->passed, d->failed, d->warned,
	       d->warned == 1 ? "" : "s",
	       d->failed ? "builds need the failed checks fixed" :
	       d->warned ? "ready to build; the warnings name what else needs fixing" :
	       d->cross ? "ready to build and vmtest for this arch" : "ready to build, run and vmtest tools");
}

struct doctor_args {
	const struct toolchain_arch *arch;
	bool json;
};

static const struct opt doctor_options[] = {
	OPT_CALLBACK(0, "arch", struct doctor_args, arch, "ARCH", "x86_64 arm64", cmd_opt_arch,
		     "check the toolchain for ARCH (x86_64, arm64)"),
	OPT_FLAG(0, "json", struct doctor_args, json,
		 "one JSON document: each check's name, status (ok, warn, fail), message and fix, and "
		 "the counts"),
	OPT_END(),
};

static const char *const doctor_synopsis[] = { "[--arch ARCH] [--json]", NULL };

const struct command command_doctor = {
	.name = "doctor",
	.path = "doctor",
	.fn = cmd_doctor,
	.summary = "check the toolchain and the kernel",
	.synopsis = doctor_synopsis,
	.description =
		"Checks bpfpack's data directory, clang and its BPF target, bpftool, libbpf\n"
		"headers and static libraries, the C compiler, the running kernel's BTF and\n"
		"the permission to load BPF; for vmtest qemu, KVM or TCG and a static busybox,\n"
		"for btf from-debug pahole (those are warnings: builds work without them).\n"
		"With --arch for another arch: the BPF compile for it, the cross compiler and\n"
		"binutils, the :arm64 static libraries, qemu-system-aarch64 and an arm64\n"
		"busybox (the running kernel's checks are left out).\n"
		"Each failing check says how to fix it; a summary line ends the report; the\n"
		"exit status is 1 if any failed.\n",
	.options = doctor_options,
};

int cmd_doctor(int argc, char **argv)
{
	struct doctor_args a = { .arch = toolchain_arch_host() };
	struct doctor d = {0};
	libbpf_print_fn_t old_print;
	int n;

	n = cmd_parse_options(&command_doctor, argc, argv, &a, 0);
	if (n < 0)
		return n == PARSE_OPT_HELP ? 0 : n;
	if (n > 0) {
		report_error("unexpected argument '%s'", argv[1]);
		cmd_usage_hint(&command_doctor);
		return -EUSAGE;
	}
	d.arch = a.arch;
	d.json = a.json;

	d.cross = toolchain_arch_is_cross(d.arch);
	if (d.cross && !d.json) {
		const struct toolchain_arch *host = toolchain_arch_host();

		printf("target: %s (cross build from %s)\n", d.arch->name, host ? host->name : "this machine");
		fflush(stdout);
	}
	old_print = libbpf_set_print(doctor_libbpf_print);
	/* Without a scratch dir the compile checks report their own failure. */
	if (fs_mkdtemp("bpfpack-doctor", &d.tmpdir) < 0)
		d.tmpdir = NULL;

	for (size_t i = 0; i < sizeof(doctor_checks) / sizeof(doctor_checks[0]); i++) {
		const struct doctor_check *ck = &doctor_checks[i];

		if (!(ck->when & (d.cross ? DOCTOR_CROSS : DOCTOR_NATIVE)))
			continue;
		d.only_for = ck->only_for;
		if (ck->only_for && !strcmp(ck->only_for, "vmtest") && !d.arch) {
			/* vmtest boots only machines bpfpack knows; say so once. */
			if (ck->run == doctor_check_qemu)
				doctor_fail(&d, "qemu", "run vmtest on x86_64 or arm64",
					    "vmtest has no VM machine for this architecture (it knows %s)",
					    toolchain_arch_list());
			continue;
		}
		ck->run(&d);
	}
	d.only_for = NULL;
	if (d.json)
		doctor_print_json(&d);
	else
		doctor_print_summary(&d);

	if (d.tmpdir)
		fs_rm_rf(d.tmpdir);
	libbpf_set_print(old_print);
	for (size_t i = 0; i < d.n_results; i++) {
		free(d.results[i].check);
		free(d.results[i].message);
		free(d.results[i].fix);
	}
	free(d.results);
	free(d.tmpdir);
	free(d.clang);
	free(d.cc);
	free(d.qemu);
	/* A failed check has said what failed and how to fix it: exit 1. */
	return d.failed ? -EINVAL : 0;
}
