/* new: `bpfpack new NAME` renders a template into a new project directory. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
		return EXIT_FAIL;
	for (size_t i = 0; i < names.n; i++) {
		char *summary = template_summary(templates_dir, names.v[i]);

		printf("%-12s %s%s\n", names.v[i], summary,
		       strcmp(names.v[i], TEMPLATE_DEFAULT) ? "" : " (default)");
		free(summary);
	}
	strv_free(&names);
	return EXIT_OK;
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

int cmd_new(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "template", required_argument, NULL, 't' },
		{ "dir", required_argument, NULL, 'C' },
		{ "force", no_argument, NULL, 'f' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *tmpl = TEMPLATE_DEFAULT, *dir = ".", *name, *why;
	char *templates_dir, *target = NULL, *staging = NULL, *staging_tmpl;
	bool force = false, list = false;
	int c, rc = 0, empty;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:C:flh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tmpl = optarg;
			break;
		case 'C':
			dir = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'l':
			list = true;
			break;
		case 'h':
			cmd_usage("new", 0);
			return EXIT_OK;
		default:
			report_error("unknown option '%s'", argv[optind - 1]);
			cmd_usage("new", 1);
			return EXIT_USAGE;
		}
	}
	templates_dir = fs_path_join(toolchain_data_dir(), "templates");
	if (list) {
		rc = list_templates(templates_dir);
		free(templates_dir);
		return rc;
	}
	if (optind + 1 != argc) {
		report_error("%s", optind >= argc ? "missing NAME" : "too many arguments");
		cmd_usage("new", 1);
		free(templates_dir);
		return EXIT_USAGE;
	}
	name = argv[optind];
	if (project_name_check(name, &why) < 0) {
		report_error("invalid name '%s': %s", name, why);
		free(templates_dir);
		return EXIT_USAGE;
	}
	staging_tmpl = xasprintf("%s/%s", templates_dir, tmpl);
	/* An empty name would be templates/ itself: every template at once. */
	if (!*tmpl || strchr(tmpl, '/') || tmpl[0] == '.' || !fs_is_dir(staging_tmpl)) {
		report_error("unknown template '%s'", tmpl);
		report_hint("`bpfpack new --list` shows the templates");
		free(staging_tmpl);
		free(templates_dir);
		return EXIT_USAGE;
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
			return EXIT_FAIL;
		}
	}
	free(staging_tmpl);
	if (!fs_is_dir(dir)) {
		report_error("cannot create the project in %s: not a directory", dir);
		free(templates_dir);
		return EXIT_FAIL;
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
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
