// SPDX-License-Identifier: GPL-2.0
/* tcpconnect: trace every outgoing TCP connection: who connected where, how
 * long the handshake took and whether it succeeded. User space: loads
 * tcpconnect.bpf.c, prints one line per connection attempt. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "tcpconnect.h"
#include "tcpconnect.skel.h"
#include "trace_helpers.h"

static struct env {
	long duration;
	int pid;
	int dport;
} env;

const char *argp_program_version = "tcpconnect 0.1";
static const char doc[] =
	"Trace outgoing TCP connections (connect()) through the tracepoint\n"
	"sock:inet_sock_set_state.\n"
	"\n"
	"USAGE: tcpconnect [-v] [-d SECONDS] [-p PID] [-P PORT]\n"
	"\n"
	"One line per connection attempt, when it is answered: time, PID, command,\n"
	"IP version, source and destination, handshake time in ms and the result\n"
	"(ok, or failed when refused, reset or timed out).";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only connections by this process ID", 0 },
	{ "port", 'P', "PORT", 0, "Only connections to this destination port", 0 },
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
	case 'P':
		env.dport = (int)trace_parse_positive(arg, state, "port", 65535);
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
	char ts[32], src[64], dst[64], saddr[48], daddr[48];
	int v6 = e->family == AF_INET6;

	(void)ctx;
	if (data_sz < sizeof(*e))
		return 0;
	trace_time_str(ts, sizeof(ts));
	trace_format_addr(e->family, e->saddr, saddr, sizeof(saddr));
	trace_format_addr(e->family, e->daddr, daddr, sizeof(daddr));
	snprintf(src, sizeof(src), v6 ? "[%s]:%u" : "%s:%u", saddr, e->sport);
	snprintf(dst, sizeof(dst), v6 ? "[%s]:%u" : "%s:%u", daddr, e->dport);
	printf("%-8s %-7d %-16s %-2d %-22s %-22s %-9.3f %s\n", ts, e->pid, e->comm, v6 ? 6 : 4, src,
	       dst, e->delta_ns / 1e6, e->established ? "ok" : "failed");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct trace_tool t = {
		.name = "tcpconnect",
		.prog_type = BPF_PROG_TYPE_TRACEPOINT,
		.needs_ringbuf = true,
		.attach_what = "sock:inet_sock_set_state (it needs Linux 4.16+)",
	};
	struct ring_buffer *rb = NULL;
	struct tcpconnect_bpf *skel;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (trace_tool_begin(&t))
		return 1;
	skel = tcpconnect_bpf__open_opts(&t.open_opts);
	if (!trace_tool_opened(&t, skel))
		return 1;
	skel->rodata->targ_pid = env.pid;
	skel->rodata->targ_dport = (unsigned short)env.dport;

	err = trace_tool_load_attach(&t, skel->skeleton);
	if (err)
		goto cleanup;
	rb = trace_tool_ring_buffer(&t, skel->maps.events, handle_event);
	if (!rb) {
		err = -errno;
		goto cleanup;
	}

	trace_install_signals();
	fprintf(stderr, "Tracing TCP connects... Hit Ctrl-C to end.\n");
	printf("%-8s %-7s %-16s %-2s %-22s %-22s %-9s %s\n", "TIME", "PID", "COMM", "IP", "SOURCE",
	       "DESTINATION", "LAT(ms)", "RESULT");
	fflush(stdout);
	err = trace_poll_ring_buffer("tcpconnect", rb, env.duration);

cleanup:
	ring_buffer__free(rb);
	tcpconnect_bpf__destroy(skel);
	trace_tool_end(&t);
	return err < 0 ? 1 : 0;
}
