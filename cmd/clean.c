/* clean: `bpfpack clean` removes what `bpfpack build` made in a project,
 * native and cross-built (ARCH/X). */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "build.h"
#include "../lib/fs.h"
#include "../lib/project.h"
#include "../lib/report.h"
#include "../lib/toolchain.h"

struct clean_args {
	const char *dir;
};

static const struct opt clean_options[] = {
	OPT_STRING('C', "dir", struct clean_args, dir, "DIR", "@dir", "clean the project in DIR"),
	OPT_END(),
};

static const char *const clean_synopsis[] = { "[-C DIR]", NULL };

const struct command command_clean = {
	.name = "clean",
	.path = "clean",
	.fn = cmd_clean,
	.summary = "remove the project's build outputs",
	.synopsis = clean_synopsis,
	.description = "Removes .output/, compile_commands.json and the tool binaries of the project\n"
		       "(also those cross-built into ARCH/, and ARCH/ itself when that leaves it empty).\n",
	.options = clean_options,
};

int cmd_clean(int argc, char **argv)
{
	struct clean_args a = { .dir = "." };
	const char *dir;
	struct project p;
	int n, rc = 0, lock_fd;
	char *out, *path;

	n = cmd_parse_options(&command_clean, argc, argv, &a, 0);
	if (n < 0)
		return n == PARSE_OPT_HELP ? 0 : n;
	if (n > 0) {
		report_error("unexpected argument '%s'", argv[1]);
		cmd_usage_hint(&command_clean);
		return -EUSAGE;
	}
	dir = a.dir;
	rc = project_discover(dir, &p);
	if (rc < 0)
		return rc;
	rc = project_scan(&p);
	if (rc < 0) {
		project_free(&p);
		return rc;
	}
	out = fs_path_join(p.root, PROJECT_OUTPUT_DIR);
	/* Hold the build lock so a running build is not cleaned under its feet. */
	lock_fd = fs_is_dir(out) ? build_lock(out) : -1;
	/* Native tools sit in the project root, cross-built ones in ARCH/. */
	static const char *const archs[] = { "", "x86_64", "arm64" };

	for (size_t a = 0; a < sizeof(archs) / sizeof(archs[0]) && rc == 0; a++) {
		char *dir = fs_path_join(p.root, archs[a]);

		if (*archs[a] && (!fs_is_dir(dir) || !toolchain_arch_is_cross(toolchain_arch_find(archs[a])))) {
			free(dir);
			continue;
		}
		for (size_t i = 0; i < p.tools.n && rc == 0; i++) {
			path = fs_path_join(dir, p.tools.v[i]);
			/* Only the binary a build made: never a directory that shares its name. */
			if (!fs_is_dir(path) && unlink(path) < 0 && errno != ENOENT) {
				rc = -errno;
				report_error("cannot remove %s: %s", path, strerror(errno));
			}
			free(path);
		}
		if (*archs[a])
			rmdir(dir);	/* only when empty: it may hold the user's files too */
		free(dir);
	}
	path = fs_path_join(p.root, "compile_commands.json");
	if (rc == 0)
		rc = fs_rm_rf(path);
	free(path);
	if (rc == 0)
		rc = fs_rm_rf(out);
	if (lock_fd >= 0)
		close(lock_fd);
	free(out);
	project_free(&p);
	return rc < 0 ? rc : 0;
}
