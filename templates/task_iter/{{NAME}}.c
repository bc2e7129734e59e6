// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches the task iterator, creates an iterator file from it and reads the
 * records it yields: one line per process, like ps. */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "{{NAME}}.h"
#include "{{NAME}}.skel.h"

static struct env {
	bool verbose;
	long duration;
	long interval;
	int pid;
	const char *comm;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"List processes with a BPF task iterator.\n"
	"\n"
	"USAGE: {{NAME}} [-v] [-p PID] [-c COMM] [-I SECONDS] [-d SECONDS]\n"
	"\n"
	"Prints one line per process: PID, parent PID, UID, state (R running,\n"
	"S sleeping, D disk wait, I idle, T stopped, t traced, Z zombie), threads,\n"
	"virtual memory size in KiB and command. Once, or every -I seconds until\n"
	"Ctrl-C or the -d duration ends (-d alone repeats every second).\n"
	"Needs root (or CAP_BPF and CAP_PERFMON).";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "pid", 'p', "PID", 0, "Only this process ID", 0 },
	{ "comm", 'c', "COMM", 0, "Only processes with this command name", 0 },
	{ "interval", 'I', "SECONDS", 0, "List again every SECONDS seconds", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop repeating after SECONDS seconds", 0 },
	{ 0 },
};

static long parse_positive(const char *arg, struct argp_state *state, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v <= 0 || v > 0x7fffffff)
		argp_error(state, "invalid %s: %s", what, arg);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'v':
		env.verbose = true;
		break;
	case 'p':
		env.pid = (int)parse_positive(arg, state, "PID");
		break;
	case 'c':
		if (strlen(arg) >= TASK_COMM_LEN)
			argp_error(state, "command names have at most %d characters: %s",
				   TASK_COMM_LEN - 1, arg);
		env.comm = arg;
		break;
	case 'I':
		env.interval = parse_positive(arg, state, "interval");
		break;
	case 'd':
		env.duration = parse_positive(arg, state, "duration");
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	case ARGP_KEY_END:
		if (env.duration && !env.interval)
			env.interval = 1;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* libbpf's own messages only with -v: without it, a failure is the one line
 * this tool prints. */
static int libbpf_print_fn(enum libbpf_print_level level, const char *format, va_list args)
{
	(void)level;
	if (!env.verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

/* Whether this process may load BPF tracing programs at all. */
static bool bpf_allowed(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) == 1;
}

/* One line saying why the BPF object did not load: no permission, or which
 * kernel feature is missing.
 * The kernel's own BTF is checked even when this binary carries BTF for
 * it: the kernel checks iterators against its own BTF, which
 * embedded BTF cannot stand in for. */
static void explain_load_error(int err)
{
	char msg[128];

	libbpf_strerror(err, msg, sizeof(msg));
	if ((err == -EPERM || err == -EACCES) && !bpf_allowed())
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_PERFMON)\n");
	else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		fprintf(stderr, "{{NAME}}: this kernel has no BTF (/sys/kernel/btf/vmlinux, "
				"CONFIG_DEBUG_INFO_BTF), which BPF iterators need\n");
	else if (err == -EACCES)	/* allowed to load: the verifier said no */
		fprintf(stderr, "{{NAME}}: the kernel's verifier rejected the BPF program: "
				"rerun with -v for its log\n");
	else
		fprintf(stderr, "{{NAME}}: this kernel refuses the BPF task iterator (it needs "
				"Linux 5.8+): %s (run with -v for libbpf's log)\n", msg);
}

/* The one-letter state ps uses. */
static char state_char(const struct task_info *t)
{
	if (t->exit_state & 0x20)	/* EXIT_ZOMBIE */
		return 'Z';
	if (t->exit_state & 0x10)	/* EXIT_DEAD */
		return 'X';
	if (t->state == 0)		/* TASK_RUNNING */
		return 'R';
	if (t->state & 0x1)		/* TASK_INTERRUPTIBLE */
		return 'S';
	if (t->state & 0x2)		/* TASK_UNINTERRUPTIBLE, TASK_IDLE with TASK_NOLOAD */
		return t->state & 0x400 ? 'I' : 'D';
	if (t->state & 0x4)		/* __TASK_STOPPED */
		return 'T';
	if (t->state & 0x8)		/* __TASK_TRACED */
		return 't';
	return '?';
}

/* Runs the iterator once: every read() of a new iterator file runs the BPF
 * program over the tasks and returns what it wrote. */
static int list_tasks(struct bpf_link *link)
{
	long page_kib = sysconf(_SC_PAGESIZE) / 1024;
	struct task_info buf[64];
	size_t have = 0;
	ssize_t n;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		fprintf(stderr, "{{NAME}}: cannot create the iterator: %s\n", strerror(errno));
		return -errno;
	}
	printf("%-7s %-7s %-6s %-1s %4s %10s %s\n", "PID", "PPID", "UID", "S", "THR", "VSZ(KiB)",
	       "COMM");
	/* Records never straddle reads in practice, but keep any partial one. */
	while ((n = read(fd, (char *)buf + have, sizeof(buf) - have)) > 0) {
		size_t total = have + (size_t)n, nrec = total / sizeof(buf[0]);

		for (size_t i = 0; i < nrec; i++)
			printf("%-7d %-7d %-6u %c %4d %10llu %s\n", buf[i].pid, buf[i].ppid, buf[i].uid,
			       state_char(&buf[i]), buf[i].nr_threads, buf[i].vm_pages * page_kib,
			       buf[i].comm);
		have = total - nrec * sizeof(buf[0]);
		memmove(buf, (char *)buf + nrec * sizeof(buf[0]), have);
	}
	if (n < 0) {
		n = -errno;
		fprintf(stderr, "{{NAME}}: reading the iterator failed: %s\n", strerror(errno));
	}
	close(fd);
	fflush(stdout);
	return (int)n;
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct {{NAME}}_bpf *skel;
	time_t deadline, next;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (bpfpack_btf_setup(&open_opts, "{{NAME}}", env.verbose))
		return 1;
	skel = {{NAME}}_bpf__open_opts(&open_opts);
	if (!skel) {
		fprintf(stderr, "{{NAME}}: failed to open the BPF object: %s\n", strerror(errno));
		bpfpack_btf_cleanup();
		return 1;
	}
	skel->rodata->targ_pid = env.pid;
	if (env.comm)
		strncpy((char *)skel->rodata->targ_comm, env.comm, TASK_COMM_LEN - 1);

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	/* For an iterator, attaching makes a link; each iterator file made from
	 * it is one walk over the tasks. */
	err = {{NAME}}_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "{{NAME}}: this kernel refuses to attach the BPF task iterator "
				"(it needs Linux 5.8+): %s\n", strerror(-err));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	deadline = env.duration ? time(NULL) + env.duration : 0;
	next = time(NULL);
	while (!exiting) {
		if (time(NULL) >= next) {
			err = list_tasks(skel->links.dump_task);
			if (err < 0 || !env.interval)
				break;
			next += env.interval;
			printf("\n");
		}
		if (deadline && time(NULL) >= deadline)
			break;
		usleep(100 * 1000);
	}

cleanup:
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
