/* new: `bpfpack new NAME` renders a template into a new project directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "../lib/fs.h"
#include "../lib/project.h"
#include "../lib/report.h"
#include "../lib/template.h"
#include "../lib/toolchain.h"

/* The files every template must have: the tool's BPF and user-space sources. */
static const char *const template_tool_files[] = { "{{NAME}}.bpf.c", "{{NAME}}.c" };

static int list_templates(const char *templates_dir)
{
	struct strv names = {0};

	if (template_list(templates_dir, &names) < 0)
		return -ENOENT;
	for (size_t i = 0; i < names.n; i++) {
		char *summary = template_summary(templates_dir, names.v[i]);

		printf("%-12s %s%s\n", names.v[i], summary,
		       strcmp(names.v[i], TEMPLATE_DEFAULT) ? "" : " (default)");
		free(summary);
	}
	strv_free(&names);
	return 0;
}

/* Moves every entry of SRC into DEST (both directories), replacing files. */
static int move_entries(const char *src, const char *dest)
{
	struct strv names = {0};
	struct dirent *e;
	DIR *d = opendir(src);
	int rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(&names, e->d_name);
	closedir(d);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		char *from = fs_path_join(src, names.v[i]);
		char *to = fs_path_join(dest, names.v[i]);

		if (rename(from, to) < 0) {
			rc = -errno;
			report_error("cannot write %s: %s", to, strerror(errno));
		}
		free(from);
		free(to);
	}
	strv_free(&names);
	return rc;
}

/* Appends "/NAME" to the project's .gitignore (made when missing) unless a
 * line already says so. */
static int gitignore_add_tool(const char *root, const char *name)
{
	char *path = fs_path_join(root, ".gitignore");
	char *line = xasprintf("/%s", name);
	struct buf old = {0}, out = {0};
	bool present = false;
	int rc = 0;

	if (fs_exists(path) && (rc = fs_read_file(path, &old)) < 0)
		goto out;
	for (char *p = old.data; p && *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if ((len == strlen(line) && !strncmp(p, line, len)) ||
		    (len == strlen(name) && !strncmp(p, name, len)))
			present = true;
		p = nl ? nl + 1 : NULL;
	}
	if (present)
		goto out;
	if (old.len)
		buf_append(&out, old.data, old.len);
	if (old.len && old.data[old.len - 1] != '\n')
		buf_append(&out, "\n", 1);
	buf_printf(&out, "%s\n", line);
	rc = fs_write_atomic(path, out.data, out.len, 0644);
out:
	buf_free(&old);
	buf_free(&out);
	free(line);
	free(path);
	return rc;
}

/* `bpfpack new NAME` in (or -C) an existing project: adds the tool's own files
 * of template TMPL (NAME.bpf.c, NAME.c, NAME.h) to the project root and a
 * line to its .gitignore, instead of nesting a second project. Files that
 * exist are never replaced without FORCE. */
static int new_add_tool(const char *templates_dir, const char *tmpl, const char *name,
			const char *root, bool force)
{
	static const char *const suffixes[] = { ".bpf.c", ".c", ".h" };
	struct template_vars vars = { .name = name };
	char *staging = xasprintf("%s/.%s%sXXXXXX", root, name, FS_TEMP_MARK);
	int rc = 0;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && !force; i++) {
		char *f = xasprintf("%s/%s%s", root, name, suffixes[i]);

		if (fs_exists(f)) {
			report_error("%s exists: the project %s already has a tool or file named %s",
				     f, root, name);
			report_hint("choose another NAME, or pass --force to replace its files");
			rc = -EEXIST;
		}
		free(f);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		free(staging);
		return rc;
	}
	if (!mkdtemp(staging)) {
		rc = -errno;
		report_error("cannot create a directory in %s: %s", root, strerror(errno));
		free(staging);
		return rc;
	}
	rc = template_instantiate(templates_dir, tmpl, &vars, staging);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && rc == 0; i++) {
		char *from = xasprintf("%s/%s%s", staging, name, suffixes[i]);
		char *to = xasprintf("%s/%s%s", root, name, suffixes[i]);

		if (fs_exists(from) && rename(from, to) < 0) {
			rc = -errno;
			report_error("cannot write %s: %s", to, strerror(errno));
		}
		free(from);
		free(to);
	}
	if (rc == 0)
		rc = gitignore_add_tool(root, name);
	fs_rm_rf(staging);
	free(staging);
	if (rc < 0)
		return rc;
	printf("added tool %s to %s from template '%s': %s.bpf.c, %s.c, %s.h\n", name, root, tmpl,
	       name, name, name);
	printf("next: bpfpack build -C %s %s && sudo %s/%s\n", root, name, root, name);
	return 0;
}

struct new_args {
	const char *tmpl, *dir;
	bool force, list;
};

static const struct opt new_options[] = {
	OPT_STRING('t', "template", struct new_args, tmpl, "T", "@template",
		   "template to use (default: " TEMPLATE_DEFAULT ")"),
	OPT_STRING('C', "dir", struct new_args, dir, "DIR", "@dir", "create the project inside DIR"),
	OPT_FLAG('f', "force", struct new_args, force,
		 "write into an existing non-empty NAME/ (template files are replaced)"),
	OPT_FLAG('l', "list", struct new_args, list, "list the templates, one line each"),
	OPT_END(),
};

static const char *const new_synopsis[] = { "NAME [-t TEMPLATE] [-C DIR] [--force]", "--list", NULL };

const struct command command_new = {
	.name = "new",
	.path = "new",
	.fn = cmd_new,
	.summary = "create a project from a template",
	.synopsis = new_synopsis,
	.description = "Creates DIR/NAME/ (DIR defaults to .) from templates/TEMPLATE: NAME.bpf.c,\n"
		       "NAME.c, NAME.h, bpfpack.ini, README.md and .gitignore. NAME must be a C\n"
		       "identifier: it names the tool and its libbpf skeleton. Inside a project (a\n"
		       "bpfpack.ini in DIR or above) it adds the tool's NAME.bpf.c, NAME.c and NAME.h\n"
		       "to that project instead.\n",
	.options = new_options,
};

/* A C identifier close to NAME ("my-tool" -> "my_tool"), or NULL. */
static char *new_name_suggest(const char *name)
{
	char *s = xstrdup(name);
	const char *why;

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	if (strcmp(s, name) && project_name_check(s, &why) == 0)
		return s;
	free(s);
	return NULL;
}

static void new_template_suggest(const char *templates_dir, const char *tmpl)
{
	struct strv names = {0};
	const char *s;

	if (template_list(templates_dir, &names) == 0) {
		s = parse_options_suggest(tmpl, (const char *const *)names.v);
		if (s)
			report_hint("did you mean '%s'?", s);
	}
	strv_free(&names);
}

int cmd_new(int argc, char **argv)
{
	struct new_args a = { .tmpl = TEMPLATE_DEFAULT, .dir = "." };
	const char *tmpl, *dir, *name, *why;
	char *templates_dir, *target = NULL, *staging = NULL, *staging_tmpl;
	bool force;
	int n, rc = 0, empty;

	n = cmd_parse_options(&command_new, argc, argv, &a, 0);
	if (n < 0)
		return n == PARSE_OPT_HELP ? 0 : n;
	tmpl = a.tmpl;
	dir = a.dir;
	force = a.force;
	if (!toolchain_data_dir_require())
		return -ENOENT;
	templates_dir = fs_path_join(toolchain_data_dir(), "templates");
	if (a.list) {
		rc = list_templates(templates_dir);
		free(templates_dir);
		return rc;
	}
	if (n != 1) {
		report_error("%s", n == 0 ? "missing NAME" : "too many arguments");
		cmd_usage_hint(&command_new);
		free(templates_dir);
		return -EUSAGE;
	}
	name = argv[1];
	if (project_name_check(name, &why) < 0) {
		char *better = new_name_suggest(name);

		report_error("invalid name '%s': %s", name, why);
		if (better)
			report_hint("did you mean '%s'?", better);
		free(better);
		free(templates_dir);
		return -EUSAGE;
	}
	staging_tmpl = xasprintf("%s/%s", templates_dir, tmpl);
	/* An empty name would be templates/ itself: every template at once. */
	if (!*tmpl || strchr(tmpl, '/') || tmpl[0] == '.' || !fs_is_dir(staging_tmpl)) {
		report_error("unknown template '%s'", tmpl);
		new_template_suggest(templates_dir, tmpl);
		report_hint("`bpfpack new --list` shows the templates");
		free(staging_tmpl);
		free(templates_dir);
		return -EUSAGE;
	}
	/* A template without its tool's two sources would make a project that
	 * does not build; say so now rather than at the first build. */
	for (size_t i = 0; i < sizeof(template_tool_files) / sizeof(template_tool_files[0]); i++) {
		char *f = fs_path_join(staging_tmpl, template_tool_files[i]);
		struct stat st;
		int ok = lstat(f, &st) == 0 && S_ISREG(st.st_mode);

		free(f);
		if (!ok) {
			report_error("template '%s' is incomplete: it has no file %s", tmpl,
				     template_tool_files[i]);
			report_hint("a template needs {{NAME}}.bpf.c and {{NAME}}.c; reinstall bpfpack or check BPFPACK_HOME");
			free(staging_tmpl);
			free(templates_dir);
			return -ENOENT;
		}
	}
	free(staging_tmpl);
	if (!fs_is_dir(dir)) {
		report_error("cannot create the project in %s: not a directory", dir);
		free(templates_dir);
		return -ENOTDIR;
	}
	/* Inside a project (a bpfpack.ini here or above): add a tool to it. */
	{
		struct project proj;

		if (project_discover(dir, &proj) == 0 && proj.has_manifest) {
			rc = new_add_tool(templates_dir, tmpl, name, proj.root, force);
			project_free(&proj);
			goto out;
		}
		project_free(&proj);
	}
	target = fs_path_join(dir, name);
	empty = 1;
	/* Never write through a symlink at NAME: it could point anywhere. */
	struct stat tst;

	if (lstat(target, &tst) == 0 && S_ISLNK(tst.st_mode)) {
		report_error("%s is a symbolic link; refusing to write through it", target);
		report_hint("remove the link, or choose another NAME");
		rc = -ELOOP;
		goto out;
	}
	if (fs_exists(target)) {
		empty = fs_dir_is_empty(target);
		if (empty < 0) {
			report_error("%s exists and is not a directory", target);
			rc = -ENOTDIR;
			goto out;
		}
		if (!empty && !force) {
			report_error("%s exists and is not empty", target);
			report_hint("choose another NAME, or pass --force to write the template's files into it");
			rc = -EEXIST;
			goto out;
		}
	}
	/* Render beside the target first: a failure leaves nothing half-made. */
	staging = xasprintf("%s/.%s%sXXXXXX", dir, name, FS_TEMP_MARK);
	if (!mkdtemp(staging)) {
		rc = -errno;
		report_error("cannot create %s: %s", target, strerror(-rc));
		free(staging);
		staging = NULL;
		goto out;
	}
	struct template_vars vars = { .name = name };

	rc = template_instantiate_as(templates_dir, tmpl, &vars, staging, target);
	if (rc < 0)
		goto out;
	/* mkdtemp made it 0700; a project directory is an ordinary one, but
	 * never world-writable, even under umask 000. */
	mode_t mask = umask(0);

	umask(mask);
	if (chmod(staging, 0777 & ~mask & ~S_IWOTH) < 0) {
		rc = -errno;
		report_error("cannot set the mode of %s: %s", staging, strerror(errno));
		goto out;
	}
	if (empty) {
		if (fs_exists(target) && rmdir(target) < 0) {
			rc = -errno;
			report_error("cannot replace empty directory %s: %s", target, strerror(errno));
			goto out;
		}
		if (rename(staging, target) < 0) {
			rc = -errno;
			report_error("cannot create %s: %s", target, strerror(errno));
			goto out;
		}
	} else {
		rc = move_entries(staging, target);
		if (rc < 0)
			goto out;
	}
	printf("created %s/ from template '%s'\n", target, tmpl);
	printf("next: cd %s && bpfpack build && sudo ./%s\n", target, name);
out:
	if (staging)
		fs_rm_rf(staging);
	free(staging);
	free(target);
	free(templates_dir);
	return rc < 0 ? rc : 0;
}
