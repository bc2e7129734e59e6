// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches it to sched:sched_process_exec and prints one line per exec. */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "{{NAME}}.h"
#include "{{NAME}}.skel.h"

static struct env {
	int verbose;
	long duration;
	int pid;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Trace exec() of every process via the sched:sched_process_exec tracepoint.\n"
	"\n"
	"USAGE: {{NAME}} [-v] [-d SECONDS] [-p PID]\n"
	"\n"
	"Prints one line per exec: time, PID, parent PID, UID, command and file.\n"
	"Needs root (or CAP_BPF and CAP_PERFMON).";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only show execs by this process ID", 0 },
	{ 0 },
};

static long parse_positive(const char *arg, struct argp_state *state, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v <= 0)
		argp_error(state, "invalid %s: %s", what, arg);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'v':
		env.verbose = 1;
		break;
	case 'd':
		env.duration = parse_positive(arg, state, "duration");
		break;
	case 'p':
		env.pid = (int)parse_positive(arg, state, "PID");
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
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

/* Whether this process may load BPF tracing programs at all: EACCES from a
 * load is also what the verifier returns when it rejects a program. */
static bool bpf_allowed(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) == 1;
}

/* One line saying why the BPF object did not load: no permission, the
 * verifier, or which kernel feature is missing. */
static void explain_load_error(int err)
{
	char msg[128];

	if ((err == -EPERM || err == -EACCES) && !bpf_allowed()) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_PERFMON)\n");
	} else if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fprintf(stderr, "{{NAME}}: this kernel has no BPF ring buffer (needs Linux 5.8+)\n");
	} else if (err == -EACCES) {
		fprintf(stderr, "{{NAME}}: the kernel's verifier rejected the BPF program: "
				"rerun with -v for its log\n");
	} else {
		libbpf_strerror(err, msg, sizeof(msg));
		fprintf(stderr, "{{NAME}}: failed to load the BPF program: %s "
				"(run with -v for libbpf's log)\n", msg);
	}
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

static int handle_event(void *ctx, void *data, size_t data_sz)
{
	const struct event *e = data;
	struct tm tm;
	char ts[32];
	time_t t;

	(void)ctx;
	if (data_sz < sizeof(*e))
		return 0;
	time(&t);
	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	printf("%-8s %-7d %-7d %-6u %-16s %s\n", ts, e->pid, e->ppid, e->uid, e->comm,
	       e->filename);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct ring_buffer *rb = NULL;
	struct {{NAME}}_bpf *skel;
	time_t deadline;
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

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	err = {{NAME}}_bpf__attach(skel);
	if (err) {
		if (err == -ENOENT)
			fprintf(stderr, "{{NAME}}: this kernel has no sched:sched_process_exec "
					"tracepoint (is tracefs available?)\n");
		else
			fprintf(stderr, "{{NAME}}: failed to attach: %s\n", strerror(-err));
		goto cleanup;
	}

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "{{NAME}}: failed to create the ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	fprintf(stderr, "Tracing exec()... Hit Ctrl-C to end.\n");
	printf("%-8s %-7s %-7s %-6s %-16s %s\n", "TIME", "PID", "PPID", "UID", "COMM", "FILENAME");
	fflush(stdout);

	deadline = env.duration ? time(NULL) + env.duration : 0;
	while (!exiting) {
		err = ring_buffer__poll(rb, 100 /* ms */);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "{{NAME}}: polling the ring buffer failed: %s\n", strerror(-err));
			break;
		}
		err = 0;
		if (deadline && time(NULL) >= deadline)
			break;
	}

cleanup:
	ring_buffer__free(rb);
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
