/* proc: spawning programs from argv arrays and capturing their output. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

extern char **environ;

int proc_spawn(char *const argv[], const struct proc_opts *opts, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int err;

	posix_spawn_file_actions_init(&fa);
	if (opts->stdin_fd < 0)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	else if (opts->stdin_fd != 0)
		posix_spawn_file_actions_adddup2(&fa, opts->stdin_fd, 0);
	if (opts->stdout_fd >= 0 && opts->stdout_fd != 1)
		posix_spawn_file_actions_adddup2(&fa, opts->stdout_fd, 1);
	if (opts->stderr_fd >= 0 && opts->stderr_fd != 2)
		posix_spawn_file_actions_adddup2(&fa, opts->stderr_fd, 2);
	/* glibc reports exec failures (ENOENT, EACCES) as posix_spawn's result. */
	err = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		report_error("cannot run %s: %s", argv[0], strerror(err));
		return -err;
	}
	return 0;
}

int proc_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int proc_capture_fd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		report_error("cannot create a capture buffer: %s", strerror(err));
		return -err;
	}
	return fd;
}

int proc_capture_read(int fd, struct buf *out)
{
	char chunk[65536];
	off_t off = 0;
	ssize_t n;

	buf_reset(out);
	while ((n = pread(fd, chunk, sizeof(chunk), off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf_append(out, chunk, (size_t)n);
		off += n;
	}
	if (!out->data)
		buf_append(out, "", 0);
	return 0;
}

/* Closes C's capture fds and forgets its child. */
static void capture_close(struct proc_capture *c)
{
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->out_fd = c->err_fd = -1;
	c->pid = -1;
}

int proc_capture_start(char *const argv[], struct proc_capture *c, bool out, bool err)
{
	struct proc_opts opts = PROC_OPTS_INHERIT;
	int rc = 0;

	c->pid = -1;
	c->out_fd = c->err_fd = -1;
	if (out && (c->out_fd = proc_capture_fd("stdout")) < 0)
		rc = c->out_fd;
	else if (err && (c->err_fd = proc_capture_fd("stderr")) < 0)
		rc = c->err_fd;
	if (rc == 0) {
		opts.stdout_fd = c->out_fd;
		opts.stderr_fd = c->err_fd;
		rc = proc_spawn(argv, &opts, &c->pid);
	}
	if (rc < 0)
		capture_close(c);	/* a failed capture_fd left -errno: not closed */
	return rc;
}

int proc_capture_finish(struct proc_capture *c, struct buf *out, struct buf *err)
{
	int rc = c->pid > 0 ? proc_wait(c->pid) : -ECHILD;

	if (rc >= 0 && out && c->out_fd >= 0)
		proc_capture_read(c->out_fd, out);
	if (rc >= 0 && err && c->err_fd >= 0)
		proc_capture_read(c->err_fd, err);
	capture_close(c);
	return rc;
}

int proc_run_capture(char *const argv[], struct buf *out, struct buf *err)
{
	struct proc_capture c;
	int rc = proc_capture_start(argv, &c, out != NULL, err != NULL);

	return rc < 0 ? rc : proc_capture_finish(&c, out, err);
}

static int needs_quotes(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *s))
			return 1;
	return 0;
}

void proc_format_argv(char *const argv[], struct buf *out)
{
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_append_str(out, " ");
		if (!needs_quotes(argv[i])) {
			buf_append_str(out, argv[i]);
			continue;
		}
		buf_append_str(out, "'");
		for (const char *s = argv[i]; *s; s++) {
			if (*s == '\'')
				buf_append_str(out, "'\\''");
			else
				buf_append(out, s, 1);
		}
		buf_append_str(out, "'");
	}
}

static int is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *proc_find_program(const char *program)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;

	if (!program || !*program)
		return NULL;
	if (strchr(program, '/'))
		return is_executable(program) ? xstrdup(program) : NULL;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = xstrdup(path);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", *dir ? dir : ".", program);

		if (is_executable(full)) {
			free(copy);
			return full;
		}
		free(full);
	}
	free(copy);
	return NULL;
}
