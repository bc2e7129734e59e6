/* fuzz_manifest: the project manifest bpfpack.ini (lib/project.c, through
 * libinih): the input is written as the bpfpack.ini of a temp project that
 * holds one tool, which is then discovered and scanned the way every command
 * does. A manifest either reads (its lists hold non-empty words, its btf
 * sources are absolute) or is refused with -EINVAL/-EIO; nothing leaks. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../lib/fs.h"
#include "../../lib/project.h"
#include "../../lib/report.h"
#include "fuzz.h"

static char *dir, *manifest;

/* libFuzzer ends with exit(): the temp project goes with it. */
static void remove_temp(void)
{
	fs_rm_rf(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report_set_command("fuzz");
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	if (fs_mkdtemp("bpfpack-fuzz", &dir))
		fuzz_fail("cannot make a temp dir");
	atexit(remove_temp);
	manifest = fs_path_join(dir, PROJECT_MANIFEST);
	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/tool%s", dir, i ? ".c" : ".bpf.c");

		if (fs_write_atomic(p, "", 0, 0644))
			fuzz_fail("cannot write %s", p);
		free(p);
	}
	return 0;
}

static void check_words(const char *what, const struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i][0] || strchr(s->v[i], ' ') || strchr(s->v[i], '\t'))
			fuzz_fail("%s word %zu is '%s'", what, i, s->v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct project p;
	int fd = open(manifest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc;

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		fuzz_fail("cannot write %s", manifest);
	close(fd);
	if (project_discover(dir, &p))
		fuzz_fail("cannot discover %s", dir);
	if (!p.has_manifest)
		fuzz_fail("the manifest was not found");
	rc = project_scan(&p);
	if (rc == 0) {
		if (p.tools.n != 1 || strcmp(p.tools.v[0], "tool"))
			fuzz_fail("the tool was not found");
		check_words("cflags", &p.cflags);
		check_words("bpf_cflags", &p.bpf_cflags);
		check_words("ldlibs", &p.ldlibs);
		check_words("btf sources", &p.btf_sources);
		for (size_t i = 0; i < p.btf_sources.n; i++)
			if (p.btf_sources.v[i][0] != '/')
				fuzz_fail("btf source '%s' is not absolute", p.btf_sources.v[i]);
	} else if (rc != -EINVAL && rc != -EIO) {
		fuzz_fail("scan returned %d", rc);
	}
	project_free(&p);
	return 0;
}
