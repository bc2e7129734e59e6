// SPDX-License-Identifier: GPL-2.0
/* trace_helpers: the user-space code every example tool shares (see
 * trace_helpers.h). */
#include "trace_helpers.h"

#include <bpfpack.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

bool trace_verbose;
volatile sig_atomic_t trace_exiting;

int trace_libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	(void)level;
	if (!trace_verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

static void on_signal(int sig)
{
	(void)sig;
	trace_exiting = 1;
}

void trace_install_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

long trace_parse_positive(const char *arg, struct argp_state *state, const char *what, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v <= 0 || v > max)
		argp_error(state, "invalid %s: %s", what, arg);
	return v;
}

void trace_explain_load_error(const char *tool, int err, enum bpf_prog_type type,
			      const char *btf_path, bool needs_ringbuf)
{
	char msg[128];

	/* EPERM also comes from kernels that refuse one program type to root:
	 * it means "no permission" only if a trivial program of the type fails. */
	if ((err == -EPERM || err == -EACCES) && libbpf_probe_bpf_prog_type(type, NULL) != 1) {
		fprintf(stderr, "%s: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and %s)\n", tool,
			type == BPF_PROG_TYPE_XDP ? "CAP_NET_ADMIN" : "CAP_PERFMON");
	} else if (!btf_path && access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "%s: this kernel has no BTF (/sys/kernel/btf/vmlinux, "
				"CONFIG_DEBUG_INFO_BTF), which CO-RE needs\n", tool);
	} else if (needs_ringbuf && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fprintf(stderr, "%s: this kernel has no BPF ring buffer (needs Linux 5.8+)\n", tool);
	} else {
		libbpf_strerror(err, msg, sizeof(msg));
		fprintf(stderr, "%s: failed to load the BPF programs: %s "
				"(run with -v for libbpf's log)\n", tool, msg);
	}
}

int trace_tool_begin(struct trace_tool *t)
{
	memset(&t->open_opts, 0, sizeof(t->open_opts));
	t->open_opts.sz = sizeof(t->open_opts);
	libbpf_set_print(trace_libbpf_print);
	return bpfpack_btf_setup(&t->open_opts, t->name, trace_verbose) ? -1 : 0;
}

bool trace_tool_opened(struct trace_tool *t, const void *skel)
{
	if (skel)
		return true;
	fprintf(stderr, "%s: failed to open the BPF object: %s\n", t->name, strerror(errno));
	bpfpack_btf_cleanup();
	return false;
}

int trace_tool_load(struct trace_tool *t, struct bpf_object_skeleton *s)
{
	int err = bpf_object__load_skeleton(s);

	/* Without CO-RE the kernel's BTF is not needed ("" skips that check). */
	if (err)
		trace_explain_load_error(t->name, err, t->prog_type,
					 t->no_core ? "" : t->open_opts.btf_custom_path, t->needs_ringbuf);
	else
		bpfpack_btf_cleanup();	/* libbpf has read the BTF: free the fallback's memfd */
	return err;
}

int trace_tool_load_attach(struct trace_tool *t, struct bpf_object_skeleton *s)
{
	int err = trace_tool_load(t, s);

	if (err)
		return err;
	err = bpf_object__attach_skeleton(s);
	if (err)
		fprintf(stderr, "%s: cannot attach to %s: %s\n", t->name, t->attach_what, strerror(-err));
	return err;
}

struct ring_buffer *trace_tool_ring_buffer(struct trace_tool *t, struct bpf_map *map,
					   ring_buffer_sample_fn fn)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), fn, NULL, NULL);
	int err = errno;

	if (!rb) {
		fprintf(stderr, "%s: failed to create the ring buffer: %s\n", t->name, strerror(err));
		errno = err;
	}
	return rb;
}

void trace_tool_end(struct trace_tool *t)
{
	(void)t;
	bpfpack_btf_cleanup();
}

int trace_poll_ring_buffer(const char *tool, struct ring_buffer *rb, long duration)
{
	time_t deadline = duration > 0 ? time(NULL) + duration : 0;
	int err;

	while (!trace_exiting) {
		err = ring_buffer__poll(rb, 100 /* ms */);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "%s: polling the ring buffer failed: %s\n", tool,
				strerror(-err));
			return err;
		}
		if (deadline && time(NULL) >= deadline)
			break;
	}
	return 0;
}

void trace_wait(long duration)
{
	time_t deadline = duration > 0 ? time(NULL) + duration : 0;

	while (!trace_exiting) {
		usleep(100 * 1000);
		if (deadline && time(NULL) >= deadline)
			break;
	}
}

void trace_time_str(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

bool trace_tracepoint_exists(const char *category, const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/format", roots[i], category, event);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

void trace_print_log2_hist(const unsigned int *slots, int nr, const char *unit)
{
	unsigned int max = 0;
	int last = -1;

	for (int i = 0; i < nr; i++) {
		if (slots[i])
			last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	printf("%*s%-*s : count    distribution\n", 10, "", 14, unit);
	for (int i = 0; i <= last; i++) {
		unsigned long long low = i ? 1ULL << i : 0, high = (1ULL << (i + 1)) - 1;
		int stars = max ? (int)((unsigned long long)slots[i] * 40 / max) : 0;

		printf("%10llu -> %-10llu : %-8u |", low, high, slots[i]);
		for (int s = 0; s < 40; s++)
			putchar(s < stars ? '*' : ' ');
		printf("|\n");
	}
}

const char *trace_format_addr(int family, const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
