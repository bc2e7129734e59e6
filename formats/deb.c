/* deb: the one reader of Debian packages (see deb.h). */
#include "deb.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/report.h"

static void deb_set(char *field, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(field, v, n);
	field[n] = '\0';
}

static void deb_field(const char *control, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	for (const char *line = control; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!strncmp(line, name, n) && line[n] == ':') {
			const char *v = line + n + 1;

			v += strspn(v, " \t");
			deb_set(out, size, v, strcspn(v, "\n"));
			return;
		}
	}
}

/* Walks one tar member (control.tar.* or data.tar.*) of the package: every
 * entry is checked; the control file is parsed into C; regular files of
 * the data tar go to FN. */
static int deb_walk_member(struct archive *outer, const char *member, bool control,
			   const char *ctx, struct deb_control *c, deb_walk_fn fn, void *fn_ctx)
{
	struct archive *in = archive_reader_new(true, false, false);
	struct archive_entry *e;
	char why[512];
	int r, err = 0;

	if (archive_reader_open_nested(in, outer)) {
		report_error("%s: %s of the package is truncated or corrupt: %s", ctx, member,
			     archive_reader_why(in));
		archive_read_free(in);
		return -EINVAL;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_reader_member_name(archive_entry_pathname(e) ?: "");

		if (!archive_reader_entry_safe(e, why, sizeof(why))) {
			report_error("%s: %s in %s; refusing the package", ctx, why, member);
			err = -EINVAL;
			break;
		}
		if (control && !strcmp(name, "control")) {
			struct buf text = {0};

			err = archive_reader_read_entry(in, ctx, FORMATS_MAX_CONTROL, &text, -1);
			if (!err) {
				deb_field(text.data, "Package", c->package, sizeof(c->package));
				deb_field(text.data, "Version", c->version, sizeof(c->version));
				deb_field(text.data, "Architecture", c->arch, sizeof(c->arch));
				deb_field(text.data, "Maintainer", c->maintainer, sizeof(c->maintainer));
			}
			buf_free(&text);
			if (err)
				break;
			continue;
		}
		if (control || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
			continue;
		err = fn(fn_ctx, name, in, c);
		if (err)
			break;
	}
	if (!err && r != ARCHIVE_EOF) {
		report_error("%s: %s of the package is truncated or corrupt: %s", ctx, member,
			     archive_reader_why(in));
		err = -EINVAL;
	}
	archive_read_free(in);
	return err;
}

int deb_walk(const char *path, const char *ctx, struct deb_control *control, deb_walk_fn fn,
	     void *fn_ctx)
{
	struct archive *a = archive_reader_new(false, false, true);
	struct archive_entry *e;
	struct deb_control local;
	bool is_deb = false;
	int r, err = 0;

	if (!control)
		control = &local;
	memset(control, 0, sizeof(*control));
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		report_error("%s: %s", ctx, archive_reader_why(a));
		archive_read_free(a);
		return -EINVAL;
	}
	while (!err && ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
		const char *name = archive_entry_pathname(e) ?: "";
		bool is_control = !strncmp(name, "control.tar", 11);

		if (!strcmp(name, "debian-binary"))
			is_deb = true;
		if (!is_control && strncmp(name, "data.tar", 8))
			continue;
		if (!is_deb) {
			report_error("%s: an ar archive, but not a Debian package (no debian-binary)", ctx);
			err = -EINVAL;
			break;
		}
		control->has_data |= !is_control;
		err = deb_walk_member(a, name, is_control, ctx, control, fn, fn_ctx);
	}
	if (!err && r != ARCHIVE_EOF) {
		report_error("%s: package is truncated or corrupt: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
	} else if (!err && !is_deb) {
		report_error("%s: an ar archive, but not a Debian package (no debian-binary)", ctx);
		err = -EINVAL;
	}
	archive_read_free(a);
	return err;
}

struct deb_extract {
	const char *pattern, *ctx;
	size_t limit;
	int out_fd;
	char **member;
};

static int deb_extract_one(void *ctx, const char *path, struct archive *in,
			   const struct deb_control *control)
{
	struct deb_extract *x = ctx;
	int err;

	(void)control;
	if (fnmatch(x->pattern, path, FNM_PATHNAME) != 0)
		return 0;
	err = archive_reader_read_entry(in, x->ctx, x->limit, NULL, x->out_fd);
	if (err)
		return err;
	if (x->member)
		*x->member = xstrdup(path);
	return 1;
}

int deb_extract(const char *deb, const char *pattern, size_t limit, int out_fd, char **member)
{
	char *ctx = xasprintf("cannot read package %s", deb);
	struct deb_extract x = { pattern, ctx, limit, out_fd, member };
	int err = deb_walk(deb, ctx, NULL, deb_extract_one, &x);

	free(ctx);
	return err < 0 ? err : err > 0 ? 0 : -ENOENT;
}

bool deb_is_deb(const unsigned char *head, size_t len)
{
	return len >= 21 && !memcmp(head, "!<arch>\ndebian-binary", 21);
}
