/* archive_reader: safety checks and caps for outside archives (see
 * archive_reader.h). */
#include "archive_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/report.h"
#include "kimage.h"

struct archive *archive_reader_new(bool tar, bool raw, bool ar)
{
	struct archive *a = archive_read_new();

	if (!a) {
		fputs("bpfpack: out of memory\n", stderr);
		abort();
	}
	kimage_archive_support_filters(a);
	if (tar)
		archive_read_support_format_tar(a);
	if (raw)
		archive_read_support_format_raw(a);
	if (ar)
		archive_read_support_format_ar(a);
	return a;
}

const char *archive_reader_why(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s && *s ? s : "unreadable data";
}

bool archive_reader_entry_safe(struct archive_entry *e, char *why, size_t why_len)
{
	const char *path = archive_entry_pathname(e);
	const char *link;
	int depth = 0;

	if (!path || !*path) {
		snprintf(why, why_len, "an entry has no name");
		return false;
	}
	if (path[0] == '/') {
		snprintf(why, why_len, "entry '%s' has an absolute path", path);
		return false;
	}
	for (const char *c = path; *c; ) {
		size_t n = strcspn(c, "/");

		if (n == 2 && !strncmp(c, "..", 2)) {
			snprintf(why, why_len, "entry '%s' leaves the archive's directory ('..')", path);
			return false;
		}
		if (n && !(n == 1 && c[0] == '.'))
			depth++;
		c += n;
		c += strspn(c, "/");
	}
	link = archive_entry_hardlink(e);
	if (link) {
		if (link[0] == '/' || !strcmp(link, "..") || !strncmp(link, "../", 3) ||
		    strstr(link, "/../") || (strlen(link) >= 3 && !strcmp(link + strlen(link) - 3, "/.."))) {
			snprintf(why, why_len, "hardlink '%s' points outside the archive ('%s')", path, link);
			return false;
		}
	}
	if (archive_entry_filetype(e) == AE_IFLNK) {
		link = archive_entry_symlink(e);
		if (!link || !*link) {
			snprintf(why, why_len, "symlink '%s' has no target", path);
			return false;
		}
		if (link[0] == '/') {
			snprintf(why, why_len, "symlink '%s' points outside the archive ('%s')", path, link);
			return false;
		}
		/* Resolved from the link's own directory. */
		depth--;
		for (const char *c = link; *c; ) {
			size_t n = strcspn(c, "/");

			if (n == 2 && !strncmp(c, "..", 2))
				depth--;
			else if (n && !(n == 1 && c[0] == '.'))
				depth++;
			if (depth < 0) {
				snprintf(why, why_len, "symlink '%s' points outside the archive ('%s')", path, link);
				return false;
			}
			c += n;
			c += strspn(c, "/");
		}
	}
	return true;
}

int archive_reader_read_entry(struct archive *a, const char *ctx, size_t limit, struct buf *out,
			      int fd)
{
	size_t total = 0;

	if (fd < 0)
		buf_reset(out);
	for (;;) {
		const void *block;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &block, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			report_error("%s: archive is truncated or corrupt: %s", ctx, archive_reader_why(a));
			return -EINVAL;
		}
		if (off < 0 || (size_t)off > limit || n > limit - (size_t)off) {
			report_error("%s: archive entry is larger than %zu MiB (the limit for outside input); "
				     "refusing it", ctx, limit >> 20);
			return -EFBIG;
		}
		if (fd >= 0) {
			/* A reused FD still holds the last file's bytes where a
			 * sparse entry has a hole. */
			static const char zeros[4096];

			while ((size_t)off > total) {
				size_t z = (size_t)off - total < sizeof(zeros) ? (size_t)off - total : sizeof(zeros);
				ssize_t w = pwrite(fd, zeros, z, (off_t)total);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					int err = errno;

					report_error("%s: cannot write the unpacked file: %s", ctx, strerror(err));
					return -err;
				}
				total += (size_t)w;
			}
			for (size_t done = 0; done < n; ) {
				ssize_t w = pwrite(fd, (const char *)block + done, n - done, off + (off_t)done);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					int err = errno;

					report_error("%s: cannot write the unpacked file: %s", ctx, strerror(err));
					return -err;
				}
				done += (size_t)w;
			}
			if ((size_t)off + n > total)
				total = (size_t)off + n;
			continue;
		}
		/* Sparse entries come with offsets; fill the holes (the
		 * offset was checked against LIMIT above). */
		while ((size_t)off > out->len) {
			static const char zeros[4096];
			size_t z = (size_t)off - out->len;

			buf_append(out, zeros, z < sizeof(zeros) ? z : sizeof(zeros));
		}
		buf_append(out, block, n);
	}
	if (fd >= 0 && ftruncate(fd, (off_t)total) < 0) {
		int err = errno;

		report_error("%s: cannot write the unpacked file: %s", ctx, strerror(err));
		return -err;
	}
	if (fd < 0 && !out->data)
		buf_append(out, "", 0);
	return 0;
}

/* A tar inside the ar archive of a .deb is read through this callback: the
 * outer archive's entry data is the inner archive's input. */
static la_ssize_t archive_reader_nested_read(struct archive *a, void *data, const void **block)
{
	struct archive *outer = data;
	size_t n;
	la_int64_t off;
	int r = archive_read_data_block(outer, block, &n, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		archive_set_error(a, archive_errno(outer) ? archive_errno(outer) : EINVAL, "%s",
				  archive_reader_why(outer));
		return -1;
	}
	return (la_ssize_t)n;
}

int archive_reader_open_nested(struct archive *inner, struct archive *outer)
{
	return archive_read_open(inner, outer, NULL, archive_reader_nested_read, NULL) == ARCHIVE_OK
		       ? 0 : -EINVAL;
}

const char *archive_reader_member_name(const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path;
}
