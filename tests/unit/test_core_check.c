/* test_core_check: btfhub/check end to end on a real compiled object
 * (tests/fuzz/seeds/core_relo/field_guarded.o: a tracepoint program reading
 * task_struct.__state behind bpf_core_field_exists, with a .bss map) against
 * two small kernel BTFs made here: one with what the program needs (ok), one
 * without the BPF enums (load-fail: the program type, the map type and the
 * helpers are not in it). check_build_summary() prints the build's one line
 * only when some kernel is not ok. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <linux/bpf.h>

#include "../../btfhub/btf_source.h"
#include "../../btfhub/check.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "testutil.h"

static char dir[] = "/tmp/bpfpack-test-core-check.XXXXXX";
static char *object, *good, *bare;

static void add_enum(struct btf *b, const char *name, const char *prefix, int n)
{
	char v[64];

	btf__add_enum(b, name, 4);
	for (int i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%s%d", prefix, i);
		btf__add_enum_value(b, v, i);
	}
}

static char *write_btf(struct btf *b, const char *name)
{
	uint32_t size;
	const void *raw = btf__raw_data(b, &size);
	char *path = fs_path_join(dir, name);

	assert_int_equal(fs_write_atomic(path, raw, size, 0644), 0);
	return path;
}

static int setup(void **state)
{
	struct btf *g = btf__new_empty(), *b = btf__new_empty();
	int i, ui;

	(void)state;
	assert_non_null(mkdtemp(dir));
	{
		/* Every cache this test writes goes to its own directory. */
		char *cache = fs_path_join(dir, "cache");

		setenv("BPFPACK_CACHE_DIR", cache, 1);
		free(cache);
	}
	object = fs_path_join(getenv("BPFPACK_ROOT") ? getenv("BPFPACK_ROOT") : ".",
			      "tests/fuzz/seeds/core_relo/field_guarded.o");
	i = btf__add_int(g, "int", 4, BTF_INT_SIGNED);
	ui = btf__add_int(g, "unsigned int", 4, 0);
	btf__add_struct(g, "task_struct", 8);
	btf__add_field(g, "__state", ui, 0, 0);
	btf__add_field(g, "tgid", i, 32, 0);
	add_enum(g, "bpf_func_id", "BPF_FUNC_", 211);
	add_enum(g, "bpf_map_type", "BPF_MAP_TYPE_", 33);
	add_enum(g, "bpf_prog_type", "BPF_PROG_TYPE_", 32);
	add_enum(g, "bpf_attach_type", "BPF_", 55);
	btf__add_typedef(g, "btf_trace_sched_process_exec", i);
	good = write_btf(g, "6.9.0-good.btf");
	btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	bare = write_btf(b, "6.9.0-bare.btf");
	btf__free(g);
	btf__free(b);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_rm_rf(dir);
	free(object);
	free(good);
	free(bare);
	return 0;
}

static void test_verdicts(void **state)
{
	struct btf_source_list ks = {0};
	struct check_tool t;
	struct check_result res[2];
	struct check_opts o = { .parallel = 2, .no_cache = true };

	(void)state;
	assert_int_equal(btf_source_expand(good, &ks), 0);
	assert_int_equal(btf_source_expand(bare, &ks), 0);
	assert_int_equal(check_tool_open(object, "field_guarded", &t), 0);
	memset(res, 0, sizeof(res));
	assert_int_equal(check_run(&ks, &t, 1, &o, res), 0);
	if (res[0].verdict != CHECK_OK)
		fail_msg("ok expected on the kernel with what it needs, got %s: %s",
			 check_verdict_name(res[0].verdict), res[0].n ? res[0].v[0].detail : "");
	assert_int_equal(res[1].verdict, CHECK_LOAD_FAIL);
	bool prog_type = false, map_type = false, helper = false;

	for (size_t i = 0; i < res[1].n; i++) {
		prog_type |= res[1].v[i].what == CHECK_WHAT_PROG_TYPE;
		map_type |= res[1].v[i].what == CHECK_WHAT_MAP_TYPE;
		helper |= res[1].v[i].what == CHECK_WHAT_HELPER;
	}
	assert_true(prog_type && map_type && helper);
	check_result_free(&res[0]);
	check_result_free(&res[1]);
	check_tool_free(&t);
	btf_source_list_free(&ks);
}

static void test_build_summary_line(void **state)
{
	struct btf_source_list ks = {0};
	char *out_path = fs_path_join(dir, "stdout");
	struct buf out = {0};
	int saved, fd, n;

	struct check_opts o = { .parallel = 1 };
	struct check_result res[2] = {0};
	struct check_tool t;

	(void)state;
	assert_int_equal(btf_source_expand(good, &ks), 0);
	assert_int_equal(btf_source_expand(bare, &ks), 0);
	fflush(stdout);
	saved = dup(1);
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	close(fd);
	/* Nothing in the verdict cache yet: no line, nothing decoded. */
	assert_int_equal(check_build_summary(object, "field_guarded", &ks, 1), -ENODATA);
	/* A run that leaves the verdicts (as btf gen does), then the line. */
	assert_int_equal(check_tool_open(object, "field_guarded", &t), 0);
	assert_int_equal(check_run(&ks, &t, 1, &o, res), 0);
	check_result_free(&res[0]);
	check_result_free(&res[1]);
	check_tool_free(&t);
	n = check_build_summary(object, "field_guarded", &ks, 1);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	assert_int_equal(n, 1);
	assert_int_equal(fs_read_file(out_path, &out), 0);
	assert_string_equal(out.data, "  CHECK     1 of 2 kernels will not load field_guarded: bpfpack check\n");
	buf_free(&out);
	free(out_path);
	btf_source_list_free(&ks);
}

/* What needs the kernel's own BTF (shared with btf gen's warning), and a
 * kernel declared without BTF: a tracepoint tool needs none of it and stays
 * ok, its relocations resolved against the BTF standing in. */
static void test_no_kernel_btf(void **state)
{
	struct btf_source_list ks = {0};
	struct check_tool t;
	struct check_result res[2];
	struct check_opts o = { .parallel = 1, .no_cache = true };
	char *spec = "release=6.9.0-good", *bad_spec = "release=", *none = "debian:99";
	struct btf *b = btf__new_empty();
	int i, proto, ds;

	(void)state;
	assert_non_null(check_prog_needs_kernel_btf(BPF_PROG_TYPE_TRACING));
	assert_non_null(check_prog_needs_kernel_btf(BPF_PROG_TYPE_LSM));
	assert_non_null(check_prog_needs_kernel_btf(BPF_PROG_TYPE_STRUCT_OPS));
	assert_null(check_prog_needs_kernel_btf(BPF_PROG_TYPE_KPROBE));
	assert_null(check_prog_needs_kernel_btf(BPF_PROG_TYPE_TRACEPOINT));
	assert_null(check_prog_needs_kernel_btf(BPF_PROG_TYPE_EXT));	/* the target program's BTF */
	assert_true(check_helper_needs_kernel_btf(BPF_FUNC_get_current_task_btf));
	assert_true(check_helper_needs_kernel_btf(BPF_FUNC_skc_to_tcp_sock));
	assert_false(check_helper_needs_kernel_btf(BPF_FUNC_get_current_task));
	assert_false(check_helper_needs_kernel_btf(BPF_FUNC_probe_read_kernel));

	/* Externs: a kfunc, a typed ksym of .ksyms, an untyped one, a static function. */
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	proto = btf__add_func_proto(b, i);
	int kfunc = btf__add_func(b, "bpf_task_acquire", BTF_FUNC_EXTERN, proto);
	int local = btf__add_func(b, "helper", BTF_FUNC_STATIC, proto);
	int typed = btf__add_var(b, "bpf_prog_active", BTF_VAR_GLOBAL_EXTERN, i);
	int untyped = btf__add_var(b, "init_task", BTF_VAR_GLOBAL_EXTERN, 0);
	ds = btf__add_datasec(b, ".ksyms", 0);
	assert_true(ds > 0);
	btf__add_datasec_var_info(b, typed, 0, 4);
	btf__add_datasec_var_info(b, untyped, 4, 1);
	assert_string_equal(check_extern_needs_kernel_btf(b, (uint32_t)kfunc), "kfunc");
	assert_string_equal(check_extern_needs_kernel_btf(b, (uint32_t)typed), "typed ksym");
	assert_null(check_extern_needs_kernel_btf(b, (uint32_t)untyped));
	assert_null(check_extern_needs_kernel_btf(b, (uint32_t)local));
	btf__free(b);

	assert_int_equal(btf_source_expand(good, &ks), 0);
	assert_int_equal(btf_source_expand(bare, &ks), 0);
	struct stderr_capture cap;
	char *err;

	stderr_capture_begin(&cap);
	assert_int_equal(check_mark_no_kernel_btf(&ks, &bad_spec, 1, "--no-kernel-btf"), -EINVAL);
	err = stderr_capture_end(&cap);
	assert_non_null(strstr(err, "invalid filter 'release='"));
	free(err);
	assert_false(ks.v[0].no_kernel_btf || ks.v[1].no_kernel_btf);
	stderr_capture_begin(&cap);
	assert_int_equal(check_mark_no_kernel_btf(&ks, &none, 1, "--no-kernel-btf"), 0);
	err = stderr_capture_end(&cap);
	assert_non_null(strstr(err, "warning: --no-kernel-btf debian:99 matches none of the kernels"));
	free(err);
	assert_false(ks.v[0].no_kernel_btf || ks.v[1].no_kernel_btf);
	assert_int_equal(check_mark_no_kernel_btf(&ks, &spec, 1, "--no-kernel-btf"), 0);
	assert_true(ks.v[0].no_kernel_btf);
	assert_false(ks.v[1].no_kernel_btf);
	assert_int_equal(check_tool_open(object, "field_guarded", &t), 0);
	memset(res, 0, sizeof(res));
	assert_int_equal(check_run(&ks, &t, 1, &o, res), 0);
	if (res[0].verdict != CHECK_OK)
		fail_msg("a tracepoint tool needs no kernel BTF, got %s: %s", check_verdict_name(res[0].verdict),
			 res[0].n ? res[0].v[0].detail : "");
	assert_int_equal(res[1].verdict, CHECK_LOAD_FAIL);
	check_result_free(&res[0]);
	check_result_free(&res[1]);
	check_tool_free(&t);
	btf_source_list_free(&ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_no_kernel_btf),
		cmocka_unit_test(test_build_summary_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
