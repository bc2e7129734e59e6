/* build: `bpfpack build` turns a project into one static binary per tool:
 * vmlinux.h -> clang -target bpf -> bpftool gen object -> gen skeleton ->
 * cc user space -> cc -static link. The graph runs in lib/jobs.
 *
 * With --arch for another machine (arm64 on x86_64) the same graph runs with
 * the cross toolchain (aarch64-linux-gnu-gcc, -ar, -objcopy) against the
 * target's static libraries (Debian multiarch :arm64 packages), BPF compiled
 * with -D__TARGET_ARCH_<arch> against that arch's vmlinux.h. Its files go to
 * .output/ARCH/ and its tools to ARCH/, so switching --arch rebuilds nothing
 * of the other arch's: each arch has its own outputs and signature files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd.h"
#include "build.h"
#include "../btfhub/bpfobj_canon.h"
#include "../btfhub/btf_source.h"
#include "../btfhub/vmlinux_header.h"
#include <bpf/btf.h>

#include "../btfhub/btfgen.h"
#include "../btfhub/embed.h"
#include "../btfhub/kernel_release.h"
#include "../lib/compdb.h"
#include "../lib/depfile.h"
#include "../lib/fs.h"
#include "../lib/jobs.h"
#include "../lib/objcache.h"
#include "../lib/proc.h"
#include "../lib/project.h"
#include "../lib/report.h"
#include "../lib/toolchain.h"
#include "../runtime/btfset.h"

/* The libraries every tool links statically, in link order. */
static const char *const static_libs[] = { "-lbpf", "-lelf", "-lzstd", "-lz" };

/* libbpf's object-open functions, routed through bpfpack's runtime
 * (runtime/bpfpack_open.c) in every tool: code that never calls
 * bpfpack_btf_setup() still gets the embedded BTF on kernels without BTF. */
static const char link_wrap_open[] =
	"-Wl,--wrap=bpf_object__open_skeleton,--wrap=bpf_object__open_file,"
	"--wrap=bpf_object__open_mem,--wrap=bpf_object__open,"
	"--wrap=bpf_object__load,--wrap=bpf_object__load_skeleton,"
	"--wrap=bpf_object__close,--wrap=bpf_object__destroy_skeleton";

/* The kernel's name of this machine's architecture (for an arch bpfpack has
 * no toolchain_arch of). */
static const char *host_bpf_arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "x86";
	if (!strcmp(u.machine, "x86_64") || !strncmp(u.machine, "i", 1))
		return "x86";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	if (!strncmp(u.machine, "arm", 3))
		return "arm";
	if (!strncmp(u.machine, "ppc", 3))
		return "powerpc";
	if (!strncmp(u.machine, "riscv", 5))
		return "riscv";
	if (!strcmp(u.machine, "s390x"))
		return "s390";
	return u.machine;
}

/* One lock per project: a second build waits instead of racing the first. */
int build_lock(const char *out_dir)
{
	char *path = fs_path_join(out_dir, ".lock");
	/* Not O_CLOEXEC: the compilers inherit the lock, so when a build is
	 * SIGKILLed the next one waits until its orphaned children are done. */
	int fd = open(path, O_RDWR | O_CREAT, 0644);

	if (fd < 0) {
		int err = errno;

		report_error("cannot open %s: %s", path, strerror(err));
		free(path);
		return -err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		report_info("waiting for another build of this project to finish");
		if (flock(fd, LOCK_EX) < 0) {
			int err = errno;

			report_error("cannot lock %s: %s", path, strerror(err));
			close(fd);
			free(path);
			return -err;
		}
	}
	free(path);
	return fd;
}

/* OUT_DIR/vmlinux.h.source says what made OUT_DIR/vmlinux.h: its first line
 * names the kernel for messages ("(running kernel) 6.18.0-1-amd64",
 * "(arm64: 6.1.0-13-arm64) from FILE"), the rest identifies the source, so that a
 * different source, a changed file or (for the running kernel) an upgraded
 * kernel makes vmlinux.h again. */

/* The running kernel: its release, its build (uname -v changes with every
 * kernel package) and the size of its BTF. */
static char *vmlinux_stamp_running(void)
{
	struct utsname u;
	struct stat st;
	long long size = -1;

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	if (stat(BTF_SOURCE_KERNEL_PATH, &st) == 0)
		size = (long long)st.st_size;
	return xasprintf("(running kernel) %s\n%s %s %s %lld\n", u.release, BTF_SOURCE_KERNEL_PATH,
			 u.release, u.version, size);
}

/* Kernel E of a file: its path, size and time. */
static char *vmlinux_stamp_file(const struct build_ctx *b, const struct btf_source_entry *e)
{
	const char *rel = e->key.release[0] ? e->key.release : fs_basename(e->path);
	struct stat st;

	if (stat(e->path, &st) < 0)
		memset(&st, 0, sizeof(st));
	return xasprintf("(%s%s%s) from %s\n%s %lld %lld.%09ld\n", b->cross ? b->arch->name : "",
			 b->cross ? ": " : "", rel, e->origin, e->path, (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* The first line of the stamp at STAMP_PATH (malloc'd), or NULL when there is
 * none: a vmlinux.h made before bpfpack kept stamps, or never made. */
static char *vmlinux_stamp_read(const char *stamp_path, char **whole)
{
	struct buf old = {0};
	char *line;

	*whole = NULL;
	if (!fs_exists(stamp_path) || fs_read_file(stamp_path, &old) < 0 || !old.data) {
		buf_free(&old);
		return NULL;
	}
	line = xasprintf("%.*s", (int)strcspn(old.data, "\n"), old.data);
	*whole = xstrdup(old.data);
	buf_free(&old);
	return line;
}

/* The step line for a vmlinux.h made from WHAT (a stamp's first line),
 * saying what it replaces when that was another kernel. */
static void vmlinux_report_step(const char *what, const char *was)
{
	char *line;

	if (was && strcmp(was, what))
		line = xasprintf("vmlinux.h %s; was %s", what, was);
	else
		line = xasprintf("vmlinux.h %s", what);
	report_step("VMLINUX", line);
	free(line);
}

static int write_vmlinux_h(const char *path)
{
	struct btf *btf = NULL;
	int rc;

	rc = btf_source_load(NULL, &btf);
	if (rc == 0)
		rc = vmlinux_header_write_file(btf, path);
	btf__free(btf);
	return rc;
}

/* vmlinux.h from kernel E (of a BTF source), checked to be ARCH's. */
static int write_vmlinux_h_from(const struct build_ctx *b, const struct btf_source_entry *e,
				const char *path)
{
	struct buf raw = {0};
	struct btf *btf = NULL;
	int rc;

	if (b->arch && e->key.arch[0] && strcmp(e->key.arch, b->arch->name)) {
		report_error("%s is the BTF of an %s kernel, not %s: it cannot make vmlinux.h for "
			     "--arch %s", e->origin, e->key.arch, b->arch->name, b->arch->name);
		report_hint("give --vmlinux an %s kernel (a kernel package, image or BTF file)",
			    b->arch->name);
		return -EINVAL;
	}
	rc = btf_source_read_raw(e, &raw);
	if (rc == 0)
		rc = btf_source_parse(e, &raw, &btf);
	if (rc == 0)
		rc = vmlinux_header_write_file(btf, path);
	btf__free(btf);
	buf_free(&raw);
	return rc;
}

/* Keeps FILE in bpfpack's cache under KEY (see lib/objcache.h); a cache
 * that cannot take it costs the next project the work: one warning a run. */
static void shared_cache_store(struct build_ctx *b, const char *key, const char *name,
			       const char *file, const struct strv *deps)
{
	int rc = objcache_store(b->shared_cache, key, name, file, deps);

	/* -EINVAL: a dependency named by a relative path (a depfile never
	 * should) cannot be checked later: no entry, nothing to say. A
	 * `btf gen` this build ran has said already that this cache cannot
	 * be written. */
	for (size_t i = 0; i < b->jobs->n && !b->shared_cache_warned; i++)
		b->shared_cache_warned = b->jobs->v[i].ran && !strcmp(b->jobs->v[i].step, "BTFGEN");
	if (rc < 0 && rc != -EINVAL && !b->shared_cache_warned) {
		b->shared_cache_warned = true;
		report_warn("cannot write the cache %s: %s; going on without it (set "
			    "BPFPACK_CACHE_DIR to a writable directory to keep what projects "
			    "share: bpfpack's runtime, vmlinux.h)", b->shared_cache, strerror(-rc));
	}
}

/* Makes b->vmlinux_h from kernel E (NULL: the running kernel), whose stamp
 * is STAMP. The header is the same for every project built against that
 * kernel, so bpfpack keeps it in its cache, valid while the kernel's BTF
 * file keeps its size and time. */
static int make_vmlinux_h(struct build_ctx *b, const struct btf_source_entry *e, const char *stamp)
{
	const char *src = e ? e->path : BTF_SOURCE_KERNEL_PATH;
	char key[HASH_HEX_LEN + 1], *cached = NULL, *what;
	struct buf data = {0};
	int rc;

	if (b->shared_cache) {
		what = xasprintf("bpfpack %s vmlinux.h for %s\n%s", BPFPACK_VERSION,
				 b->arch ? b->arch->name : "", stamp);
		objcache_key(what, strlen(what), key);
		free(what);
		cached = objcache_lookup(b->shared_cache, key, "vmlinux.h");
	}
	if (cached) {
		rc = fs_read_file(cached, &data);
		if (rc == 0)
			rc = fs_write_atomic(b->vmlinux_h, data.data, data.len, 0644);
		buf_free(&data);
		free(cached);
		return rc;
	}
	rc = e ? write_vmlinux_h_from(b, e, b->vmlinux_h) : write_vmlinux_h(b->vmlinux_h);
	/* Kept after the build (store_shared): a warning then knows whether
	 * a `btf gen` of this build has said it already. */
	if (rc == 0 && b->shared_cache) {
		memcpy(b->vmlinux_key, key, sizeof(key));
		b->vmlinux_dep = xstrdup(src);
	}
	return rc;
}

/* Makes OUT_DIR/vmlinux.h unless the project's own is to be used:
 *   --vmlinux SOURCE: from SOURCE (one kernel), again whenever SOURCE changes;
 *   a cross build: from the newest kernel of ARCH (by release) among the BTF
 *   sources, else the one an earlier build made, else the project's
 *   vmlinux.h (with a warning), else an error;
 *   a native build: from the running kernel, again whenever that changes
 *   (a kernel upgrade, or after a build with --vmlinux).
 * Making it prints which kernel it comes from (and which it replaces);
 * with -v, a build that keeps it says so too. */
static int prepare_vmlinux_h(struct build_ctx *b)
{
	const struct btf_source_entry *e = NULL;
	struct btf_source_list one = {0};
	char *stamp_path = NULL, *stamp = NULL, *old = NULL, *was = NULL;
	size_t n_arch = 0;
	int rc = 0;

	if (!b->vmlinux_src && !b->cross && b->p->has_vmlinux_h) {
		report_debug("vmlinux.h: the project's own (%s/vmlinux.h)", b->p->root);
		return 0;
	}
	if (b->vmlinux_src) {
		rc = btf_source_expand(b->vmlinux_src, &one);
		if (rc < 0)
			return rc;
		if (one.n != 1) {
			report_error("--vmlinux %s holds %zu kernels: vmlinux.h needs one", b->vmlinux_src,
				     one.n);
			report_hint("give one kernel's file, e.g. one <release>.btf.tar.xz of the tree");
			btf_source_list_free(&one);
			return -EINVAL;
		}
		e = &one.v[0];
	} else if (b->cross) {
		/* The newest: an older kernel's types can lack fields the code uses. */
		long i = kernel_release_newest(&b->btf_kernels, b->arch->name, &n_arch);

		if (i >= 0)
			e = &b->btf_kernels.v[i];
		if (!e) {
			/* Made by an earlier build (from --vmlinux or a source):
			 * kept until another source is given. */
			char *made = fs_path_join(b->out_dir, "vmlinux.h");

			if (fs_exists(made)) {
				stamp_path = xasprintf("%s.source", made);
				was = vmlinux_stamp_read(stamp_path, &old);
				report_debug("vmlinux.h %s: kept from an earlier build (%s)",
					     was ? was : "(of unknown origin)", made);
				free(was);
				free(old);
				free(stamp_path);
				b->vmlinux_h = made;
				return 0;
			}
			free(made);
		}
		if (!e && b->p->has_vmlinux_h) {
			report_warn("no %s kernel BTF given: using the project's vmlinux.h for %s",
				    b->arch->name, b->arch->name);
			return 0;
		}
		if (!e) {
			report_error("no %s kernel BTF to make vmlinux.h from", b->arch->name);
			report_hint("give --vmlinux SOURCE or --btf SOURCE with an %s kernel: a kernel "
				    "package (linux-image-*-%s .deb), image or BTF file",
				    b->arch->name, b->arch->deb_arch);
			return -ENOENT;
		}
	}
	b->vmlinux_h = fs_path_join(b->out_dir, "vmlinux.h");
	stamp_path = xasprintf("%s.source", b->vmlinux_h);
	stamp = e ? vmlinux_stamp_file(b, e) : vmlinux_stamp_running();
	was = vmlinux_stamp_read(stamp_path, &old);
	if (!fs_exists(b->vmlinux_h) || !old || strcmp(old, stamp)) {
		/* Among several kernels of the arch, say why this one (not in
		 * the stamp: another older kernel among the sources changes
		 * nothing). */
		char *what = n_arch > 1 ?
			xasprintf("%.*s, the newest of %zu %s kernels", (int)strcspn(stamp, "\n"), stamp,
				  n_arch, b->arch->name) :
			xasprintf("%.*s", (int)strcspn(stamp, "\n"), stamp);

		vmlinux_report_step(what, fs_exists(b->vmlinux_h) ? was : NULL);
		free(what);
		rc = make_vmlinux_h(b, e, stamp);
		if (rc == 0)
			rc = fs_write_atomic(stamp_path, stamp, strlen(stamp), 0644);
	} else {
		report_debug("vmlinux.h %s: kept (%s)", was, b->vmlinux_h);
	}
	free(was);
	free(old);
	free(stamp);
	free(stamp_path);
	btf_source_list_free(&one);
	return rc;
}

static void add_clang_includes(struct strv *argv, const struct build_ctx *b)
{
	strv_pushf(argv, "-I%s", b->out_dir);
	strv_pushf(argv, "-I%s", b->p->root);
	if (b->include_dir)
		strv_pushf(argv, "-I%s", b->include_dir);
	for (size_t i = 0; i < b->tc->clang_sys_includes.n; i++) {
		strv_push(argv, "-idirafter");
		strv_push(argv, b->tc->clang_sys_includes.v[i]);
	}
}

/* Fewer BPF sources than this that would share a precompiled vmlinux.h
 * compile without it. */
#define PCH_MIN_USERS 4

/* The flags every BPF compile of the project shares, from the clang
 * binary to the project's and the environment's BPF flags. */
static void add_bpf_common_flags(struct strv *argv, const struct build_ctx *b)
{
	strv_push(argv, b->tc->clang);
	strv_push(argv, "-g");
	strv_push(argv, "-O2");
	strv_push(argv, "-target");
	strv_push(argv, "bpf");
	strv_pushf(argv, "-D__TARGET_ARCH_%s", b->arch ? b->arch->bpf_name : host_bpf_arch());
	/* The project's path stays out of the object (DWARF, .BTF.ext file
	 * names): the same sources build the same binary anywhere. */
	strv_pushf(argv, "-ffile-prefix-map=%s=.", b->p->root);
	add_clang_includes(argv, b);
	strv_push_all(argv, &b->p->bpf_cflags);
	strv_push_all(argv, &b->env_bpf_cflags);
}

/* The vmlinux.h a BPF source's `#include "vmlinux.h"` finds: the project's
 * own (the source's directory is searched first), else the generated one;
 * NULL when that is ambiguous (a cross build beside a project vmlinux.h). */
static char *bpf_vmlinux_header(const struct build_ctx *b)
{
	if (b->p->has_vmlinux_h)
		return b->vmlinux_h ? NULL : fs_path_join(b->p->root, "vmlinux.h");
	return b->vmlinux_h ? xstrdup(b->vmlinux_h) : NULL;
}

/* Whether the first preprocessor line of SRC (after blank lines and
 * comments) is #include "vmlinux.h" (or <vmlinux.h>): then the precompiled
 * vmlinux.h is exactly what the compile would parse first. */
static bool bpf_source_starts_with_vmlinux(const char *src)
{
	char text[65536];	/* the first directive comes after the licence comment */
	const char *p;
	bool yes = false;
	ssize_t n;
	/* Silently: an unreadable source is the compiler's to report. */
	int fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	for (p = text; *p;) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
		} else if (p[0] == '/' && p[1] == '/') {
			p = strchr(p, '\n');
			if (!p)
				break;
		} else if (p[0] == '/' && p[1] == '*') {
			p = strstr(p + 2, "*/");
			if (!p)
				break;
			p += 2;
		} else {
			break;
		}
	}
	if (p && *p == '#') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "include", 7)) {
			p += 7;
			while (*p == ' ' || *p == '\t')
				p++;
			yes = !strncmp(p, "\"vmlinux.h\"", 11) || !strncmp(p, "<vmlinux.h>", 11);
		}
	}
	return yes;
}

/* vmlinux.h (~3 MB of declarations, about half of each BPF compile) ->
 * .output/vmlinux.h.pch, precompiled once with the project's BPF flags and
 * given to every compile that starts with it (-include-pch). The objects come
 * out the same (tests/e2e/t-collection.sh compares them with --no-pch). */
static void add_pch_job(struct build_ctx *b)
{
	char *header = bpf_vmlinux_header(b);
	char *pch;
	struct job *j;

	size_t users = 0;

	b->pch_job = (size_t)-1;
	/* Worth it from four compiles on (precompiling costs about one and a
	 * half compiles, and saves about half of each). Counted over the
	 * project's tools, not the ones named: `build X` then `build` must not
	 * flip X's command. */
	for (size_t i = 0; header && !b->no_pch && i < b->p->tools.n && users < PCH_MIN_USERS; i++) {
		const struct project_tool *t = project_tool_find(b->p, b->p->tools.v[i]);
		char *src = xasprintf("%s/%s.bpf.c", b->p->root, b->p->tools.v[i]);

		if (!strv_contains(&b->p->exclude, b->p->tools.v[i]) && !(t && t->bpf_cflags.n) &&
		    bpf_source_starts_with_vmlinux(src))
			users++;
		free(src);
	}
	if (b->no_pch || !header || users < PCH_MIN_USERS) {
		free(header);
		return;
	}
	pch = xasprintf("%s/vmlinux.h.pch", b->out_dir);
	b->pch_job = jobs_add(b->jobs, "PCH", "vmlinux.h", pch);
	j = &b->jobs->v[b->pch_job];
	add_bpf_common_flags(&j->argv, b);
	strv_push(&j->argv, "-x");
	strv_push(&j->argv, "c-header");
	strv_push(&j->argv, header);
	strv_push(&j->argv, "-o");
	strv_push(&j->argv, JOBS_OUTPUT);
	j->color = true;
	strv_push(&j->inputs, header);
	free(header);
	free(pch);
}

/* NAME.bpf.c -> .output/NAME.tmp.bpf.o -> .output/NAME.bpf.o -> .output/NAME.skel.h */
static size_t add_bpf_jobs(struct build_ctx *b, const char *name)
{
	char *src = xasprintf("%s/%s.bpf.c", b->p->root, name);
	char *tmp_obj = xasprintf("%s/%s.tmp.bpf.o", b->out_dir, name);
	char *obj = xasprintf("%s/%s.bpf.o", b->out_dir, name);
	char *skel = xasprintf("%s/%s.skel.h", b->out_dir, name);
	char *what = xasprintf("%s.bpf.c", name);
	const struct project_tool *tool;
	size_t compile, link, gen;
	struct job *j;

	compile = jobs_add(b->jobs, "BPF", what, tmp_obj);
	j = &b->jobs->v[compile];
	add_bpf_common_flags(&j->argv, b);
	tool = project_tool_find(b->p, name);
	if (tool)
		strv_push_all(&j->argv, &tool->bpf_cflags);
	strv_push(&j->argv, "-c");
	strv_push(&j->argv, src);
	strv_push(&j->argv, "-o");
	strv_push(&j->argv, JOBS_OUTPUT);
	compdb_add(b->db, b->p->root, src, j->argv.v, tmp_obj);
	/* The shared precompiled vmlinux.h, when it is what this source parses
	 * first with the same flags (not with its own [tool] bpf_cflags). */
	if (b->pch_job != (size_t)-1 && !(tool && tool->bpf_cflags.n) &&
	    bpf_source_starts_with_vmlinux(src)) {
		strv_push(&j->argv, "-include-pch");
		strv_push(&j->argv, b->jobs->v[b->pch_job].output);
		jobs_add_dep(b->jobs, compile, b->pch_job);
		j = &b->jobs->v[compile];
	}
	strv_push(&j->argv, "-MD");
	strv_push(&j->argv, "-MF");
	j->depfile = xasprintf("%s.d", tmp_obj);
	strv_push(&j->argv, j->depfile);
	strv_push(&j->argv, "-MT");	/* name the real output, not the temp file */
	strv_push(&j->argv, tmp_obj);
	j->color = true;
	strv_push(&j->inputs, src);
	if (b->vmlinux_h)
		strv_push(&j->inputs, b->vmlinux_h);

	free(what);
	what = xasprintf("%s.bpf.o", name);
	link = jobs_add(b->jobs, "GEN-OBJ", what, obj);
	j = &b->jobs->v[link];
	strv_push(&j->argv, b->tc->bpftool);
	strv_push(&j->argv, "gen");
	strv_push(&j->argv, "object");
	strv_push(&j->argv, JOBS_OUTPUT);
	strv_push(&j->argv, tmp_obj);
	/* The same object wherever the project lies (btfhub/bpfobj_canon.h). */
	j->post = bpfobj_canon_fwd;
	j->sig_extra = xstrdup("BTF FWD records in canonical order");
	jobs_add_dep(b->jobs, link, compile);

	free(what);
	what = xasprintf("%s.skel.h", name);
	gen = jobs_add(b->jobs, "GEN-SKEL", what, skel);
	j = &b->jobs->v[gen];
	strv_push(&j->argv, b->tc->bpftool);
	strv_push(&j->argv, "gen");
	strv_push(&j->argv, "skeleton");
	strv_push(&j->argv, obj);
	j->stdout_is_output = true;
	jobs_add_dep(b->jobs, gen, link);

	free(what);
	free(src);
	free(tmp_obj);
	free(obj);
	free(skel);
	return gen;
}

/* SRC -> OBJ with the user-space compiler. Project sources get the project's
 * flags and an entry in compile_commands.json; bpfpack's runtime does not. */
static size_t add_cc_job_for(struct build_ctx *b, const char *src, const char *obj,
			     const char *what, bool project_source, const struct strv *tool_cflags)
{
	size_t idx = jobs_add(b->jobs, "CC", what, obj);
	struct job *j = &b->jobs->v[idx];

	strv_push(&j->argv, b->tc->cc);
	strv_push(&j->argv, "-g");
	strv_push(&j->argv, b->debug ? "-O0" : "-O2");
	strv_push(&j->argv, "-Wall");
	/* Compilers run in the project root: its path would be the DWARF's
	 * comp_dir and the sources' names. Reproducible builds leave it out. */
	strv_pushf(&j->argv, "-ffile-prefix-map=%s=.", b->p->root);
	strv_pushf(&j->argv, "-I%s", b->out_dir);
	if (project_source)
		strv_pushf(&j->argv, "-I%s", b->p->root);
	if (b->include_dir)
		strv_pushf(&j->argv, "-I%s", b->include_dir);
	if (project_source) {
		strv_push_all(&j->argv, &b->p->cflags);
		if (tool_cflags)
			strv_push_all(&j->argv, tool_cflags);
		strv_push_all(&j->argv, &b->env_cflags);
	}
	strv_push(&j->argv, "-c");
	strv_push(&j->argv, src);
	strv_push(&j->argv, "-o");
	strv_push(&j->argv, JOBS_OUTPUT);
	if (project_source)
		compdb_add(b->db, b->p->root, src, j->argv.v, obj);
	strv_push(&j->argv, "-MD");
	strv_push(&j->argv, "-MF");
	j->depfile = xasprintf("%s.d", obj);
	strv_push(&j->argv, j->depfile);
	strv_push(&j->argv, "-MT");
	strv_push(&j->argv, obj);
	j->color = true;
	strv_push(&j->inputs, src);
	return idx;
}

/* FILE.c of the project -> .output/FILE.o; TOOL_CFLAGS (may be NULL) are
 * the [tool NAME] cflags of the tool FILE belongs to. */
static size_t add_cc_job(struct build_ctx *b, const char *file, const struct strv *tool_cflags)
{
	char *src = fs_path_join(b->p->root, file);
	char *obj = xasprintf("%s/%.*s.o", b->out_dir, (int)(strlen(file) - 2), file);
	size_t idx = add_cc_job_for(b, src, obj, file, true, tool_cflags);

	free(src);
	free(obj);
	return idx;
}

/* The post step of EMBED when BTF is embedded: a warning (never a failure)
 * when the tool at PATH ("X" + temp suffix) carries no runtime that would
 * read the set. */
static int embed_check_runtime(const char *path)
{
	const char *base = fs_basename(path), *end = strstr(base, FS_TEMP_MARK);
	int linked = embed_runtime_linked(path);

	if (linked == 0)
		report_warn("%.*s never opens its BPF object through libbpf "
			    "(bpf_object__open_skeleton, __open_file, __open_mem, __open; e.g. a "
			    "light skeleton made with `bpftool gen skeleton -L`): the BTF embedded "
			    "in it will not be used; its CO-RE needs the kernel's own BTF",
			    end ? (int)(end - base) : (int)strlen(base), base);
	return 0;
}

/* Whether gold links this build's tools: native builds, when ld.gold is in
 * PATH. A static link with it takes about half the CPU of ld.bfd's, and a
 * collection links every tool against the same static libraries. */
static bool link_with_gold(const struct build_ctx *b)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;
	bool found = false;

	if (b->cross || !path)
		return false;
	copy = xstrdup(path);
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = fs_path_join(*d ? d : ".", "ld.gold");

		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

/* .output/X.o + helpers + libbpfpack.a -> .output/X.linked (static) */
static size_t add_link_job(struct build_ctx *b, const char *name, size_t tool_obj_job,
			   const size_t *helper_jobs)
{
	char *bin = xasprintf("%s/%s.linked", b->out_dir, name);
	size_t idx = jobs_add(b->jobs, "LD", name, bin);
	struct job *j = &b->jobs->v[idx];

	j->mode = 0755;
	strv_push(&j->argv, b->tc->cc);
	strv_push(&j->argv, "-static");
	if (b->gold)
		strv_push(&j->argv, "-fuse-ld=gold");
	strv_push_all(&j->argv, &b->env_ldflags);
	strv_push(&j->argv, link_wrap_open);
	strv_push(&j->argv, "-o");
	strv_push(&j->argv, JOBS_OUTPUT);
	strv_push(&j->argv, b->jobs->v[tool_obj_job].output);
	jobs_add_dep(b->jobs, idx, tool_obj_job);
	for (size_t i = 0; i < b->p->helpers.n; i++) {
		j = &b->jobs->v[idx];	/* jobs_add_dep never moves jobs, but stay safe */
		strv_push(&j->argv, b->jobs->v[helper_jobs[i]].output);
		jobs_add_dep(b->jobs, idx, helper_jobs[i]);
	}
	j = &b->jobs->v[idx];
	strv_push(&j->argv, b->runtime_lib);
	if (b->runtime_job != (size_t)-1) {
		jobs_add_dep(b->jobs, idx, b->runtime_job);
		j = &b->jobs->v[idx];
	} else {
		strv_push(&j->inputs, b->runtime_lib);	/* taken from the cache */
	}
	strv_push_all(&j->argv, &b->p->ldlibs);
	if (project_tool_find(b->p, name))
		strv_push_all(&j->argv, &project_tool_find(b->p, name)->ldlibs);
	strv_push_all(&j->argv, &b->env_ldlibs);
	for (size_t i = 0; i < sizeof(static_libs) / sizeof(static_libs[0]); i++)
		strv_push(&j->argv, static_libs[i]);
	/* Once more after -lelf: its elf_compat member supplies what elfutils
	 * 0.192's libelf.a (trixie) calls but lacks; pulled only then. */
	strv_push(&j->argv, b->runtime_lib);
	j->color = true;
	free(bin);
	return idx;
}

/* bpfpack's runtime (the .c files of runtime/: the embedded-BTF reader and kernel
 * matching) -> .output/libbpfpack.a, linked into every tool; as an archive,
 * a tool that never calls it carries none of it. Adds the jobs to b->jobs
 * and returns the AR job's index, or (size_t)-1 (reported). */
static size_t add_runtime_job_graph(struct build_ctx *b, const char *lib)
{
	char *dir = fs_path_join(toolchain_data_dir(), "runtime");
	struct strv srcs = {0};
	struct dirent *e;
	DIR *d = opendir(dir);
	size_t ar;

	if (!d) {
		report_error("cannot find bpfpack's runtime in %s: %s", dir, strerror(errno));
		report_hint("set BPFPACK_HOME to the directory that holds runtime/ and include/");
		free(dir);
		return (size_t)-1;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 2 && !strcmp(e->d_name + n - 2, ".c"))
			strv_push(&srcs, e->d_name);
	}
	closedir(d);
	strv_sort(&srcs);
	ar = jobs_add(b->jobs, "AR", "libbpfpack.a", lib);
	b->jobs->v[ar].output_absent = true;	/* ar would read an empty file as an archive */
	strv_push(&b->jobs->v[ar].argv, b->ar);
	strv_push(&b->jobs->v[ar].argv, "rcsD");
	strv_push(&b->jobs->v[ar].argv, JOBS_OUTPUT);
	for (size_t i = 0; i < srcs.n; i++) {
		char *src = fs_path_join(dir, srcs.v[i]);
		char *obj = xasprintf("%s/bpfpack-rt-%.*s.o", b->out_dir,
				      (int)(strlen(srcs.v[i]) - 2), srcs.v[i]);
		char *what = xasprintf("runtime/%s", srcs.v[i]);
		size_t cc = add_cc_job_for(b, src, obj, what, false, NULL);

		strv_push(&b->jobs->v[ar].argv, obj);
		jobs_add_dep(b->jobs, ar, cc);
		free(src);
		free(obj);
		free(what);
	}
	strv_free(&srcs);
	free(dir);
	return ar;
}

/* The runtime archive does not depend on the project: the same commands
 * (but for the project's own path, which the compiles map away) make the
 * same bytes. So bpfpack keeps it in its cache (build/), keyed by those
 * commands with the project's path taken out, bpfpack's version and the
 * identity of the compiler and archiver, and valid while every source and
 * header the compiles read is unchanged. The key, from the runtime's jobs in
 * JOBS: */
static void runtime_cache_key(const struct build_ctx *b, const struct jobs *jobs,
			      char key[HASH_HEX_LEN + 1])
{
	struct buf what = {0};
	size_t root_len = strlen(b->p->root);

	buf_printf(&what, "bpfpack %s runtime archive\n", BPFPACK_VERSION);
	for (size_t i = 0; i < jobs->n; i++) {
		const struct job *j = &jobs->v[i];
		struct stat st;

		/* The compiler and archiver are full paths (the toolchain's). */
		if (stat(j->argv.v[0], &st) < 0)
			memset(&st, 0, sizeof(st));
		buf_printf(&what, "%s %s %lld %lld\n", j->step, j->argv.v[0], (long long)st.st_size,
			   (long long)st.st_mtim.tv_sec);
		for (size_t a = 0; a < j->argv.n; a++) {
			/* The project's path, wherever it is a whole path or
			 * its start (the prefix map, -I.output, ...), as a
			 * placeholder. */
			for (const char *s = j->argv.v[a]; *s;) {
				const char *at = strstr(s, b->p->root);

				if (at && (at[root_len] == '/' || at[root_len] == '=' || !at[root_len])) {
					buf_append(&what, s, (size_t)(at - s));
					buf_append_str(&what, "\x01ROOT");
					s = at + root_len;
				} else {
					buf_append_str(&what, s);
					break;
				}
			}
			buf_append(&what, "\n", 1);
		}
	}
	objcache_key(what.data, what.len, key);
	buf_free(&what);
}

static int add_runtime_jobs(struct build_ctx *b)
{
	char *lib = fs_path_join(b->out_dir, "libbpfpack.a");
	struct jobs *jobs = b->jobs, probe = { .sig_dir = b->jobs->sig_dir };
	char *cached = NULL;
	int rc = 0;

	b->runtime_job = (size_t)-1;
	b->runtime_lib = lib;
	/* The jobs it would take, on the side: their commands are the key. */
	b->jobs = &probe;
	size_t ar = add_runtime_job_graph(b, lib);

	b->jobs = jobs;
	if (ar == (size_t)-1) {
		jobs_free(&probe);
		return -ENOENT;
	}
	if (b->shared_cache) {
		runtime_cache_key(b, &probe, b->runtime_key);
		cached = objcache_lookup(b->shared_cache, b->runtime_key, "libbpfpack.a");
	}
	jobs_free(&probe);
	if (cached) {
		struct buf data = {0}, old = {0};

		/* Left as it is when it already holds these bytes: the links
		 * that read it stay up to date. */
		rc = fs_read_file(cached, &data);
		if (rc == 0 && !(fs_exists(lib) && fs_read_file(lib, &old) == 0 && old.len == data.len &&
				 !memcmp(old.data, data.data, data.len))) {
			report_step("RUNTIME", "libbpfpack.a (from bpfpack's cache)");
			rc = fs_write_atomic(lib, data.data, data.len, 0644);
		}
		buf_free(&old);
		buf_free(&data);
		free(cached);
		return rc;
	}
	b->runtime_job = add_runtime_job_graph(b, lib);
	return b->runtime_job == (size_t)-1 ? -ENOENT : 0;
}

/* After the build: the vmlinux.h it made and the runtime archive it made go
 * to the cache, the archive with the headers and sources its compiles read
 * (their depfiles). A failure costs the next project the work: one warning. */
static void store_shared(struct build_ctx *b)
{
	const struct job *ar;
	struct strv deps = {0};
	int rc = 0;

	if (b->vmlinux_dep) {
		strv_push(&deps, b->vmlinux_dep);
		shared_cache_store(b, b->vmlinux_key, "vmlinux.h", b->vmlinux_h, &deps);
		strv_free(&deps);
	}
	if (!b->shared_cache || b->runtime_job == (size_t)-1)
		return;
	ar = &b->jobs->v[b->runtime_job];
	if (ar->state != JOB_DONE)
		return;
	for (size_t d = 0; d < ar->n_deps && rc == 0; d++) {
		const struct job *cc = &b->jobs->v[ar->deps[d]];

		rc = cc->depfile ? depfile_read(cc->depfile, &deps) : -EINVAL;
	}
	if (rc == 0)
		shared_cache_store(b, b->runtime_key, "libbpfpack.a", ar->output, &deps);
	strv_free(&deps);
}

/* .output/X.bpf.o x kernel BTF sources -> .output/X.btfset, by running
 * `bpfpack btf gen` itself: one code path for users and builds. */
static size_t add_btfgen_job(struct build_ctx *b, const char *name, size_t obj_job)
{
	char *set = xasprintf("%s/%s.btfset", b->out_dir, name);
	size_t idx = jobs_add(b->jobs, "BTFGEN", name, set);
	struct job *j = &b->jobs->v[idx];
	struct buf files = {0};

	strv_push(&j->argv, b->self);
	strv_push(&j->argv, "btf");
	strv_push(&j->argv, "gen");
	strv_pushf(&j->argv, "-j%d", b->parallel);
	strv_push(&j->argv, "--object");
	strv_push(&j->argv, b->jobs->v[obj_job].output);
	strv_push(&j->argv, "-o");
	strv_push(&j->argv, JOBS_OUTPUT);
	if (b->btf_filter) {
		strv_push(&j->argv, "--filter");
		strv_push(&j->argv, b->btf_filter);
	}
	for (size_t i = 0; i < b->btf_sources->n; i++) {
		strv_push(&j->argv, "--btf");
		strv_push(&j->argv, b->btf_sources->v[i]);
	}
	/* Kernels declared without BTF: the CHECK line counts what needs it. */
	for (size_t i = 0; i < b->p->btf_no_kernel_btf.n; i++) {
		strv_push(&j->argv, "--no-kernel-btf");
		strv_push(&j->argv, b->p->btf_no_kernel_btf.v[i]);
	}
	/* A kernel added to a source directory changes the set, not the
	 * command; a bpfpack that writes another set format changes it too. */
	buf_printf(&files, "set format %d:", BTFSET_VERSION);
	for (size_t i = 0; i < b->btf_kernels.n; i++) {
		strv_push(&j->inputs, b->btf_kernels.v[i].path);
		buf_printf(&files, " %s", b->btf_kernels.v[i].origin);
	}
	j->sig_extra = files.data;
	jobs_add_dep(b->jobs, idx, obj_job);
	free(set);
	return idx;
}

/* .output/X.linked + its BPF object [+ BTF set] -> X, via objcopy into
 * non-allocated sections (btfhub/embed.h). */
static size_t add_embed_job(struct build_ctx *b, const char *name, size_t link_job, size_t obj_job,
			    size_t btfgen_job)
{
	char *bin = fs_path_join(b->bin_dir, name);
	char *what = b->cross ? xasprintf("%s/%s", b->arch->name, name) : xstrdup(name);
	size_t idx = jobs_add(b->jobs, "EMBED", what, bin);
	struct job *j = &b->jobs->v[idx];

	j->mode = 0755;
	embed_objcopy_argv(&j->argv, b->objcopy, b->jobs->v[link_job].output, JOBS_OUTPUT,
			   btfgen_job == (size_t)-1 ? NULL : b->jobs->v[btfgen_job].output,
			   b->jobs->v[obj_job].output);
	jobs_add_dep(b->jobs, idx, link_job);
	jobs_add_dep(b->jobs, idx, obj_job);
	if (btfgen_job != (size_t)-1) {
		jobs_add_dep(b->jobs, idx, btfgen_job);
		/* Embedded BTF is read only through the runtime: say so when the
		 * tool reaches libbpf by no path it covers (a light skeleton). */
		b->jobs->v[idx].post = embed_check_runtime;
	}
	free(what);
	free(bin);
	return idx;
}

/* The first job of a tool's that failed: the tool's own jobs FIRST..LAST,
 * then the shared ones it needs (helpers, the PCH, the runtime); NULL if
 * none did. */
static const struct job *tool_failed_job(const struct build_ctx *b, size_t first, size_t last,
					 const size_t *helper_jobs)
{
	for (size_t i = first; i <= last; i++)
		if (b->jobs->v[i].state == JOB_FAILED)
			return &b->jobs->v[i];
	for (size_t i = 0; i < b->p->helpers.n; i++)
		if (b->jobs->v[helper_jobs[i]].state == JOB_FAILED)
			return &b->jobs->v[helper_jobs[i]];
	if (b->pch_job != (size_t)-1 && b->jobs->v[b->pch_job].state == JOB_FAILED)
		return &b->jobs->v[b->pch_job];
	if (b->runtime_job != (size_t)-1)
		for (size_t i = 0; i < b->jobs->n; i++)
			if (b->jobs->v[i].state == JOB_FAILED &&
			    !strncmp(b->jobs->v[i].what, "runtime/", 8))
				return &b->jobs->v[i];
	return NULL;
}

int build_project(struct build_ctx *b)
{
	struct project *p = b->p;
	size_t *helper_jobs = xcalloc(p->helpers.n, sizeof(*helper_jobs));
	size_t *tool_first = xcalloc(b->selected.n + 1, sizeof(*tool_first));
	size_t *tool_last = xcalloc(b->selected.n + 1, sizeof(*tool_last));
	char *compdb_path;
	struct jobs_stats stats;
	int rc, rc2;

	rc = prepare_vmlinux_h(b);
	rc2 = toolchain_probe_finish(b->tc, b->probe);
	if (rc >= 0)
		rc = rc2;
	/* Older clangs write no CO-RE relocations bpftool and libbpf can use;
	 * fail here rather than with a puzzling later error. */
	if (rc >= 0 && b->tc->clang_major > 0 && b->tc->clang_major < 11) {
		report_error("%s is clang %d, too old: BPF CO-RE needs clang 11 or newer",
			     b->tc->clang, b->tc->clang_major);
		report_hint("install clang-19 (./build.sh does), or set CLANG to a newer clang");
		rc = -EINVAL;
	}
	if (rc < 0)
		goto out;
	/* First: every BPF compile that uses it waits for it, so it should not
	 * queue behind the runtime's compiles. */
	add_pch_job(b);
	b->gold = link_with_gold(b);
	rc = add_runtime_jobs(b);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < p->helpers.n; i++)
		helper_jobs[i] = add_cc_job(b, p->helpers.v[i], NULL);
	for (size_t i = 0; i < b->selected.n; i++) {
		const char *name = b->selected.v[i];
		const struct project_tool *t = project_tool_find(p, name);
		size_t skel, bpf_obj, obj, link, btfgen = (size_t)-1;
		char *user = xasprintf("%s.c", name);

		tool_first[i] = b->jobs->n;
		skel = add_bpf_jobs(b, name);
		bpf_obj = skel - 1;	/* add_bpf_jobs: BPF, GEN-OBJ, GEN-SKEL */
		obj = add_cc_job(b, user, t ? &t->cflags : NULL);
		jobs_add_dep(b->jobs, obj, skel);
		link = add_link_job(b, name, obj, helper_jobs);
		if (b->btf_kernels.n)
			btfgen = add_btfgen_job(b, name, bpf_obj);
		tool_last[i] = add_embed_job(b, name, link, bpf_obj, btfgen);
		free(user);
	}
	/* compile_commands.json describes the native build, what clangd on
	 * this machine should see; a cross build leaves it alone. */
	if (!b->cross) {
		compdb_path = fs_path_join(p->root, "compile_commands.json");
		rc = compdb_write(b->db, compdb_path);
		free(compdb_path);
		if (rc < 0)
			goto out;
	}
	b->jobs->keep_going = b->keep_going;
	rc = jobs_run(b->jobs, b->parallel, &stats);
	store_shared(b);
	if (rc == -EIO && b->keep_going) {
		size_t failed = 0;

		/* One line per tool that was not made, after everything else. */
		for (size_t i = 0; i < b->selected.n; i++) {
			const struct job *f;

			if (b->jobs->v[tool_last[i]].state == JOB_DONE)
				continue;
			failed++;
			f = tool_failed_job(b, tool_first[i], tool_last[i], helper_jobs);
			report_error("%s: not built: %s failed on %s", b->selected.v[i],
				     f ? fs_basename(f->argv.v[0]) : "a step",
				     f ? f->what : "it");
		}
		report_error("%zu of %zu tool%s not built", failed, b->selected.n,
			     b->selected.n == 1 ? "" : "s");
	}
	if (rc == 0 && stats.ran == 0)
		report_info("no work to do");
out:
	free(b->vmlinux_h);
	b->vmlinux_h = NULL;
	free(helper_jobs);
	free(tool_first);
	free(tool_last);
	return rc;
}

/* The --filter of a cross build: FILTER (may be NULL) with ARCH added unless
 * it names an arch itself. *OUT is malloc'd. */
static int cross_btf_filter(const char *filter, const struct toolchain_arch *arch, char **out)
{
	struct btf_filter f;
	bool has_arch;

	if (!filter) {
		*out = xstrdup(arch->name);
		return 0;
	}
	if (btf_filter_parse(filter, &f) < 0)
		return -EINVAL;
	has_arch = f.x86_64 || f.arm64;
	btf_filter_free(&f);
	*out = has_arch ? xstrdup(filter) : xasprintf("%s,%s", filter, arch->name);
	return 0;
}

/* A cross build's tools go to PROJECT/ARCH/: that must be a directory of
 * ours, not a native tool named like the arch. */
static int cross_check_bin_dir(const struct build_ctx *b)
{
	if (!b->cross)
		return 0;
	if (strv_contains(&b->p->tools, b->arch->name) ||
	    (fs_exists(b->bin_dir) && !fs_is_dir(b->bin_dir))) {
		report_error("cannot put the %s tools in %s: a tool or file has that name",
			     b->arch->name, b->bin_dir);
		report_hint("rename the tool %s", b->arch->name);
		return -EEXIST;
	}
	return 0;
}

/* The tools to build: NAMED (each must be a tool of P), else every tool but
 * those [build] exclude names. */
static int build_select_tools(const struct project *p, const struct strv *named,
			      struct strv *out)
{
	int rc = 0;

	for (size_t i = 0; i < p->exclude.n; i++)
		if (!strv_contains(&p->tools, p->exclude.v[i]))
			report_warn("bpfpack.ini: [build] exclude names '%s', which is no tool of "
				    "this project", p->exclude.v[i]);
	for (size_t i = 0; i < p->n_tool_settings; i++)
		if (!strv_contains(&p->tools, p->tool_settings[i].name))
			report_warn("bpfpack.ini: [tool %s]: no tool %s in this project",
				    p->tool_settings[i].name, p->tool_settings[i].name);
	for (size_t i = 0; i < named->n; i++) {
		if (strv_contains(&p->tools, named->v[i])) {
			strv_push(out, named->v[i]);
			continue;
		}
		report_error("no tool '%s' in %s: a tool is an X.bpf.c with a matching X.c",
			     named->v[i], p->root);
		rc = -ENOENT;
	}
	if (rc < 0) {
		struct buf list = {0};

		for (size_t i = 0; i < p->tools.n; i++)
			buf_printf(&list, "%s%s", i ? " " : "", p->tools.v[i]);
		report_hint("its tools: %s", list.data);
		buf_free(&list);
		return rc;
	}
	if (named->n)
		return 0;
	for (size_t i = 0; i < p->tools.n; i++)
		if (!strv_contains(&p->exclude, p->tools.v[i]))
			strv_push(out, p->tools.v[i]);
	if (!out->n) {
		report_error("every tool of %s is excluded ([build] exclude in bpfpack.ini)", p->root);
		report_hint("name the tools to build: `bpfpack build TOOL...`");
		return -ENOENT;
	}
	return 0;
}

/* VAR of the environment, split at whitespace (no shell quoting), onto OUT. */
static void env_words(const char *var, struct strv *out)
{
	const char *v = getenv(var);
	char *copy, *save = NULL;

	if (!v || !*v)
		return;
	copy = xstrdup(v);
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		strv_push(out, w);
	free(copy);
}

/* make's conventions. They land on the command lines, so a change rebuilds
 * what they touch (the command is each output's signature). */
static void build_env_flags(struct build_ctx *b)
{
	env_words("CFLAGS", &b->env_cflags);
	env_words("EXTRA_CFLAGS", &b->env_cflags);
	env_words("BPF_CFLAGS", &b->env_bpf_cflags);
	env_words("LDFLAGS", &b->env_ldflags);
	env_words("EXTRA_LDFLAGS", &b->env_ldflags);
	env_words("LDLIBS", &b->env_ldlibs);
}

struct build_args {
	const char *dir;
	int jobs;
	bool debug;
	struct strv btf;
	const char *filter;
	const struct toolchain_arch *arch;
	const char *vmlinux;
	bool keep_going, no_pch;
};

static const struct opt build_options[] = {
	OPT_STRING('C', "dir", struct build_args, dir, "DIR", "@dir", "build the project in DIR"),
	OPT_JOBS(struct build_args, jobs, "run up to N compilers at once (default: number of CPUs)"),
	OPT_FLAG('k', "keep-going", struct build_args, keep_going,
		 "a failing tool does not stop the others; at the end one line per tool not built, exit 1"),
	OPT_VERBOSE("print every command as it runs"),
	OPT_FLAG(0, "debug", struct build_args, debug,
		 "build user space with -O0 -g (the BPF side is always -O2 -g)"),
	OPT_FLAG(0, "no-pch", struct build_args, no_pch,
		 "no precompiled vmlinux.h: every BPF compile parses it itself"),
	OPT_LIST(0, "btf", struct build_args, btf, "SOURCE", "@file",
		 "kernel BTF to embed: a BTF file (named <release>.btf), vmlinux, kernel image, .deb, "
		 "btfhub .btf.tar.xz or "
		 "btfhub-archive directory (repeatable; replaces the manifest's [btf] sources)"),
	OPT_STRING(0, "filter", struct build_args, filter, "SPEC", NULL,
		   "keep only these kernels: comma-separated DISTRO, DISTRO:VERSION, arch or release=R terms, "
		   "e.g. debian:12,ubuntu,x86_64"),
	OPT_CALLBACK(0, "arch", struct build_args, arch, "ARCH", "x86_64 arm64", cmd_opt_arch,
		     "build for ARCH (x86_64, arm64; default: this machine's). Another arch is a cross "
		     "build: <triplet>-gcc/-ar/-objcopy and the :arm64 static libraries (./build.sh arm64 "
		     "installs them); files in .output/ARCH/, tools in ARCH/; only ARCH's kernels' BTF is "
		     "embedded"),
	OPT_STRING(0, "vmlinux", struct build_args, vmlinux, "SOURCE", "@file",
		   "kernel BTF for vmlinux.h (default: the running kernel, made again when that changes, "
		   "e.g. after a kernel upgrade; for another arch, its newest kernel among the --btf "
		   "sources, else the vmlinux.h an earlier build made)"),
	OPT_END(),
};

static const char *const build_synopsis[] = {
	"[-C DIR] [-j N] [-k] [-v] [--debug] [--no-pch] [--btf SOURCE]... [--filter SPEC] [--arch ARCH] "
	"[--vmlinux SOURCE] [TOOL...]",
	NULL,
};

const struct command command_build = {
	.name = "build",
	.path = "build",
	.fn = cmd_build,
	.summary = "build every tool of the project into a static binary",
	.synopsis = build_synopsis,
	.description =
		"Builds the project that holds the current directory (the nearest directory\n"
		"upwards with a bpfpack.ini, else the current directory). Every X.bpf.c with a\n"
		"matching X.c is a tool X; every other .c file is a helper linked into every\n"
		"tool. Intermediate files go to .output/, binaries to the project directory.\n"
		"With kernel BTF sources (--btf, or [btf] sources in bpfpack.ini) each tool\n"
		"carries BTF minimized for each of those kernels, for kernels without BTF.\n"
		"TOOL...: build only those tools (default: every tool but [build] exclude).\n"
		"CFLAGS, EXTRA_CFLAGS, BPF_CFLAGS, LDFLAGS, EXTRA_LDFLAGS and LDLIBS from the\n"
		"environment are added to the commands (a change rebuilds what they touch).\n",
	.options = build_options,
	.operands = "@tool",
};

int cmd_build(int argc, char **argv)
{
	struct build_args a = { .dir = "." };
	struct build_ctx b = {0};
	struct toolchain_probe probe = { .done = true };
	struct strv named = {0};
	struct strv cli_sources = {0};
	const char *cli_filter;
	char *arch_filter = NULL, *vmlinux_src = NULL, *top_out = NULL;
	struct project p;
	struct toolchain tc;
	struct jobs jobs = {0};
	struct compdb db = {0};
	const char *dir;
	int n, rc, lock_fd = -1;

	n = cmd_parse_options(&command_build, argc, argv, &a, 0);
	if (n < 0) {
		strv_free(&a.btf);
		return n == PARSE_OPT_HELP ? 0 : n;
	}
	/* TOOL...: build only those. */
	for (int i = 1; i <= n; i++) {
		const char *why;

		if (project_name_check(argv[i], &why) < 0) {
			report_error("'%s' cannot name a tool: %s", argv[i], why);
			cmd_usage_hint(&command_build);
			strv_free(&a.btf);
			strv_free(&named);
			return -EUSAGE;
		}
		if (!strv_contains(&named, argv[i]))
			strv_push(&named, argv[i]);
	}
	dir = a.dir;
	b.parallel = a.jobs;
	b.debug = a.debug;
	b.keep_going = a.keep_going;
	b.no_pch = a.no_pch;
	b.arch = a.arch;
	cli_filter = a.filter;
	/* Absolute now: the build runs in the project root. */
	for (size_t i = 0; i < a.btf.n; i++) {
		char *abs = fs_realpath(a.btf.v[i]);

		strv_push(&cli_sources, abs ? abs : a.btf.v[i]);
		free(abs);
	}
	strv_free(&a.btf);
	if (a.vmlinux) {
		vmlinux_src = fs_realpath(a.vmlinux);
		if (!vmlinux_src)
			vmlinux_src = xstrdup(a.vmlinux);
	}
	if (!b.arch)
		b.arch = toolchain_arch_host();
	b.cross = toolchain_arch_is_cross(b.arch);
	b.vmlinux_src = vmlinux_src;
	memset(&tc, 0, sizeof(tc));
	rc = project_discover(dir, &p);
	if (rc < 0) {
		strv_free(&cli_sources);
		strv_free(&named);
		free(vmlinux_src);
		return rc;
	}
	rc = project_scan(&p);
	if (rc == 0)
		rc = project_require_tools(&p);
	if (rc < 0)
		goto out_early;
	rc = build_select_tools(&p, &named, &b.selected);
	if (rc < 0)
		goto out_early;
	build_env_flags(&b);
	/* --btf replaces the manifest's [btf] sources; --filter its filter. */
	b.btf_sources = cli_sources.n ? &cli_sources : &p.btf_sources;
	b.btf_filter = cli_filter ? cli_filter : p.btf_filter;
	if (b.cross) {
		/* A tool for ARCH carries only ARCH's kernels, unless the filter
		 * names arches itself. */
		rc = cross_btf_filter(b.btf_filter, b.arch, &arch_filter);
		if (rc < 0)
			goto out_early;
		b.btf_filter = arch_filter;
	}
	for (size_t i = 0; i < p.lone_bpf.n; i++)
		report_warn("%s has no matching .c file: not built", p.lone_bpf.v[i]);
	/* Before any work: the runtime and include/ come from the data dir. */
	if (!toolchain_data_dir_require()) {
		rc = -ENOENT;
		goto out_early;
	}
	rc = toolchain_find_for(&tc, b.arch);
	if (rc < 0)
		goto out_early;
	b.self = fs_realpath("/proc/self/exe");
	char *kept = btfgen_cache_dir_kept();

	b.shared_cache = kept ? fs_path_join(kept, "build") : NULL;
	free(kept);
	b.ar = xstrdup(tc.ar);
	b.objcopy = xstrdup(tc.objcopy);
	if (b.btf_sources->n)
		rc = btfgen_collect_kernels(b.btf_sources, b.btf_filter, &b.btf_kernels);
	/* The BTF set names each kernel by its release: a kernel without one
	 * fails here, naming its file, not after every compile. */
	for (size_t i = 0; rc == 0 && i < b.btf_kernels.n; i++)
		rc = kernel_release_check_known(&b.btf_kernels.v[i]);
	if (rc < 0)
		goto out_early;
	/* Compilers run in the project root, so the DWARF they write (comp_dir)
	 * does not depend on where `bpfpack build` was started. */
	if (chdir(p.root) < 0) {
		report_error("cannot enter %s: %s", p.root, strerror(errno));
		rc = -errno;
		goto out_early;
	}
	b.p = &p;
	b.tc = &tc;
	b.jobs = &jobs;
	b.db = &db;
	top_out = fs_path_join(p.root, PROJECT_OUTPUT_DIR);
	b.out_dir = b.cross ? fs_path_join(top_out, b.arch->name) : xstrdup(top_out);
	b.bin_dir = b.cross ? fs_path_join(p.root, b.arch->name) : xstrdup(p.root);
	rc = cross_check_bin_dir(&b);
	if (rc < 0)
		goto out_early;
	b.include_dir = fs_path_join(toolchain_data_dir(), "include");
	if (!fs_is_dir(b.include_dir)) {
		free(b.include_dir);
		b.include_dir = NULL;
	}
	/* Signatures per arch: the arches' outputs share file names. */
	jobs.sig_dir = b.out_dir;
	rc = fs_mkdir_p(b.out_dir, 0755);
	if (rc == 0)
		rc = fs_mkdir_p(b.bin_dir, 0755);
	/* One lock per project, whatever the arch: builds share .output/. */
	if (rc == 0)
		rc = lock_fd = build_lock(top_out);
	if (rc >= 0) {
		/* Temps of a build killed with SIGKILL: recognisable by their
		 * mark; under the lock nobody else can be writing them. */
		fs_sweep_temps(b.out_dir, NULL);
		fs_sweep_temps(p.root, NULL);
		if (b.cross)
			fs_sweep_temps(b.bin_dir, NULL);
		char *cache = fs_path_join(top_out, ".clang-includes");

		/* clang runs while vmlinux.h is made; build_project waits for it. */
		rc = toolchain_probe_start(&tc, cache, &probe);
		free(cache);
	}
	if (rc >= 0) {
		b.probe = &probe;
		rc = build_project(&b);
	}
	if (lock_fd >= 0)
		close(lock_fd);
out_early:
	jobs_free(&jobs);
	compdb_free(&db);
	free(top_out);
	free(arch_filter);
	free(vmlinux_src);
	free(b.bin_dir);
	free(b.out_dir);
	free(b.include_dir);
	free(b.self);
	free(b.shared_cache);
	free(b.vmlinux_dep);
	free(b.runtime_lib);
	free(b.ar);
	free(b.objcopy);
	btf_source_list_free(&b.btf_kernels);
	strv_free(&cli_sources);
	strv_free(&named);
	strv_free(&b.selected);
	strv_free(&b.env_cflags);
	strv_free(&b.env_bpf_cflags);
	strv_free(&b.env_ldflags);
	strv_free(&b.env_ldlibs);
	toolchain_free(&tc);
	project_free(&p);
	return rc < 0 ? rc : 0;
}
