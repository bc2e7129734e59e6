/* test_fs: atomic writes lose nothing when a write fails midway (simulated
 * with RLIMIT_FSIZE, which makes write(2) fail the way a full disk does):
 * the old file stays byte-identical, no temp file is left, and the one
 * error line names the target, not the temp file; the quiet variants report
 * nothing. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/report.h"
#include "testutil.h"

static int setup(void **state)
{
	char *dir = NULL;

	if (fs_mkdtemp("bpfpack-test-fs", &dir) < 0)
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	fs_rm_rf(*state);
	free(*state);
	return 0;
}

/* Names in DIR holding FS_TEMP_MARK. */
static int count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strstr(e->d_name, FS_TEMP_MARK) != NULL;
	closedir(d);
	return n;
}

static void test_failed_write_keeps_old_file(void **state)
{
	const char *dir = *state;
	char *path = fs_path_join(dir, "out.bin");
	struct stderr_capture cap;
	struct rlimit old, small;
	struct buf got = {0};
	size_t big = 1 << 20;
	char *data = malloc(big), *text;
	int rc;

	assert_non_null(data);
	memset(data, 'x', big);
	assert_int_equal(fs_write_atomic(path, "old contents", 12, 0644), 0);

	/* Writes past 64 KiB fail (EFBIG), as on a disk that fills up. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 65536;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	stderr_capture_begin(&cap);
	rc = fs_write_atomic(path, data, big, 0644);
	text = stderr_capture_end(&cap);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(rc, -EFBIG);
	/* One line, naming the target. */
	assert_non_null(strstr(text, "cannot write "));
	assert_non_null(strstr(text, "out.bin: File too large"));
	assert_null(strstr(text, FS_TEMP_MARK));
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	assert_int_equal(fs_read_file(path, &got), 0);
	assert_int_equal(got.len, 12);
	assert_memory_equal(got.data, "old contents", 12);
	assert_int_equal(count_temps(dir), 0);
	free(text);
	buf_free(&got);
	free(data);
	free(path);
}

static void test_no_temp_names_the_target(void **state)
{
	const char *dir = *state;
	char *path = fs_path_join(dir, "missing/out.txt");
	struct stderr_capture cap;
	char *text;

	stderr_capture_begin(&cap);
	assert_int_equal(fs_write_atomic(path, "x", 1, 0644), -ENOENT);
	text = stderr_capture_end(&cap);
	assert_non_null(strstr(text, "cannot write "));
	assert_non_null(strstr(text, "missing/out.txt: No such file or directory"));
	assert_null(strstr(text, FS_TEMP_MARK));
	free(text);
	free(path);
}

static void test_quiet_variants_report_nothing(void **state)
{
	const char *dir = *state;
	char *file = fs_path_join(dir, "plain");
	char *path = fs_path_join(dir, "missing/out.txt");
	char *under_file = fs_path_join(dir, "plain/sub");
	struct stderr_capture cap;
	char *text;

	assert_int_equal(fs_write_atomic(file, "x", 1, 0644), 0);
	stderr_capture_begin(&cap);
	assert_int_equal(fs_write_atomic_quiet(path, "x", 1, 0644), -ENOENT);
	assert_true(fs_mkdirs(under_file, 0755) < 0);
	text = stderr_capture_end(&cap);
	assert_string_equal(text, "");
	free(text);
	/* The reporting one says it. */
	stderr_capture_begin(&cap);
	assert_true(fs_mkdir_p(under_file, 0755) < 0);
	text = stderr_capture_end(&cap);
	assert_non_null(strstr(text, "cannot create directory "));
	free(text);
	assert_int_equal(count_temps(dir), 0);
	free(file);
	free(path);
	free(under_file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failed_write_keeps_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_temp_names_the_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_variants_report_nothing, setup, teardown),
	};

	report_set_command("test");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
