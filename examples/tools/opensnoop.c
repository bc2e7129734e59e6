// SPDX-License-Identifier: GPL-2.0
/* opensnoop: trace every open()/openat() on the machine: who opened which
 * path, and what came of it. User space: loads opensnoop.bpf.c, prints one
 * line per open. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "opensnoop.h"
#include "opensnoop.skel.h"
#include "trace_helpers.h"

static struct env {
	long duration;
	int pid;
	bool failed_only;
} env;

const char *argp_program_version = "opensnoop 0.1";
static const char doc[] =
	"Trace every open() and openat().\n"
	"\n"
	"USAGE: opensnoop [-v] [-x] [-d SECONDS] [-p PID]\n"
	"\n"
	"One line per open: time, PID, command, file descriptor (-1 on failure),\n"
	"errno (0 on success) and the path as passed.";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only opens by this process ID", 0 },
	{ "failed", 'x', NULL, 0, "Only failed opens", 0 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'v':
		trace_verbose = true;
		break;
	case 'd':
		env.duration = trace_parse_positive(arg, state, "duration", 0x7fffffff);
		break;
	case 'p':
		env.pid = (int)trace_parse_positive(arg, state, "PID", 0x7fffffff);
		break;
	case 'x':
		env.failed_only = true;
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int handle_event(void *ctx, void *data, size_t data_sz)
{
	const struct event *e = data;
	char ts[32];

	(void)ctx;
	if (data_sz < sizeof(*e))
		return 0;
	trace_time_str(ts, sizeof(ts));
	printf("%-8s %-7d %-16s %-4d %-3d %s\n", ts, e->pid, e->comm, e->ret >= 0 ? e->ret : -1,
	       e->ret >= 0 ? 0 : -e->ret, e->fname);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct trace_tool t = {
		.name = "opensnoop",
		.prog_type = BPF_PROG_TYPE_TRACEPOINT,
		.needs_ringbuf = true,
		.attach_what = "the syscalls:sys_*_openat tracepoints (CONFIG_FTRACE_SYSCALLS)",
	};
	struct ring_buffer *rb = NULL;
	struct opensnoop_bpf *skel;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (trace_tool_begin(&t))
		return 1;
	skel = opensnoop_bpf__open_opts(&t.open_opts);
	if (!trace_tool_opened(&t, skel))
		return 1;
	skel->rodata->targ_pid = env.pid;
	skel->rodata->failed_only = env.failed_only;
	if (!trace_tracepoint_exists("syscalls", "sys_enter_open")) {
		bpf_program__set_autoload(skel->progs.enter_open, false);
		bpf_program__set_autoload(skel->progs.exit_open, false);
	}

	err = trace_tool_load_attach(&t, skel->skeleton);
	if (err)
		goto cleanup;
	rb = trace_tool_ring_buffer(&t, skel->maps.events, handle_event);
	if (!rb) {
		err = -errno;
		goto cleanup;
	}

	trace_install_signals();
	fprintf(stderr, "Tracing open()... Hit Ctrl-C to end.\n");
	printf("%-8s %-7s %-16s %-4s %-3s %s\n", "TIME", "PID", "COMM", "FD", "ERR", "PATH");
	fflush(stdout);
	err = trace_poll_ring_buffer("opensnoop", rb, env.duration);

cleanup:
	ring_buffer__free(rb);
	opensnoop_bpf__destroy(skel);
	trace_tool_end(&t);
	return err < 0 ? 1 : 0;
}
