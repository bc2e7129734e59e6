/* template: placeholder rendering and copying a template into a project. */
#include "template.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "report.h"

#define TEMPLATE_DESCRIPTION "DESCRIPTION"

static void append_upper(struct buf *out, const char *s)
{
	for (; *s; s++) {
		char c = *s;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		buf_append(out, &c, 1);
	}
}

int template_render(const char *text, size_t len, const struct template_vars *vars,
		    const char *where, struct buf *out)
{
	size_t i = 0;

	buf_reset(out);
	while (i < len) {
		const char *open = memmem(text + i, len - i, "{{", 2);

		if (!open) {
			buf_append(out, text + i, len - i);
			break;
		}
		buf_append(out, text + i, (size_t)(open - (text + i)));
		i = (size_t)(open - text) + 2;
		const char *close = memmem(text + i, len - i, "}}", 2);
		const char *nl = memchr(text + i, '\n', len - i);

		if (!close || (nl && nl < close)) {
			report_error("%s: unterminated placeholder '{{'", where);
			return -EINVAL;
		}
		size_t klen = (size_t)(close - (text + i));

		if (klen == 4 && memcmp(text + i, "NAME", 4) == 0) {
			buf_append_str(out, vars->name);
		} else if (klen == 10 && memcmp(text + i, "NAME_UPPER", 10) == 0) {
			append_upper(out, vars->name);
		} else {
			report_error("%s: unknown placeholder '{{%.*s}}'", where, (int)klen, text + i);
			return -EINVAL;
		}
		i += klen + 2;
	}
	if (!out->data)
		buf_append(out, "", 0);
	return 0;
}

int template_list(const char *templates_dir, struct strv *names)
{
	DIR *d = opendir(templates_dir);
	struct dirent *e;

	if (!d) {
		int err = errno;

		report_error("cannot list templates in %s: %s", templates_dir, strerror(err));
		report_hint("set BPFPACK_HOME to the directory that holds templates/");
		return -err;
	}
	while ((e = readdir(d))) {
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = fs_path_join(templates_dir, e->d_name);
		if (fs_is_dir(p))
			strv_push(names, e->d_name);
		free(p);
	}
	closedir(d);
	strv_sort(names);
	return 0;
}

char *template_summary(const char *templates_dir, const char *name)
{
	char *path = xasprintf("%s/%s/%s", templates_dir, name, TEMPLATE_DESCRIPTION);
	struct buf b = {0};
	char *line;

	if (!fs_exists(path) || fs_read_file(path, &b) < 0) {
		free(path);
		return xstrdup("");
	}
	free(path);
	line = strndup(b.data, strcspn(b.data, "\n"));
	buf_free(&b);
	return line ? line : xstrdup("");
}

/* A rendered relative path must stay inside the destination: no absolute
 * paths, no ".." components. */
static int path_is_contained(const char *rel)
{
	if (rel[0] == '/')
		return 0;
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int instantiate_dir(const char *src_dir, const char *rel, const struct template_vars *vars,
			   const char *dest_dir, const char *shown_dir)
{
	DIR *d = opendir(src_dir);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		int err = errno;

		report_error("cannot read template directory %s: %s", src_dir, strerror(err));
		return -err;
	}
	while (rc == 0 && (e = readdir(d))) {
		struct buf name = {0}, body = {0}, text = {0};
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!*rel && !strcmp(e->d_name, TEMPLATE_DESCRIPTION))
			continue;
		char *src = fs_path_join(src_dir, e->d_name);
		char *where = xasprintf("template file %s", src);

		rc = template_render(e->d_name, strlen(e->d_name), vars, where, &name);
		char *out_rel = rc ? NULL : (*rel ? xasprintf("%s/%s", rel, name.data) : xstrdup(name.data));

		if (!rc && (!path_is_contained(out_rel) || strchr(name.data, '/'))) {
			report_error("%s: renders to '%s', outside the project", where, out_rel);
			rc = -EINVAL;
		}
		if (!rc && lstat(src, &st) < 0) {
			rc = -errno;
			report_error("cannot read %s: %s", src, strerror(-rc));
		}
		char *dst = out_rel ? fs_path_join(dest_dir, out_rel) : NULL;

		if (!rc && S_ISDIR(st.st_mode)) {
			rc = fs_mkdir_p(dst, 0755);
			if (!rc)
				rc = instantiate_dir(src, out_rel, vars, dest_dir, shown_dir);
		} else if (!rc && S_ISREG(st.st_mode)) {
			rc = fs_read_file(src, &body);
			if (!rc)
				rc = template_render(body.data, body.len, vars, where, &text);
			if (!rc) {
				rc = fs_write_atomic_quiet(dst, text.data, text.len,
							   (st.st_mode & 0111) ? 0755 : 0644);
				/* Named where the user will find it, not in staging. */
				if (rc < 0) {
					char *shown = fs_path_join(shown_dir, out_rel);

					report_error("cannot write %s: %s", shown, strerror(-rc));
					free(shown);
				}
			}
		} else if (!rc) {
			/* Links could point anywhere; a template has plain files only. */
			report_error("%s: not a regular file or directory", where);
			rc = -EINVAL;
		}
		free(dst);
		free(out_rel);
		free(where);
		free(src);
		buf_free(&name);
		buf_free(&body);
		buf_free(&text);
	}
	closedir(d);
	return rc;
}

int template_instantiate(const char *templates_dir, const char *name,
			 const struct template_vars *vars, const char *dest_dir)
{
	return template_instantiate_as(templates_dir, name, vars, dest_dir, dest_dir);
}

int template_instantiate_as(const char *templates_dir, const char *name,
			    const struct template_vars *vars, const char *dest_dir,
			    const char *shown_dir)
{
	char *src = fs_path_join(templates_dir, name);
	int rc;

	if (!fs_is_dir(src)) {
		report_error("unknown template '%s'", name);
		report_hint("`bpfpack new --list` shows the templates");
		free(src);
		return -ENOENT;
	}
	rc = instantiate_dir(src, "", vars, dest_dir, shown_dir);
	free(src);
	return rc;
}
