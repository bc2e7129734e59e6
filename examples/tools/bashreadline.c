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
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "readline", .retprobe = true);
	struct ring_buffer *rb = NULL;
	struct bashreadline_bpf *skel;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(trace_libbpf_print);
	if (!env.shell)
		env.shell = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/usr/bin/bash";
	if (access(env.shell, R_OK) != 0) {
		fprintf(stderr, "bashreadline: cannot read %s: %s\n", env.shell, strerror(errno));
		return 1;
	}

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (bpfpack_btf_setup(&open_opts, "bashreadline", trace_verbose))
		return 1;
	skel = bashreadline_bpf__open_opts(&open_opts);
	if (!skel) {
		fprintf(stderr, "bashreadline: failed to open the BPF object: %s\n", strerror(errno));
		bpfpack_btf_cleanup();
		return 1;
	}
	err = bashreadline_bpf__load(skel);
	if (err) {
		/* No CO-RE here: kernel BTF is not needed ("" skips that check). */
		trace_explain_load_error("bashreadline", err, BPF_PROG_TYPE_KPROBE, "", true);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();
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
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "bashreadline: failed to create the ring buffer: %s\n",
			strerror(errno));
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
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
