/* test_depfile: depfile_parse reads the make rules that gcc and clang write
 * with -MD/-MP: continuations, CRLF, make's escapes, phony rules, duplicates;
 * it refuses text that is not a depfile; and it lists every file of a depfile
 * that a real compiler wrote. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/depfile.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"
#include "../../lib/toolchain.h"

/* Parses TEXT (a C string) and checks the result is exactly the NULL-ended
 * list EXPECTED, in order. */
static void check_parse(const char *text, const char *const *expected)
{
	struct strv deps = {0};
	size_t n = 0;

	assert_int_equal(depfile_parse(text, strlen(text), &deps), 0);
	while (expected[n])
		n++;
	for (size_t i = 0; i < deps.n && i < n; i++)
		assert_string_equal(deps.v[i], expected[i]);
	assert_int_equal(deps.n, n);
	strv_free(&deps);
}

static void test_one_line(void **state)
{
	(void)state;
	check_parse("foo.o: foo.c foo.h /usr/include/stdio.h\n",
		    (const char *const[]){ "foo.c", "foo.h", "/usr/include/stdio.h", NULL });
	/* No final newline, tabs between words. */
	check_parse("foo.o:\tfoo.c\tfoo.h",
		    (const char *const[]){ "foo.c", "foo.h", NULL });
}

static void test_continuation_lines(void **state)
{
	(void)state;
	check_parse("foo.o: foo.c /usr/include/stdc-predef.h \\\n"
		    "  /usr/include/stdio.h \\\n"
		    "  /usr/include/features.h\n",
		    (const char *const[]){ "foo.c", "/usr/include/stdc-predef.h",
					   "/usr/include/stdio.h", "/usr/include/features.h",
					   NULL });
	/* A continuation right after a word, and one right after the colon. */
	check_parse("foo.o: \\\n foo.c\\\n bar.h\n",
		    (const char *const[]){ "foo.c", "bar.h", NULL });
}

static void test_crlf(void **state)
{
	(void)state;
	check_parse("foo.o: foo.c \\\r\n  bar.h\\\r\n  baz.h\r\n"
		    "\r\n"
		    "bar.h:\r\n"
		    "\r\n"
		    "baz.h:\r\n",
		    (const char *const[]){ "foo.c", "bar.h", "baz.h", NULL });
}

static void test_escaped_space_and_hash(void **state)
{
	(void)state;
	check_parse("foo.o: my\\ dir/a\\ b.h c.h x\\#y.h\n",
		    (const char *const[]){ "my dir/a b.h", "c.h", "x#y.h", NULL });
}

static void test_dollar(void **state)
{
	(void)state;
	check_parse("foo.o: cost$$.h $$HOME/x.h\n",
		    (const char *const[]){ "cost$.h", "$HOME/x.h", NULL });
}

static void test_multiple_rules_and_phony(void **state)
{
	(void)state;
	/* What `cc -MD -MP` writes: the rule, then one empty rule per header. */
	check_parse("a.o: a.c x.h y.h\n"
		    "\n"
		    "x.h:\n"
		    "\n"
		    "y.h:\n",
		    (const char *const[]){ "a.c", "x.h", "y.h", NULL });
	/* Two real rules: both contribute, shared headers once. */
	check_parse("a.o: a.c x.h\n"
		    "b.o: b.c x.h z.h\n"
		    "x.h:\n"
		    "z.h:\n",
		    (const char *const[]){ "a.c", "x.h", "b.c", "z.h", NULL });
	/* A phony rule as the last line without newline adds nothing either. */
	check_parse("a.o: a.c\nonly-phony.h:",
		    (const char *const[]){ "a.c", NULL });
	/* Make allows blanks before the colon. */
	check_parse("a.o : a.c\n", (const char *const[]){ "a.c", NULL });
	/* Several targets in one rule. */
	check_parse("a.o a.d: a.c\n", (const char *const[]){ "a.c", NULL });
}

static void test_duplicates_in_order(void **state)
{
	struct strv deps = {0};
	const char *text = "foo.o: b.h a.h b.h c.h a.h\n";

	(void)state;
	check_parse(text, (const char *const[]){ "b.h", "a.h", "c.h", NULL });

	/* Appends to what DEPS already holds, without repeating it. */
	strv_push(&deps, "a.h");
	assert_int_equal(depfile_parse(text, strlen(text), &deps), 0);
	assert_int_equal(deps.n, 3);
	assert_string_equal(deps.v[0], "a.h");
	assert_string_equal(deps.v[1], "b.h");
	assert_string_equal(deps.v[2], "c.h");
	assert_null(deps.v[3]);
	strv_free(&deps);
}

static void test_empty_text(void **state)
{
	struct strv deps = {0};

	(void)state;
	assert_int_equal(depfile_parse("", 0, &deps), 0);
	assert_int_equal(deps.n, 0);
	/* LEN counts, not the NUL: a prefix of a real rule that stops early. */
	assert_int_equal(depfile_parse("foo.o: a.h", 0, &deps), 0);
	assert_int_equal(deps.n, 0);
	strv_free(&deps);
}

static void test_len_is_respected(void **state)
{
	struct strv deps = {0};
	const char *text = "foo.o: a.h b.h";

	(void)state;
	/* Only "foo.o: a.h" is given. */
	assert_int_equal(depfile_parse(text, 10, &deps), 0);
	assert_int_equal(deps.n, 1);
	assert_string_equal(deps.v[0], "a.h");
	strv_free(&deps);
}

static void test_garbage_is_einval(void **state)
{
	struct strv deps = {0};
	static const char *const bad[] = {
		"this is not a depfile\n",
		"foo.o foo.c\n",
		"#include <stdio.h>\nint main(void) { return 0; }\n",
		/* A colon only inside a word, never ending the target list. */
		"/a/b:c.h\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(depfile_parse(bad[i], strlen(bad[i]), &deps), -EINVAL);
		assert_int_equal(deps.n, 0);
	}
	strv_free(&deps);
}

/* Found by fuzzing: a NUL byte made an empty (or cut-short) prerequisite. */
static void test_nul_byte_is_einval(void **state)
{
	static const char damaged[] = "foo.o: a.h\0\0 b.h\n";
	struct strv deps = {0};

	(void)state;
	assert_int_equal(depfile_parse(":\t\0\0\0\0", 6, &deps), -EINVAL);
	assert_int_equal(depfile_parse(damaged, sizeof(damaged) - 1, &deps), -EINVAL);
	assert_int_equal(deps.n, 0);
	strv_free(&deps);
}

static void test_colon_inside_path_kept(void **state)
{
	(void)state;
	check_parse("foo.o: /a/b:c.h d.h\n",
		    (const char *const[]){ "/a/b:c.h", "d.h", NULL });
	check_parse("foo.o: std::vector.h\n",
		    (const char *const[]){ "std::vector.h", NULL });
}

/* A real depfile: a source and a header (its name needing every escape the
 * compilers use) in a temp dir, compiled with -MD -MP -MF. */
struct real_fixture {
	char *dir;
	char *src;
	char *hdr;
	char *plain;
	char *dep;
	char *obj;
};

static int real_setup(void **state)
{
	struct real_fixture *f = xcalloc(1, sizeof(*f));
	static const char src[] = "#include \"my hdr$#.h\"\n#include \"plain.h\"\n"
				  "int answer(void) { return X + Y; }\n";

	if (fs_mkdtemp("bpfpack-test-depfile", &f->dir) < 0) {
		free(f);
		return -1;
	}
	f->src = fs_path_join(f->dir, "src.c");
	f->hdr = fs_path_join(f->dir, "my hdr$#.h");
	f->plain = fs_path_join(f->dir, "plain.h");
	f->dep = fs_path_join(f->dir, "src.d");
	f->obj = fs_path_join(f->dir, "src.o");
	if (fs_write_atomic(f->src, src, strlen(src), 0644) < 0 ||
	    fs_write_atomic(f->hdr, "#define X 1\n", 12, 0644) < 0 ||
	    fs_write_atomic(f->plain, "#define Y 2\n", 12, 0644) < 0)
		return -1;
	*state = f;
	return 0;
}

static int real_teardown(void **state)
{
	struct real_fixture *f = *state;

	fs_rm_rf(f->dir);
	free(f->dir);
	free(f->src);
	free(f->hdr);
	free(f->plain);
	free(f->dep);
	free(f->obj);
	free(f);
	return 0;
}

static void compile_and_check(struct real_fixture *f, const char *compiler)
{
	char *argv[] = { (char *)compiler, "-MD", "-MP", "-MF", f->dep, "-c", f->src,
			 "-o", f->obj, NULL };
	struct buf text = {0}, err = {0};
	struct strv deps = {0};

	unlink(f->dep);
	assert_int_equal(proc_run_capture(argv, NULL, &err), 0);
	assert_int_equal(fs_read_file(f->dep, &text), 0);
	/* The escapes really are in the file, so the parser is really tested. */
	assert_non_null(strstr(text.data, "my\\ hdr$$\\#.h"));
	assert_int_equal(depfile_parse(text.data, text.len, &deps), 0);
	assert_true(strv_contains(&deps, f->src));
	assert_true(strv_contains(&deps, f->hdr));
	assert_true(strv_contains(&deps, f->plain));
	/* The source comes first, and the -MP rules added no second copies. */
	assert_string_equal(deps.v[0], f->src);
	for (size_t i = 0; i < deps.n; i++)
		for (size_t k = i + 1; k < deps.n; k++)
			assert_string_not_equal(deps.v[i], deps.v[k]);
	strv_free(&deps);
	buf_free(&text);
	buf_free(&err);
}

static void test_real_cc_depfile(void **state)
{
	compile_and_check(*state, "cc");
}

/* The clang a build uses, found as the driver finds it (clang-19 first:
 * a plain "clang" is another version on bookworm, or absent). */
static void test_real_clang_depfile(void **state)
{
	char *clang = toolchain_find_clang();

	if (!clang)
		skip();
	compile_and_check(*state, clang);
	free(clang);
}

/* depfile_read: a file past DEPFILE_MAX_BYTES (here a sparse one, so the
 * test writes nothing) is refused before it is read into memory; an empty
 * one and a missing one say so; a real one parses. */
static void test_read_caps_size(void **state)
{
	struct strv deps = {0};
	char *dir = NULL, *path;
	int fd;

	(void)state;
	assert_int_equal(fs_mkdtemp("bpfpack-test-depfile", &dir), 0);
	path = fs_path_join(dir, "x.d");
	assert_int_equal(depfile_read(path, &deps), -ENOENT);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(depfile_read(path, &deps), -ENODATA);
	assert_int_equal(write(fd, "x.o: a.h b.h\n", 13), 13);
	assert_int_equal(depfile_read(path, &deps), 0);
	assert_int_equal(deps.n, 2);
	assert_int_equal(ftruncate(fd, (off_t)DEPFILE_MAX_BYTES + 1), 0);
	assert_int_equal(depfile_read(path, &deps), -EFBIG);
	assert_int_equal(ftruncate(fd, 4ll << 30), 0);
	assert_int_equal(depfile_read(path, &deps), -EFBIG);
	close(fd);
	strv_free(&deps);
	fs_rm_rf(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_continuation_lines),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_escaped_space_and_hash),
		cmocka_unit_test(test_dollar),
		cmocka_unit_test(test_multiple_rules_and_phony),
		cmocka_unit_test(test_duplicates_in_order),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_len_is_respected),
		cmocka_unit_test(test_garbage_is_einval),
		cmocka_unit_test(test_nul_byte_is_einval),
		cmocka_unit_test(test_colon_inside_path_kept),
		cmocka_unit_test(test_read_caps_size),
		cmocka_unit_test_setup_teardown(test_real_cc_depfile, real_setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_real_clang_depfile, real_setup, real_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
