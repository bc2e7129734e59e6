/* jobs: an out-of-date check plus a bounded pool of child processes. */
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "depfile.h"
#include "fs.h"
#include "proc.h"
#include "report.h"

static volatile sig_atomic_t jobs_signal;

static void on_signal(int sig)
{
	jobs_signal = sig;
}

size_t jobs_add(struct jobs *jobs, const char *step, const char *what, const char *output)
{
	if (jobs->n == jobs->cap) {
		jobs->cap = jobs->cap ? jobs->cap * 2 : 16;
		jobs->v = xrealloc(jobs->v, jobs->cap * sizeof(*jobs->v));
	}
	struct job *j = &jobs->v[jobs->n];

	memset(j, 0, sizeof(*j));
	j->step = step;
	j->what = xstrdup(what);
	j->output = xstrdup(output);
	j->mode = 0644;
	j->err_fd = -1;
	return jobs->n++;
}

void jobs_add_dep(struct jobs *jobs, size_t job, size_t dep)
{
	struct job *j = &jobs->v[job];

	j->deps = xrealloc(j->deps, (j->n_deps + 1) * sizeof(*j->deps));
	j->deps[j->n_deps++] = dep;
}

char *jobs_signature_path(const struct jobs *jobs, const char *output)
{
	return xasprintf("%s/%s.cmd", jobs->sig_dir, fs_basename(output));
}

/* The command line with the temp placeholder replaced by the real output, so
 * it is the same from run to run. */
static void job_signature(const struct job *j, struct buf *sig)
{
	for (size_t i = 0; i < j->argv.n; i++) {
		buf_append_str(sig, strcmp(j->argv.v[i], JOBS_OUTPUT) ? j->argv.v[i] : j->output);
		buf_append(sig, "\n", 1);
	}
	if (j->stdout_is_output)
		buf_printf(sig, "> %s\n", j->output);
	if (j->sig_extra)
		buf_printf(sig, "# %s\n", j->sig_extra);
}

static bool newer_than(const char *path, long long t)
{
	long long m = fs_mtime_ns(path);

	/* A missing input is out of date by definition: let the command say why. */
	return m < 0 || m > t;
}

/* The time a job was last made is the start time of the command that made
 * it, kept as the mtime of its signature file: an output left unchanged by a
 * re-run keeps its own older time. */
static bool job_is_stale(const struct jobs *jobs, const struct job *j)
{
	struct buf sig = {0}, old = {0};
	char *sig_path = jobs_signature_path(jobs, j->output);
	long long t = fs_mtime_ns(sig_path);
	bool stale = t < 0 || !fs_exists(j->output);

	for (size_t i = 0; i < j->inputs.n && !stale; i++)
		stale = newer_than(j->inputs.v[i], t);
	for (size_t i = 0; i < j->n_deps && !stale; i++)
		stale = jobs->v[j->deps[i]].changed || newer_than(jobs->v[j->deps[i]].output, t);
	if (!stale && j->depfile) {
		struct strv deps = {0};

		/* A compiler's depfile names at least its source; an empty one is
		 * what a build killed while the compiler rewrote it leaves, and it
		 * would hide the header that made the job stale. */
		if (depfile_read(j->depfile, &deps) < 0)
			stale = true;
		for (size_t i = 0; i < deps.n && !stale; i++)
			stale = newer_than(deps.v[i], t);
		strv_free(&deps);
	}
	if (!stale) {
		job_signature(j, &sig);
		stale = fs_read_file(sig_path, &old) < 0 || old.len != sig.len ||
			memcmp(old.data, sig.data, sig.len) != 0;
	}
	free(sig_path);
	buf_free(&sig);
	buf_free(&old);
	return stale;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* True when the files at A and B hold the same bytes. */
static bool same_content(const char *a, const char *b)
{
	struct buf x = {0}, y = {0};
	bool same = false;
	int fd = open(b, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	if (fs_read_file(a, &x) == 0 && fs_read_file(b, &y) == 0)
		same = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}

static int job_start(struct job *j)
{
	struct proc_opts opts = PROC_OPTS_INHERIT;
	struct strv argv = {0};
	int out_fd = -1, rc;

	out_fd = fs_temp_beside(j->output, &j->tmp);
	if (out_fd < 0)
		return out_fd;
	if (j->output_absent)
		unlink(j->tmp);	/* the name stays ours: it is random and beside the output */
	j->err_fd = proc_capture_fd(j->step);
	if (j->err_fd < 0) {
		close(out_fd);
		return j->err_fd;
	}
	/* Never in colour here: see job_rerun_in_color(). */
	for (size_t i = 0; i < j->argv.n; i++)
		strv_push(&argv, strcmp(j->argv.v[i], JOBS_OUTPUT) ? j->argv.v[i] : j->tmp);
	report_step(j->step, j->what);
	if (report_verbose()) {
		struct buf line = {0};

		proc_format_argv(argv.v, &line);
		printf("%s%s%s\n", line.data, j->stdout_is_output ? " > " : "",
		       j->stdout_is_output ? j->tmp : "");
		fflush(stdout);
		buf_free(&line);
	}
	if (j->stdout_is_output)
		opts.stdout_fd = out_fd;
	j->started_ns = now_ns();
	opts.stderr_fd = j->err_fd;
	rc = proc_spawn(argv.v, &opts, &j->pid);
	close(out_fd);
	strv_free(&argv);
	if (rc < 0) {
		unlink(j->tmp);
		return rc;
	}
	j->state = JOB_RUNNING;
	return 0;
}

/* Prints J's captured stderr, unless the job failed because the disk is full:
 * then the tool's own words (clang's stack dump, ld's "final link failed")
 * give way to one line naming the file, and -ENOSPC is returned. */
static int job_flush_stderr(struct job *j, int status)
{
	/* Parallel jobs hit a full disk together: the first one says it. */
	static bool full_reported;
	struct buf err = {0};
	int ret = 0;

	if (j->err_fd < 0)
		return 0;
	if (proc_capture_read(j->err_fd, &err) == 0 && status != 0 && status < 128 && err.len &&
	    (memmem(err.data, err.len, "No space left on device", 23) ||
	     memmem(err.data, err.len, "Disk quota exceeded", 19))) {
		ret = memmem(err.data, err.len, "No space", 8) ? -ENOSPC : -EDQUOT;
		/* A nested bpfpack (btf gen) already said which file, in our words. */
		if (full_reported) {
			/* Said once already. */
		} else if (!strncmp(err.data, "bpfpack: ", 9) ||
			   memmem(err.data, err.len, "\nbpfpack: ", 10)) {
			fflush(stdout);
			if (write(2, err.data, err.len) < 0) {
				/* Nothing sensible to do when stderr is gone. */
			}
		} else {
			report_error("cannot write %s: %s", j->output, strerror(-ret));
		}
		full_reported = true;
	} else if (err.len) {
		fflush(stdout);
		if (write(2, err.data, err.len) < 0) {
			/* Nothing sensible to do when stderr is gone. */
		}
	}
	buf_free(&err);
	close(j->err_fd);
	j->err_fd = -1;
	return ret;
}

/* Colour changes what clang emits for BPF: clang 19 orders the BTF forward
 * declarations of an object by heap address, and coloured diagnostics move
 * the heap, so a build from a terminal would not give the bytes of the same
 * build piped. Commands therefore run without colour, and a failed one whose
 * diagnostics go to a terminal runs again with it, only for those. */
static void job_rerun_in_color(struct job *j)
{
	struct proc_opts opts = PROC_OPTS_INHERIT;
	struct strv argv = {0};
	char *tmp = NULL;
	int out_fd, err_fd;
	pid_t pid;

	out_fd = fs_temp_beside(j->output, &tmp);
	if (out_fd < 0)
		return;
	err_fd = proc_capture_fd(j->step);
	for (size_t i = 0; i < j->argv.n && err_fd >= 0; i++) {
		strv_push(&argv, strcmp(j->argv.v[i], JOBS_OUTPUT) ? j->argv.v[i] : tmp);
		if (i == 0)
			strv_push(&argv, "-fdiagnostics-color=always");
	}
	if (j->stdout_is_output)
		opts.stdout_fd = out_fd;
	opts.stderr_fd = err_fd;
	/* Its diagnostics replace the plain ones only when it fails as well. */
	if (err_fd >= 0 && proc_spawn(argv.v, &opts, &pid) == 0 && proc_wait(pid) > 0) {
		close(j->err_fd);
		j->err_fd = err_fd;
	} else if (err_fd >= 0) {
		close(err_fd);
	}
	close(out_fd);
	unlink(tmp);
	free(tmp);
	strv_free(&argv);
}

/* Called when the child of J exits with STATUS (as proc_wait reports it). */
static int job_finish(const struct jobs *jobs, struct job *j, int status)
{
	struct buf sig = {0};
	char *sig_path;
	int rc;

	if (status != 0 && status < 128 && j->color && j->err_fd >= 0 && report_color(2))
		job_rerun_in_color(j);
	rc = job_flush_stderr(j, status);
	if (status != 0) {
		unlink(j->tmp);
		if (rc < 0)
			return rc;
		if (status > 128)
			report_error("%s was killed by signal %d while making %s",
				     fs_basename(j->argv.v[0]), status - 128, fs_basename(j->output));
		else
			report_error("%s failed (exit %d) on %s", fs_basename(j->argv.v[0]), status,
				     j->what);
		return -EIO;
	}
	if (j->post && j->post(j->tmp) < 0) {
		unlink(j->tmp);
		return -EIO;
	}
	j->ran = true;
	if (same_content(j->tmp, j->output)) {
		unlink(j->tmp);
	} else {
		rc = fs_commit_temp(j->tmp, j->output, j->mode);
		if (rc < 0)
			return rc;
		j->changed = true;
	}
	sig_path = jobs_signature_path(jobs, j->output);
	job_signature(j, &sig);
	rc = fs_write_atomic(sig_path, sig.data, sig.len, 0644);
	if (rc == 0) {
		struct timespec times[2] = {
			{ .tv_nsec = UTIME_OMIT },
			{ .tv_sec = j->started_ns / 1000000000LL, .tv_nsec = j->started_ns % 1000000000LL },
		};

		utimensat(AT_FDCWD, sig_path, times, 0);
	}
	free(sig_path);
	buf_free(&sig);
	return rc;
}

static void jobs_abort_running(struct jobs *jobs, int sig)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *j = &jobs->v[i];

		if (j->state != JOB_RUNNING)
			continue;
		if (sig)
			kill(j->pid, sig);
	}
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *j = &jobs->v[i];

		if (j->state != JOB_RUNNING)
			continue;
		int status = proc_wait(j->pid);

		if (sig) {
			/* Interrupted: drop what the children said and their temps. */
			if (j->err_fd >= 0)
				close(j->err_fd);
			j->err_fd = -1;
			unlink(j->tmp);
			j->state = JOB_FAILED;
		} else {
			j->state = job_finish(jobs, j, status) == 0 ? JOB_DONE : JOB_FAILED;
		}
	}
}

/* The order in which ready jobs start: longest chain of jobs still to come
 * first (a job's chain is itself and the longest chain of a job that needs
 * it), then the order they were added. With fewer CPUs than ready jobs this
 * starts every tool's BPF compile before any tool's link, so the last tool
 * does not wait alone at the end for its whole chain. Returns a permutation
 * of the job indices (the caller frees it). */
static size_t *jobs_start_order(const struct jobs *jobs)
{
	size_t *height = xcalloc(jobs->n ? jobs->n : 1, sizeof(*height));
	size_t *order = xcalloc(jobs->n ? jobs->n : 1, sizeof(*order));
	bool changed = true;

	for (size_t i = 0; i < jobs->n; i++) {
		height[i] = 1;
		order[i] = i;
	}
	/* Relaxation over the edges; a chain is at most n long, so n passes
	 * end it even on a cycle (which jobs_run reports as stuck). */
	for (size_t pass = 0; changed && pass < jobs->n; pass++) {
		changed = false;
		for (size_t i = 0; i < jobs->n; i++)
			for (size_t d = 0; d < jobs->v[i].n_deps; d++) {
				size_t dep = jobs->v[i].deps[d];

				if (height[dep] < height[i] + 1) {
					height[dep] = height[i] + 1;
					changed = true;
				}
			}
	}
	/* Insertion sort: stable, and n is a build's job count. */
	for (size_t i = 1; i < jobs->n; i++) {
		size_t v = order[i], k = i;

		for (; k > 0 && height[order[k - 1]] < height[v]; k--)
			order[k] = order[k - 1];
		order[k] = v;
	}
	free(height);
	return order;
}

int jobs_run(struct jobs *jobs, int parallel, struct jobs_stats *stats)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	size_t done = 0, running = 0;
	bool failed = false;
	mode_t old_mask;
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	if (parallel < 1)
		parallel = 1;
	/* What the commands create themselves (depfiles) gets the 0644 that
	 * bpfpack gives its own outputs explicitly, never world-writable files
	 * under umask 000. */
	old_mask = umask(0);
	umask(old_mask | S_IWGRP | S_IWOTH);
	/* No SA_RESTART: waitpid must return EINTR so we can clean up. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	jobs_signal = 0;

	size_t *order = jobs_start_order(jobs);

	while (done < jobs->n && !rc) {
		bool progress = false;

		for (size_t k = 0; k < jobs->n && !rc && !jobs_signal; k++) {
			struct job *j = &jobs->v[order[k]];
			bool ready = j->state == JOB_WAITING, blocked = false;

			for (size_t d = 0; d < j->n_deps && ready; d++) {
				int ds = jobs->v[j->deps[d]].state;

				blocked = ds == JOB_FAILED || ds == JOB_SKIPPED;
				ready = ds == JOB_DONE;
			}
			if (blocked) {
				/* Only reached with keep_going: a failure stops the run otherwise. */
				j->state = JOB_SKIPPED;
				done++;
				progress = true;
				continue;
			}
			if (!ready)
				continue;
			if (!job_is_stale(jobs, j)) {
				j->state = JOB_DONE;
				stats->up_to_date++;
				done++;
				progress = true;
				continue;
			}
			if (running >= (size_t)parallel)
				continue;
			rc = job_start(j);
			if (rc == 0) {
				running++;
				progress = true;
			} else if (jobs->keep_going && rc != -EINTR) {
				/* The program could not start (reported): this job fails. */
				j->state = JOB_FAILED;
				failed = true;
				done++;
				progress = true;
				rc = 0;
			}
		}
		if (rc || jobs_signal)
			break;
		if (progress && running < (size_t)parallel)
			continue;	/* finishing up-to-date jobs may have readied others */
		if (!running) {
			report_error("internal: build graph is stuck (a dependency cycle?)");
			rc = -EDEADLK;
			break;
		}
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		for (size_t i = 0; i < jobs->n; i++) {
			struct job *j = &jobs->v[i];

			if (j->state != JOB_RUNNING || j->pid != pid)
				continue;
			running--;
			int code = WIFEXITED(status) ? WEXITSTATUS(status) :
				   WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;

			if (job_finish(jobs, j, code) == 0) {
				j->state = JOB_DONE;
				stats->ran++;
				done++;
			} else {
				j->state = JOB_FAILED;
				if (jobs->keep_going) {
					failed = true;
					done++;
				} else {
					rc = -EIO;
				}
			}
			break;
		}
	}
	if (jobs_signal) {
		jobs_abort_running(jobs, SIGTERM);
		rc = -EINTR;
	} else {
		/* After a failure, let the running commands finish and report. */
		jobs_abort_running(jobs, 0);
	}
	if (!rc && failed)
		rc = -EIO;
	free(order);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	umask(old_mask);
	return rc;
}

void jobs_free(struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *j = &jobs->v[i];

		free(j->what);
		free(j->output);
		free(j->depfile);
		free(j->sig_extra);
		free(j->tmp);
		free(j->deps);
		strv_free(&j->argv);
		strv_free(&j->inputs);
		if (j->err_fd >= 0)
			close(j->err_fd);
	}
	free(jobs->v);
	memset(jobs, 0, sizeof(*jobs));
}
