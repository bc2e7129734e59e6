// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches its programs to the ingress and egress hooks of one cgroup (v2) and
 * prints the packets and bytes per direction and protocol: every -I seconds
 * and at exit. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mntent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "{{NAME}}.h"
#include "{{NAME}}.skel.h"

static struct env {
	bool verbose;
	long duration;
	long interval;
	const char *cgroup;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Meter the network traffic of a cgroup, per direction and protocol.\n"
	"\n"
	"USAGE: {{NAME}} [-v] [-d SECONDS] [-I SECONDS] [-c CGROUP]\n"
	"\n"
	"Prints, at exit (and every -I seconds), one line per direction and IP\n"
	"protocol seen: packets and bytes that the sockets of processes in CGROUP\n"
	"(a cgroup v2 directory, e.g. /sys/fs/cgroup/system.slice/ssh.service;\n"
	"default: the root, every process) received and sent.\n"
	"Needs root (or CAP_BPF and CAP_NET_ADMIN).";

static const struct argp_option opts[] = {
	{ "cgroup", 'c', "CGROUP", 0, "The cgroup v2 directory (default: the root)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "interval", 'I', "SECONDS", 0, "Also print the counts every SECONDS seconds", 0 },
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
	case 'c':
		env.cgroup = arg;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'd':
		env.duration = parse_positive(arg, state, "duration");
		break;
	case 'I':
		env.interval = parse_positive(arg, state, "interval");
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

/* One line saying why the BPF object did not load: no permission, or which
 * kernel feature is missing. */
static void explain_load_error(int err)
{
	char msg[128];

	if ((err == -EPERM || err == -EACCES) &&
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, NULL) != 1) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_NET_ADMIN)\n");
	} else if (err == -EACCES) {	/* allowed to load: the verifier said no */
		fprintf(stderr, "{{NAME}}: the kernel's verifier rejected the BPF program: "
				"rerun with -v for its log\n");
	} else {
		libbpf_strerror(err, msg, sizeof(msg));
		fprintf(stderr, "{{NAME}}: failed to load the BPF program: %s "
				"(run with -v for libbpf's log)\n", msg);
	}
}

/* Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on hybrid systems), or NULL. Caller frees. */
static char *cgroup2_root(void)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	char *root = NULL;

	if (!f)
		return NULL;
	while (!root && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2"))
			root = strdup(m->mnt_dir);
	endmntent(f);
	return root;
}

static const char *proto_name(unsigned int proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "ICMPv6";
	}
	snprintf(buf, len, "proto-%u", proto);
	return buf;
}

/* Sums every CPU's counters and prints the slots that saw traffic. */
static int print_counts(struct {{NAME}}_bpf *skel, int ncpus)
{
	struct counter *percpu = calloc(ncpus, sizeof(*percpu));
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	printf("%-8s %-8s %12s %14s\n", "DIR", "PROTO", "PACKETS", "BYTES");
	for (__u32 slot = 0; slot < NR_SLOTS; slot++) {
		struct counter sum = { 0 };
		char buf[16];

		err = bpf_map__lookup_elem(skel->maps.counters, &slot, sizeof(slot), percpu,
					   ncpus * sizeof(*percpu), 0);
		if (err) {
			fprintf(stderr, "{{NAME}}: cannot read the counters: %s\n", strerror(-err));
			break;
		}
		for (int cpu = 0; cpu < ncpus; cpu++) {
			sum.packets += percpu[cpu].packets;
			sum.bytes += percpu[cpu].bytes;
		}
		if (sum.packets)
			printf("%-8s %-8s %12llu %14llu\n",
			       slot / NR_PROTOS == DIR_INGRESS ? "ingress" : "egress",
			       proto_name(slot % NR_PROTOS, buf, sizeof(buf)), sum.packets, sum.bytes);
	}
	fflush(stdout);
	free(percpu);
	return err;
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
	struct {{NAME}}_bpf *skel = NULL;
	time_t deadline, next_print;
	char *root = NULL;
	int cgfd = -1, ncpus, err;
	struct statfs sfs;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);

	if (!env.cgroup) {
		root = cgroup2_root();
		if (!root) {
			fprintf(stderr, "{{NAME}}: no cgroup v2 hierarchy is mounted "
					"(mount -t cgroup2 none /sys/fs/cgroup)\n");
			return 1;
		}
		env.cgroup = root;
	}
	cgfd = open(env.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		fprintf(stderr, "{{NAME}}: cannot open cgroup %s: %s\n", env.cgroup, strerror(errno));
		err = -errno;
		goto cleanup;
	}
	if (fstatfs(cgfd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr, "{{NAME}}: %s is not a cgroup v2 directory\n", env.cgroup);
		err = -EINVAL;
		goto cleanup;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		err = ncpus;
		fprintf(stderr, "{{NAME}}: cannot count the CPUs: %s\n", strerror(-err));
		goto cleanup;
	}

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (bpfpack_btf_setup(&open_opts, "{{NAME}}", env.verbose))
		return 1;
	skel = {{NAME}}_bpf__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		fprintf(stderr, "{{NAME}}: failed to open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	/* Links: the programs leave the cgroup when this process ends, even if it
	 * is killed, and other programs attached there keep running. */
	skel->links.count_ingress = bpf_program__attach_cgroup(skel->progs.count_ingress, cgfd);
	if (skel->links.count_ingress)
		skel->links.count_egress = bpf_program__attach_cgroup(skel->progs.count_egress, cgfd);
	if (!skel->links.count_ingress || !skel->links.count_egress) {
		err = -errno;
		if (err == -EPERM)
			fprintf(stderr, "{{NAME}}: not allowed to attach to cgroup %s: run as root "
					"(or with CAP_NET_ADMIN)\n", env.cgroup);
		else if (err == -EINVAL)
			fprintf(stderr, "{{NAME}}: this kernel cannot attach cgroup programs through "
					"BPF links (needs Linux 5.7+)\n");
		else
			fprintf(stderr, "{{NAME}}: failed to attach to cgroup %s: %s\n", env.cgroup,
				strerror(-err));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	fprintf(stderr, "Counting the traffic of cgroup %s... Hit Ctrl-C to end.\n", env.cgroup);

	deadline = env.duration ? time(NULL) + env.duration : 0;
	next_print = env.interval ? time(NULL) + env.interval : 0;
	while (!exiting) {
		usleep(100 * 1000);
		if (deadline && time(NULL) >= deadline)
			break;
		if (next_print && time(NULL) >= next_print) {
			char ts[32];
			struct tm tm;
			time_t t = time(NULL);

			localtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
			printf("%s\n", ts);
			err = print_counts(skel, ncpus);
			if (err)
				goto cleanup;
			next_print += env.interval;
		}
	}
	err = print_counts(skel, ncpus);

cleanup:
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	if (cgfd >= 0)
		close(cgfd);
	free(root);
	return err < 0 ? 1 : 0;
}
