/* test_btf_minimize: btfhub/btf_minimize on small BTFs made here. A field
 * relocation keeps the root struct with only the member used (at its kernel
 * offset) and that member's type; a type relocation keeps the type and what
 * its pointers reach; an unresolved relocation keeps nothing; the canonical
 * dump does not depend on type ids but does on shape; a local type's
 * candidates are pruned from one relocation to the next, as bpftool does. And kcache's size
 * parser. (tests/e2e/t-btf-native.sh compares with bpftool over a corpus.) */
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

#include "../../btfhub/btf_minimize.h"
#include "../../btfhub/core_relo.h"
#include "../../btfhub/core_resolve.h"
#include "../../btfhub/kcache.h"

/* Kernel:
 *   struct mm { int users; };
 *   struct task_struct { int pad[4]; long state; int pid; struct mm *mm; };
 *   struct cred { int uid; struct mm *owner; };
 *   typedef struct mm *mm_ptr;
 * Local:
 *   struct task_struct { int __state; int pid; };
 *   struct cred { int uid; };
 *   struct gone { int x; };   (the kernel has none)
 *   struct mm { int users; }; typedef struct mm *mm_ptr; */
struct fixture {
	struct btf *local, *kern;
	struct core_index *ix;
	int l_task, l_cred, l_gone, l_mmp;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct btf *l = btf__new_empty(), *k = btf__new_empty();
	int ki, kl, kmm, kpmm, karr, li;

	ki = btf__add_int(k, "int", 4, BTF_INT_SIGNED);
	kl = btf__add_int(k, "long", 8, BTF_INT_SIGNED);
	kmm = btf__add_struct(k, "mm", 4);
	btf__add_field(k, "users", ki, 0, 0);
	kpmm = btf__add_ptr(k, kmm);
	karr = btf__add_array(k, ki, ki, 4);
	btf__add_struct(k, "task_struct", 40);
	btf__add_field(k, "pad", karr, 0, 0);
	btf__add_field(k, "state", kl, 128, 0);
	btf__add_field(k, "pid", ki, 192, 0);
	btf__add_field(k, "mm", kpmm, 256, 0);
	btf__add_struct(k, "cred", 16);
	btf__add_field(k, "uid", ki, 0, 0);
	btf__add_field(k, "owner", kpmm, 64, 0);
	btf__add_typedef(k, "mm_ptr", kpmm);

	li = btf__add_int(l, "int", 4, BTF_INT_SIGNED);
	f->l_task = btf__add_struct(l, "task_struct", 8);
	btf__add_field(l, "__state", li, 0, 0);
	btf__add_field(l, "pid", li, 32, 0);
	f->l_cred = btf__add_struct(l, "cred", 4);
	btf__add_field(l, "uid", li, 0, 0);
	f->l_gone = btf__add_struct(l, "gone", 4);
	btf__add_field(l, "x", li, 0, 0);
	{
		int lmm = btf__add_struct(l, "mm", 4), lp;

		btf__add_field(l, "users", li, 0, 0);
		lp = btf__add_ptr(l, lmm);
		f->l_mmp = btf__add_typedef(l, "mm_ptr", lp);
	}

	f->local = l;
	f->kern = k;
	f->ix = core_index_new(k);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	core_index_free(f->ix);
	btf__free(f->local);
	btf__free(f->kern);
	free(f);
	return 0;
}

/* Minimizes the fixture's kernel for one relocation. */
static struct btf *minimize_one(struct fixture *f, int type_id, const char *access, uint32_t kind)
{
	struct core_relo r = { .insn_off = 0, .type_id = (uint32_t)type_id, .kind = kind };
	struct core_ext_sec sec = { .name = "tp/x", .relos = &r, .n_relos = 1 };
	struct bpfobj obj = { .name = "test.o", .btf = f->local, .has_ext = true };
	const struct bpfobj *objs[] = { &obj };
	struct btf *out = NULL;
	char err[256];

	r.access_str_off = (uint32_t)btf__add_str(f->local, access);
	obj.ext.secs = &sec;
	obj.ext.n = 1;
	assert_int_equal(btf_minimize(f->ix, objs, 1, &out, err, sizeof(err)), 0);
	assert_non_null(out);
	return out;
}

static const struct btf_type *find(const struct btf *b, const char *name, int kind)
{
	int id = btf__find_by_name_kind(b, name, kind);

	return id > 0 ? btf__type_by_id(b, id) : NULL;
}

/* bpftool (and libbpf) keep, for a local type's next relocations, only the
 * candidates its earlier ones matched: foo.b matches only foo___v2, so foo.a
 * then resolves against foo___v2 alone, not against the first foo. */
static void test_candidates_pruned_as_bpftool(void **state)
{
	struct btf *l = btf__new_empty(), *k = btf__new_empty(), *m = NULL;
	struct core_relo r[2] = { { .kind = BPF_CORE_FIELD_BYTE_OFFSET }, { .kind = BPF_CORE_FIELD_BYTE_OFFSET } };
	struct core_ext_sec sec = { .name = "tp/x", .relos = r, .n_relos = 2 };
	struct bpfobj obj = { .name = "test.o", .btf = l, .has_ext = true };
	const struct bpfobj *objs[] = { &obj };
	struct core_index *ix;
	const struct btf_type *v2;
	char err[256];
	int ki, li, lfoo;

	(void)state;
	ki = btf__add_int(k, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(k, "foo", 4);
	btf__add_field(k, "a", ki, 0, 0);
	btf__add_struct(k, "foo___v2", 8);
	btf__add_field(k, "a", ki, 0, 0);
	btf__add_field(k, "b", ki, 32, 0);
	li = btf__add_int(l, "int", 4, BTF_INT_SIGNED);
	lfoo = btf__add_struct(l, "foo", 8);
	btf__add_field(l, "a", li, 0, 0);
	btf__add_field(l, "b", li, 32, 0);
	r[0].type_id = r[1].type_id = (uint32_t)lfoo;
	r[0].access_str_off = (uint32_t)btf__add_str(l, "0:1");
	r[1].access_str_off = (uint32_t)btf__add_str(l, "0:0");
	obj.ext.secs = &sec;
	obj.ext.n = 1;
	ix = core_index_new(k);
	assert_int_equal(btf_minimize(ix, objs, 1, &m, err, sizeof(err)), 0);
	assert_null(find(m, "foo", BTF_KIND_STRUCT));
	v2 = find(m, "foo___v2", BTF_KIND_STRUCT);
	assert_non_null(v2);
	assert_int_equal(btf_vlen(v2), 2);
	btf__free(m);
	core_index_free(ix);
	btf__free(l);
	btf__free(k);
}

static void test_field_keeps_only_the_member(void **state)
{
	struct fixture *f = *state;
	struct btf *m = minimize_one(f, f->l_task, "0:1", BPF_CORE_FIELD_BYTE_OFFSET);
	const struct btf_type *t = find(m, "task_struct", BTF_KIND_STRUCT);

	assert_non_null(t);
	assert_int_equal(t->size, 40);
	assert_int_equal(btf_vlen(t), 1);
	assert_string_equal(btf__name_by_offset(m, btf_members(t)[0].name_off), "pid");
	assert_int_equal(btf_member_bit_offset(t, 0), 192);
	assert_non_null(find(m, "int", BTF_KIND_INT));
	/* Not reached: the other members' types. */
	assert_null(find(m, "long", BTF_KIND_INT));
	assert_null(find(m, "mm", BTF_KIND_STRUCT));
	assert_int_equal(btf__type_cnt(m), 3);
	btf__free(m);
}

static void test_type_relo_keeps_no_members(void **state)
{
	struct fixture *f = *state;
	struct btf *m = minimize_one(f, f->l_cred, "0", BPF_CORE_TYPE_EXISTS);
	const struct btf_type *t = find(m, "cred", BTF_KIND_STRUCT);

	/* bpftool's rule: the struct itself, no members, for type relocations. */
	assert_non_null(t);
	assert_int_equal(btf_vlen(t), 0);
	assert_int_equal(t->size, 16);
	assert_int_equal(btf__type_cnt(m), 2);
	btf__free(m);
}

static void test_type_relo_follows_pointers(void **state)
{
	struct fixture *f = *state;
	struct btf *m = minimize_one(f, f->l_mmp, "0", BPF_CORE_TYPE_SIZE);
	const struct btf_type *td = find(m, "mm_ptr", BTF_KIND_TYPEDEF), *p, *mm;

	assert_non_null(td);
	p = btf__type_by_id(m, td->type);
	assert_true(p && btf_is_ptr(p));
	mm = btf__type_by_id(m, p->type);
	assert_true(mm && btf_is_struct(mm));
	assert_string_equal(btf__name_by_offset(m, mm->name_off), "mm");
	assert_int_equal(btf_vlen(mm), 0);
	assert_int_equal(btf__type_cnt(m), 4);
	btf__free(m);
}

static void test_unresolved_keeps_nothing(void **state)
{
	struct fixture *f = *state;
	struct btf *m = minimize_one(f, f->l_gone, "0:0", BPF_CORE_FIELD_EXISTS);

	assert_int_equal(btf__type_cnt(m), 1);
	btf__free(m);
}

/* The same types added in another order: the same dump; a moved member:
 * another. */
static struct btf *make_pair(bool reversed, uint32_t y_off)
{
	struct btf *b = btf__new_empty();
	int i, s, p;

	if (!reversed) {
		i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		s = btf__add_struct(b, "s", 8);
		btf__add_field(b, "x", i, 0, 0);
		btf__add_field(b, "y", i, y_off, 0);
		p = btf__add_ptr(b, s);
		btf__add_typedef(b, "sp", p);
	} else {
		/* Forward references are fine in BTF: ids fixed up below. */
		p = btf__add_ptr(b, 4);
		btf__add_typedef(b, "sp", p);
		i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		s = btf__add_struct(b, "s", 8);
		btf__add_field(b, "x", i, 0, 0);
		btf__add_field(b, "y", i, y_off, 0);
		assert_int_equal(s, 4);
	}
	return b;
}

static void test_canon_dump_ignores_ids(void **state)
{
	struct btf *a = make_pair(false, 32), *b = make_pair(true, 32), *c = make_pair(true, 0);
	struct buf da = {0}, db = {0}, dc = {0};

	(void)state;
	btf_canon_dump(a, &da);
	btf_canon_dump(b, &db);
	btf_canon_dump(c, &dc);
	assert_string_equal(da.data, db.data);
	assert_string_not_equal(da.data, dc.data);
	assert_non_null(strstr(da.data, "struct 's' size=8 {"));
	buf_free(&da);
	buf_free(&db);
	buf_free(&dc);
	btf__free(a);
	btf__free(b);
	btf__free(c);
}

static void test_kcache_sizes(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(kcache_parse_size("512M", &v), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(kcache_parse_size("2G", &v), 0);
	assert_true(v == 2ULL << 30);
	assert_int_equal(kcache_parse_size("4KiB", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(kcache_parse_size("1000", &v), 0);
	assert_true(v == 1000);
	assert_int_equal(kcache_parse_size("", &v), -EINVAL);
	assert_int_equal(kcache_parse_size("-1G", &v), -EINVAL);
	assert_int_equal(kcache_parse_size("12X", &v), -EINVAL);
	assert_int_equal(kcache_parse_size("G", &v), -EINVAL);
	assert_int_equal(kcache_parse_size("4i", &v), -EINVAL);
	assert_int_equal(kcache_parse_size("4iB", &v), -EINVAL);
	assert_int_equal(kcache_parse_size("1000B", &v), 0);
	assert_true(v == 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_field_keeps_only_the_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_relo_keeps_no_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_relo_follows_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unresolved_keeps_nothing, setup, teardown),
		cmocka_unit_test(test_candidates_pruned_as_bpftool),
		cmocka_unit_test(test_canon_dump_ignores_ids),
		cmocka_unit_test(test_kcache_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
