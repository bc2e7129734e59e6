/* test_elf_compat: the search-tree functions runtime/elf_compat.c supplies
 * for elfutils 0.192's static libelf.a behave as elfutils' own: a tree
 * starts empty, tsearch adds once and finds again, tfind and tdelete see
 * what was added, fini hands every remaining node to the free function and
 * leaves the tree empty, init after fini gives a usable tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

/* The layout elfutils uses when built without thread safety, as libelf
 * embeds it: the root, then the (unused) lock. */
struct tree {
	void *root;
	int lock;
};

void *eu_tsearch(const void *key, struct tree *tree, int (*compare)(const void *, const void *));
void *eu_tfind(const void *key, struct tree *tree, int (*compare)(const void *, const void *));
void *eu_tdelete(const void *key, struct tree *tree, int (*compare)(const void *, const void *));
void eu_search_tree_init(struct tree *tree);
void eu_search_tree_fini(struct tree *tree, void (*free_node)(void *));

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int freed;
static int freed_sum;

static void count_free(void *node)
{
	freed++;
	freed_sum += *(int *)node;
}

static void test_add_find_delete_fini(void **state)
{
	static int keys[] = { 5, 3, 9, 1, 7 };
	struct tree t = { (void *)(uintptr_t)1, 42 };
	int probe;

	(void)state;
	eu_search_tree_init(&t);
	assert_null(t.root);
	assert_int_equal(t.lock, 42);	/* init touches only the root */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		void **n = eu_tsearch(&keys[i], &t, cmp_int);

		assert_non_null(n);
		assert_ptr_equal(*n, &keys[i]);
	}
	/* The same value again finds the node that is there. */
	probe = 9;
	assert_ptr_equal(*(void **)eu_tsearch(&probe, &t, cmp_int), &keys[2]);
	assert_ptr_equal(*(void **)eu_tfind(&probe, &t, cmp_int), &keys[2]);
	probe = 4;
	assert_null(eu_tfind(&probe, &t, cmp_int));
	probe = 3;
	assert_non_null(eu_tdelete(&probe, &t, cmp_int));
	assert_null(eu_tfind(&probe, &t, cmp_int));

	freed = freed_sum = 0;
	eu_search_tree_fini(&t, count_free);
	assert_int_equal(freed, 4);
	assert_int_equal(freed_sum, 5 + 9 + 1 + 7);
	assert_null(t.root);
	assert_int_equal(t.lock, 42);

	/* Usable again after fini and init. */
	eu_search_tree_init(&t);
	assert_non_null(eu_tsearch(&keys[0], &t, cmp_int));
	freed = 0;
	eu_search_tree_fini(&t, count_free);
	assert_int_equal(freed, 1);
}

static void test_fini_of_an_empty_tree(void **state)
{
	struct tree t;

	(void)state;
	eu_search_tree_init(&t);
	freed = 0;
	eu_search_tree_fini(&t, count_free);
	assert_int_equal(freed, 0);
	assert_null(t.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_delete_fini),
		cmocka_unit_test(test_fini_of_an_empty_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
