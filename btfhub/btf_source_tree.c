/* btf_source_tree: walking a btfhub-archive tree
 * (DISTRO/VERSION/ARCH/RELEASE.btf.tar.xz) into kernel entries. Split from
 * btf_source.c along its seam. */
#include "btf_source.h"
#include "btf_source_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/report.h"

/* ---- btfhub trees ---------------------------------------------------------- */

static bool source_name_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && !strcmp(name + n - s, suffix);
}

/* A btfhub-archive checkout's own documents, skipped without a word. */
static bool source_is_doc(const char *name)
{
	return !strncmp(name, "README", 6) || !strncmp(name, "LICENSE", 7) ||
	       !strncmp(name, "COPYING", 7) || source_name_ends(name, ".md") ||
	       source_name_ends(name, ".txt");
}

/* "debian/12/x86_64/X.btf.tar.xz": the last four components of PATH. */
static const char *source_btfhub_origin(const char *path)
{
	const char *p = path + strlen(path);
	int slashes = 0;

	while (p > path) {
		if (p[-1] == '/' && ++slashes == 4)
			break;
		p--;
	}
	return p;
}

static int source_walk(const char *root, const char *rel, int depth, struct btf_source_list *list)
{
	char *dir = rel[0] ? fs_path_join(root, rel) : xstrdup(root);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), err = 0;

	if (n < 0) {
		err = -errno;
		report_error("cannot load kernel BTF from %s: %s", dir, strerror(-err));
		free(dir);
		return err;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *sub = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		char *full = fs_path_join(root, sub);
		struct stat st, lst;
		struct btf_key k;
		char why[256];

		if (err || name[0] == '.')
			goto next;
		if (lstat(full, &lst) < 0 || stat(full, &st) < 0) {
			report_warn("skipping %s: %s", full, strerror(errno));
			goto next;
		}
		if (S_ISDIR(st.st_mode)) {
			if (S_ISLNK(lst.st_mode))
				report_warn("skipping %s: a symlink to a directory (not followed)", full);
			else if (depth >= BTF_SOURCE_MAX_DEPTH)
				report_warn("skipping %s: nested deeper than <distro>/<version>/<arch>/", full);
			else
				err = source_walk(root, sub, depth + 1, list);
			goto next;
		}
		if (!S_ISREG(st.st_mode)) {
			report_warn("skipping %s: not a regular file", full);
			goto next;
		}
		if (!btf_key_from_btfhub_path(full, &k, why, sizeof(why))) {
			if (!source_is_doc(name))
				report_warn("skipping %s: %s", full, why);
			goto next;
		}
		for (size_t j = 0; j < list->n; j++) {
			if (!memcmp(&list->v[j].key, &k, sizeof(k))) {
				report_warn("skipping %s: kernel %s/%s/%s/%s is already in %s", full,
					    k.distro, k.version, k.arch, k.release, list->v[j].origin);
				goto next;
			}
		}
		list_push(list, &k, full, source_btfhub_origin(full),
			  source_name_ends(name, ".btf") ? BTF_SOURCE_RAW : BTF_SOURCE_ARCHIVE, NULL);
next:
		free(sub);
		free(full);
		free(names[i]);
	}
	free(names);
	free(dir);
	return err;
}

int source_expand_dir(const char *path, struct btf_source_list *list)
{
	char *root = fs_realpath(path);
	size_t before = list->n;
	int err;

	if (!root) {
		err = -errno;
		report_error("cannot load kernel BTF from %s: %s", path, strerror(-err));
		return err;
	}
	/* Keys come from the real path, so "btf-corpus/debian/12" names its
	 * kernels as well as the tree's root does. */
	err = source_walk(root, "", 0, list);
	if (!err && list->n == before) {
		report_error("cannot load kernel BTF from %s: the directory holds no kernel BTF (expected <distro>/<version>/<arch>/<release>.btf.tar.xz)",
			     path);
		err = -ENOENT;
	}
	if (err)
		list_truncate(list, before);
	free(root);
	return err;
}

