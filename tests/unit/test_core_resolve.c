/* test_core_resolve: btfhub/core_resolve resolves CO-RE relocations as libbpf
 * does, on small BTFs made here: a field that moved, a renamed field (poison,
 * and the explanation naming what the kernel has instead), exists-kinds that
 * give 0, flavours, enum values, type sizes and existence, a field inside an
 * anonymous member, bitfields, ambiguity between candidates (an error), and
 * essential names. (tests/e2e/t-check-libbpf.sh compares with libbpf itself
 * over a whole corpus.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <linux/bpf.h>

#include "../../btfhub/core_relo.h"
#include "../../btfhub/core_resolve.h"

struct fixture {
	struct btf *local, *targ;
	struct core_index *ix;
	int l_task, l_task_old, l_enum, l_foo, l_bits, l_anon_user, l_nothing;
};

/* Local (the program's view):
 *   struct task_struct { int __state; int pid; };
 *   struct task_struct___old { long state; };
 *   enum color { RED = 1, BLUE = 2 };
 *   struct foo { int x; };
 *   struct bits { unsigned int a:3; unsigned int b:5; };
 *   struct holder { int inner; };         (inner is in an anonymous union in the kernel)
 *   struct nothing { int y; };            (the kernel has no such struct)
 * Kernel:
 *   struct task_struct { int pad[4]; long state; int pid; };    (pid at 24)
 *   enum color { BLUE = 7, GREEN = 8 };
 *   struct foo { int x; }; struct foo { int pad; int x; };  (two: ambiguous)
 *   struct bits { unsigned int z:1; unsigned int a:3; unsigned int b:12; };
 *   struct holder { long q; union { int inner; long other; }; };
 */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct btf *l = btf__new_empty(), *t = btf__new_empty();
	int li, ll, ui, ti, tl, tu, arr, u;

	/* local */
	li = btf__add_int(l, "int", 4, BTF_INT_SIGNED);
	ll = btf__add_int(l, "long", 8, BTF_INT_SIGNED);
	ui = btf__add_int(l, "unsigned int", 4, 0);
	f->l_task = btf__add_struct(l, "task_struct", 8);
	btf__add_field(l, "__state", li, 0, 0);
	btf__add_field(l, "pid", li, 32, 0);
	f->l_task_old = btf__add_struct(l, "task_struct___old", 8);
	btf__add_field(l, "state", ll, 0, 0);
	f->l_enum = btf__add_enum(l, "color", 4);
	btf__add_enum_value(l, "RED", 1);
	btf__add_enum_value(l, "BLUE", 2);
	f->l_foo = btf__add_struct(l, "foo", 4);
	btf__add_field(l, "x", li, 0, 0);
	f->l_bits = btf__add_struct(l, "bits", 4);
	btf__add_field(l, "a", ui, 0, 3);
	btf__add_field(l, "b", ui, 3, 5);
	f->l_anon_user = btf__add_struct(l, "holder", 4);
	btf__add_field(l, "inner", li, 0, 0);
	f->l_nothing = btf__add_struct(l, "nothing", 4);
	btf__add_field(l, "y", li, 0, 0);
	/* access strings */
	btf__add_str(l, "0:0");
	btf__add_str(l, "0:1");
	btf__add_str(l, "0");
	btf__add_str(l, "1");

	/* kernel */
	ti = btf__add_int(t, "int", 4, BTF_INT_SIGNED);
	tl = btf__add_int(t, "long", 8, BTF_INT_SIGNED);
	tu = btf__add_int(t, "unsigned int", 4, 0);
	arr = btf__add_array(t, ti, ti, 4);
	btf__add_struct(t, "task_struct", 32);
	btf__add_field(t, "pad", arr, 0, 0);
	btf__add_field(t, "state", tl, 128, 0);
	btf__add_field(t, "pid", ti, 192, 0);
	btf__add_enum(t, "color", 4);
	btf__add_enum_value(t, "BLUE", 7);
	btf__add_enum_value(t, "GREEN", 8);
	btf__add_struct(t, "foo", 4);
	btf__add_field(t, "x", ti, 0, 0);
	btf__add_struct(t, "foo", 8);
	btf__add_field(t, "pad", ti, 0, 0);
	btf__add_field(t, "x", ti, 32, 0);
	btf__add_struct(t, "bits", 4);
	btf__add_field(t, "z", tu, 0, 1);
	btf__add_field(t, "a", tu, 1, 3);
	btf__add_field(t, "b", tu, 4, 12);
	u = btf__add_union(t, NULL, 8);
	btf__add_field(t, "inner", ti, 0, 0);
	btf__add_field(t, "other", tl, 0, 0);
	btf__add_struct(t, "holder", 16);
	btf__add_field(t, "q", tl, 0, 0);
	btf__add_field(t, NULL, u, 64, 0);

	assert_true(f->l_nothing > 0 && u > 0);
	f->local = l;
	f->targ = t;
	f->ix = core_index_new(t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	core_index_free(f->ix);
	btf__free(f->local);
	btf__free(f->targ);
	free(f);
	return 0;
}

static struct core_res resolve(struct fixture *f, int type, const char *access, int kind)
{
	int off = btf__find_str(f->local, access);
	struct core_relo r = { 0, (uint32_t)type, (uint32_t)off, (uint32_t)kind };
	struct core_res res;

	assert_true(off > 0);
	core_resolve(f->local, &r, f->ix, &res);
	return res;
}

static void test_field_moved(void **state)
{
	struct core_res r = resolve(*state, ((struct fixture *)*state)->l_task, "0:1", BPF_CORE_FIELD_BYTE_OFFSET);

	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.orig_val, 4);
	assert_int_equal(r.new_val, 24);
	assert_string_equal(r.what, "struct task_struct.pid (byte_off)");
}

static void test_field_renamed_is_poisoned_and_explained(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_task, "0:0", BPF_CORE_FIELD_BYTE_OFFSET);

	assert_int_equal(r.status, CORE_RES_POISON);
	assert_non_null(strstr(r.why, "struct task_struct has no field __state; it has state"));
}

static void test_field_exists_gives_zero(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_task, "0:0", BPF_CORE_FIELD_EXISTS);

	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.orig_val, 1);
	assert_int_equal(r.new_val, 0);
	r = resolve(f, f->l_task, "0:1", BPF_CORE_FIELD_EXISTS);
	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 1);
}

static void test_flavour_matches_by_essential_name(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_task_old, "0:0", BPF_CORE_FIELD_BYTE_OFFSET);

	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 16);
	assert_int_equal(core_essential_name_len("task_struct___old"), strlen("task_struct"));
	assert_int_equal(core_essential_name_len("task_struct"), strlen("task_struct"));
	/* Only X___Y with X, Y not underscores separates a flavour. */
	assert_int_equal(core_essential_name_len("a____b"), strlen("a____b"));
	assert_int_equal(core_essential_name_len("__x___y"), strlen("__x"));
}

static void test_enum_values(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_enum, "1", BPF_CORE_ENUMVAL_VALUE);

	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.orig_val, 2);
	assert_int_equal(r.new_val, 7);
	r = resolve(f, f->l_enum, "0", BPF_CORE_ENUMVAL_VALUE);
	assert_int_equal(r.status, CORE_RES_POISON);
	assert_non_null(strstr(r.why, "enum color has no value RED"));
	r = resolve(f, f->l_enum, "0", BPF_CORE_ENUMVAL_EXISTS);
	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 0);
}

static void test_types(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_task, "0", BPF_CORE_TYPE_SIZE);

	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.orig_val, 8);
	assert_int_equal(r.new_val, 32);
	r = resolve(f, f->l_nothing, "0", BPF_CORE_TYPE_EXISTS);
	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 0);
	assert_non_null(strstr(r.why, "the kernel has no struct nothing"));
	/* Type-based kinds give 0, not poison, when the type is missing. */
	r = resolve(f, f->l_nothing, "0", BPF_CORE_TYPE_SIZE);
	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 0);
	/* The local task_struct has __state, the kernel's does not: no match. */
	r = resolve(f, f->l_task, "0", BPF_CORE_TYPE_MATCHES);
	assert_int_equal(r.new_val, 0);
	r = resolve(f, f->l_task_old, "0", BPF_CORE_TYPE_MATCHES);
	assert_int_equal(r.new_val, 1);
}

static void test_field_in_anonymous_member(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_anon_user, "0:0", BPF_CORE_FIELD_BYTE_OFFSET);

	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 8);
}

static void test_bitfields(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_bits, "0:1", BPF_CORE_FIELD_LSHIFT_U64);

	/* b: bits 4..15 of a 4-byte word: 64 - (4 + 12) = 48. */
	assert_int_equal(r.status, CORE_RES_OK);
	assert_int_equal(r.new_val, 48);
	r = resolve(f, f->l_bits, "0:1", BPF_CORE_FIELD_RSHIFT_U64);
	assert_int_equal(r.new_val, 64 - 12);
	r = resolve(f, f->l_bits, "0:1", BPF_CORE_FIELD_BYTE_SIZE);
	assert_int_equal(r.new_val, 4);
	r = resolve(f, f->l_bits, "0:0", BPF_CORE_FIELD_SIGNED);
	assert_int_equal(r.new_val, 0);
}

static void test_ambiguous_candidates_fail_the_load(void **state)
{
	struct fixture *f = *state;
	struct core_res r = resolve(f, f->l_foo, "0:0", BPF_CORE_FIELD_BYTE_OFFSET);

	assert_int_equal(r.status, CORE_RES_ERROR);
	assert_int_equal(r.n_cands, 2);
	assert_non_null(strstr(r.why, "ambiguous"));
}

static void test_malformed_access_string_is_an_error(void **state)
{
	struct fixture *f = *state;
	/* Type-based kinds take only "0". */
	struct core_res r = resolve(f, f->l_task, "0:1", BPF_CORE_TYPE_SIZE);

	assert_int_equal(r.status, CORE_RES_ERROR);
	assert_non_null(strstr(r.why, "malformed"));
	/* A member index past the struct's members. */
	btf__add_str(f->local, "0:9");
	r = resolve(f, f->l_task, "0:9", BPF_CORE_FIELD_BYTE_OFFSET);
	assert_int_equal(r.status, CORE_RES_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_field_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_renamed_is_poisoned_and_explained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_exists_gives_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flavour_matches_by_essential_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enum_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_in_anonymous_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bitfields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_candidates_fail_the_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_access_string_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
