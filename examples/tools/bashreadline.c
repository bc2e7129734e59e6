// SPDX-License-Identifier: GPL-2.0
/* bashreadline: print the command lines typed into every interactive bash on
 * the machine. User space: attaches bashreadline.bpf.c as a uretprobe on
 * readline() in the bash binary, prints one line per command. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "bashreadline.h"
#include "bashreadline.skel.h"
#include "trace_helpers.h"

static struct env {
	long duration;
	int pid;
	const char *shell;
} env;

const char *argp_program_version = "bashreadline 0.1";
static const char doc[] =
	"Print the command lines typed into interactive bash shells.\n"
	"\n"
	"USAGE: bashreadline [-v] [-d SECONDS] [-p PID] [-s SHELL]\n"
	"\n"
	"One line per command entered at a bash prompt: time, PID and the line as\n"
	"typed. SHELL is the bash binary (default: /bin/bash, else /usr/bin/bash),\n"
	"or the libreadline it uses when bash does not carry its own readline.";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only this shell's process ID", 0 },
	{ "shell", 's', "SHELL", 0, "The bash binary (or libreadline) to probe", 0 },
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
	case 's':
		env.shell = arg;
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
	printf("%-8s %-7d %s\n", ts, e->pid, e->line);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct trace_tool t = {
		.name = "bashreadline",
		.prog_type = BPF_PROG_TYPE_KPROBE,
		.needs_ringbuf = true,
		.no_core = true,	/* no CO-RE here: kernel BTF is not needed */
	};
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "readline", .retprobe = true);
	struct ring_buffer *rb = NULL;
	struct bashreadline_bpf *skel;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	if (!env.shell)
		env.shell = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/usr/bin/bash";
	if (access(env.shell, R_OK) != 0) {
		fprintf(stderr, "bashreadline: cannot read %s: %s\n", env.shell, strerror(errno));
		return 1;
	}

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (trace_tool_begin(&t))
		return 1;
	skel = bashreadline_bpf__open_opts(&t.open_opts);
	if (!trace_tool_opened(&t, skel))
		return 1;
	err = trace_tool_load(&t, skel->skeleton);
	if (err)
		goto cleanup;
	/* Every bash running SHELL, now or later (or just -p). */
	skel->links.readline_return = bpf_program__attach_uprobe_opts(
		skel->progs.readline_return, env.pid ? env.pid : -1, env.shell, 0, &uopts);
	if (!skel->links.readline_return) {
		err = -errno;
		if (err == -ENOENT)
			fprintf(stderr, "bashreadline: %s has no readline() symbol (if bash uses a "
					"shared libreadline, name that with -s)\n", env.shell);
		else
			fprintf(stderr, "bashreadline: cannot attach a uretprobe to readline() in %s "
					"(uprobes: CONFIG_UPROBE_EVENTS): %s\n", env.shell, strerror(-err));
		goto cleanup;
	}
	rb = trace_tool_ring_buffer(&t, skel->maps.events, handle_event);
	if (!rb) {
		err = -errno;
		goto cleanup;
	}

	trace_install_signals();
	fprintf(stderr, "Tracing readline() in %s... Hit Ctrl-C to end.\n", env.shell);
	printf("%-8s %-7s %s\n", "TIME", "PID", "COMMAND");
	fflush(stdout);
	err = trace_poll_ring_buffer("bashreadline", rb, env.duration);

cleanup:
	ring_buffer__free(rb);
	bashreadline_bpf__destroy(skel);
	trace_tool_end(&t);
	return err < 0 ? 1 : 0;
}
