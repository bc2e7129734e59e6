/* bench/startup.c: the start-up harness of bench/btf.sh. Measures how long a
 * tool takes from exec to the line it prints once its BPF programs are
 * attached, with BPFPACK_BTF_FORCE_EMBEDDED=1 (the embedded BTF path) and
 * without it (the kernel's own BTF), alternating the two so machine noise
 * lands on both. Shell polling would add milliseconds of its own; here the
 * clock stops when the line arrives on the pipe.
 *
 * usage: startup RUNS PATTERN PROG [ARG...]
 *   PROG must be a path (it is exec'd as given, no PATH search).
 * One untimed warm-up of each mode, then RUNS pairs. Prints one line per
 * measurement on stdout, "RUN MODE MICROSECONDS" (MODE: native or
 * embedded). The tool is stopped with SIGINT and must exit 0. Exit status: 0,
 * 1 when a run failed (its stderr is shown), 2 on bad usage.
 *
 * Build: cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror startup.c */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FORCE_VAR "BPFPACK_BTF_FORCE_EMBEDDED"
/* Longest wait for the line, and for the tool to exit after SIGINT. */
#define ATTACH_TIMEOUT_MS 20000
#define EXIT_TIMEOUT_MS 10000

extern char **environ;

enum mode { MODE_NATIVE, MODE_EMBEDDED };
static const char *const mode_name[] = { "native", "embedded" };

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The environment of each mode, built before any fork so the timed window
 * holds no allocation: ours without FORCE_VAR, plus FORCE_VAR=1 for embedded. */
static char **env_for(enum mode m)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env) {
		perror("startup: calloc");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], FORCE_VAR "=", sizeof(FORCE_VAR)))
			env[k++] = environ[i];
	if (m == MODE_EMBEDDED)
		env[k++] = FORCE_VAR "=1";
	env[k] = NULL;
	return env;
}

/* Appends what is readable on FD to BUF (NUL-terminated). Returns bytes read,
 * 0 at EOF, -1 on error. */
static ssize_t read_some(int fd, char *buf, size_t cap, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n > 0) {
		size_t room = cap - 1 - *len;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(buf + *len, tmp, take);
		*len += take;
		buf[*len] = '\0';
	}
	return n;
}

/* Waits up to TIMEOUT_MS for PID; SIGKILLs it after that. Returns its status,
 * or -1 when it had to be killed. */
static int reap(pid_t pid, int timeout_ms)
{
	long long deadline = now_ns() + (long long)timeout_ms * 1000000;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(1000);
	}
}

static void show_failure(const char *what, char *const argv[], const char *err)
{
	fprintf(stderr, "startup: %s: %s\n", argv[0], what);
	if (err && *err)
		fprintf(stderr, "--- its stderr ---\n%s%s", err,
			err[strlen(err) - 1] == '\n' ? "" : "\n");
}

/* One exec of ARGV in mode M: returns the microseconds from fork to PATTERN
 * on the tool's stderr, or -1 after printing why it failed. */
static long long measure_one(char *const argv[], char **env, const char *pattern)
{
	static char err[1 << 16];
	size_t len = 0;
	long long t0, t1 = -1, deadline;
	int p[2], status;
	pid_t pid;

	err[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("startup: pipe2");
		return -1;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("startup: fork");
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* dup2 clears O_CLOEXEC on the copy: the tool keeps stderr. */
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		execve(argv[0], argv, env);
		dprintf(2, "startup: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	deadline = t0 + (long long)ATTACH_TIMEOUT_MS * 1000000;
	while (t1 < 0) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long long left_ms = (deadline - now_ns()) / 1000000;
		int r;
		ssize_t n;

		if (left_ms <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			show_failure("timed out waiting for its attach line", argv, err);
			return -1;
		}
		r = poll(&pfd, 1, (int)left_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("startup: poll");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			return -1;
		}
		if (r == 0)
			continue;
		n = read_some(p[0], err, sizeof(err), &len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			status = reap(pid, EXIT_TIMEOUT_MS);
			close(p[0]);
			show_failure("exited before printing its attach line", argv, err);
			if (status >= 0 && WIFEXITED(status))
				fprintf(stderr, "startup: exit status %d\n", WEXITSTATUS(status));
			return -1;
		}
		if (strstr(err, pattern))
			t1 = now_ns();
	}
	kill(pid, SIGINT);
	/* Drain until EOF so a tool writing on its way out never blocks. */
	while (read_some(p[0], err, sizeof(err), &len) > 0)
		;
	close(p[0]);
	status = reap(pid, EXIT_TIMEOUT_MS);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		show_failure(status < 0 ? "did not exit after SIGINT" : "did not exit 0 after SIGINT",
			     argv, err);
		return -1;
	}
	return (t1 - t0) / 1000;
}

int main(int argc, char **argv)
{
	char **env[2] = { env_for(MODE_NATIVE), env_for(MODE_EMBEDDED) };
	const char *pattern;
	char *end;
	long runs;

	if (argc < 4) {
		fprintf(stderr, "usage: %s RUNS PATTERN PROG [ARG...]\n", argv[0]);
		return 2;
	}
	runs = strtol(argv[1], &end, 10);
	if (*end || runs < 1 || runs > 100000 || !strchr(argv[3], '/')) {
		fprintf(stderr, "usage: %s RUNS PATTERN PROG [ARG...] (RUNS > 0, PROG a path)\n",
			argv[0]);
		return 2;
	}
	pattern = argv[2];
	/* A tool that dies of SIGPIPE must not take us with it. */
	signal(SIGPIPE, SIG_IGN);

	/* Warm-up: the binary and libbpf's files in the page cache. */
	for (int m = MODE_NATIVE; m <= MODE_EMBEDDED; m++)
		if (measure_one(argv + 3, env[m], pattern) < 0)
			return 1;
	for (long i = 0; i < runs; i++) {
		/* Alternate which mode goes first. */
		for (int k = 0; k < 2; k++) {
			enum mode m = (enum mode)((i + k) % 2);
			long long us = measure_one(argv + 3, env[m], pattern);

			if (us < 0)
				return 1;
			printf("%ld %s %lld\n", i + 1, mode_name[m], us);
			fflush(stdout);
		}
	}
	free(env[0]);
	free(env[1]);
	return 0;
}
