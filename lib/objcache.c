/* objcache: see objcache.h. An entry is two files, DIR/KEY.NAME (the copy)
 * and DIR/KEY.deps (its manifest: "SIZE MTIME_NS PATH" a line), each
 * written atomically, the manifest last: an entry whose manifest is
 * missing is not one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xxhash.h>

#include "fs.h"
#include "objcache.h"

void objcache_key(const void *what, size_t len, char key[HASH_HEX_LEN + 1])
{
	XXH128_hash_t v = XXH3_128bits(what, len);

	snprintf(key, HASH_HEX_LEN + 1, "%016llx%016llx", (unsigned long long)v.high64,
		 (unsigned long long)v.low64);
}

/* "SIZE MTIME_NS PATH\n" of PATH as it is now; -errno when it cannot be
 * stat'ed or named on one line. */
static int manifest_line(struct buf *out, const char *path)
{
	struct stat st;

	if (path[0] != '/' || strchr(path, '\n'))
		return -EINVAL;
	if (stat(path, &st) < 0)
		return -errno;
	buf_printf(out, "%lld %lld %s\n", (long long)st.st_size,
		   (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, path);
	return 0;
}

static bool manifest_holds(const char *text)
{
	bool ok = *text != '\0';

	while (ok && *text) {
		const char *nl = strchr(text, '\n');
		char *path;
		struct buf now = {0};

		if (!nl)
			return false;
		/* The path is what follows the second space. */
		const char *sp = strchr(text, ' ');

		sp = sp && sp < nl ? strchr(sp + 1, ' ') : NULL;
		if (!sp || sp > nl)
			return false;
		path = strndup(sp + 1, (size_t)(nl - sp - 1));
		ok = path && manifest_line(&now, path) == 0 && now.len == (size_t)(nl - text + 1) &&
		     !memcmp(now.data, text, now.len);
		free(path);
		buf_free(&now);
		text = nl + 1;
	}
	return ok;
}

char *objcache_lookup(const char *dir, const char *key, const char *name)
{
	char *deps = xasprintf("%s/%s.deps", dir, key);
	char *file = xasprintf("%s/%s.%s", dir, key, name);
	struct buf manifest = {0};
	struct stat st;
	bool ok;

	ok = fs_exists(deps) && stat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	     fs_read_file(deps, &manifest) == 0 && manifest.data && manifest_holds(manifest.data);
	buf_free(&manifest);
	free(deps);
	if (!ok) {
		free(file);
		return NULL;
	}
	return file;
}

int objcache_store(const char *dir, const char *key, const char *name, const char *file,
		   const struct strv *deps)
{
	struct buf manifest = {0}, data = {0};
	char *deps_path = NULL, *copy = NULL;
	int rc = deps->n ? 0 : -EINVAL;

	for (size_t i = 0; i < deps->n && rc == 0; i++)
		rc = manifest_line(&manifest, deps->v[i]);
	if (rc == 0)
		rc = fs_mkdirs(dir, 0755);
	if (rc == 0)
		rc = fs_read_file(file, &data);
	if (rc == 0) {
		copy = xasprintf("%s/%s.%s", dir, key, name);
		deps_path = xasprintf("%s/%s.deps", dir, key);
		rc = fs_write_atomic_quiet(copy, data.data, data.len, 0644);
	}
	if (rc == 0)
		rc = fs_write_atomic_quiet(deps_path, manifest.data, manifest.len, 0644);
	buf_free(&manifest);
	buf_free(&data);
	free(copy);
	free(deps_path);
	return rc;
}
