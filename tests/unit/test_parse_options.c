/* test_parse_options: the driver's one option parser: long and short forms,
 * bundles and attached arguments, "--", operands anywhere or (when asked)
 * only after the options, the one -j rule and its CPU-count default, the
 * error lines, and "did you mean". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/parse_options.h"
#include "../../lib/report.h"
#include "testutil.h"

struct args {
	bool force;
	const char *dir;
	struct strv btf;
	int jobs;
	int count;
	const char *seen;
};

static int cb_seen(const char *arg, void *field)
{
	if (!strcmp(arg, "bad")) {
		report_error("bad value");
		return -EINVAL;
	}
	*(const char **)field = arg;
	return 0;
}

static const struct opt table[] = {
	OPT_FLAG('f', "force", struct args, force, "force"),
	OPT_STRING('C', "dir", struct args, dir, "DIR", "@dir", "dir"),
	OPT_LIST(0, "btf", struct args, btf, "SOURCE", "@file", "sources"),
	OPT_JOBS(struct args, jobs, "jobs"),
	OPT_INT('n', "count", struct args, count, "N", 1, 10, "count"),
	OPT_CALLBACK(0, "seen", struct args, seen, "X", NULL, cb_seen, "callback"),
	OPT_END(),
};

static const char *const synopsis[] = { "[-f] [-C DIR]", NULL };
static const struct opt_usage usage = { "thing", synopsis };

/* Parses the NULL-terminated words (argv[0] = "thing") into A; returns what
 * parse_options returned and what went to stderr in *ERR. */
static int parse(struct args *a, char **err, unsigned flags, char **words, int *argc_out)
{
	struct stderr_capture cap;
	int argc = 1, rc;

	while (words[argc])
		argc++;
	memset(a, 0, sizeof(*a));
	stderr_capture_begin(&cap);
	rc = parse_options(argc, words, table, a, &usage, flags);
	*err = stderr_capture_end(&cap);
	if (argc_out)
		*argc_out = argc;
	return rc;
}

static void test_forms(void **state)
{
	char *w[] = { "thing", "-fC", "d1", "--btf=a", "--btf", "b", "-j3", "op1", "-n", "7", "--", "-x", NULL };
	struct args a;
	char *err;
	int n = parse(&a, &err, 0, w, NULL);

	(void)state;
	assert_int_equal(n, 2);
	assert_true(a.force);
	assert_string_equal(a.dir, "d1");
	assert_int_equal(a.btf.n, 2);
	assert_string_equal(a.btf.v[0], "a");
	assert_string_equal(a.btf.v[1], "b");
	assert_int_equal(a.jobs, 3);
	assert_int_equal(a.count, 7);
	/* Operands in order; "--" dropped, what follows it kept as it is. */
	assert_string_equal(w[1], "op1");
	assert_string_equal(w[2], "-x");
	assert_null(w[3]);
	assert_string_equal(err, "");
	free(err);
	strv_free(&a.btf);
}

static void test_stop_at_operand(void **state)
{
	char *w[] = { "thing", "-f", "cmd", "-C", "x", NULL };
	struct args a;
	char *err;
	int n = parse(&a, &err, PARSE_OPT_STOP_AT_NON_OPTION, w, NULL);

	(void)state;
	assert_int_equal(n, 3);
	assert_true(a.force);
	assert_null(a.dir);
	assert_string_equal(w[1], "cmd");
	assert_string_equal(w[2], "-C");
	assert_string_equal(w[3], "x");
	free(err);
}

static void test_jobs_default(void **state)
{
	char *w[] = { "thing", NULL };
	struct args a;
	char *err;

	(void)state;
	assert_int_equal(parse(&a, &err, 0, w, NULL), 0);
	assert_int_equal(a.jobs, parse_options_cpu_count());
	assert_true(a.jobs >= 1);
	free(err);
}

/* WORDS must fail with -EUSAGE and print exactly LINE, then the usage hint. */
static void check_error(char **words, const char *line)
{
	struct args a;
	char *err;
	int rc = parse(&a, &err, 0, words, NULL);
	char *want = NULL;

	assert_int_equal(rc, -EUSAGE);
	assert_true(asprintf(&want, "bpfpack: %s\n", line) > 0);
	assert_true(!strncmp(err, want, strlen(want)));
	assert_non_null(strstr(err, "hint: usage: bpfpack thing [-f] [-C DIR] (see `bpfpack help thing`)\n"));
	free(want);
	free(err);
	strv_free(&a.btf);
}

static void test_errors(void **state)
{
	char *w1[] = { "thing", "-C", NULL };
	char *w2[] = { "thing", "--dir", NULL };
	char *w3[] = { "thing", "-fx", NULL };
	char *w4[] = { "thing", "--nope=1", NULL };
	char *w5[] = { "thing", "--force=1", NULL };
	char *w6[] = { "thing", "-j", "0", NULL };
	char *w7[] = { "thing", "--jobs=x", NULL };
	char *w8[] = { "thing", "-n", "11", NULL };
	char *w9[] = { "thing", "--seen", "bad", NULL };

	(void)state;
	check_error(w1, "option '-C' needs an argument");
	check_error(w2, "option '--dir' needs an argument");
	check_error(w3, "unknown option '-x'");
	check_error(w4, "unknown option '--nope'");
	check_error(w5, "option '--force' takes no argument");
	check_error(w6, "-j takes a number of jobs from 1 to 1024, not '0'");
	check_error(w7, "--jobs takes a number of jobs from 1 to 1024, not 'x'");
	check_error(w8, "option '-n' takes a whole number from 1 to 10, not '11'");
	check_error(w9, "bad value");
}

static void test_help(void **state)
{
	char *w[] = { "thing", "-f", "--help", "--nope", NULL };
	char *w2[] = { "thing", "-fh", NULL };
	struct args a;
	char *err;

	(void)state;
	/* Help wins where it comes, before a later error. */
	assert_int_equal(parse(&a, &err, 0, w, NULL), PARSE_OPT_HELP);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(parse(&a, &err, 0, w2, NULL), PARSE_OPT_HELP);
	free(err);
}

static void test_did_you_mean(void **state)
{
	static const char *const cmds[] = { "new", "vmlinux", "build", "btf", "inspect", "vmtest",
					    "clean", "doctor", "help", NULL };
	static const char *const tmpls[] = { "kprobe", "ksyscall", "tracepoint", "uprobe", NULL };
	static const char *const opts[] = { "keep-going", "jobs", "verbose", NULL };
	char *w[] = { "thing", "--froce", NULL };
	struct args a;
	char *err;

	(void)state;
	assert_string_equal(parse_options_suggest("biuld", cmds), "build");
	assert_string_equal(parse_options_suggest("vmtset", cmds), "vmtest");
	assert_string_equal(parse_options_suggest("kprob", tmpls), "kprobe");
	assert_string_equal(parse_options_suggest("kep-going", opts), "keep-going");
	assert_string_equal(parse_options_suggest("verb", opts), "verbose");
	assert_null(parse_options_suggest("frobnicate", cmds));
	assert_null(parse_options_suggest("x", cmds));
	assert_null(parse_options_suggest("", cmds));
	assert_int_equal(parse(&a, &err, 0, w, NULL), -EUSAGE);
	assert_non_null(strstr(err, "hint: did you mean '--force'?\n"));
	free(err);
}

static void test_help_text(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	parse_options_print_help(f, table);
	fclose(f);
	assert_non_null(strstr(text, "  -f, --force           force\n"));
	assert_non_null(strstr(text, "      --btf SOURCE      sources\n"));
	assert_non_null(strstr(text, "  -j, --jobs N          jobs\n"));
	assert_non_null(strstr(text, "  -h, --help            show this help\n"));
	/* Every line fits 80 columns. */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 80);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_stop_at_operand),
		cmocka_unit_test(test_jobs_default),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_did_you_mean),
		cmocka_unit_test(test_help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
