// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton with
 * the PID to protect, attaches it to the LSM hook task_kill and prints one
 * line per signal it refused. The protection ends when this tool exits. */
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
	long duration;
	int pid;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Protect a process from signals sent by other processes, with a BPF LSM\n"
	"program on the task_kill hook.\n"
	"\n"
	"USAGE: {{NAME}} -p PID [-v] [-d SECONDS]\n"
	"\n"
	"While it runs, every signal (SIGTERM, SIGKILL, ...) another process sends to\n"
	"PID fails with EPERM; one line per refusal: time, sender PID and command,\n"
	"signal and target. Signals from the process to itself and from the kernel\n"
	"(SIGSEGV, SIGPIPE, ...) are not affected.\n"
	"Needs root (or CAP_BPF, CAP_PERFMON and CAP_MAC_ADMIN) and a kernel booted\n"
	"with the BPF LSM (lsm=...,bpf).";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "The process to protect (required)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop protecting after SECONDS seconds", 0 },
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
	case 'p':
		env.pid = (int)parse_positive(arg, state, "PID");
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'd':
		env.duration = parse_positive(arg, state, "duration");
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	case ARGP_KEY_END:
		if (!env.pid)
			argp_error(state, "which process? (-p PID)");
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

/* 1 if the list of active LSMs names bpf, 0 if it does not, -1 if the list
 * cannot be read (securityfs not mounted). */
static int bpf_lsm_active(void)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	char list[512] = "";
	int found = 0;

	if (!f)
		return -1;
	if (fgets(list, sizeof(list), f))
		for (char *tok = strtok(list, ",\n"); tok; tok = strtok(NULL, ",\n"))
			found |= !strcmp(tok, "bpf");
	fclose(f);
	return found;
}

/* One line saying why the BPF object did not load (or attach): no permission,
 * or which kernel feature is missing.
 * The kernel's own BTF is checked even when this binary carries BTF for
 * it: the kernel checks LSM programs against its own BTF, which
 * embedded BTF cannot stand in for. */
static void explain_load_error(int err)
{
	char msg[128];

	if ((err == -EPERM || err == -EACCES) && !bpf_allowed()) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF, CAP_PERFMON and CAP_MAC_ADMIN)\n");
	} else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "{{NAME}}: this kernel has no BTF (/sys/kernel/btf/vmlinux, "
				"CONFIG_DEBUG_INFO_BTF), which LSM programs need\n");
	} else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LSM, NULL) != 1) {
		fprintf(stderr, "{{NAME}}: this kernel refuses BPF LSM programs (needs Linux "
				"5.7+, CONFIG_BPF_LSM=y and 'bpf' in the lsm= boot parameter)\n");
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
	printf("%-8s %-7d %-16s %-4d %d\n", ts, e->pid, e->comm, e->sig, e->target);
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

	if (kill(env.pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "{{NAME}}: no process with PID %d\n", env.pid);
		return 1;
	}
	/* A kernel built with the BPF LSM but booted without it loads and
	 * attaches LSM programs, then never runs them: refuse to pretend. */
	if (bpf_lsm_active() == 0) {
		fprintf(stderr, "{{NAME}}: the BPF LSM is not active: boot with 'bpf' in the "
				"lsm= list (see /sys/kernel/security/lsm)\n");
		return 1;
	}

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (bpfpack_btf_setup(&open_opts, "{{NAME}}", env.verbose))
		return 1;
	skel = {{NAME}}_bpf__open_opts(&open_opts);
	if (!skel) {
		fprintf(stderr, "{{NAME}}: failed to open the BPF object: %s\n", strerror(errno));
		bpfpack_btf_cleanup();
		return 1;
	}
	skel->rodata->protected_pid = env.pid;

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	err = {{NAME}}_bpf__attach(skel);
	if (err) {
		/* Some kernels load LSM programs but refuse to attach them when the
		 * BPF LSM is not active. */
		explain_load_error(err);
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

	fprintf(stderr, "Protecting PID %d from signals... Hit Ctrl-C to end.\n", env.pid);
	printf("%-8s %-7s %-16s %-4s %s\n", "TIME", "PID", "COMM", "SIG", "TARGET");
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
