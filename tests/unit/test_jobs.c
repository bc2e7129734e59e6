/* test_jobs: jobs_run runs a graph of real commands in dependency order, runs
 * nothing when nothing changed, reruns a job when its input, a header from
 * its depfile or its command line changed, stops at a job whose output came
 * out byte-identical, leaves no temp file or output behind a failing command,
 * and runs independent jobs at the same time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/jobs.h"

struct fixture {
	char *dir;	/* inputs and outputs */
	char *sig;	/* jobs.sig_dir */
	char *log;	/* each command appends its name here */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (fs_mkdtemp("bpfpack-test-jobs", &f->dir) < 0) {
		free(f);
		return -1;
	}
	f->sig = fs_path_join(f->dir, "sig");
	f->log = fs_path_join(f->dir, "run.log");
	if (fs_mkdir_p(f->sig, 0755) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fs_rm_rf(f->dir);
	free(f->dir);
	free(f->sig);
	free(f->log);
	free(f);
	return 0;
}

static char *at(const struct fixture *f, const char *rel)
{
	return fs_path_join(f->dir, rel);
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644), 0);
}

/* The content of PATH; "" when it does not exist. malloc'd. */
static char *read_text(const char *path)
{
	struct buf b = {0};

	if (!fs_exists(path))
		return xstrdup("");
	assert_int_equal(fs_read_file(path, &b), 0);
	return b.data;
}

static void assert_file_text(const char *path, const char *expected)
{
	char *text = read_text(path);

	assert_string_equal(text, expected);
	free(text);
}

/* Sets the mtime of PATH to the current wall clock with full precision, so it
 * is later than the start of every command run before (file systems stamp
 * writes with a coarser clock). */
static void touch_now(const char *path)
{
	struct timespec now, times[2];

	clock_gettime(CLOCK_REALTIME, &now);
	times[0] = now;
	times[1] = now;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* Fails when DIR holds a temp file of the driver. */
static void assert_no_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, FS_TEMP_MARK))
			fail_msg("temp file left behind: %s/%s", dir, e->d_name);
	closedir(d);
}

static void push_all(struct strv *s, const char *const *words)
{
	for (; *words; words++)
		strv_push(s, *words);
}

/* The chain in_a -> a.out -> b.out (also from in_b) -> c.out:
 * a: cat in_a > {output}; b: cat a.out in_b > {output}; c: cat b.out, on
 * stdout. Each logs its name. B_EXTRA, when set, is one more (ignored)
 * argument of b, changing only its command line. */
struct chain {
	struct jobs jobs;
	size_t a, b, c;
	char *in_a, *in_b, *out_a, *out_b, *out_c;
};

static void chain_build(struct chain *ch, const struct fixture *f, const char *b_extra)
{
	struct job *j;

	memset(&ch->jobs, 0, sizeof(ch->jobs));
	ch->jobs.sig_dir = f->sig;
	ch->in_a = at(f, "in_a.txt");
	ch->in_b = at(f, "in_b.txt");
	ch->out_a = at(f, "a.out");
	ch->out_b = at(f, "b.out");
	ch->out_c = at(f, "c.out");

	ch->a = jobs_add(&ch->jobs, "A", "a.out", ch->out_a);
	j = &ch->jobs.v[ch->a];
	push_all(&j->argv, (const char *const[]){ "/bin/sh", "-c",
		 "echo a >> \"$3\" && cat \"$1\" > \"$2\"", "sh", ch->in_a, JOBS_OUTPUT,
		 f->log, NULL });
	strv_push(&j->inputs, ch->in_a);

	ch->b = jobs_add(&ch->jobs, "B", "b.out", ch->out_b);
	j = &ch->jobs.v[ch->b];
	push_all(&j->argv, (const char *const[]){ "/bin/sh", "-c",
		 "echo b >> \"$4\" && cat \"$1\" \"$2\" > \"$3\"", "sh", ch->out_a, ch->in_b,
		 JOBS_OUTPUT, f->log, NULL });
	if (b_extra)
		strv_push(&j->argv, b_extra);
	strv_push(&j->inputs, ch->in_b);
	jobs_add_dep(&ch->jobs, ch->b, ch->a);

	ch->c = jobs_add(&ch->jobs, "C", "c.out", ch->out_c);
	j = &ch->jobs.v[ch->c];
	push_all(&j->argv, (const char *const[]){ "/bin/sh", "-c",
		 "echo c >> \"$2\" && cat \"$1\"", "sh", ch->out_b, f->log, NULL });
	j->stdout_is_output = true;
	j->mode = 0755;
	jobs_add_dep(&ch->jobs, ch->c, ch->b);
}

static void chain_free(struct chain *ch)
{
	jobs_free(&ch->jobs);
	free(ch->in_a);
	free(ch->in_b);
	free(ch->out_a);
	free(ch->out_b);
	free(ch->out_c);
}

/* Builds the chain, runs it with up to 4 commands at once, and checks the
 * result code and how many ran. Leaves the run state in CH for more checks. */
static void chain_run(struct chain *ch, const struct fixture *f, const char *b_extra,
		      size_t expect_ran)
{
	struct jobs_stats stats;

	chain_build(ch, f, b_extra);
	assert_int_equal(jobs_run(&ch->jobs, 4, &stats), 0);
	assert_int_equal(stats.ran, expect_ran);
	assert_int_equal(stats.up_to_date, 3 - expect_ran);
}

static void chain_run_free(const struct fixture *f, const char *b_extra, size_t expect_ran)
{
	struct chain ch;

	chain_run(&ch, f, b_extra, expect_ran);
	chain_free(&ch);
}

static void chain_inputs(const struct fixture *f)
{
	char *in_a = at(f, "in_a.txt"), *in_b = at(f, "in_b.txt");

	write_text(in_a, "from a\n");
	write_text(in_b, "from b\n");
	free(in_a);
	free(in_b);
}

static void test_chain_runs_in_order(void **state)
{
	struct fixture *f = *state;
	struct chain ch;
	struct stat st;
	char *sig;

	chain_inputs(f);
	chain_run(&ch, f, NULL, 3);
	assert_file_text(f->log, "a\nb\nc\n");
	assert_file_text(ch.out_a, "from a\n");
	assert_file_text(ch.out_b, "from a\nfrom b\n");
	assert_file_text(ch.out_c, "from a\nfrom b\n");
	for (size_t i = 0; i < 3; i++) {
		assert_true(ch.jobs.v[i].ran);
		assert_true(ch.jobs.v[i].changed);
	}
	/* The output mode is the job's, and a signature was kept per output. */
	assert_int_equal(stat(ch.out_c, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(ch.out_a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	sig = jobs_signature_path(&ch.jobs, ch.out_b);
	assert_true(fs_exists(sig));
	free(sig);
	assert_no_temp_files(f->dir);
	assert_no_temp_files(f->sig);
	chain_free(&ch);
}

static void test_second_run_runs_nothing(void **state)
{
	struct fixture *f = *state;
	struct chain ch;

	chain_inputs(f);
	chain_run_free(f, NULL, 3);
	chain_run(&ch, f, NULL, 0);
	for (size_t i = 0; i < 3; i++)
		assert_false(ch.jobs.v[i].ran);
	chain_free(&ch);
	assert_file_text(f->log, "a\nb\nc\n");
}

static void test_unchanged_output_stops_the_chain(void **state)
{
	struct fixture *f = *state;
	struct chain ch;
	char *in_b = at(f, "in_b.txt"), *out_b = at(f, "b.out");
	long long old_mtime;

	chain_inputs(f);
	chain_run_free(f, NULL, 3);
	old_mtime = fs_mtime_ns(out_b);

	/* Touched, same bytes: b runs, makes the same output, c does not run. */
	touch_now(in_b);
	chain_run(&ch, f, NULL, 1);
	assert_false(ch.jobs.v[ch.a].ran);
	assert_true(ch.jobs.v[ch.b].ran);
	assert_false(ch.jobs.v[ch.b].changed);
	assert_false(ch.jobs.v[ch.c].ran);
	chain_free(&ch);
	assert_file_text(f->log, "a\nb\nc\nb\n");
	/* The old file was kept, time and all. */
	assert_true(fs_mtime_ns(out_b) == old_mtime);

	/* And it is up to date now. */
	chain_run_free(f, NULL, 0);

	/* New bytes in b's input: b and c run, a does not. */
	write_text(in_b, "from b, changed\n");
	touch_now(in_b);
	chain_run(&ch, f, NULL, 2);
	assert_false(ch.jobs.v[ch.a].ran);
	assert_true(ch.jobs.v[ch.b].ran);
	assert_true(ch.jobs.v[ch.b].changed);
	assert_true(ch.jobs.v[ch.c].ran);
	assert_file_text(ch.out_c, "from a\nfrom b, changed\n");
	chain_free(&ch);
	assert_file_text(f->log, "a\nb\nc\nb\nb\nc\n");
	chain_run_free(f, NULL, 0);

	/* Changed from the start: everything after runs, in order. */
	{
		char *in_a = at(f, "in_a.txt");

		write_text(in_a, "from a, changed\n");
		touch_now(in_a);
		chain_run_free(f, NULL, 3);
		free(in_a);
	}
	assert_file_text(f->log, "a\nb\nc\nb\nb\nc\na\nb\nc\n");
	free(in_b);
	free(out_b);
}

static void test_changed_command_line_reruns(void **state)
{
	struct fixture *f = *state;
	struct chain ch;

	chain_inputs(f);
	chain_run_free(f, NULL, 3);
	/* One more argument to b: b runs again; its output is the same, so c
	 * does not. */
	chain_run(&ch, f, "--new-flag", 1);
	assert_true(ch.jobs.v[ch.b].ran);
	assert_false(ch.jobs.v[ch.c].ran);
	chain_free(&ch);
	chain_run_free(f, "--new-flag", 0);
	/* Back to the old command line is a change too. */
	chain_run_free(f, NULL, 1);
	assert_file_text(f->log, "a\nb\nc\nb\nb\n");
}

static void test_missing_output_reruns(void **state)
{
	struct fixture *f = *state;
	struct chain ch;

	chain_inputs(f);
	chain_run_free(f, NULL, 3);
	{
		char *out_c = at(f, "c.out");

		assert_int_equal(unlink(out_c), 0);
		free(out_c);
	}
	chain_run(&ch, f, NULL, 1);
	assert_true(ch.jobs.v[ch.c].ran);
	assert_file_text(ch.out_c, "from a\nfrom b\n");
	chain_free(&ch);
}

/* A command that gives its output an old time (as cp -p or tar do): the jobs
 * after it still run when its bytes changed. */
static void test_changed_output_with_old_time(void **state)
{
	struct fixture *f = *state;
	char *in = at(f, "in.txt"), *mid = at(f, "mid.out"), *last = at(f, "last.out");

	write_text(in, "one\n");
	for (int round = 0; round < 3; round++) {
		struct jobs jobs = { .sig_dir = f->sig };
		struct jobs_stats stats;
		size_t m, l;

		m = jobs_add(&jobs, "M", "mid", mid);
		push_all(&jobs.v[m].argv, (const char *const[]){ "/bin/sh", "-c",
			 "cat \"$1\" > \"$2\" && touch -d @1000000000 \"$2\"", "sh", in,
			 JOBS_OUTPUT, NULL });
		strv_push(&jobs.v[m].inputs, in);
		l = jobs_add(&jobs, "L", "last", last);
		push_all(&jobs.v[l].argv, (const char *const[]){ "cat", mid, NULL });
		jobs.v[l].stdout_is_output = true;
		jobs_add_dep(&jobs, l, m);

		assert_int_equal(jobs_run(&jobs, 2, &stats), 0);
		/* Built; up to date; then the input changed: both run again. */
		assert_int_equal(stats.ran, round == 1 ? 0 : 2);
		assert_file_text(last, round == 2 ? "two\n" : "one\n");
		jobs_free(&jobs);
		if (round == 1) {
			write_text(in, "two\n");
			touch_now(in);
		}
	}
	assert_true(fs_mtime_ns(mid) == 1000000000LL * 1000000000LL);
	free(in);
	free(mid);
	free(last);
}

/* An input edited while its command runs (after the command may have read
 * it) makes the job run again next time. */
static void test_input_edited_during_run(void **state)
{
	struct fixture *f = *state;
	char *in = at(f, "edited.txt"), *out = at(f, "edited.out"), *mark = at(f, "edited.mark");
	/* The first run edits its input once, well after it started. */
	static const char script[] =
		"cat \"$1\" > \"$2\"; if [ ! -e \"$3\" ]; then : > \"$3\"; sleep 0.05; "
		"echo edited >> \"$1\"; fi";

	write_text(in, "original\n");
	for (int round = 0; round < 3; round++) {
		struct jobs jobs = { .sig_dir = f->sig };
		struct jobs_stats stats;
		size_t idx = jobs_add(&jobs, "E", "edited", out);

		push_all(&jobs.v[idx].argv, (const char *const[]){ "/bin/sh", "-c", script, "sh",
			 in, JOBS_OUTPUT, mark, NULL });
		strv_push(&jobs.v[idx].inputs, in);
		assert_int_equal(jobs_run(&jobs, 1, &stats), 0);
		assert_int_equal(stats.ran, round < 2 ? 1 : 0);
		jobs_free(&jobs);
	}
	assert_file_text(out, "original\nedited\n");
	free(in);
	free(out);
	free(mark);
}

/* One job: sh -c SCRIPT sh {output}, or on stdout when STDOUT_IS_OUTPUT. */
static size_t add_sh_job(struct jobs *jobs, const char *output, const char *script,
			 bool stdout_is_output)
{
	size_t idx = jobs_add(jobs, "SH", fs_basename(output), output);
	struct job *j = &jobs->v[idx];

	push_all(&j->argv, (const char *const[]){ "/bin/sh", "-c", script, "sh", NULL });
	if (!stdout_is_output)
		strv_push(&j->argv, JOBS_OUTPUT);
	j->stdout_is_output = stdout_is_output;
	return idx;
}

static void check_failing_job(const struct fixture *f, const char *script,
			      bool stdout_is_output)
{
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;
	char *out = at(f, "fail.out"), *after = at(f, "after.out");
	char *sig;
	size_t bad, next;

	bad = add_sh_job(&jobs, out, script, stdout_is_output);
	next = add_sh_job(&jobs, after, "echo ran > \"$1\"", false);
	jobs_add_dep(&jobs, next, bad);

	assert_int_equal(jobs_run(&jobs, 2, &stats), -EIO);
	assert_false(fs_exists(out));
	assert_false(fs_exists(after));
	assert_false(jobs.v[next].ran);
	assert_no_temp_files(f->dir);
	assert_no_temp_files(f->sig);
	sig = jobs_signature_path(&jobs, out);
	assert_false(fs_exists(sig));
	free(sig);
	jobs_free(&jobs);
	free(out);
	free(after);
}

static void test_failing_command(void **state)
{
	struct fixture *f = *state;

	check_failing_job(f, "echo partial > \"$1\"; echo 'oops from the test' >&2; exit 3", false);
	check_failing_job(f, "echo partial; exit 1", true);
	/* Killed by a signal counts as a failure too. */
	check_failing_job(f, "echo partial > \"$1\"; kill -9 $$", false);
}

/* A program that cannot be started fails the run like a failing one. */
static void test_missing_program(void **state)
{
	struct fixture *f = *state;
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;
	char *out = at(f, "never.out");
	size_t idx = jobs_add(&jobs, "X", "never", out);

	push_all(&jobs.v[idx].argv, (const char *const[]){ "/nonexistent/bpfpack-no-such-tool",
		 JOBS_OUTPUT, NULL });
	assert_true(jobs_run(&jobs, 1, &stats) < 0);
	assert_int_equal(stats.ran, 0);
	assert_false(fs_exists(out));
	assert_no_temp_files(f->dir);
	jobs_free(&jobs);
	free(out);
}

/* keep_going: a failed job skips only what needs it; independent jobs (and
 * one that cannot even start) do not stop the others, and the run fails. */
static void test_keep_going(void **state)
{
	struct fixture *f = *state;
	struct jobs jobs = { .sig_dir = f->sig, .keep_going = true };
	struct jobs_stats stats;
	char *bad_out = at(f, "bad.out"), *after = at(f, "after.out");
	char *ok_out = at(f, "ok.out"), *ok2 = at(f, "ok2.out"), *never = at(f, "never.out");
	size_t bad, next, ok, ok_next, missing;

	bad = add_sh_job(&jobs, bad_out, "exit 1", false);
	next = add_sh_job(&jobs, after, "echo ran > \"$1\"", false);
	jobs_add_dep(&jobs, next, bad);
	missing = jobs_add(&jobs, "X", "never", never);
	push_all(&jobs.v[missing].argv, (const char *const[]){ "/nonexistent/bpfpack-no-such-tool",
		 JOBS_OUTPUT, NULL });
	ok = add_sh_job(&jobs, ok_out, "sleep 0.2; echo ok > \"$1\"", false);
	ok_next = add_sh_job(&jobs, ok2, "echo ok2 > \"$1\"", false);
	jobs_add_dep(&jobs, ok_next, ok);

	assert_int_equal(jobs_run(&jobs, 1, &stats), -EIO);
	assert_int_equal(jobs.v[bad].state, JOB_FAILED);
	assert_int_equal(jobs.v[next].state, JOB_SKIPPED);
	assert_int_equal(jobs.v[missing].state, JOB_FAILED);
	assert_int_equal(jobs.v[ok].state, JOB_DONE);
	assert_int_equal(jobs.v[ok_next].state, JOB_DONE);
	assert_false(fs_exists(after));
	assert_file_text(ok_out, "ok\n");
	assert_file_text(ok2, "ok2\n");
	assert_no_temp_files(f->dir);
	jobs_free(&jobs);
	free(bad_out);
	free(after);
	free(ok_out);
	free(ok2);
	free(never);
}

static void test_failure_keeps_old_output_and_retries(void **state)
{
	struct fixture *f = *state;
	char *out = at(f, "kept.out");
	struct jobs_stats stats;

	for (int round = 0; round < 4; round++) {
		struct jobs jobs = { .sig_dir = f->sig };
		/* Good, then failing twice (not recorded as made), then good again. */
		bool fails = round == 1 || round == 2;
		int rc;

		add_sh_job(&jobs, out, fails ? "echo bad > \"$1\"; exit 1" : "echo good > \"$1\"",
			   false);
		rc = jobs_run(&jobs, 1, &stats);
		assert_int_equal(rc, fails ? -EIO : 0);
		/* The last good round finds the output it made still up to date. */
		assert_int_equal(stats.ran, round == 0 ? 1 : 0);
		assert_file_text(out, "good\n");
		assert_no_temp_files(f->dir);
		jobs_free(&jobs);
	}
	free(out);
}

static void test_parallel_independent_jobs(void **state)
{
	struct fixture *f = *state;
	/* Each job waits (up to 10 s) for the other to start: with fewer than
	 * two commands at once they cannot both succeed. */
	static const char script[] =
		"touch \"$2\"; i=0; while [ ! -e \"$3\" ]; do i=$((i+1)); "
		"[ $i -gt 1000 ] && exit 1; sleep 0.01; done; echo \"$4\" > \"$1\"";
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;
	char *one = at(f, "one.out"), *two = at(f, "two.out"), *both = at(f, "both.out");
	char *m1 = at(f, "started.1"), *m2 = at(f, "started.2");
	size_t j1, j2, join;

	j1 = jobs_add(&jobs, "P", "one", one);
	push_all(&jobs.v[j1].argv, (const char *const[]){ "/bin/sh", "-c", script, "sh",
		 JOBS_OUTPUT, m1, m2, "one", NULL });
	j2 = jobs_add(&jobs, "P", "two", two);
	push_all(&jobs.v[j2].argv, (const char *const[]){ "/bin/sh", "-c", script, "sh",
		 JOBS_OUTPUT, m2, m1, "two", NULL });
	join = jobs_add(&jobs, "J", "both", both);
	push_all(&jobs.v[join].argv, (const char *const[]){ "cat", one, two, NULL });
	jobs.v[join].stdout_is_output = true;
	jobs_add_dep(&jobs, join, j1);
	jobs_add_dep(&jobs, join, j2);

	assert_int_equal(jobs_run(&jobs, 2, &stats), 0);
	assert_int_equal(stats.ran, 3);
	assert_file_text(one, "one\n");
	assert_file_text(two, "two\n");
	assert_file_text(both, "one\ntwo\n");
	jobs_free(&jobs);
	free(one);
	free(two);
	free(both);
	free(m1);
	free(m2);
}

static void test_parallel_limit_is_kept(void **state)
{
	struct fixture *f = *state;
	/* mkdir fails when another command holds the lock: at most one runs. */
	static const char script[] =
		"mkdir \"$2\" || exit 1; sleep 0.05; rmdir \"$2\"; echo done > \"$1\"";
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;
	char *lock = at(f, "lock");

	for (int i = 0; i < 3; i++) {
		char *out = xasprintf("%s/serial%d.out", f->dir, i);
		size_t idx = jobs_add(&jobs, "S", "serial", out);

		push_all(&jobs.v[idx].argv, (const char *const[]){ "/bin/sh", "-c", script, "sh",
			 JOBS_OUTPUT, lock, NULL });
		free(out);
	}
	assert_int_equal(jobs_run(&jobs, 1, &stats), 0);
	assert_int_equal(stats.ran, 3);
	jobs_free(&jobs);
	free(lock);
}

/* With one slot, the head of the longest chain starts before a lone job
 * added earlier: "lone" (added first), then x1 -> x2 -> x3. */
static void test_longest_chain_starts_first(void **state)
{
	struct fixture *f = *state;
	static const char script[] = "echo \"$2\" >> \"$3\"; echo done > \"$1\"";
	static const char *const names[] = { "lone", "x1", "x2", "x3" };
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;
	size_t idx[4];

	for (int i = 0; i < 4; i++) {
		char *out = xasprintf("%s/%s.out", f->dir, names[i]);

		idx[i] = jobs_add(&jobs, "S", names[i], out);
		push_all(&jobs.v[idx[i]].argv, (const char *const[]){ "/bin/sh", "-c", script, "sh",
			 JOBS_OUTPUT, names[i], f->log, NULL });
		free(out);
	}
	jobs_add_dep(&jobs, idx[2], idx[1]);
	jobs_add_dep(&jobs, idx[3], idx[2]);
	assert_int_equal(jobs_run(&jobs, 1, &stats), 0);
	assert_int_equal(stats.ran, 4);
	/* x1 heads a chain of three: first; then x2 (two) before lone (one). */
	assert_file_text(f->log, "x1\nx2\nlone\nx3\n");
	jobs_free(&jobs);
}

static void test_dependency_cycle(void **state)
{
	struct fixture *f = *state;
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;
	char *x = at(f, "x.out"), *y = at(f, "y.out");
	size_t jx = add_sh_job(&jobs, x, "echo x > \"$1\"", false);
	size_t jy = add_sh_job(&jobs, y, "echo y > \"$1\"", false);

	jobs_add_dep(&jobs, jx, jy);
	jobs_add_dep(&jobs, jy, jx);
	assert_int_equal(jobs_run(&jobs, 2, &stats), -EDEADLK);
	assert_int_equal(stats.ran, 0);
	assert_false(fs_exists(x));
	assert_false(fs_exists(y));
	jobs_free(&jobs);
	free(x);
	free(y);
}

/* cc -c src.c -MD -MF src.d: the depfile names hdr.h. */
static size_t add_cc_job(struct jobs *jobs, const struct fixture *f)
{
	char *src = at(f, "src.c"), *obj = at(f, "src.o"), *dep = at(f, "src.d");
	size_t idx = jobs_add(jobs, "CC", "src.c", obj);
	struct job *j = &jobs->v[idx];

	push_all(&j->argv, (const char *const[]){ "cc", "-c", src, "-o", JOBS_OUTPUT, "-MD",
		 "-MF", dep, NULL });
	strv_push(&j->inputs, src);
	j->depfile = dep;
	free(src);
	free(obj);
	return idx;
}

static size_t run_cc_job(const struct fixture *f)
{
	struct jobs jobs = { .sig_dir = f->sig };
	struct jobs_stats stats;

	add_cc_job(&jobs, f);
	assert_int_equal(jobs_run(&jobs, 1, &stats), 0);
	assert_int_equal(stats.ran + stats.up_to_date, 1);
	jobs_free(&jobs);
	return stats.ran;
}

static void test_depfile_header_change_reruns(void **state)
{
	struct fixture *f = *state;
	char *src = at(f, "src.c"), *hdr = at(f, "hdr.h"), *other = at(f, "other.h");
	char *dep = at(f, "src.d"), *obj = at(f, "src.o");
	char *text;

	write_text(src, "#include \"hdr.h\"\nint value(void) { return VALUE; }\n");
	write_text(hdr, "#define VALUE 1\n");
	write_text(other, "#define OTHER 2\n");

	assert_int_equal(run_cc_job(f), 1);
	assert_true(fs_exists(obj));
	text = read_text(dep);
	assert_non_null(strstr(text, hdr));
	free(text);
	assert_int_equal(run_cc_job(f), 0);

	/* A header the source does not include changes nothing. */
	touch_now(other);
	assert_int_equal(run_cc_job(f), 0);

	/* The included header does. */
	touch_now(hdr);
	assert_int_equal(run_cc_job(f), 1);
	assert_int_equal(run_cc_job(f), 0);

	/* So does a lost depfile: the headers are unknown then. */
	assert_int_equal(unlink(dep), 0);
	assert_int_equal(run_cc_job(f), 1);
	assert_true(fs_exists(dep));
	assert_int_equal(run_cc_job(f), 0);

	/* And the source, an input. */
	touch_now(src);
	assert_int_equal(run_cc_job(f), 1);
	assert_no_temp_files(f->dir);
	free(src);
	free(hdr);
	free(other);
	free(dep);
	free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_runs_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_run_runs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_output_stops_the_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_changed_command_line_reruns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_output_reruns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_output_with_old_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_edited_during_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_old_output_and_retries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parallel_independent_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel_limit_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_chain_starts_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dependency_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depfile_header_change_reruns, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
