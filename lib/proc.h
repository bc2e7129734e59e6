/* proc: the one way the driver runs other programs. Always an argv array,
 * never a shell string, so names with spaces or quotes are passed as they are. */
#ifndef BPFPACK_PROC_H
#define BPFPACK_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"

struct proc_opts {
	int stdin_fd;	/* -1: /dev/null; 0/1/2: inherit */
	int stdout_fd;	/* fd to use as the child's stdout, or -1 to inherit */
	int stderr_fd;	/* fd to use as the child's stderr, or -1 to inherit */
};

#define PROC_OPTS_INHERIT { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 }

/* Starts ARGV[0] (searched in PATH when it has no '/'). Reports and returns
 * -errno when it cannot be started (e.g. -ENOENT). */
int proc_spawn(char *const argv[], const struct proc_opts *opts, pid_t *pid);
/* Waits for PID; returns its exit status, 128+signal when killed, or -errno. */
int proc_wait(pid_t pid);
/* Runs ARGV to completion capturing stdout and stderr (either may be NULL to
 * inherit). Returns the exit status as proc_wait does. */
int proc_run_capture(char *const argv[], struct buf *out, struct buf *err);
/* The same in two steps, so the caller can work while ARGV runs: start it
 * (0, or -errno reported as proc_spawn does), then wait for it and read
 * what it printed (exit status as proc_wait). Every started capture must be
 * finished. */
struct proc_capture {
	pid_t pid;
	int out_fd, err_fd;
};
int proc_capture_start(char *const argv[], struct proc_capture *c, bool out, bool err);
int proc_capture_finish(struct proc_capture *c, struct buf *out, struct buf *err);
/* Renders ARGV for humans (-v output), quoting what a shell would need. */
void proc_format_argv(char *const argv[], struct buf *out);
/* Full path of PROGRAM found in PATH (or as given when it has a '/'); NULL if
 * not found or not executable. malloc'd. */
char *proc_find_program(const char *program);

/* A memfd to capture a child's output into; -errno on failure. */
int proc_capture_fd(const char *name);
/* Reads everything written to a capture fd. */
int proc_capture_read(int fd, struct buf *out);

#endif
