/* test_vmlinux_header: vmlinux_header_write prints bpftool 7.5's "format c"
 * text for a BTF built here, and btf_source_load refuses missing, foreign,
 * truncated and corrupt files with one reported line each. */
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

#include <bpf/btf.h>
#include <linux/btf.h>

#include "../../btfhub/btf_source.h"
#include "../../btfhub/vmlinux_header.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/report.h"
#include "testutil.h"

/* What `bpftool btf dump file tiny.btf format c` (bpftool 7.5) printed for
 * the BTF that tiny_btf_new() builds. Worth noting: the anonymous enum
 * { AAA } is missing, because bpftool skips whatever sorts first; the
 * prototype without parameters is "(void)"; only the tagged function is a
 * kfunc. */
static const char tiny_expected[] =
	"#ifndef __VMLINUX_H__\n"
	"#define __VMLINUX_H__\n"
	"\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
	"#endif\n"
	"\n"
	"#ifndef __ksym\n"
	"#define __ksym __attribute__((section(\".ksyms\")))\n"
	"#endif\n"
	"\n"
	"#ifndef __weak\n"
	"#define __weak __attribute__((weak))\n"
	"#endif\n"
	"\n"
	"enum {\n"
	"\tBBB = 0,\n"
	"};\n"
	"\n"
	"enum color {\n"
	"\tRED = 0,\n"
	"\tGREEN = 1,\n"
	"};\n"
	"\n"
	"struct foo {\n"
	"\tint a;\n"
	"\tstruct foo *next;\n"
	"};\n"
	"\n"
	"typedef int (*cb_t)(void);\n"
	"\n"
	"\n"
	"/* BPF kfuncs */\n"
	"#ifndef BPF_NO_KFUNC_PROTOTYPES\n"
	"extern int foo_kfunc(struct foo *f) __weak __ksym;\n"
	"#endif\n"
	"\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute pop\n"
	"#endif\n"
	"\n"
	"#endif /* __VMLINUX_H__ */\n";

/* Types are added in an order unlike the sorted output, so the test also
 * checks the sorting. */
static struct btf *tiny_btf_new(void)
{
	struct btf *b = btf__new_empty();
	int i_int, p_foo, proto0, proto1, fn;

	assert_non_null(b);
	i_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);		/* [1] */
	p_foo = btf__add_ptr(b, 3);					/* [2] */
	assert_int_equal(btf__add_struct(b, "foo", 16), 3);		/* [3] */
	assert_int_equal(btf__add_field(b, "a", i_int, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "next", p_foo, 64, 0), 0);
	assert_true(btf__add_enum(b, "color", 4) > 0);
	assert_int_equal(btf__add_enum_value(b, "RED", 0), 0);
	assert_int_equal(btf__add_enum_value(b, "GREEN", 1), 0);
	assert_true(btf__add_enum(b, NULL, 4) > 0);
	assert_int_equal(btf__add_enum_value(b, "BBB", 0), 0);
	assert_true(btf__add_enum(b, NULL, 4) > 0);
	assert_int_equal(btf__add_enum_value(b, "AAA", 7), 0);
	proto0 = btf__add_func_proto(b, i_int);
	assert_true(proto0 > 0);
	assert_true(btf__add_typedef(b, "cb_t", btf__add_ptr(b, proto0)) > 0);
	proto1 = btf__add_func_proto(b, i_int);
	assert_int_equal(btf__add_func_param(b, "f", p_foo), 0);
	fn = btf__add_func(b, "foo_kfunc", BTF_FUNC_GLOBAL, proto1);
	assert_true(fn > 0);
	assert_true(btf__add_decl_tag(b, "bpf_kfunc", fn, -1) > 0);
	/* A function without the tag is not a kfunc. */
	assert_true(btf__add_func(b, "not_kfunc", BTF_FUNC_GLOBAL, proto0) > 0);
	return b;
}

static char *header_of(const struct btf *btf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(vmlinux_header_write(btf, f, "memory"), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Lines after the first that are not "hint: ..." lines (0 when the report
 * is one error line plus optional hints, as report.h promises). */
static size_t count_extra_lines(const char *s)
{
	size_t n = 0;
	const char *nl = strchr(s, '\n');

	while (nl && nl[1]) {
		s = nl + 1;
		if (strncmp(s, "hint: ", 6) != 0)
			n++;
		nl = strchr(s, '\n');
	}
	return n;
}

/* Loads PATH expecting failure: returns the error and checks that exactly
 * one error line was reported (hints may follow), starting with the command
 * prefix and naming PATH. */
static int load_expect_one_error(const char *path, const char *why)
{
	struct stderr_capture cap;
	struct btf *btf = (struct btf *)1;
	char *err_text, *prefix;
	int err;

	stderr_capture_begin(&cap);
	err = btf_source_load(path, &btf);
	err_text = stderr_capture_end(&cap);
	assert_true(err < 0);
	assert_null(btf);
	assert_true(count_lines(err_text) >= 1);
	assert_int_equal(count_extra_lines(err_text), 0);
	assert_null(strstr(err_text, "libbpf: "));	/* libbpf kept quiet */
	prefix = xasprintf("bpfpack: test: cannot load kernel BTF from %s: ", path);
	assert_true(strncmp(err_text, prefix, strlen(prefix)) == 0);
	if (why && !strstr(err_text, why))
		fail_msg("expected \"%s\" in: %s", why, err_text);
	free(prefix);
	free(err_text);
	return err;
}

struct fixture {
	char *dir;
	char *full;		/* the tiny BTF, raw */
	const void *raw;
	__u32 raw_len;
	struct btf *btf;
};

static char *fixture_write(struct fixture *fx, const char *name, const void *data, size_t len)
{
	char *path = fs_path_join(fx->dir, name);

	assert_int_equal(fs_write_atomic(path, data, len, 0644), 0);
	return path;
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	report_set_command("test");
	if (fs_mkdtemp("test_vmlinux_header", &fx->dir) < 0)
		return -1;
	fx->btf = tiny_btf_new();
	fx->raw = btf__raw_data(fx->btf, &fx->raw_len);
	if (!fx->raw)
		return -1;
	fx->full = fixture_write(fx, "tiny.btf", fx->raw, fx->raw_len);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fs_rm_rf(fx->dir);
	free(fx->dir);
	free(fx->full);
	btf__free(fx->btf);
	free(fx);
	return 0;
}

static void test_header_of_tiny_btf_matches_bpftool(void **state)
{
	struct fixture *fx = *state;
	char *text = header_of(fx->btf);

	assert_string_equal(text, tiny_expected);
	free(text);
}

static void test_header_of_loaded_btf_matches_built_one(void **state)
{
	struct fixture *fx = *state;
	struct btf *btf = NULL;
	char *text;

	assert_int_equal(btf_source_load(fx->full, &btf), 0);
	assert_non_null(btf);
	text = header_of(btf);
	assert_string_equal(text, tiny_expected);
	free(text);
	btf__free(btf);
}

static void test_header_write_to_full_device_fails(void **state)
{
	struct fixture *fx = *state;
	struct stderr_capture cap;
	FILE *f = fopen("/dev/full", "w");
	char *err_text;

	if (!f)
		skip();
	stderr_capture_begin(&cap);
	assert_int_equal(vmlinux_header_write(fx->btf, f, "/dev/full"), -ENOSPC);
	err_text = stderr_capture_end(&cap);
	fclose(f);
	assert_int_equal(count_lines(err_text), 1);
	assert_non_null(strstr(err_text, "cannot write /dev/full: No space left on device"));
	free(err_text);
}

static void test_load_missing_file_fails(void **state)
{
	struct fixture *fx = *state;
	char *path = fs_path_join(fx->dir, "no-such.btf");

	assert_int_equal(load_expect_one_error(path, "No such file or directory"), -ENOENT);
	free(path);
}

static void test_load_truncated_btf_fails(void **state)
{
	struct fixture *fx = *state;
	char *path = fixture_write(fx, "half.btf", fx->raw, fx->raw_len / 2);

	assert_int_equal(load_expect_one_error(path, "truncated"), -EINVAL);
	free(path);
}

static void test_load_btf_shorter_than_header_fails(void **state)
{
	struct fixture *fx = *state;
	char *path = fixture_write(fx, "ten.btf", fx->raw, 10);

	load_expect_one_error(path, "truncated");
	free(path);
}

static void test_load_wrong_magic_names_what_it_is(void **state)
{
	struct fixture *fx = *state;
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 4, 0xe6, 0xd6 };
	static const unsigned char zip[] = { 'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0 };
	char *path = fixture_write(fx, "vmlinux.btf.xz", xz, sizeof(xz));

	/* Compressed files are sources now: a cut-off one says which format. */
	load_expect_one_error(path, "xz-compressed data is truncated or corrupt");
	free(path);
	path = fixture_write(fx, "vmlinux.zip", zip, sizeof(zip));
	load_expect_one_error(path, "not BTF or ELF, it is a zip archive");
	free(path);
}

static void test_load_unknown_magic_shows_bytes(void **state)
{
	struct fixture *fx = *state;
	static const unsigned char junk[] = { 0x01, 0x02, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x11 };
	char *path = fixture_write(fx, "junk", junk, sizeof(junk));

	load_expect_one_error(path, "first bytes: 01 02 fe 80 00 00 00 00");
	free(path);
}

static void test_load_corrupt_btf_fails(void **state)
{
	struct fixture *fx = *state;
	unsigned char *bad = xmalloc(fx->raw_len);
	const struct btf_header *h = fx->raw;
	char *path;

	/* An impossible kind in the first type's info word: the size still
	 * adds up, so only libbpf's own parsing can notice. */
	memcpy(bad, fx->raw, fx->raw_len);
	bad[h->hdr_len + h->type_off + 4 + 3] = 0x1f;
	path = fixture_write(fx, "corrupt.btf", bad, fx->raw_len);
	load_expect_one_error(path, "corrupt BTF");
	free(path);
	free(bad);
}

static void test_load_elf_without_btf_fails(void **state)
{
	(void)state;
	/* This test binary is an ELF file with DWARF but no .BTF section. */
	load_expect_one_error("/proc/self/exe", "no .BTF section");
}

static void test_load_empty_file_fails(void **state)
{
	struct fixture *fx = *state;
	char *path = fixture_write(fx, "empty", "", 0);

	load_expect_one_error(path, "file is empty");
	free(path);
}

static void test_load_running_kernel(void **state)
{
	struct btf *btf = NULL;

	(void)state;
	if (!fs_exists(BTF_SOURCE_KERNEL_PATH))
		skip();
	assert_int_equal(btf_source_load(NULL, &btf), 0);
	assert_true(btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_of_tiny_btf_matches_bpftool),
		cmocka_unit_test(test_header_of_loaded_btf_matches_built_one),
		cmocka_unit_test(test_header_write_to_full_device_fails),
		cmocka_unit_test(test_load_missing_file_fails),
		cmocka_unit_test(test_load_truncated_btf_fails),
		cmocka_unit_test(test_load_btf_shorter_than_header_fails),
		cmocka_unit_test(test_load_wrong_magic_names_what_it_is),
		cmocka_unit_test(test_load_unknown_magic_shows_bytes),
		cmocka_unit_test(test_load_corrupt_btf_fails),
		cmocka_unit_test(test_load_elf_without_btf_fails),
		cmocka_unit_test(test_load_empty_file_fails),
		cmocka_unit_test(test_load_running_kernel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
