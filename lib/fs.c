/* fs: reading, atomic writing, directories and temp paths. */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

int fs_read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		int err = errno;

		report_error("cannot read %s: %s", path, strerror(err));
		return -err;
	}
	buf_reset(out);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			report_error("cannot read %s: %s", path, strerror(err));
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		buf_append(out, chunk, (size_t)n);
	}
	if (!out->data)
		buf_append(out, "", 0);
	close(fd);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void fs_sweep_temps(const char *dir, const struct strv *targets)
{
	struct strv names = { 0 };
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *mark = strstr(e->d_name, FS_TEMP_MARK);
		bool ours = mark && !targets;

		for (size_t i = 0; mark && targets && i < targets->n && !ours; i++)
			ours = (size_t)(mark - e->d_name) == strlen(targets->v[i]) &&
			       !strncmp(e->d_name, targets->v[i], strlen(targets->v[i]));
		if (ours)
			strv_push(&names, e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < names.n; i++) {
		char *p = fs_path_join(dir, names.v[i]);

		unlink(p);
		free(p);
	}
	strv_free(&names);
}

/* fs_temp_beside, reporting only when REPORT. */
static int temp_beside(const char *target, char **tmp_path, bool report)
{
	char *tmp = xasprintf("%s%sXXXXXX", target, FS_TEMP_MARK);
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		if (report)
			report_error("cannot create a temp file beside %s: %s", target, strerror(err));
		free(tmp);
		return -err;
	}
	*tmp_path = tmp;
	return fd;
}

int fs_temp_beside(const char *target, char **tmp_path)
{
	return temp_beside(target, tmp_path, true);
}

/* chmod and rename TMP over TARGET; unlinks TMP on failure. */
static int commit_temp(const char *tmp, const char *target, mode_t mode, bool report)
{
	if (chmod(tmp, mode) < 0 || rename(tmp, target) < 0) {
		int err = errno;

		if (report)
			report_error("cannot write %s: %s", target, strerror(err));
		unlink(tmp);
		return -err;
	}
	return 0;
}

int fs_commit_temp(const char *tmp, const char *target, mode_t mode)
{
	return commit_temp(tmp, target, mode, true);
}

/* The temp file, the data, the rename. A full disk shows at write() or, on
 * filesystems that allocate late, at close(): both are checked, and the temp
 * file is removed on every failure, so a full disk leaves the old PATH as it
 * was and nothing beside it. */
static int write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool report)
{
	char *tmp;
	int fd = temp_beside(path, &tmp, false);
	int err;

	if (fd < 0) {
		/* Name the file the user asked for, not the temp file. */
		if (report)
			report_error("cannot write %s: %s", path, strerror(-fd));
		return fd;
	}
	err = write_all(fd, data, len);
	/* fsync is left out on purpose: build outputs are cheap to regenerate and
	 * rename already guarantees no reader sees a half-written file. */
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		if (report)
			report_error("cannot write %s: %s", path, strerror(-err));
		unlink(tmp);
		free(tmp);
		return err;
	}
	err = commit_temp(tmp, path, mode, report);
	free(tmp);
	return err;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_atomic(path, data, len, mode, true);
}

int fs_write_atomic_quiet(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_atomic(path, data, len, mode, false);
}

int fs_write_if_changed(const char *path, const void *data, size_t len, mode_t mode)
{
	struct buf old = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		if (fs_read_file(path, &old) == 0 && old.len == len &&
		    memcmp(old.data, data, len) == 0) {
			buf_free(&old);
			return 0;
		}
		buf_free(&old);
	}
	return fs_write_atomic(path, data, len, mode);
}

int fs_mkdir_p(const char *path, mode_t mode)
{
	int err = fs_mkdirs(path, mode);

	if (err)
		report_error("cannot create directory %s: %s", path, strerror(-err));
	return err;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int err = 0;

	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			err = -errno;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (!err && !fs_is_dir(path))
		err = -ENOTDIR;
	free(p);
	return err;
}

int fs_mkdtemp(const char *prefix, char **path)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	if (!base || !*base)
		base = "/tmp";
	tmpl = xasprintf("%s/%s.XXXXXX", base, prefix);
	if (!mkdtemp(tmpl)) {
		int err = errno;

		report_error("cannot create a temp directory in %s: %s", base, strerror(err));
		free(tmpl);
		return -err;
	}
	*path = tmpl;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

int fs_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0) {
			int err = errno;

			report_error("cannot remove %s: %s", path, strerror(err));
			return -err;
		}
		return 0;
	}
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
		int err = errno;

		report_error("cannot remove %s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

bool fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

bool fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

long long fs_mtime_ns(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

char *fs_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (b[0] == '/' || la == 0)
		return xstrdup(b);
	if (strcmp(a, ".") == 0)
		return xstrdup(b);
	return xasprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

const char *fs_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

char *fs_dirname(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return strndup(path, (size_t)(s - path));
}

char *fs_realpath(const char *path)
{
	return realpath(path, NULL);
}
