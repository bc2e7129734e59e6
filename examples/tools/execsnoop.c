// SPDX-License-Identifier: GPL-2.0
/* execsnoop: trace every execve() on the machine, with its arguments, parent
 * and result. User space: loads execsnoop.bpf.c, prints one line per exec. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "execsnoop.h"
#include "execsnoop.skel.h"
#include "trace_helpers.h"

static struct env {
	long duration;
	long uid;
	bool failed_only;
} env = {
	.uid = -1,
};

const char *argp_program_version = "execsnoop 0.1";
static const char doc[] =
	"Trace every execve(), with its arguments and result.\n"
	"\n"
	"USAGE: execsnoop [-v] [-x] [-d SECONDS] [-u UID]\n"
	"\n"
	"One line per exec: time, PID, parent PID, UID, result (0 or -errno),\n"
	"command and the executed file with its arguments.";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "uid", 'u', "UID", 0, "Only execs by this user ID", 0 },
	{ "failed", 'x', NULL, 0, "Only failed execs", 0 },
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
	case 'u':
		/* 0 is a real UID: parse it apart from the positive numbers. */
		env.uid = strcmp(arg, "0") ? trace_parse_positive(arg, state, "UID", 0x7ffffffe) : 0;
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
	size_t off = __builtin_offsetof(struct event, args);
	char ts[32];

	(void)ctx;
	if (data_sz < off)
		return 0;
	trace_time_str(ts, sizeof(ts));
	printf("%-8s %-7d %-7d %-6u %-4d %-16s ", ts, e->pid, e->ppid, e->uid, e->retval, e->comm);
	/* The arguments are NUL-terminated, one after the other: print them
	 * space-separated. */
	for (size_t i = 0; i < e->args_size && off + i < data_sz; i++) {
		if (e->args[i])
			putchar(e->args[i]);
		else if (i + 1 < e->args_size)
			putchar(' ');
	}
	if (e->args_count > MAX_ARGS)
		printf(" ...");
	putchar('\n');
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct trace_tool t = {
		.name = "execsnoop",
		.prog_type = BPF_PROG_TYPE_TRACEPOINT,
		.needs_ringbuf = true,
		.attach_what = "syscalls:sys_enter_execve/sys_exit_execve (CONFIG_FTRACE_SYSCALLS)",
	};
	struct ring_buffer *rb = NULL;
	struct execsnoop_bpf *skel;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (trace_tool_begin(&t))
		return 1;
	skel = execsnoop_bpf__open_opts(&t.open_opts);
	if (!trace_tool_opened(&t, skel))
		return 1;
	skel->rodata->targ_uid = (unsigned int)env.uid;
	skel->rodata->failed_only = env.failed_only;

	err = trace_tool_load_attach(&t, skel->skeleton);
	if (err)
		goto cleanup;
	rb = trace_tool_ring_buffer(&t, skel->maps.events, handle_event);
	if (!rb) {
		err = -errno;
		goto cleanup;
	}

	trace_install_signals();
	fprintf(stderr, "Tracing execve()... Hit Ctrl-C to end.\n");
	printf("%-8s %-7s %-7s %-6s %-4s %-16s %s\n", "TIME", "PID", "PPID", "UID", "RET", "COMM",
	       "ARGS");
	fflush(stdout);
	err = trace_poll_ring_buffer("execsnoop", rb, env.duration);

cleanup:
	ring_buffer__free(rb);
	execsnoop_bpf__destroy(skel);
	trace_tool_end(&t);
	return err < 0 ? 1 : 0;
}
