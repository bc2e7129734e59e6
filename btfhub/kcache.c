/* kcache: each kernel's raw BTF kept decoded, keyed by content. */
#include "kcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "btf_source.h"
#include "btfgen.h"
#include "../lib/fs.h"
#include "../lib/hash.h"
#include "../lib/report.h"

#define KCACHE_SUFFIX ".btf"
/* A decoded kernel BTF is a few MiB; anything larger is not one of ours. */
#define KCACHE_MAX_RAW (512u << 20)

bool kcache_env_disabled(void)
{
	const char *v = getenv("BPFPACK_KERNEL_CACHE");

	return v && (!strcmp(v, "0") || !strcasecmp(v, "off") || !strcasecmp(v, "no") ||
		     !strcasecmp(v, "false"));
}

int kcache_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	/* "512M", "512MB", "512MiB", "1000B". */
	if (end[0] == 'i' && end[1] == 'B' && end > s && strchr("kKmMgG", end[-1]))
		end += 2;
	else if (end[0] == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* mkdir -p without reporting: a cache that cannot be made is a warning. */
static int mkdir_p_quiet(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

void kcache_open(struct kcache *kc, const char *cache_dir, bool disable)
{
	const char *max = getenv("BPFPACK_KERNEL_CACHE_MAX");
	char *base, *probe;
	int fd;

	memset(kc, 0, sizeof(*kc));
	kc->max_bytes = KCACHE_DEFAULT_MAX;
	if (max && *max && kcache_parse_size(max, &kc->max_bytes) < 0) {
		report_warn("BPFPACK_KERNEL_CACHE_MAX=%s is not a size (like 512M or 2G); using 2G", max);
		kc->max_bytes = KCACHE_DEFAULT_MAX;
	}
	if (disable || kcache_env_disabled())
		return;
	base = cache_dir ? xstrdup(cache_dir) : btfgen_cache_dir();
	kc->dir = xasprintf("%s/kernels", base);
	free(base);
	/* Checked here, once, so that workers never warn: a read-only or full
	 * cache costs time, not the run. */
	probe = xasprintf("%s/.probe-XXXXXX", kc->dir);
	fd = mkdir_p_quiet(kc->dir) < 0 ? -1 : mkostemp(probe, O_CLOEXEC);
	if (fd < 0) {
		report_warn("cannot write the decoded-kernel cache %s: %s; going on without it", kc->dir,
			    strerror(errno));
		free(kc->dir);
		kc->dir = NULL;
	} else {
		close(fd);
		unlink(probe);
	}
	free(probe);
}

void kcache_open_read_only(struct kcache *kc, const char *cache_dir, bool disable)
{
	char *base;

	memset(kc, 0, sizeof(*kc));
	kc->max_bytes = KCACHE_DEFAULT_MAX;
	kc->read_only = true;
	if (disable || kcache_env_disabled())
		return;
	base = cache_dir ? xstrdup(cache_dir) : btfgen_cache_dir();
	kc->dir = xasprintf("%s/kernels", base);
	free(base);
}

void kcache_close(struct kcache *kc)
{
	free(kc->dir);
	kc->dir = NULL;
}

static int hash_whole_file(const char *path, char out[33])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = fd < 0 ? -errno : hash_fd_hex(fd, out);

	if (fd >= 0)
		close(fd);
	if (rc < 0)
		report_error("cannot read %s: %s", path, strerror(-rc));
	return rc;
}

char *kcache_key(const struct btf_source_entry *e, const char *file_hash)
{
	char h[33];
	struct buf id = {0};
	XXH128_hash_t v;

	if (!file_hash) {
		if (hash_whole_file(e->path, h) < 0)
			return NULL;
		file_hash = h;
	}
	/* Where in the file the kernel is: an archive or a package can hold
	 * several. Not the path: a copied corpus hits the same entries. */
	buf_printf(&id, "kcache-2\n%s\n%s\n%s\n%d\n", file_hash, e->key.release, e->member ? e->member : "",
		   e->kind);
	v = XXH3_128bits(id.data, id.len);
	buf_free(&id);
	return xasprintf("%016llx%016llx", (unsigned long long)v.high64, (unsigned long long)v.low64);
}

/* The cached raw BTF of PATH into OUT; < 0 when absent or damaged. */
static int cache_load(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < 24 || st.st_size > KCACHE_MAX_RAW) {
		close(fd);
		return -EINVAL;
	}
	buf_reset(out);
	if (out->cap < (size_t)st.st_size + 1) {
		out->data = xrealloc(out->data, (size_t)st.st_size + 1);
		out->cap = (size_t)st.st_size + 1;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, out->data + len, (size_t)st.st_size - len);

		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	/* Raw BTF starts with its magic, 0xeB9F, in the file's byte order. */
	if (len != (size_t)st.st_size ||
	    (!((uint8_t)out->data[0] == 0x9f && (uint8_t)out->data[1] == 0xeb) &&
	     !((uint8_t)out->data[0] == 0xeb && (uint8_t)out->data[1] == 0x9f))) {
		buf_reset(out);
		return -EINVAL;
	}
	out->len = len;
	out->data[len] = '\0';
	return 0;
}

/* Stores RAW as PATH: a temp file beside it, renamed into place. Silent. */
static void cache_store(const char *path, const struct buf *raw)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd >= 0) {
		size_t off = 0;

		while (off < raw->len) {
			ssize_t w = write(fd, raw->data + off, raw->len - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		if (close(fd) < 0 || off != raw->len || fchmodat(AT_FDCWD, tmp, 0644, 0) < 0 ||
		    rename(tmp, path) < 0) {
			report_debug("cannot store %s in the decoded-kernel cache", path);
			unlink(tmp);
		}
	}
	free(tmp);
}

int kcache_read_raw(const struct kcache *kc, const struct btf_source_entry *e, const char *key,
		    struct buf *out, bool *hit)
{
	char *path;
	int rc;

	if (hit)
		*hit = false;
	/* A raw BTF file is read as fast as the cache would be. */
	if (!kc || !kc->dir || !key || e->kind == BTF_SOURCE_RAW)
		return btf_source_read_raw(e, out);
	path = xasprintf("%s/%s%s", kc->dir, key, KCACHE_SUFFIX);
	if (cache_load(path, out) == 0) {
		/* Used: the eviction is least-recently-used by mtime. */
		utimensat(AT_FDCWD, path, NULL, 0);
		if (hit)
			*hit = true;
		free(path);
		return 0;
	}
	rc = btf_source_read_raw(e, out);
	if (rc == 0 && !kc->read_only)
		cache_store(path, out);
	free(path);
	return rc;
}

struct kcache_file {
	char *path;
	long long mtime_ns;
	uint64_t size;
};

static int file_cmp(const void *a, const void *b)
{
	const struct kcache_file *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->path, y->path);
}

uint64_t kcache_evict(const struct kcache *kc)
{
	struct kcache_file *files = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	struct dirent *de;
	DIR *d;

	if (!kc->dir || kc->read_only || !(d = opendir(kc->dir)))
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;
		char *p;

		/* Only the cache's own files. A temp of a running writer is left
		 * alone; one a killed run left (an hour old) is removed. */
		if (strstr(de->d_name, KCACHE_SUFFIX ".tmp-")) {
			p = xasprintf("%s/%s", kc->dir, de->d_name);
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < time(NULL) - 3600)
				unlink(p);
			free(p);
			continue;
		}
		if (len <= strlen(KCACHE_SUFFIX) || strcmp(de->d_name + len - strlen(KCACHE_SUFFIX), KCACHE_SUFFIX))
			continue;
		p = xasprintf("%s/%s", kc->dir, de->d_name);
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			files = xrealloc(files, cap * sizeof(*files));
		}
		files[n].path = p;
		files[n].mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		files[n].size = (uint64_t)st.st_size;
		total += files[n].size;
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof(*files), file_cmp);
	for (size_t i = 0; i < n && total > kc->max_bytes; i++) {
		if (unlink(files[i].path) == 0) {
			total -= files[i].size;
			report_debug("decoded-kernel cache: evicted %s", files[i].path);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
	return total;
}
