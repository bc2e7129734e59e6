// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Opens a CPU-clock perf event on every CPU, attaches
 * {{NAME}}.bpf.c to each through its libbpf skeleton and prints every sample:
 * the task, then its kernel frames (named from /proc/kallsyms) and its user
 * frames (addresses). */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "{{NAME}}.h"
#include "{{NAME}}.skel.h"

static struct env {
	bool verbose;
	long duration;
	int pid;
	long freq;
} env = {
	/* Not a divisor of the timer tick, so samples do not beat with it. */
	.freq = 49,
};

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Profile CPU use by sampling stacks at a fixed frequency on every CPU.\n"
	"\n"
	"USAGE: {{NAME}} [-v] [-d SECONDS] [-p PID] [-F FREQUENCY]\n"
	"\n"
	"Prints every sample: time, PID, thread ID, CPU and command, then the\n"
	"kernel frames ([k] symbol+offset, from /proc/kallsyms) and the user frames\n"
	"([u] address), innermost first. Idle CPUs are not sampled.\n"
	"Needs root (or CAP_BPF and CAP_PERFMON).";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "pid", 'p', "PID", 0, "Only sample this process ID", 0 },
	{ "frequency", 'F', "HZ", 0, "Samples per second on each CPU (default 49)", 0 },
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
	case 'd':
		env.duration = parse_positive(arg, state, "duration");
		break;
	case 'p':
		env.pid = (int)parse_positive(arg, state, "PID");
		break;
	case 'F':
		env.freq = parse_positive(arg, state, "frequency");
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
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, NULL) == 1;
}

/* One line saying why the BPF object did not load: no permission, or which
 * kernel feature is missing. */
static void explain_load_error(int err)
{
	char msg[128];

	if ((err == -EPERM || err == -EACCES) && !bpf_allowed()) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_PERFMON)\n");
	} else if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fprintf(stderr, "{{NAME}}: this kernel has no BPF ring buffer (needs Linux 5.8+)\n");
	} else if (err == -EACCES) {	/* allowed to load: the verifier said no */
		fprintf(stderr, "{{NAME}}: the kernel's verifier rejected the BPF program: "
				"rerun with -v for its log\n");
	} else {
		libbpf_strerror(err, msg, sizeof(msg));
		fprintf(stderr, "{{NAME}}: failed to load the BPF program: %s "
				"(run with -v for libbpf's log)\n", msg);
	}
}

/* Kernel symbols from /proc/kallsyms, sorted by address. */
struct ksym {
	unsigned long long addr;
	char *name;
};

static struct ksym *ksyms;
static size_t nr_ksyms;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Loads the text symbols of the kernel and its modules. Without permission to
 * see addresses (kptr_restrict), every address reads 0: keeps none. */
static void ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	unsigned long long addr;
	char type, name[256];
	size_t cap = 0;

	if (!f)
		return;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3) {
		if (!addr || !strchr("tTwW", type))
			continue;
		if (nr_ksyms == cap) {
			struct ksym *n;

			cap = cap ? cap * 2 : 65536;
			n = realloc(ksyms, cap * sizeof(*ksyms));
			if (!n)
				break;
			ksyms = n;
		}
		ksyms[nr_ksyms].addr = addr;
		ksyms[nr_ksyms].name = strdup(name);
		if (!ksyms[nr_ksyms].name)
			break;
		nr_ksyms++;
	}
	fclose(f);
	qsort(ksyms, nr_ksyms, sizeof(*ksyms), ksym_cmp);
}

static void ksyms_free(void)
{
	for (size_t i = 0; i < nr_ksyms; i++)
		free(ksyms[i].name);
	free(ksyms);
}

/* The symbol holding addr: the last one that starts at or below it. */
static const struct ksym *ksym_find(unsigned long long addr)
{
	size_t lo = 0, hi = nr_ksyms;

	if (!nr_ksyms || addr < ksyms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ksyms[lo];
}

static long perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
			    unsigned long flags)
{
	return syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static volatile sig_atomic_t exiting;
static unsigned long samples;

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
	samples++;
	time(&t);
	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	printf("%-8s %-7d %-7d %-3d %s\n", ts, e->pid, e->tid, e->cpu, e->comm);
	for (int i = 0; i < e->kstack_sz / 8 && i < MAX_STACK_DEPTH; i++) {
		const struct ksym *sym = ksym_find(e->kstack[i]);

		if (sym)
			printf("    [k] %s+0x%llx\n", sym->name, e->kstack[i] - sym->addr);
		else
			printf("    [k] 0x%llx\n", e->kstack[i]);
	}
	for (int i = 0; i < e->ustack_sz / 8 && i < MAX_STACK_DEPTH; i++)
		printf("    [u] 0x%llx\n", e->ustack[i]);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
	};
	struct bpf_link **links = NULL;
	struct ring_buffer *rb = NULL;
	struct {{NAME}}_bpf *skel;
	int ncpus = 0, nattached = 0;
	int *fds = NULL;
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

	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		err = ncpus;
		fprintf(stderr, "{{NAME}}: cannot count the CPUs: %s\n", strerror(-err));
		goto cleanup;
	}
	links = calloc(ncpus, sizeof(*links));
	fds = calloc(ncpus, sizeof(*fds));
	if (!links || !fds) {
		err = -ENOMEM;
		fprintf(stderr, "{{NAME}}: out of memory\n");
		goto cleanup;
	}
	for (int cpu = 0; cpu < ncpus; cpu++)
		fds[cpu] = -1;
	attr.sample_freq = env.freq;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		fds[cpu] = (int)perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fds[cpu] < 0) {
			err = -errno;
			if (err == -ENODEV)	/* a possible CPU that is offline */
				continue;
			if (err == -EACCES || err == -EPERM)
				fprintf(stderr, "{{NAME}}: not allowed to open perf events: run as root "
						"(or with CAP_PERFMON)\n");
			else if (err == -ENOENT || err == -EOPNOTSUPP)
				fprintf(stderr, "{{NAME}}: this kernel has no software perf events "
						"(CONFIG_PERF_EVENTS)\n");
			else if (err == -EINVAL)
				fprintf(stderr, "{{NAME}}: the kernel refuses %ld samples per second "
						"(see /proc/sys/kernel/perf_event_max_sample_rate)\n",
					env.freq);
			else
				fprintf(stderr, "{{NAME}}: cannot open a perf event on CPU %d: %s\n",
					cpu, strerror(-err));
			goto cleanup;
		}
		links[cpu] = bpf_program__attach_perf_event(skel->progs.do_sample, fds[cpu]);
		if (!links[cpu]) {
			err = -errno;
			fprintf(stderr, "{{NAME}}: cannot attach to the perf event on CPU %d: %s\n",
				cpu, strerror(-err));
			goto cleanup;
		}
		nattached++;
	}
	if (!nattached) {
		err = -ENODEV;
		fprintf(stderr, "{{NAME}}: no online CPU to sample\n");
		goto cleanup;
	}
	err = 0;	/* offline CPUs (ENODEV) are not an error */

	ksyms_load();
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "{{NAME}}: failed to create the ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	fprintf(stderr, "Sampling %d CPUs at %ld Hz%s... Hit Ctrl-C to end.\n", nattached,
		env.freq, nr_ksyms ? "" : " (no kernel symbols: /proc/kallsyms hides addresses)");
	printf("%-8s %-7s %-7s %-3s %s\n", "TIME", "PID", "TID", "CPU", "COMM");
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
	fprintf(stderr, "%lu samples\n", samples);

cleanup:
	ring_buffer__free(rb);
	for (int cpu = 0; cpu < ncpus && links && fds; cpu++) {
		bpf_link__destroy(links[cpu]);
		if (fds[cpu] >= 0)
			close(fds[cpu]);
	}
	free(links);
	free(fds);
	ksyms_free();
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
