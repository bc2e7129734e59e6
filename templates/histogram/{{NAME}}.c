// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches it to the raw_syscalls tracepoints, waits, then walks the
 * histogram hash map and prints one log2 histogram per command. */
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
	bool verbose;
	bool ms;
	long duration;
	int pid;
	long syscall_nr;
	const char *comm;
} env = {
	.syscall_nr = -1,
};

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Summarize syscall latency as a histogram per command.\n"
	"\n"
	"USAGE: {{NAME}} [-v] [-m] [-d SECONDS] [-p PID] [-c COMM] [-s NR]\n"
	"\n"
	"Until Ctrl-C (or the -d duration ends), adds the time every syscall takes\n"
	"to a log2 histogram of the command that made it, then prints the\n"
	"histograms, busiest command first. -s takes a syscall number (x86_64:\n"
	"`grep -w __NR_read /usr/include/x86_64-linux-gnu/asm/unistd_64.h`).\n"
	"Needs root (or CAP_BPF and CAP_PERFMON).";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "milliseconds", 'm', NULL, 0, "Histograms in milliseconds (default: microseconds)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only syscalls of this process ID", 0 },
	{ "comm", 'c', "COMM", 0, "Only syscalls of processes with this command name", 0 },
	{ "syscall", 's', "NR", 0, "Only this syscall number", 0 },
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
	char *end;

	switch (key) {
	case 'v':
		env.verbose = true;
		break;
	case 'm':
		env.ms = true;
		break;
	case 'd':
		env.duration = parse_positive(arg, state, "duration");
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
	case 's':
		errno = 0;
		env.syscall_nr = strtol(arg, &end, 10);
		if (errno || *end || end == arg || env.syscall_nr < 0 || env.syscall_nr > 4096)
			argp_error(state, "invalid syscall number: %s", arg);
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

/* Whether this process may load BPF tracing programs at all. */
static bool bpf_allowed(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) == 1;
}

/* One line saying why the BPF object did not load: no permission, or which
 * kernel feature is missing. */
static void explain_load_error(int err, const char *btf_path)
{
	char msg[128];

	if ((err == -EPERM || err == -EACCES) && !bpf_allowed()) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_PERFMON)\n");
	} else if (!btf_path && access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "{{NAME}}: this kernel has no BTF (/sys/kernel/btf/vmlinux, "
				"CONFIG_DEBUG_INFO_BTF), which CO-RE needs\n");
	} else if (err == -EACCES) {	/* allowed to load: the verifier said no */
		fprintf(stderr, "{{NAME}}: the kernel's verifier rejected the BPF program: "
				"rerun with -v for its log\n");
	} else {
		libbpf_strerror(err, msg, sizeof(msg));
		fprintf(stderr, "{{NAME}}: failed to load the BPF program: %s "
				"(run with -v for libbpf's log)\n", msg);
	}
}

/* One command's histogram, as read from the map. */
struct entry {
	struct hist_key key;
	struct hist hist;
	unsigned long long total;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strncmp(x->key.comm, y->key.comm, TASK_COMM_LEN);
}

/* Prints a log2 histogram the way biolatency does: one line per bucket up to
 * the last non-empty one, with a bar scaled to the largest bucket. */
static void print_log2_hist(const unsigned int *slots, int nr, const char *unit)
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

/* Walks the hash map: every command's histogram, busiest first. */
static int print_hists(struct {{NAME}}_bpf *skel)
{
	struct bpf_map *map = skel->maps.hists;
	struct hist_key key, prev_key;
	struct entry *entries = NULL;
	size_t n = 0, cap = 0;
	bool first = true;
	int err;

	/* get_next_key(NULL) gives the first key, then each call the next one. */
	while ((err = bpf_map__get_next_key(map, first ? NULL : &prev_key, &key, sizeof(key))) == 0) {
		first = false;
		prev_key = key;
		if (n == cap) {
			struct entry *more;

			cap = cap ? cap * 2 : 64;
			more = realloc(entries, cap * sizeof(*entries));
			if (!more) {
				free(entries);
				return -ENOMEM;
			}
			entries = more;
		}
		entries[n].key = key;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), &entries[n].hist,
					 sizeof(entries[n].hist), 0))
			continue;	/* deleted meanwhile */
		entries[n].total = 0;
		for (int i = 0; i < MAX_SLOTS; i++)
			entries[n].total += entries[n].hist.slots[i];
		n++;
	}
	if (err != -ENOENT) {
		fprintf(stderr, "{{NAME}}: cannot walk the histogram map: %s\n", strerror(-err));
		free(entries);
		return err;
	}
	qsort(entries, n, sizeof(*entries), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		printf("\ncomm = %.*s\n", TASK_COMM_LEN, entries[i].key.comm);
		print_log2_hist(entries[i].hist.slots, MAX_SLOTS, env.ms ? "msecs" : "usecs");
	}
	if (!n)
		printf("no syscalls seen\n");
	fflush(stdout);
	free(entries);
	return 0;
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
	skel->rodata->targ_syscall = env.syscall_nr;
	skel->rodata->targ_ms = env.ms;
	if (env.comm)
		strncpy((char *)skel->rodata->targ_comm, env.comm, TASK_COMM_LEN - 1);

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err, open_opts.btf_custom_path);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	err = {{NAME}}_bpf__attach(skel);
	if (err) {
		if (err == -ENOENT)
			fprintf(stderr, "{{NAME}}: this kernel has no raw_syscalls tracepoints "
					"(CONFIG_FTRACE_SYSCALLS; is tracefs available?)\n");
		else
			fprintf(stderr, "{{NAME}}: failed to attach: %s\n", strerror(-err));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	fprintf(stderr, "Tracing syscall latency... Hit Ctrl-C to end.\n");

	deadline = env.duration ? time(NULL) + env.duration : 0;
	while (!exiting) {
		usleep(100 * 1000);
		if (deadline && time(NULL) >= deadline)
			break;
	}
	/* Stop counting first, so the histograms do not move while printed. */
	{{NAME}}_bpf__detach(skel);
	err = print_hists(skel);

cleanup:
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
