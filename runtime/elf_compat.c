/* elf_compat: the search-tree functions that elfutils 0.192's static libelf.a
 * calls but does not contain (upstream bug 32293: they live in its internal
 * libeu, which is not installed; 0.193 puts them into libelf.a). Debian 13
 * trixie ships 0.192, so `cc -static ... -lelf` fails there with "undefined
 * reference to `eu_search_tree_init'".
 *
 * The build lists libbpfpack.a once more after -lelf: the linker pulls this
 * member only when libelf.a left these symbols undefined, so a libelf.a that
 * has them (older ones never call them, newer ones carry them) uses its own.
 *
 * elfutils' search_tree is { void *root; <lock>; }, the lock a no-op unless
 * elfutils was built with --enable-thread-safety (Debian's libelf.a refers to
 * no pthread lock). Only the root, the first member, is used here, so the
 * lock's layout does not matter. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* tdestroy */
#endif
#include <search.h>
#include <stddef.h>

struct eu_search_tree {
	void *root;
};

typedef int (*eu_compare_fn)(const void *, const void *);

void *eu_tsearch(const void *key, struct eu_search_tree *tree, eu_compare_fn compare);
void *eu_tfind(const void *key, struct eu_search_tree *tree, eu_compare_fn compare);
void *eu_tdelete(const void *key, struct eu_search_tree *tree, eu_compare_fn compare);
void eu_tdestroy(struct eu_search_tree *tree, void (*free_node)(void *));
void eu_search_tree_init(struct eu_search_tree *tree);
void eu_search_tree_fini(struct eu_search_tree *tree, void (*free_node)(void *));

void *eu_tsearch(const void *key, struct eu_search_tree *tree, eu_compare_fn compare)
{
	return tsearch(key, &tree->root, compare);
}

void *eu_tfind(const void *key, struct eu_search_tree *tree, eu_compare_fn compare)
{
	return tfind(key, &tree->root, compare);
}

void *eu_tdelete(const void *key, struct eu_search_tree *tree, eu_compare_fn compare)
{
	return tdelete(key, &tree->root, compare);
}

static void eu_free_nothing(void *node)
{
	(void)node;
}

void eu_tdestroy(struct eu_search_tree *tree, void (*free_node)(void *))
{
	/* glibc's tdestroy calls FREE_NODE for every node; it must not be NULL. */
	tdestroy(tree->root, free_node ? free_node : eu_free_nothing);
	tree->root = NULL;
}

void eu_search_tree_init(struct eu_search_tree *tree)
{
	tree->root = NULL;
}

void eu_search_tree_fini(struct eu_search_tree *tree, void (*free_node)(void *))
{
	eu_tdestroy(tree, free_node);
}
