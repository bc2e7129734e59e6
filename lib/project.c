/* project: project discovery, source scanning and the bpfpack.ini manifest. */
#include "project.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "report.h"

int project_name_check(const char *name, const char **why)
{
	static const char *const keywords[] = {
		"auto", "break", "case", "char", "const", "continue", "default", "do",
		"double", "else", "enum", "extern", "float", "for", "goto", "if",
		"inline", "int", "long", "register", "restrict", "return", "short",
		"signed", "sizeof", "static", "struct", "switch", "typedef", "union",
		"unsigned", "void", "volatile", "while", "_Bool", "_Complex",
		"_Imaginary", "_Alignas", "_Alignof", "_Atomic", "_Generic",
		"_Noreturn", "_Static_assert", "_Thread_local", "asm", "typeof",
	};
	size_t len = strlen(name);

	if (len == 0) {
		*why = "it is empty";
		return -EINVAL;
	}
	if (len > 64) {
		*why = "it is longer than 64 characters";
		return -EINVAL;
	}
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	      name[0] == '_')) {
		*why = "it must start with a letter or '_' (it names a C skeleton)";
		return -EINVAL;
	}
	for (const char *c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_')) {
			*why = "only letters, digits and '_' are allowed (it names a C skeleton)";
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strcmp(name, keywords[i]) == 0) {
			*why = "it is a C keyword";
			return -EINVAL;
		}
	}
	return 0;
}

int project_discover(const char *start, struct project *p)
{
	char *dir = fs_realpath(start);

	memset(p, 0, sizeof(*p));
	if (!dir) {
		int err = errno;

		report_error("cannot use directory %s: %s", start, strerror(err));
		return -err;
	}
	if (!fs_is_dir(dir)) {
		report_error("cannot use %s: not a directory", start);
		free(dir);
		return -ENOTDIR;
	}
	for (char *d = xstrdup(dir);;) {
		char *manifest = fs_path_join(d, PROJECT_MANIFEST);
		int found = fs_exists(manifest);

		free(manifest);
		if (found) {
			p->root = d;
			p->has_manifest = true;
			free(dir);
			return 0;
		}
		if (strcmp(d, "/") == 0) {
			free(d);
			break;
		}
		char *up = fs_dirname(d);

		free(d);
		d = up;
	}
	p->root = dir;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

static void split_words(const char *value, struct strv *out)
{
	char *copy = xstrdup(value), *save = NULL;

	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		strv_push(out, w);
	free(copy);
}

struct manifest_ctx {
	struct project *p;
	const char *path;
	int err;
};

const struct project_tool *project_tool_find(const struct project *p, const char *tool)
{
	for (size_t i = 0; i < p->n_tool_settings; i++)
		if (!strcmp(p->tool_settings[i].name, tool))
			return &p->tool_settings[i];
	return NULL;
}

/* The settings of [tool NAME] (NAME as written after "tool "), made on first
 * use; NULL (reported) when NAME cannot name a tool. */
static struct project_tool *manifest_tool(struct manifest_ctx *ctx, const char *name)
{
	struct project *p = ctx->p;
	const char *why;
	struct project_tool *t;

	while (*name == ' ' || *name == '\t')
		name++;
	if (project_name_check(name, &why) < 0) {
		report_error("%s: [tool %s]: '%s' cannot name a tool: %s", ctx->path, name, name, why);
		ctx->err = -EINVAL;
		return NULL;
	}
	t = (struct project_tool *)project_tool_find(p, name);
	if (t)
		return t;
	p->tool_settings = xrealloc(p->tool_settings,
				    (p->n_tool_settings + 1) * sizeof(*p->tool_settings));
	t = &p->tool_settings[p->n_tool_settings++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	return t;
}

static int manifest_entry(void *user, const char *section, const char *name, const char *value)
{
	struct manifest_ctx *ctx = user;

	if (strcmp(section, "project") == 0 && strcmp(name, "name") == 0)
		return 1;
	if (strcmp(section, "build") == 0) {
		if (strcmp(name, "cflags") == 0) {
			split_words(value, &ctx->p->cflags);
			return 1;
		}
		if (strcmp(name, "bpf_cflags") == 0) {
			split_words(value, &ctx->p->bpf_cflags);
			return 1;
		}
		if (strcmp(name, "ldlibs") == 0) {
			split_words(value, &ctx->p->ldlibs);
			return 1;
		}
		if (strcmp(name, "exclude") == 0) {
			split_words(value, &ctx->p->exclude);
			return 1;
		}
	}
	if (strncmp(section, "tool ", 5) == 0) {
		struct project_tool *t = manifest_tool(ctx, section + 5);

		if (!t)
			return 0;
		if (strcmp(name, "cflags") == 0) {
			split_words(value, &t->cflags);
			return 1;
		}
		if (strcmp(name, "bpf_cflags") == 0) {
			split_words(value, &t->bpf_cflags);
			return 1;
		}
		if (strcmp(name, "ldlibs") == 0) {
			split_words(value, &t->ldlibs);
			return 1;
		}
	}
	if (strcmp(section, "btf") == 0) {
		if (strcmp(name, "sources") == 0) {
			struct strv words = {0};

			/* Relative to the project, wherever the build starts. */
			split_words(value, &words);
			for (size_t i = 0; i < words.n; i++) {
				char *abs = fs_path_join(ctx->p->root, words.v[i]);

				strv_push(&ctx->p->btf_sources, abs);
				free(abs);
			}
			strv_free(&words);
			return 1;
		}
		if (strcmp(name, "filter") == 0) {
			free(ctx->p->btf_filter);
			ctx->p->btf_filter = xstrdup(value);
			return 1;
		}
		if (strcmp(name, "no_kernel_btf") == 0) {
			/* Specs have no spaces: several are separated by them. */
			split_words(value, &ctx->p->btf_no_kernel_btf);
			return 1;
		}
	}
	if (!*section)
		report_error("%s: setting '%s' is outside any [section] (is a section header malformed?)",
			     ctx->path, name);
	else
		report_error("%s: unknown setting '%s' in section [%s]", ctx->path, name, section);
	ctx->err = -EINVAL;
	return 0;
}

static int project_read_manifest(struct project *p)
{
	char *path = fs_path_join(p->root, PROJECT_MANIFEST);
	struct manifest_ctx ctx = { .p = p, .path = path };
	int rc;

	/* fopen() takes a directory and reading it gives nothing: inih would
	 * see an empty manifest instead of one it cannot read. */
	if (fs_is_dir(path)) {
		report_error("cannot read %s: %s", path, strerror(EISDIR));
		free(path);
		return -EISDIR;
	}
	rc = ini_parse(path, manifest_entry, &ctx);
	if (rc < 0 && !ctx.err) {
		report_error("cannot read %s: %s", path, rc == -1 ? strerror(errno) : "out of memory");
		ctx.err = -EIO;
	} else if (rc > 0 && !ctx.err) {
		report_error("%s:%d: not a valid INI line", path, rc);
		ctx.err = -EINVAL;
	}
	free(path);
	return ctx.err;
}

int project_scan(struct project *p)
{
	struct strv bpf = {0}, c = {0};
	struct dirent *e;
	DIR *d = opendir(p->root);
	int rc = 0;

	if (!d) {
		int err = errno;

		report_error("cannot list %s: %s", p->root, strerror(err));
		return -err;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (has_suffix(e->d_name, ".bpf.c"))
			strv_push(&bpf, e->d_name);
		else if (has_suffix(e->d_name, ".c"))
			strv_push(&c, e->d_name);
		else if (strcmp(e->d_name, "vmlinux.h") == 0)
			p->has_vmlinux_h = true;
	}
	closedir(d);
	strv_sort(&bpf);
	strv_sort(&c);
	for (size_t i = 0; i < bpf.n; i++) {
		char *name = strndup(bpf.v[i], strlen(bpf.v[i]) - strlen(".bpf.c"));
		char *user = xasprintf("%s.c", name);

		if (strv_contains(&c, user))
			strv_push(&p->tools, name);
		else
			strv_push(&p->lone_bpf, bpf.v[i]);
		free(user);
		free(name);
	}
	for (size_t i = 0; i < c.n; i++) {
		char *name = strndup(c.v[i], strlen(c.v[i]) - strlen(".c"));

		if (!strv_contains(&p->tools, name))
			strv_push(&p->helpers, c.v[i]);
		free(name);
	}
	strv_free(&bpf);
	strv_free(&c);
	if (p->has_manifest && (rc = project_read_manifest(p)) < 0)
		return rc;
	for (size_t i = 0; i < p->tools.n; i++) {
		const char *why;

		if (project_name_check(p->tools.v[i], &why) < 0) {
			report_error("%s.bpf.c: '%s' cannot name a tool: %s", p->tools.v[i],
				     p->tools.v[i], why);
			return -EINVAL;
		}
	}
	return 0;
}

int project_require_tools(const struct project *p)
{
	if (p->tools.n)
		return 0;
	report_error("no tools in %s: a tool is an X.bpf.c with a matching X.c", p->root);
	report_hint("start one with `bpfpack new NAME`");
	return -ENOENT;
}

int project_open_btf(const char *dir, struct project *p, struct strv *sources, const char **filter,
		     struct strv *no_kernel_btf, bool *no_kernel_btf_from_manifest)
{
	int rc = project_discover(dir, p);

	if (rc == 0)
		rc = project_scan(p);
	if (rc == 0)
		rc = project_require_tools(p);
	if (rc < 0)
		return rc;
	/* An option replaces the manifest's setting, as --btf does. */
	if (!sources->n) {
		strv_push_all(sources, &p->btf_sources);
		if (!*filter)
			*filter = p->btf_filter;
	}
	*no_kernel_btf_from_manifest = !no_kernel_btf->n && p->btf_no_kernel_btf.n;
	if (!no_kernel_btf->n)
		strv_push_all(no_kernel_btf, &p->btf_no_kernel_btf);
	if (!sources->n) {
		report_error("no kernel BTF sources: pass --btf SOURCE or set [btf] sources in %s",
			     PROJECT_MANIFEST);
		return -EINVAL;
	}
	return 0;
}

void project_free(struct project *p)
{
	free(p->root);
	strv_free(&p->tools);
	strv_free(&p->helpers);
	strv_free(&p->lone_bpf);
	strv_free(&p->cflags);
	strv_free(&p->bpf_cflags);
	strv_free(&p->ldlibs);
	strv_free(&p->btf_sources);
	strv_free(&p->exclude);
	for (size_t i = 0; i < p->n_tool_settings; i++) {
		free(p->tool_settings[i].name);
		strv_free(&p->tool_settings[i].cflags);
		strv_free(&p->tool_settings[i].bpf_cflags);
		strv_free(&p->tool_settings[i].ldlibs);
	}
	free(p->tool_settings);
	free(p->btf_filter);
	strv_free(&p->btf_no_kernel_btf);
	memset(p, 0, sizeof(*p));
}
