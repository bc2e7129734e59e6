/* toolchain: locating clang, bpftool, cc (native or cross), the target
 * architectures, and bpfpack's own data directory. */
#include "toolchain.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fs.h"
#include "proc.h"
#include "report.h"

/* Newest first: a distro's plain `clang` is often older than a versioned one
 * installed beside it (bookworm: clang is 14, clang-19 is the one we want). */
static const char *const clang_names[] = {
	"clang-21", "clang-20", "clang-19", "clang-18", "clang-17", "clang-16",
	"clang-15", "clang-14", "clang-13", "clang-12", "clang-11", "clang",
};

#ifndef EM_AARCH64
#define EM_AARCH64 183	/* older <elf.h> lack it */
#endif

static const struct toolchain_arch arches[] = {
	{ "x86_64", "x86", "x86_64-linux-gnu", "amd64", "x86_64", EM_X86_64 },
	{ "arm64", "arm64", "aarch64-linux-gnu", "arm64", "aarch64", EM_AARCH64 },
};

#define N_ARCHES (sizeof(arches) / sizeof(arches[0]))

const struct toolchain_arch *toolchain_arch_find(const char *name)
{
	/* Every name a user may know an architecture by: btfhub's, the
	 * kernel's, Debian's and uname's. */
	static const struct { const char *alias, *name; } aliases[] = {
		{ "amd64", "x86_64" }, { "x86", "x86_64" }, { "x86-64", "x86_64" },
		{ "aarch64", "arm64" },
	};

	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].alias))
			name = aliases[i].name;
	for (size_t i = 0; i < N_ARCHES; i++)
		if (!strcmp(name, arches[i].name))
			return &arches[i];
	return NULL;
}

const struct toolchain_arch *toolchain_arch_by_elf_machine(unsigned int machine)
{
	for (size_t i = 0; i < N_ARCHES; i++)
		if (arches[i].elf_machine == machine)
			return &arches[i];
	return NULL;
}

const struct toolchain_arch *toolchain_arch_host(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return NULL;
	for (size_t i = 0; i < N_ARCHES; i++)
		if (!strcmp(u.machine, arches[i].uname))
			return &arches[i];
	return NULL;
}

bool toolchain_arch_is_cross(const struct toolchain_arch *arch)
{
	return arch && arch != toolchain_arch_host();
}

const char *toolchain_arch_list(void)
{
	static char list[64];

	if (!list[0])
		for (size_t i = 0; i < N_ARCHES; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", arches[i].name);
	return list;
}

const char *toolchain_cross_gcc_package(const struct toolchain_arch *arch)
{
	static char pkg[64];

	snprintf(pkg, sizeof(pkg), "gcc-%s", arch ? arch->triplet : "");
	return pkg;
}

char *toolchain_find_cross(const struct toolchain_arch *arch, const char *tool, char **name)
{
	const char *prefix = getenv("CROSS_COMPILE");
	char *want = prefix && *prefix ? xasprintf("%s%s", prefix, tool)
				       : xasprintf("%s-%s", arch->triplet, tool);
	char *path = proc_find_program(want);

	if (name)
		*name = want;
	else
		free(want);
	return path;
}

static char *find_from_env(const char *var)
{
	const char *v = getenv(var);

	if (!v || !*v)
		return NULL;
	return proc_find_program(v);
}

char *toolchain_find_clang(void)
{
	const char *v = getenv("CLANG");

	if (v && *v)
		return proc_find_program(v);
	for (size_t i = 0; i < sizeof(clang_names) / sizeof(clang_names[0]); i++) {
		char *p = proc_find_program(clang_names[i]);

		if (p)
			return p;
	}
	return NULL;
}

char *toolchain_find_bpftool(void)
{
	const char *v = getenv("BPFTOOL");
	char *p;

	if (v && *v)
		return proc_find_program(v);
	p = proc_find_program("bpftool");
	/* Debian installs it in /usr/sbin, which a normal user's PATH lacks. */
	if (!p && access("/usr/sbin/bpftool", X_OK) == 0)
		p = xstrdup("/usr/sbin/bpftool");
	return p;
}

char *toolchain_find_cc(void)
{
	char *p = find_from_env("CC");

	if (p || (getenv("CC") && *getenv("CC")))
		return p;
	return proc_find_program("cc");
}

static int report_missing(const char *what, const char *var, const char *pkg)
{
	const char *v = getenv(var);

	if (v && *v)
		report_error("%s not found: %s=%s is not an executable program", what, var, v);
	else
		report_error("%s not found in PATH", what);
	report_hint("install %s (./build.sh does), or set %s to its path; `bpfpack doctor` checks everything", pkg, var);
	return -ENOENT;
}

int toolchain_find(struct toolchain *tc)
{
	memset(tc, 0, sizeof(*tc));
	tc->clang = toolchain_find_clang();
	if (!tc->clang)
		return report_missing("clang", "CLANG", "clang-19");
	tc->bpftool = toolchain_find_bpftool();
	if (!tc->bpftool)
		return report_missing("bpftool", "BPFTOOL", "bpftool");
	tc->cc = toolchain_find_cc();
	if (!tc->cc)
		return report_missing("C compiler", "CC", "gcc");
	return 0;
}

int toolchain_find_for(struct toolchain *tc, const struct toolchain_arch *arch)
{
	char *name = NULL;
	int rc;

	if (!toolchain_arch_is_cross(arch)) {
		const char *ar = getenv("AR"), *objcopy = getenv("OBJCOPY");

		rc = toolchain_find(tc);
		if (rc < 0)
			return rc;
		tc->arch = arch;
		tc->ar = proc_find_program(ar && *ar ? ar : "ar");
		if (!tc->ar)
			return report_missing("ar", "AR", "binutils");
		tc->objcopy = proc_find_program(objcopy && *objcopy ? objcopy : "objcopy");
		if (!tc->objcopy)
			return report_missing("objcopy", "OBJCOPY", "binutils");
		return 0;
	}
	memset(tc, 0, sizeof(*tc));
	tc->arch = arch;
	tc->clang = toolchain_find_clang();
	if (!tc->clang)
		return report_missing("clang", "CLANG", "clang-19");
	tc->bpftool = toolchain_find_bpftool();
	if (!tc->bpftool)
		return report_missing("bpftool", "BPFTOOL", "bpftool");
	/* The cross tools are found by their prefixed names; CC, AR and
	 * OBJCOPY name this machine's and are not used for another target. */
	static const char *const tools[] = { "gcc", "ar", "objcopy" };
	char **slots[] = { &tc->cc, &tc->ar, &tc->objcopy };

	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		*slots[i] = toolchain_find_cross(arch, tools[i], &name);
		if (!*slots[i]) {
			char *pkg = xasprintf("%s-%s", i ? "binutils" : "gcc", arch->triplet);

			report_error("%s not found in PATH: it builds for %s", name, arch->name);
			report_hint("install %s (tests/setup-arm64.sh does), or set CROSS_COMPILE to the "
				    "prefix of a cross toolchain; `bpfpack doctor --arch %s` checks everything",
				    pkg, arch->name);
			free(pkg);
			free(name);
			return -ENOENT;
		}
		free(name);
		name = NULL;
	}
	return 0;
}

/* The major version in clang's banner ("Debian clang version 19.1.7 ..."),
 * which both `--version` and `-v` print; -EINVAL when there is none. */
static int parse_clang_major(const char *text)
{
	const char *p = text ? strstr(text, "clang version ") : NULL;

	return p ? atoi(p + strlen("clang version ")) : -EINVAL;
}

int toolchain_clang_major(const char *clang)
{
	char *argv[] = { (char *)clang, "--version", NULL };
	struct buf out = {0};
	int rc = proc_run_capture(argv, &out, NULL), major = -EINVAL;

	if (rc == 0)
		major = parse_clang_major(out.data);
	buf_free(&out);
	return rc < 0 ? rc : major;
}

/* Parses `clang -v -E -` output: the lines between "#include <...> search
 * starts here:" and "End of search list." are the system include dirs. */
static void parse_search_list(const char *text, struct strv *dirs)
{
	const char *p = strstr(text, "#include <...> search starts here:");

	if (!p)
		return;
	p = strchr(p, '\n');
	while (p && *++p == ' ') {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *dir = strndup(p + 1, len - 1);

		/* macOS-style suffix never appears on Linux, but stay safe. */
		char *fw = strstr(dir, " (framework directory)");

		if (fw)
			*fw = '\0';
		strv_push(dirs, dir);
		free(dir);
		p = end;
	}
}

/* For a cross target, the host's multiarch include directory becomes the
 * target's (when its headers are installed: linux-libc-dev:arm64). */
static void cross_includes(struct toolchain *tc)
{
	const struct toolchain_arch *host = toolchain_arch_host();

	if (!toolchain_arch_is_cross(tc->arch) || !host)
		return;
	for (size_t i = 0; i < tc->clang_sys_includes.n; i++) {
		char *dir = tc->clang_sys_includes.v[i];
		const char *base = fs_basename(dir);

		if (strcmp(base, host->triplet))
			continue;
		char *parent = fs_dirname(dir), *target = fs_path_join(parent, tc->arch->triplet);

		free(parent);
		if (fs_is_dir(target)) {
			free(dir);
			tc->clang_sys_includes.v[i] = target;
		} else {
			free(target);
		}
	}
}

int toolchain_probe_start(struct toolchain *tc, const char *cache_path, struct toolchain_probe *pr)
{
	struct stat st;
	struct buf cached = {0};

	memset(pr, 0, sizeof(*pr));
	pr->run.pid = -1;
	if (stat(tc->clang, &st) < 0)
		return -errno;
	pr->cache_path = cache_path ? xstrdup(cache_path) : NULL;
	/* The cache: this key line, "clang MAJOR", then one directory a line. */
	buf_printf(&pr->key, "%s %lld %lld\n", tc->clang, (long long)st.st_size,
		   (long long)st.st_mtim.tv_sec);
	if (cache_path && fs_exists(cache_path) && fs_read_file(cache_path, &cached) == 0 &&
	    cached.len >= pr->key.len && memcmp(cached.data, pr->key.data, pr->key.len) == 0 &&
	    sscanf(cached.data + pr->key.len, "clang %d\n", &tc->clang_major) == 1) {
		char *save = NULL;

		for (char *l = strtok_r(cached.data + pr->key.len, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			if (l[0] == '/')
				strv_push(&tc->clang_sys_includes, l);
		buf_free(&cached);
		cross_includes(tc);
		pr->done = true;
		return 0;
	}
	buf_free(&cached);
	/* One run of clang tells both: `-v` prints the version banner first. */
	char *argv[] = { tc->clang, "-v", "-E", "-x", "c", "-", NULL };

	int rc = proc_capture_start(argv, &pr->run, true, true);

	if (rc < 0) {
		buf_free(&pr->key);
		free(pr->cache_path);
		pr->cache_path = NULL;
		pr->done = true;
	}
	return rc;
}

int toolchain_probe_finish(struct toolchain *tc, struct toolchain_probe *pr)
{
	struct buf out = {0}, err = {0};
	int rc = 0;

	if (pr->done)
		goto out;
	pr->done = true;
	rc = proc_capture_finish(&pr->run, &out, &err);
	if (rc != 0) {
		report_error("%s -v -E failed (exit %d): cannot learn its include directories",
			     tc->clang, rc);
		rc = -EIO;
		goto out;
	}
	tc->clang_major = parse_clang_major(err.data);
	if (tc->clang_major < 0)
		tc->clang_major = 0;
	parse_search_list(err.data, &tc->clang_sys_includes);
	if (pr->cache_path) {
		buf_printf(&pr->key, "clang %d\n", tc->clang_major);
		for (size_t i = 0; i < tc->clang_sys_includes.n; i++)
			buf_printf(&pr->key, "%s\n", tc->clang_sys_includes.v[i]);
		fs_write_atomic(pr->cache_path, pr->key.data, pr->key.len, 0644);
	}
	cross_includes(tc);
out:
	buf_free(&pr->key);
	free(pr->cache_path);
	pr->cache_path = NULL;
	buf_free(&out);
	buf_free(&err);
	return rc;
}

int toolchain_probe_includes(struct toolchain *tc, const char *cache_path)
{
	struct toolchain_probe pr;
	int rc = toolchain_probe_start(tc, cache_path, &pr);

	return rc < 0 ? rc : toolchain_probe_finish(tc, &pr);
}

void toolchain_free(struct toolchain *tc)
{
	free(tc->clang);
	free(tc->bpftool);
	free(tc->cc);
	free(tc->ar);
	free(tc->objcopy);
	strv_free(&tc->clang_sys_includes);
	memset(tc, 0, sizeof(*tc));
}

/* Whether DIR holds every part of bpfpack's data. */
static bool data_dir_complete(const char *dir)
{
	static const char *const parts[] = { "templates", "include", "runtime" };
	bool ok = true;

	for (size_t i = 0; ok && i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *p = fs_path_join(dir, parts[i]);

		ok = fs_is_dir(p);
		free(p);
	}
	return ok;
}

/* Where the data is looked for, in order: $BPFPACK_HOME, else the source
 * tree (bin/bpfpack beside templates/) and then PREFIX/share/bpfpack of
 * the running binary. *TRIED gets the places looked at, for messages. */
static char *data_dir_search(struct buf *tried)
{
	const char *env = getenv("BPFPACK_HOME");
	char exe[PATH_MAX], *found = NULL;
	ssize_t n;

	if (env && *env) {
		buf_printf(tried, "BPFPACK_HOME=%s", env);
		return data_dir_complete(env) ? xstrdup(env) : NULL;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		buf_printf(tried, "(cannot read /proc/self/exe)");
		return NULL;
	}
	exe[n] = '\0';
	char *bindir = fs_dirname(exe);
	char *prefix = fs_dirname(bindir);
	char *installed = fs_path_join(prefix, "share/bpfpack");

	/* The source tree wins over an install. */
	if (data_dir_complete(prefix))
		found = xstrdup(prefix);
	else if (data_dir_complete(installed))
		found = xstrdup(installed);
	buf_printf(tried, "%s and %s", prefix, installed);
	free(installed);
	free(prefix);
	free(bindir);
	return found;
}

const char *toolchain_data_dir_find(void)
{
	static char *dir;
	static bool searched;
	struct buf tried = {0};

	if (!searched) {
		dir = data_dir_search(&tried);
		searched = true;
		buf_free(&tried);
	}
	return dir;
}

const char *toolchain_data_dir_require(void)
{
	const char *dir = toolchain_data_dir_find();
	struct buf tried = {0};
	char *again;

	if (dir)
		return dir;
	again = data_dir_search(&tried);	/* only for the places it names */
	free(again);
	report_error("bpfpack's data directory (templates/, include/, runtime/) is missing: looked in %s; "
		     "install bpfpack with `make install` or its .deb, or set BPFPACK_HOME to that directory",
		     tried.data ? tried.data : "nowhere");
	buf_free(&tried);
	return NULL;
}

const char *toolchain_data_dir(void)
{
	const char *dir = toolchain_data_dir_find();

	return dir ? dir : ".";
}
