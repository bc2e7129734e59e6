/* test_project: project_name_check accepts C identifiers that are not
 * keywords, up to 64 characters; project_discover walks up to the nearest
 * bpfpack.ini; project_scan sorts sources into tools, helpers and lone BPF
 * files and reads the manifest, refusing unknown settings and bad lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/project.h"

static void check_name_ok(const char *name)
{
	const char *why = NULL;

	if (project_name_check(name, &why) != 0)
		fail_msg("'%s' was refused: %s", name, why ? why : "(no reason)");
}

static void check_name_bad(const char *name)
{
	const char *why = NULL;

	if (project_name_check(name, &why) != -EINVAL)
		fail_msg("'%s' was not refused with -EINVAL", name);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
}

static void test_name_check_accepts(void **state)
{
	char name64[65];

	(void)state;
	check_name_ok("mytool");
	check_name_ok("_x");
	check_name_ok("a1_b2");
	check_name_ok("A");
	check_name_ok("Exec_Snoop");
	check_name_ok("integer");	/* a keyword as a prefix is fine */
	check_name_ok("structs");
	memset(name64, 'a', 64);
	name64[64] = '\0';
	check_name_ok(name64);
}

static void test_name_check_rejects(void **state)
{
	char name65[66];

	(void)state;
	check_name_bad("");
	check_name_bad("1abc");
	check_name_bad("my-tool");
	check_name_bad("my tool");
	check_name_bad("a/b");
	check_name_bad("../x");
	check_name_bad("$(rm)");
	check_name_bad("int");
	check_name_bad("struct");
	check_name_bad("_Bool");
	check_name_bad("typeof");
	check_name_bad("a.b");
	check_name_bad("tool\n");
	memset(name65, 'a', 65);
	name65[65] = '\0';
	check_name_bad(name65);
	/* Non-ASCII: an accented letter, first and later. */
	check_name_bad("caf\xc3\xa9");
	check_name_bad("\xc3\xa9t\xc3\xa9");
	check_name_bad("x\xff");
}

struct fixture {
	char *dir;	/* realpath of the temp dir */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *dir;

	if (fs_mkdtemp("bpfpack-test-project", &dir) < 0) {
		free(f);
		return -1;
	}
	/* $TMPDIR may be a link; the library answers with real paths. */
	f->dir = fs_realpath(dir);
	free(dir);
	if (!f->dir)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fs_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static char *touch(const char *dir, const char *rel, const char *text)
{
	char *p = fs_path_join(dir, rel);
	char *parent = fs_dirname(p);

	assert_int_equal(fs_mkdir_p(parent, 0755), 0);
	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644), 0);
	free(parent);
	return p;
}

static void test_discover_walks_up(void **state)
{
	struct fixture *f = *state;
	char *root = fs_path_join(f->dir, "proj");
	char *deep = fs_path_join(root, "src/a/b");
	char *link = fs_path_join(f->dir, "shortcut");
	struct project p;

	free(touch(root, PROJECT_MANIFEST, "[project]\nname = x\n"));
	assert_int_equal(fs_mkdir_p(deep, 0755), 0);

	assert_int_equal(project_discover(deep, &p), 0);
	assert_string_equal(p.root, root);
	assert_true(p.has_manifest);
	project_free(&p);

	/* The root itself. */
	assert_int_equal(project_discover(root, &p), 0);
	assert_string_equal(p.root, root);
	assert_true(p.has_manifest);
	project_free(&p);

	/* Through a symlink: the answer is the real, absolute path. */
	assert_int_equal(symlink(deep, link), 0);
	assert_int_equal(project_discover(link, &p), 0);
	assert_string_equal(p.root, root);
	project_free(&p);

	/* The nearest manifest wins. */
	free(touch(root, "src/" PROJECT_MANIFEST, "\n"));
	assert_int_equal(project_discover(deep, &p), 0);
	{
		char *inner = fs_path_join(root, "src");

		assert_string_equal(p.root, inner);
		free(inner);
	}
	project_free(&p);
	free(root);
	free(deep);
	free(link);
}

/* True when some directory from DIR up to / holds a manifest (then "no
 * manifest" cannot be tested here). */
static bool manifest_above(const char *dir)
{
	char *d = xstrdup(dir);
	bool found = false;

	for (;;) {
		char *m = fs_path_join(d, PROJECT_MANIFEST);
		char *up;

		found = fs_exists(m);
		free(m);
		if (found || strcmp(d, "/") == 0)
			break;
		up = fs_dirname(d);
		free(d);
		d = up;
	}
	free(d);
	return found;
}

static void test_discover_without_manifest(void **state)
{
	struct fixture *f = *state;
	char *start = fs_path_join(f->dir, "x/y");
	struct project p;

	assert_int_equal(fs_mkdir_p(start, 0755), 0);
	if (manifest_above(start))
		skip();
	assert_int_equal(project_discover(start, &p), 0);
	assert_string_equal(p.root, start);
	assert_false(p.has_manifest);
	project_free(&p);
	free(start);
}

static void test_discover_errors(void **state)
{
	struct fixture *f = *state;
	char *missing = fs_path_join(f->dir, "no/such/dir");
	char *file = touch(f->dir, "plain.txt", "x\n");
	struct project p;

	assert_int_equal(project_discover(missing, &p), -ENOENT);
	assert_null(p.root);
	assert_int_equal(project_discover(file, &p), -ENOTDIR);
	assert_null(p.root);
	free(missing);
	free(file);
}

static void scan_dir(const char *dir, struct project *p, int expect_rc)
{
	assert_int_equal(project_discover(dir, p), 0);
	assert_int_equal(project_scan(p), expect_rc);
}

static void check_strv(const struct strv *s, const char *const *expected)
{
	size_t n = 0;

	while (expected[n])
		n++;
	for (size_t i = 0; i < s->n && i < n; i++)
		assert_string_equal(s->v[i], expected[i]);
	assert_int_equal(s->n, n);
	if (s->v)
		assert_null(s->v[s->n]);
}

static void test_scan_sorts_sources(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = {
		"zeta.c", "util.c", "beta.bpf.c", "lonely.bpf.c", "alpha.c", "beta.c",
		"alpha.bpf.c", "alpha.h", "trace_helpers.c", "README.md", "vmlinux.h",
		".hidden.c", ".ghost.bpf.c", ".ghost.c", "Makefile", "notes.txt",
		"z_last.bpf.c", "a_first.bpf.c", "zeta.bpf.c",
	};
	struct project p;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		free(touch(f->dir, files[i], "\n"));
	scan_dir(f->dir, &p, 0);
	check_strv(&p.tools, (const char *const[]){ "alpha", "beta", "zeta", NULL });
	check_strv(&p.helpers, (const char *const[]){ "trace_helpers.c", "util.c", NULL });
	check_strv(&p.lone_bpf,
		   (const char *const[]){ "a_first.bpf.c", "lonely.bpf.c", "z_last.bpf.c", NULL });
	assert_true(p.has_vmlinux_h);
	assert_false(p.has_manifest);
	assert_int_equal(p.cflags.n, 0);
	assert_int_equal(project_require_tools(&p), 0);
	project_free(&p);
}

static void test_scan_empty_project(void **state)
{
	struct fixture *f = *state;
	struct project p;

	scan_dir(f->dir, &p, 0);
	assert_int_equal(p.tools.n, 0);
	assert_int_equal(p.helpers.n, 0);
	assert_int_equal(p.lone_bpf.n, 0);
	assert_false(p.has_vmlinux_h);
	assert_int_equal(project_require_tools(&p), -ENOENT);
	project_free(&p);

	/* Helpers and lone BPF files alone are not a tool either. */
	free(touch(f->dir, "helper.c", "\n"));
	free(touch(f->dir, "only.bpf.c", "\n"));
	scan_dir(f->dir, &p, 0);
	assert_int_equal(p.tools.n, 0);
	assert_int_equal(project_require_tools(&p), -ENOENT);
	project_free(&p);
}

static void test_scan_refuses_bad_tool_name(void **state)
{
	struct fixture *f = *state;
	struct project p;

	free(touch(f->dir, "int.bpf.c", "\n"));
	free(touch(f->dir, "int.c", "\n"));
	scan_dir(f->dir, &p, -EINVAL);
	project_free(&p);
}

static void test_manifest_flags(void **state)
{
	struct fixture *f = *state;
	struct project p;

	free(touch(f->dir, PROJECT_MANIFEST,
		   "# a comment\n"
		   "[project]\n"
		   "name = demo\n"
		   "\n"
		   "[build]\n"
		   "cflags = -DFOO=1   -O1\t-Iinc\n"
		   "bpf_cflags = -DMAX_ENTRIES=1024\n"
		   "ldlibs = -lm -lrt\n"));
	free(touch(f->dir, "demo.bpf.c", "\n"));
	free(touch(f->dir, "demo.c", "\n"));
	scan_dir(f->dir, &p, 0);
	assert_true(p.has_manifest);
	check_strv(&p.tools, (const char *const[]){ "demo", NULL });
	check_strv(&p.cflags, (const char *const[]){ "-DFOO=1", "-O1", "-Iinc", NULL });
	check_strv(&p.bpf_cflags, (const char *const[]){ "-DMAX_ENTRIES=1024", NULL });
	check_strv(&p.ldlibs, (const char *const[]){ "-lm", "-lrt", NULL });
	project_free(&p);

	/* An empty manifest is a valid one. */
	free(touch(f->dir, PROJECT_MANIFEST, ""));
	scan_dir(f->dir, &p, 0);
	assert_true(p.has_manifest);
	assert_int_equal(p.cflags.n, 0);
	project_free(&p);
}

/* [tool NAME] sections and [build] exclude. */
static void test_manifest_tool_sections(void **state)
{
	struct fixture *f = *state;
	const struct project_tool *t;
	struct project p;

	free(touch(f->dir, PROJECT_MANIFEST,
		   "[build]\n"
		   "exclude = profile  other\n"
		   "[tool profile]\n"
		   "cflags = -DPROF -Iblaze\n"
		   "ldlibs = -lblazesym\n"
		   "[tool demo]\n"
		   "bpf_cflags = -DX=1\n"
		   "[tool profile]\n"
		   "cflags = -DMORE\n"));
	free(touch(f->dir, "demo.bpf.c", "\n"));
	free(touch(f->dir, "demo.c", "\n"));
	scan_dir(f->dir, &p, 0);
	check_strv(&p.exclude, (const char *const[]){ "profile", "other", NULL });
	assert_int_equal(p.n_tool_settings, 2);
	t = project_tool_find(&p, "profile");
	assert_non_null(t);
	check_strv(&t->cflags, (const char *const[]){ "-DPROF", "-Iblaze", "-DMORE", NULL });
	check_strv(&t->ldlibs, (const char *const[]){ "-lblazesym", NULL });
	assert_int_equal(t->bpf_cflags.n, 0);
	t = project_tool_find(&p, "demo");
	assert_non_null(t);
	check_strv(&t->bpf_cflags, (const char *const[]){ "-DX=1", NULL });
	assert_null(project_tool_find(&p, "other"));
	project_free(&p);
}

static void check_manifest_refused(const char *dir, const char *text)
{
	struct project p;

	free(touch(dir, PROJECT_MANIFEST, text));
	assert_int_equal(project_discover(dir, &p), 0);
	if (project_scan(&p) >= 0)
		fail_msg("manifest accepted: %s", text);
	project_free(&p);
}

static void test_manifest_unknown_key(void **state)
{
	struct fixture *f = *state;

	check_manifest_refused(f->dir, "[build]\ncflags = -O1\ncflag = -O2\n");
	check_manifest_refused(f->dir, "[project]\nversion = 1\n");
	check_manifest_refused(f->dir, "[weird]\ncflags = -O1\n");
	/* A setting outside any section. */
	check_manifest_refused(f->dir, "cflags = -O1\n");
	/* [tool NAME]: only a tool's name, only the per-tool settings. */
	check_manifest_refused(f->dir, "[tool 1bad]\ncflags = -O1\n");
	check_manifest_refused(f->dir, "[tool demo]\nexclude = x\n");
}

static void test_manifest_malformed_line(void **state)
{
	struct fixture *f = *state;

	check_manifest_refused(f->dir, "[build]\nthis line has no equals sign\n");
	check_manifest_refused(f->dir, "[build\ncflags = -O1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_check_accepts),
		cmocka_unit_test(test_name_check_rejects),
		cmocka_unit_test_setup_teardown(test_discover_walks_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discover_without_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discover_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_sorts_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_empty_project, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_refuses_bad_tool_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_tool_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_malformed_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
