/* toolchain: locating clang, bpftool, cc and bpfpack's own data directory. */
#include "toolchain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int toolchain_clang_major(const char *clang)
{
	char *argv[] = { (char *)clang, "--version", NULL };
	struct buf out = {0};
	int rc = proc_run_capture(argv, &out, NULL), major = -EINVAL;
	const char *p;

	if (rc == 0 && (p = strstr(out.data, "clang version ")))
		major = atoi(p + strlen("clang version "));
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

int toolchain_probe_includes(struct toolchain *tc, const char *cache_path)
{
	struct stat st;
	struct buf key = {0}, cached = {0}, out = {0}, err = {0};
	int rc;

	if (stat(tc->clang, &st) < 0)
		return -errno;
	buf_printf(&key, "%s %lld %lld\n", tc->clang, (long long)st.st_size,
		   (long long)st.st_mtim.tv_sec);
	if (cache_path && fs_exists(cache_path) && fs_read_file(cache_path, &cached) == 0 &&
	    cached.len >= key.len && memcmp(cached.data, key.data, key.len) == 0) {
		char *save = NULL;

		for (char *l = strtok_r(cached.data + key.len, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			strv_push(&tc->clang_sys_includes, l);
		buf_free(&key);
		buf_free(&cached);
		return 0;
	}
	char *argv[] = { tc->clang, "-v", "-E", "-x", "c", "-", NULL };

	rc = proc_run_capture(argv, &out, &err);
	if (rc != 0) {
		report_error("%s -v -E failed (exit %d): cannot learn its include directories",
			     tc->clang, rc);
		rc = -EIO;
		goto out;
	}
	parse_search_list(err.data, &tc->clang_sys_includes);
	if (cache_path) {
		for (size_t i = 0; i < tc->clang_sys_includes.n; i++)
			buf_printf(&key, "%s\n", tc->clang_sys_includes.v[i]);
		fs_write_atomic(cache_path, key.data, key.len, 0644);
	}
	rc = 0;
out:
	buf_free(&key);
	buf_free(&cached);
	buf_free(&out);
	buf_free(&err);
	return rc;
}

void toolchain_free(struct toolchain *tc)
{
	free(tc->clang);
	free(tc->bpftool);
	free(tc->cc);
	strv_free(&tc->clang_sys_includes);
	memset(tc, 0, sizeof(*tc));
}

const char *toolchain_data_dir(void)
{
	static char *dir;
	char exe[PATH_MAX];
	ssize_t n;

	if (dir)
		return dir;
	const char *env = getenv("BPFPACK_HOME");

	if (env && *env)
		return dir = xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *bindir = fs_dirname(exe);
		char *prefix = fs_dirname(bindir);
		char *installed = fs_path_join(prefix, "share/bpfpack");
		char *tmpl = fs_path_join(prefix, "templates");

		/* The source tree (bin/bpfpack beside templates/) wins over an install. */
		if (fs_is_dir(tmpl))
			dir = xstrdup(prefix);
		else if (fs_is_dir(installed))
			dir = xstrdup(installed);
		free(tmpl);
		free(installed);
		free(prefix);
		free(bindir);
	}
	if (!dir)
		dir = xstrdup(".");
	return dir;
}
