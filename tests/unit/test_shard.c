/* test_shard: shard selection and the partial set reader. A kernel's shard
 * depends on its key alone (not on its path or the list's order) and the
 * shards of thousands of btfhub-like keys are balanced; shard_select keeps
 * shard K in order with each kernel's position in the whole list; every
 * kernel is in exactly one shard. K/N specs out of range are refused. The
 * partial set reader refuses truncated, corrupt and foreign bytes without
 * crashing, and reads back what btfset_part_write wrote. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../btfhub/btfset_part.h"
#include "../../btfhub/btfset_write.h"
#include "../../btfhub/shard.h"
#include "../../lib/buf.h"
#include "testutil.h"

static const char *const distros[] = { "ubuntu", "centos", "fedora", "amzn", "ol", "sles", "rhel", "debian" };

static void list_add(struct btf_source_list *l, const char *d, const char *v, const char *a, const char *r,
		     const char *path)
{
	struct btf_source_entry *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->key.distro, sizeof(e->key.distro), "%s", d);
	snprintf(e->key.version, sizeof(e->key.version), "%s", v);
	snprintf(e->key.arch, sizeof(e->key.arch), "%s", a);
	snprintf(e->key.release, sizeof(e->key.release), "%s", r);
	e->path = xstrdup(path);
	e->origin = xstrdup(path);
}

/* N btfhub-like keys; PREFIX makes the paths differ between two lists. */
static void make_list(struct btf_source_list *l, size_t n, const char *prefix, int reverse)
{
	for (size_t j = 0; j < n; j++) {
		size_t i = reverse ? n - 1 - j : j;
		char v[16], r[64], p[128];

		snprintf(v, sizeof(v), "%zu", i / 8 % 12 + 1);
		snprintf(r, sizeof(r), "5.%zu.0-%zu-generic", i % 19, i);
		snprintf(p, sizeof(p), "%s/%zu.btf.tar.xz", prefix, i);
		list_add(l, distros[i % 8], v, i / 96 % 2 ? "arm64" : "x86_64", r, p);
	}
}

static void test_parse(void **state)
{
	uint32_t k, n;
	struct stderr_capture c;
	const char *bad[] = { "0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/4097", "1/3x", "/3", "" };

	(void)state;
	assert_int_equal(shard_parse("2/4", &k, &n), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 4);
	assert_int_equal(shard_parse("1/1", &k, &n), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err;

		stderr_capture_begin(&c);
		assert_int_equal(shard_parse(bad[i], &k, &n), -EINVAL);
		err = stderr_capture_end(&c);
		assert_non_null(strstr(err, "--shard takes K/N"));
		free(err);
	}
}

static void test_stable_and_balanced(void **state)
{
	struct btf_source_list a = {0}, b = {0};
	const size_t n = 5000;
	const uint32_t shards[] = { 2, 4, 7, 16 };
	unsigned char ka[16], kb[16];

	(void)state;
	make_list(&a, n, "/x", 0);
	make_list(&b, n, "/elsewhere/y", 1);
	for (size_t s = 0; s < sizeof(shards) / sizeof(shards[0]); s++) {
		uint32_t N = shards[s];
		size_t count[16] = {0};

		for (size_t i = 0; i < n; i++) {
			uint32_t x = shard_of(&a.v[i], N);

			assert_true(x >= 1 && x <= N);
			/* The same key at another path, at the mirrored index. */
			assert_int_equal(x, shard_of(&b.v[n - 1 - i], N));
			count[x - 1]++;
		}
		/* Each shard within 15% of n/N. */
		for (uint32_t k = 0; k < N; k++) {
			double want = (double)n / N;

			if (count[k] < want * 0.85 || count[k] > want * 1.15)
				fail_msg("%u shards: shard %u has %zu of %zu kernels", N, k + 1, count[k], n);
		}
	}
	/* One selection key for the same keys in any order and at any path. */
	shard_selection_key(&a, ka);
	shard_selection_key(&b, kb);
	assert_memory_equal(ka, kb, 16);
	b.n--;	/* one kernel less: another selection */
	shard_selection_key(&b, kb);
	assert_memory_not_equal(ka, kb, 16);
	b.n++;
	btf_source_list_free(&a);
	btf_source_list_free(&b);
}

static void test_select_partitions(void **state)
{
	const size_t n = 300;
	const uint32_t N = 5;
	int *seen = xcalloc(n, sizeof(*seen));

	(void)state;
	for (uint32_t k = 1; k <= N; k++) {
		struct btf_source_list l = {0};
		size_t *pos = NULL;

		make_list(&l, n, "/x", 0);
		shard_select(&l, k, N, &pos);
		for (size_t i = 0; i < l.n; i++) {
			char r[64];

			assert_int_equal(shard_of(&l.v[i], N), k);
			snprintf(r, sizeof(r), "5.%zu.0-%zu-generic", pos[i] % 19, pos[i]);
			assert_string_equal(l.v[i].key.release, r);	/* the position is the kernel's */
			if (i)
				assert_true(pos[i] > pos[i - 1]);	/* in order */
			seen[pos[i]]++;
		}
		free(pos);
		btf_source_list_free(&l);
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seen[i], 1);
	free(seen);
}

/* A minimal valid BTF: one int type. */
static void tiny_btf(struct buf *out, uint32_t bits)
{
	/* magic 0xeB9F, version 1, flags 0; hdr_len, type off/len, str off/len */
	uint32_t hdr[6] = { 0xeB9F | (1u << 16), 24, 0, 16, 16, 5 };
	/* name "int", BTF_KIND_INT, 4 bytes, encoding: BITS bits */
	uint32_t type[4] = { 1, 1u << 24, 4, bits };

	buf_append(out, hdr, sizeof(hdr));
	buf_append(out, type, sizeof(type));
	buf_append(out, "\0int", 5);
}

static void test_part_roundtrip_and_corruption(void **state)
{
	struct btfset_builder b;
	struct btfset_part_info info = { .shard = 2, .nshards = 3, .total = 9 };
	struct btfset_part p;
	struct buf out = {0}, blob = {0};
	struct btf_key key;
	struct stderr_capture c;
	const char dict[] = "the object";

	(void)state;
	memset(&key, 0, sizeof(key));
	strcpy(key.distro, "debian");
	strcpy(key.version, "12");
	strcpy(key.arch, "x86_64");
	strcpy(key.release, "6.1.0-1-amd64");
	memset(info.selection, 0xab, 16);
	memset(info.objects, 0xcd, 16);
	tiny_btf(&blob, 32);
	btfset_builder_init(&b);
	b.canonical = 0;
	assert_int_equal(btfset_builder_add(&b, &key, blob.data, blob.len), 0);
	assert_int_equal(btfset_part_write(&info, dict, sizeof(dict), &b, &out), 0);
	btfset_builder_free(&b);

	assert_int_equal(btfset_part_read(out.data, out.len, "p", &p), 0);
	assert_int_equal(p.info.shard, 2);
	assert_int_equal(p.info.nshards, 3);
	assert_int_equal(p.info.total, 9);
	assert_int_equal(p.info.count, 1);
	assert_memory_equal(p.info.selection, info.selection, 16);
	assert_int_equal(p.dict.len, sizeof(dict));
	assert_int_equal(btfset_kernel_count(p.set), 1);
	btfset_part_free(&p);

	/* Every truncation and every single-byte change is refused, never read. */
	for (size_t len = 0; len < out.len; len++) {
		stderr_capture_begin(&c);
		assert_true(btfset_part_read(out.data, len, "p", &p) < 0);
		free(stderr_capture_end(&c));
	}
	for (size_t i = 0; i < out.len; i++) {
		((unsigned char *)out.data)[i] ^= 0x40;
		stderr_capture_begin(&c);
		assert_true(btfset_part_read(out.data, out.len, "p", &p) < 0);
		free(stderr_capture_end(&c));
		((unsigned char *)out.data)[i] ^= 0x40;
	}
	buf_free(&out);
	buf_free(&blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_stable_and_balanced),
		cmocka_unit_test(test_select_partitions),
		cmocka_unit_test(test_part_roundtrip_and_corruption),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
