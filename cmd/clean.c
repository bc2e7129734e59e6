/* clean: `bpfpack clean` removes what `bpfpack build` made in a project,
 * native and cross-built (ARCH/X). */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "build.h"
#include "../lib/fs.h"
#include "../lib/project.h"
#include "../lib/report.h"
#include "../lib/toolchain.h"

int cmd_clean(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".";
	struct project p;
	int c, rc = 0, lock_fd;
	char *out, *path;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			dir = optarg;
			break;
		case 'h':
			cmd_usage("clean", 0);
			return EXIT_OK;
		default:
			report_error("unknown option '%s'", argv[optind - 1]);
			cmd_usage("clean", 1);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		report_error("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (project_discover(dir, &p) < 0 || project_scan(&p) < 0)
		return EXIT_FAIL;
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
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
