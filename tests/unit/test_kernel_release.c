/* test_kernel_release: kernel releases compare as versions, not strings
 * (5.4 < 5.10, 6.9 < 6.12, ABI 9 < 13); the newest kernel of an arch is the
 * one a cross build takes its vmlinux.h from, whatever the listing order; a
 * kernel without a release is refused with a line naming its file and how
 * to name it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../btfhub/kernel_release.h"
#include "../../lib/buf.h"
#include "../../lib/report.h"
#include "testutil.h"

static void test_cmp_numbers_not_strings(void **state)
{
	(void)state;
	assert_true(kernel_release_cmp("5.4.0-1-amd64", "5.10.0-1-amd64") < 0);
	assert_true(kernel_release_cmp("6.12.9-amd64", "6.9.12-amd64") > 0);
	assert_true(kernel_release_cmp("6.1.0-9-arm64", "6.1.0-13-arm64") < 0);
	assert_true(kernel_release_cmp("6.1.0-13-arm64", "6.1.0-13-arm64") == 0);
	assert_true(kernel_release_cmp("4.19.0-27-arm64", "5.10.0-9-arm64") < 0);
	/* Leading zeros do not make a number smaller or larger. */
	assert_true(kernel_release_cmp("6.01.0", "6.1.0") == 0);
	assert_true(kernel_release_cmp("6.1.0-0.deb11.50-amd64", "6.1.0-0.deb11.9-amd64") > 0);
	/* A release that goes on is newer than its prefix; "" is oldest. */
	assert_true(kernel_release_cmp("6.1.0", "6.1") > 0);
	assert_true(kernel_release_cmp("", "4.4.0") < 0);
	assert_true(kernel_release_cmp("", "") == 0);
	/* Symmetric. */
	assert_true(kernel_release_cmp("5.10.0-1-amd64", "5.4.0-1-amd64") > 0);
}

static void add(struct btf_source_list *l, const char *arch, const char *release)
{
	struct btf_source_entry *e;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->key.arch, sizeof(e->key.arch), "%s", arch);
	snprintf(e->key.release, sizeof(e->key.release), "%s", release);
	e->path = xasprintf("/k/%s.btf", release);
	e->origin = xstrdup(e->path);
	e->kind = BTF_SOURCE_RAW;
}

static void test_newest_of_arch(void **state)
{
	struct btf_source_list l = {0};
	size_t n = 99;

	(void)state;
	/* Listed alphabetically, as a btfhub tree walk gives them: the first
	 * arm64 kernel is the oldest, the last by string order is 6.9. */
	add(&l, "arm64", "5.10.0-26-arm64");
	add(&l, "x86_64", "6.19.0-1-amd64");
	add(&l, "arm64", "6.1.0-13-arm64");
	add(&l, "arm64", "6.12.0-1-arm64");
	add(&l, "arm64", "6.9.0-1-arm64");
	add(&l, "x86_64", "5.10.0-26-amd64");
	assert_int_equal(kernel_release_newest(&l, "arm64", &n), 3);
	assert_int_equal(n, 4);
	assert_int_equal(kernel_release_newest(&l, "x86_64", &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(kernel_release_newest(&l, "riscv", &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(kernel_release_newest(&l, "arm64", NULL), 3);
	/* Equal releases: the first is kept. */
	add(&l, "arm64", "6.12.0-1-arm64");
	assert_int_equal(kernel_release_newest(&l, "arm64", NULL), 3);
	btf_source_list_free(&l);
}

static void test_release_must_be_known(void **state)
{
	struct btf_source_list l = {0};
	struct stderr_capture c;
	char *err;

	(void)state;
	report_set_command("build");
	add(&l, "x86_64", "6.1.0-13-amd64");
	assert_int_equal(kernel_release_check_known(&l.v[0]), 0);

	add(&l, "", "");
	free(l.v[1].origin);
	l.v[1].origin = xstrdup("/tmp/mykernel");
	stderr_capture_begin(&c);
	assert_int_equal(kernel_release_check_known(&l.v[1]), -EINVAL);
	err = stderr_capture_end(&c);
	assert_non_null(strstr(err, "bpfpack: build: /tmp/mykernel: raw BTF does not say which "
				    "kernel release it is, and its name is not <release>.btf\n"));
	assert_non_null(strstr(err, "hint: name it after the kernel's `uname -r`: <release>.btf"));
	free(err);
	btf_source_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmp_numbers_not_strings),
		cmocka_unit_test(test_newest_of_arch),
		cmocka_unit_test(test_release_must_be_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
