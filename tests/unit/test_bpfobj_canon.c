/* test_bpfobj_canon: btfhub/bpfobj_canon puts the BTF forward declarations of
 * a BPF object in one order whatever order clang wrote them in. The object is
 * real (compiled here with clang); the other order is made by swapping two
 * FWD records and the pointers to them, which is what a build in another
 * directory gives (clang 19 orders FWDs by heap address). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
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
#include <bpf/libbpf.h>

#include "../../btfhub/bpfobj_canon.h"
#include "../../btfhub/btf_walk.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"
#include "../../lib/toolchain.h"
#include "testutil.h"

/* Pointers to structs the program never defines: clang emits a FWD for each
 * (zeta, alpha, mid: names out of order on purpose), used through a map. */
static const char prog[] =
	"#define SEC(n) __attribute__((section(n), used))\n"
	"struct zeta; struct alpha; struct mid; union uu;\n"
	"struct holder { struct zeta *z; struct alpha *a; struct mid *m; union uu *u; int x; };\n"
	"struct { int (*type)[2]; int (*max_entries)[1]; int *key; struct holder *value; }"
	" m SEC(\".maps\");\n"
	"static void *(*lookup)(void *map, const void *key) = (void *)1;\n"
	"SEC(\"tp/sched/sched_process_exec\") int p(void *ctx)\n"
	"{ int k = 0; struct holder *h = lookup(&m, &k); if (h) h->x++; return 0; }\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

struct fixture {
	char *dir, *obj;
	struct buf canon;	/* the object after bpfobj_canon_fwd */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *clang = toolchain_find_clang(), *src;
	int rc;

	if (!fx || fs_mkdtemp("test-bpfobj-canon", &fx->dir))
		return -1;
	*state = fx;
	if (!clang) {
		printf("# no clang: the tests skip\n");
		return 0;
	}
	src = fs_path_join(fx->dir, "prog.bpf.c");
	fx->obj = fs_path_join(fx->dir, "prog.bpf.o");
	rc = fs_write_atomic(src, prog, sizeof(prog) - 1, 0644);
	if (rc == 0) {
		char *argv[] = { clang, "-g", "-O2", "-target", "bpf", "-c", src, "-o", fx->obj, NULL };
		struct buf err = { 0 };

		rc = proc_run_capture(argv, NULL, &err);
		if (rc)
			printf("# clang: %.*s\n", (int)err.len, err.data ? err.data : "");
		buf_free(&err);
	}
	if (rc == 0)
		rc = bpfobj_canon_fwd(fx->obj);
	if (rc == 0)
		rc = fs_read_file(fx->obj, &fx->canon);
	free(src);
	free(clang);
	return rc ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fs_rm_rf(fx->dir);
	free(fx->dir);
	free(fx->obj);
	buf_free(&fx->canon);
	free(fx);
	return 0;
}

static void need_obj(const struct fixture *fx)
{
	if (!fx->canon.len)
		skip();
}

/* The FWDs of the object at PATH, in ID order, as "struct zeta" etc. */
static char *fwd_list(const char *path)
{
	struct btf *btf = btf__parse_elf(path, NULL);
	struct buf out = { 0 };

	assert_non_null(btf);
	for (uint32_t id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_kind(t) == BTF_KIND_FWD)
			buf_printf(&out, "%s%s %s", out.len ? ", " : "", btf_kflag(t) ? "union" : "struct",
				   btf__name_by_offset(btf, t->name_off));
	}
	btf__free(btf);
	buf_append(&out, "", 0);
	return out.data;
}

/* Writes to PATH a copy of OBJ whose first and last FWD swap places (and the
 * references to them follow): the same types in another order. */
static void swap_fwds(const struct buf *obj, const char *path)
{
	struct buf copy = { 0 };
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx, at = 0;
	uint32_t hdr_len, type_off, type_len, n = 0, first = 0, last = 0, off[256] = { 0 },
		kind[256] = { 0 }, vlen[256] = { 0 }, pos[2 + 256];
	unsigned char *t, rec[12];

	buf_append(&copy, obj->data, obj->len);
	elf_version(EV_CURRENT);
	elf = elf_memory(copy.data, copy.len);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		assert_non_null(gelf_getshdr(scn, &sh));
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".BTF"))
			at = sh.sh_offset;
	}
	elf_end(elf);
	assert_true(at > 0);
	memcpy(&hdr_len, copy.data + at + 4, 4);
	memcpy(&type_off, copy.data + at + 8, 4);
	memcpy(&type_len, copy.data + at + 12, 4);
	t = (unsigned char *)copy.data + at + hdr_len + type_off;
	for (uint32_t o = 0; o < type_len; n++) {
		uint32_t info;

		assert_true(n + 1 < 256);
		memcpy(&info, t + o + 4, 4);
		off[n + 1] = o;
		kind[n + 1] = (info >> 24) & 0x1f;
		vlen[n + 1] = info & 0xffff;
		if (kind[n + 1] == BTF_KIND_FWD) {
			if (!first)
				first = n + 1;
			last = n + 1;
		}
		o += 12 + (uint32_t)btf_walk_extra_len(kind[n + 1], vlen[n + 1]);
	}
	assert_true(first && last != first);
	memcpy(rec, t + off[first], 12);
	memcpy(t + off[first], t + off[last], 12);
	memcpy(t + off[last], rec, 12);
	for (uint32_t id = 1; id <= n; id++) {
		size_t nref = btf_walk_type_refs(kind[id], vlen[id], pos);

		for (size_t r = 0; r < nref; r++) {
			uint32_t v;

			memcpy(&v, t + off[id] + pos[r], 4);
			v = v == first ? last : v == last ? first : v;
			memcpy(t + off[id] + pos[r], &v, 4);
		}
	}
	assert_int_equal(fs_write_atomic(path, copy.data, copy.len, 0644), 0);
	buf_free(&copy);
}

static void test_fwds_in_name_order(void **state)
{
	struct fixture *fx = *state;
	char *list;

	need_obj(fx);
	list = fwd_list(fx->obj);
	assert_string_equal(list, "struct alpha, struct mid, union uu, struct zeta");
	free(list);
}

static void test_other_order_gives_the_same_bytes(void **state)
{
	struct fixture *fx = *state;
	char *other = fs_path_join(fx->dir, "other.bpf.o"), *list;
	struct buf got = { 0 };

	need_obj(fx);
	swap_fwds(&fx->canon, other);
	assert_int_equal(fs_read_file(other, &got), 0);
	assert_true(got.len == fx->canon.len && memcmp(got.data, fx->canon.data, got.len));
	list = fwd_list(other);
	assert_string_equal(list, "struct zeta, struct mid, union uu, struct alpha");
	free(list);

	assert_int_equal(bpfobj_canon_fwd(other), 0);
	buf_reset(&got);
	assert_int_equal(fs_read_file(other, &got), 0);
	assert_int_equal(got.len, fx->canon.len);
	assert_memory_equal(got.data, fx->canon.data, got.len);
	buf_free(&got);
	free(other);
}

static void test_idempotent_and_loadable(void **state)
{
	struct fixture *fx = *state;
	struct bpf_object *o;
	struct buf again = { 0 };

	need_obj(fx);
	assert_int_equal(bpfobj_canon_fwd(fx->obj), 0);
	assert_int_equal(fs_read_file(fx->obj, &again), 0);
	assert_int_equal(again.len, fx->canon.len);
	assert_memory_equal(again.data, fx->canon.data, again.len);
	buf_free(&again);
	/* libbpf opens it: the map's BTF still resolves. */
	libbpf_set_print(NULL);
	o = bpf_object__open_file(fx->obj, NULL);
	assert_non_null(o);
	assert_non_null(bpf_object__find_map_by_name(o, "m"));
	bpf_object__close(o);
}

static void test_bad_input(void **state)
{
	struct fixture *fx = *state;
	char *text_file = fs_path_join(fx->dir, "not-elf"), *msg;
	struct stderr_capture cap;

	assert_int_equal(fs_write_atomic(text_file, "hello\n", 6, 0644), 0);
	stderr_capture_begin(&cap);
	assert_int_equal(bpfobj_canon_fwd(text_file), -ENOEXEC);
	assert_int_equal(bpfobj_canon_fwd("/nonexistent/x.o"), -ENOENT);
	msg = stderr_capture_end(&cap);
	assert_non_null(strstr(msg, "not-elf is not an ELF file"));
	assert_non_null(strstr(msg, "cannot open /nonexistent/x.o"));
	free(msg);
	/* An ELF without BTF (this test program) is left alone. */
	{
		char *self = fs_path_join(fx->dir, "self");
		struct buf a = { 0 }, b = { 0 };

		assert_int_equal(fs_read_file("/proc/self/exe", &a), 0);
		assert_int_equal(fs_write_atomic(self, a.data, a.len, 0644), 0);
		assert_int_equal(bpfobj_canon_fwd(self), 0);
		assert_int_equal(fs_read_file(self, &b), 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		buf_free(&a);
		buf_free(&b);
		free(self);
	}
	free(text_file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fwds_in_name_order),
		cmocka_unit_test(test_other_order_gives_the_same_bytes),
		cmocka_unit_test(test_idempotent_and_loadable),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
