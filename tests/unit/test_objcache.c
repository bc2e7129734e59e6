/* test_objcache: an entry stored with its dependencies is found again under
 * its key, holds the stored bytes, and is refused once a dependency's size
 * or time changes, a dependency or the manifest is gone, or for another key;
 * relative dependency paths are not stored. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/objcache.h"

struct fixture {
	char *dir;	/* temp dir: the cache in cache/, files beside */
	char *cache, *file, *dep1, *dep2;
	struct strv deps;
	char key[HASH_HEX_LEN + 1];
};

static void write_text(const char *path, const char *text)
{
	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(fs_mkdtemp("test-objcache", &f->dir), 0);
	f->cache = fs_path_join(f->dir, "cache");
	f->file = fs_path_join(f->dir, "lib.a");
	f->dep1 = fs_path_join(f->dir, "a.c");
	f->dep2 = fs_path_join(f->dir, "a.h");
	write_text(f->file, "archive bytes");
	write_text(f->dep1, "int a;\n");
	write_text(f->dep2, "extern int a;\n");
	strv_push(&f->deps, f->dep1);
	strv_push(&f->deps, f->dep2);
	objcache_key("cc -c a.c", 9, f->key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fs_rm_rf(f->dir);
	free(f->dir);
	free(f->cache);
	free(f->file);
	free(f->dep1);
	free(f->dep2);
	strv_free(&f->deps);
	free(f);
	return 0;
}

static void test_key_is_stable_and_distinct(void **state)
{
	char a[HASH_HEX_LEN + 1], b[HASH_HEX_LEN + 1], c[HASH_HEX_LEN + 1];

	(void)state;
	objcache_key("cc -O2", 6, a);
	objcache_key("cc -O2", 6, b);
	objcache_key("cc -O0", 6, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), HASH_HEX_LEN);
}

static void test_store_then_lookup(void **state)
{
	struct fixture *f = *state;
	struct buf got = {0};
	char *hit;

	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &f->deps), 0);
	hit = objcache_lookup(f->cache, f->key, "lib.a");
	assert_non_null(hit);
	assert_int_equal(fs_read_file(hit, &got), 0);
	assert_int_equal(got.len, strlen("archive bytes"));
	assert_memory_equal(got.data, "archive bytes", got.len);
	buf_free(&got);
	free(hit);
	/* Another key, or another name under the key: nothing. */
	assert_null(objcache_lookup(f->cache, "00000000000000000000000000000000", "lib.a"));
	assert_null(objcache_lookup(f->cache, f->key, "other.a"));
}

static void test_changed_dependency_refused(void **state)
{
	struct fixture *f = *state;
	struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 1000000000 } };

	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &f->deps), 0);
	/* Same size, another time. */
	assert_int_equal(utimensat(AT_FDCWD, f->dep2, times, 0), 0);
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	/* Stored again as it is now: found. Then another size. */
	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &f->deps), 0);
	assert_non_null(objcache_lookup(f->cache, f->key, "lib.a"));
	write_text(f->dep1, "int a, b;\n");
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
}

static void test_missing_pieces_refused(void **state)
{
	struct fixture *f = *state;
	char *manifest;

	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &f->deps), 0);
	assert_int_equal(unlink(f->dep2), 0);
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	write_text(f->dep2, "extern int a;\n");
	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &f->deps), 0);
	manifest = xasprintf("%s/%s.deps", f->cache, f->key);
	assert_int_equal(unlink(manifest), 0);
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	/* A damaged manifest: not an entry. */
	write_text(manifest, "garbage\n");
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	write_text(manifest, "");
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	free(manifest);
}

static void test_relative_or_no_dependency_not_stored(void **state)
{
	struct fixture *f = *state;
	struct strv rel = {0}, none = {0};

	strv_push(&rel, "a.h");
	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &rel), -EINVAL);
	assert_int_equal(objcache_store(f->cache, f->key, "lib.a", f->file, &none), -EINVAL);
	assert_null(objcache_lookup(f->cache, f->key, "lib.a"));
	strv_free(&rel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_stable_and_distinct),
		cmocka_unit_test_setup_teardown(test_store_then_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_dependency_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_pieces_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_or_no_dependency_not_stored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
