/* jobs: the parallel job pool that runs a build graph. Each job makes one
 * output file with one command; it runs only when its output is out of date
 * (missing, an input or a header from its depfile changed since it was last
 * made, or it was made by a different command line), writes to a temp file beside the output and renames
 * it into place on success, so an interrupted build never leaves a
 * half-written output. An output that comes out byte-identical keeps its old
 * file and time, so the jobs after it do not run for nothing. A job's stderr is buffered and printed whole when it
 * ends, so parallel compilers do not interleave their diagnostics. */
#ifndef BPFPACK_JOBS_H
#define BPFPACK_JOBS_H

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"

/* The argv element that stands for the job's temp output path. */
#define JOBS_OUTPUT "{output}"

struct job {
	/* Set by the caller. */
	const char *step;	/* progress label: "BPF", "CC", "LD", ... */
	char *what;		/* what the progress line names */
	char *output;		/* final path */
	struct strv argv;	/* may contain JOBS_OUTPUT */
	struct strv inputs;	/* files whose change makes the output stale */
	char *depfile;		/* written by the command (-MD -MF), or NULL */
	bool stdout_is_output;	/* the command prints the output on stdout */
	bool color;		/* the command understands -fdiagnostics-color */
	bool output_absent;	/* the command wants no file at the temp path (ar) */
	mode_t mode;		/* of the output */
	char *sig_extra;	/* more of what made the output (e.g. a list of inputs), or NULL */
	/* Run on the temp output after the command succeeded, before it is
	 * compared and renamed into place; reports and returns < 0 on failure. */
	int (*post)(const char *path);
	size_t *deps;		/* indices of jobs that must finish first */
	size_t n_deps;

	/* Run state. */
	int state;
	pid_t pid;
	char *tmp;
	int err_fd;
	bool ran;		/* the command ran (the output was out of date) */
	bool changed;		/* ... and the output it made differs from the old one */
	long long started_ns;	/* when the command started (wall clock) */
};

/* A job's state; after jobs_run every job is DONE, FAILED (its command
 * failed or could not start) or SKIPPED (a job it needs failed: only with
 * keep_going; else the run stopped and it stays WAITING). */
enum { JOB_WAITING, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_SKIPPED };

struct jobs {
	struct job *v;
	size_t n;
	size_t cap;
	bool keep_going;	/* a failed job stops only the jobs that need it */
	const char *sig_dir;	/* where the command line of each output is kept, as
				 * FILENAME.cmd: outputs must have distinct file names */
};

/* Adds a job and returns its index; the caller fills the fields. */
size_t jobs_add(struct jobs *jobs, const char *step, const char *what, const char *output);
void jobs_add_dep(struct jobs *jobs, size_t job, size_t dep);

struct jobs_stats {
	size_t ran;
	size_t up_to_date;
};

/* Runs the graph with up to PARALLEL commands at once. Stops starting new jobs
 * at the first failure and waits for the running ones; with keep_going, runs
 * every job whose dependencies all succeeded and skips the others. Returns 0, -EIO when a
 * command failed (its diagnostics already printed, one line reported), or
 * -ENOENT (or another -errno) when a program could not be started, or
 * -EINTR when SIGINT/SIGTERM arrived (children killed, temp files removed). */
int jobs_run(struct jobs *jobs, int parallel, struct jobs_stats *stats);
void jobs_free(struct jobs *jobs);

/* The signature file of an output: the command line that made it. */
char *jobs_signature_path(const struct jobs *jobs, const char *output);

#endif
