// SPDX-License-Identifier: GPL-2.0
/* runqlat: summarize scheduler run-queue latency (how long runnable tasks
 * wait for a CPU) as a log2 histogram. User space: loads runqlat.bpf.c, waits,
 * prints the histograms the BPF side built in its hash map. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "runqlat.h"
#include "runqlat.skel.h"
#include "trace_helpers.h"

static struct env {
	long duration;
	int pid;
	bool per_process;
	bool ms;
} env;

const char *argp_program_version = "runqlat 0.1";
static const char doc[] =
	"Summarize run-queue latency: how long runnable tasks wait for a CPU.\n"
	"\n"
	"USAGE: runqlat [-v] [-m] [-P] [-d SECONDS] [-p PID]\n"
	"\n"
	"Until Ctrl-C (or the -d duration ends), adds every wait to a log2\n"
	"histogram, then prints it (with -P, one per process).";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "milliseconds", 'm', NULL, 0, "Histogram in milliseconds (default: microseconds)", 0 },
	{ "pids", 'P', NULL, 0, "One histogram per process", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only the threads of this process ID", 0 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'v':
		trace_verbose = true;
		break;
	case 'm':
		env.ms = true;
		break;
	case 'P':
		env.per_process = true;
		break;
	case 'd':
		env.duration = trace_parse_positive(arg, state, "duration", 0x7fffffff);
		break;
	case 'p':
		env.pid = (int)trace_parse_positive(arg, state, "PID", 0x7fffffff);
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Walks the histogram map: one histogram, or one per process with -P. */
static int print_hists(struct runqlat_bpf *skel)
{
	struct bpf_map *map = skel->maps.hists;
	__u32 key, prev = 0;
	bool first = true;
	struct hist h;
	int err, n = 0;

	while ((err = bpf_map__get_next_key(map, first ? NULL : &prev, &key, sizeof(key))) == 0) {
		first = false;
		prev = key;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), &h, sizeof(h), 0))
			continue;
		if (env.per_process)
			printf("\npid = %u %.*s\n", key, TASK_COMM_LEN, h.comm);
		trace_print_log2_hist(h.slots, MAX_SLOTS, env.ms ? "msecs" : "usecs");
		n++;
	}
	if (err != -ENOENT) {
		fprintf(stderr, "runqlat: cannot walk the histogram map: %s\n", strerror(-err));
		return err;
	}
	if (!n)
		printf("no run-queue waits seen\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct trace_tool t = {
		.name = "runqlat",
		.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
		.needs_ringbuf = false,
		.attach_what = "the sched raw tracepoints (raw tracepoints need Linux 4.17+)",
	};
	struct runqlat_bpf *skel;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (trace_tool_begin(&t))
		return 1;
	skel = runqlat_bpf__open_opts(&t.open_opts);
	if (!trace_tool_opened(&t, skel))
		return 1;
	skel->rodata->targ_tgid = env.pid;
	skel->rodata->targ_per_process = env.per_process;
	skel->rodata->targ_ms = env.ms;

	err = trace_tool_load_attach(&t, skel->skeleton);
	if (err)
		goto cleanup;

	trace_install_signals();
	fprintf(stderr, "Tracing run-queue latency... Hit Ctrl-C to end.\n");
	trace_wait(env.duration);
	/* Stop counting first, so the histograms do not move while printed. */
	runqlat_bpf__detach(skel);
	err = print_hists(skel);

cleanup:
	runqlat_bpf__destroy(skel);
	trace_tool_end(&t);
	return err < 0 ? 1 : 0;
}
