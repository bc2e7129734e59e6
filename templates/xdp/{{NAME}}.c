// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches the XDP program to one interface and prints the packets and bytes
 * received per protocol: every -I seconds and at exit. */
#include <argp.h>
#include <errno.h>
#include <net/if.h>
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
	long interval;
	const char *ifname;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Count the packets arriving on a network interface per protocol, with XDP.\n"
	"\n"
	"USAGE: {{NAME}} -i IFNAME [-v] [-d SECONDS] [-I SECONDS]\n"
	"\n"
	"Prints, at exit (and every -I seconds), one line per protocol seen: the\n"
	"IP protocol (or non-IP), packets and bytes received. Only incoming\n"
	"traffic: XDP runs before the kernel's network stack.\n"
	"Needs root (or CAP_BPF and CAP_NET_ADMIN).";

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFNAME", 0, "The network interface to count on (required)", 0 },
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
	case 'i':
		env.ifname = arg;
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
	case ARGP_KEY_END:
		if (!env.ifname)
			argp_error(state, "which interface? (-i IFNAME)");
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
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1) {
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

static const char *proto_name(unsigned int slot, char *buf, size_t len)
{
	switch (slot) {
	case 0: return "HOPOPT";
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 4: return "IPIP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 41: return "IPv6-in-IP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 58: return "ICMPv6";
	case 132: return "SCTP";
	case SLOT_NON_IP: return "non-IP";
	}
	snprintf(buf, len, "proto-%u", slot);
	return buf;
}

/* Sums every CPU's counters and prints the protocols seen so far. */
static int print_counts(struct {{NAME}}_bpf *skel, int ncpus)
{
	struct counter *percpu = calloc(ncpus, sizeof(*percpu));
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	printf("%-12s %12s %14s\n", "PROTO", "PACKETS", "BYTES");
	for (__u32 slot = 0; slot < NR_SLOTS; slot++) {
		struct counter sum = { 0 };
		char buf[sizeof("proto-4294967295")];

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
			printf("%-12s %12llu %14llu\n", proto_name(slot, buf, sizeof(buf)), sum.packets,
			       sum.bytes);
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
	struct {{NAME}}_bpf *skel;
	time_t deadline, next_print;
	unsigned int ifindex;
	int ncpus, err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);

	ifindex = if_nametoindex(env.ifname);
	if (!ifindex) {
		fprintf(stderr, "{{NAME}}: no network interface named '%s'\n", env.ifname);
		return 1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		fprintf(stderr, "{{NAME}}: cannot count the CPUs: %s\n", strerror(-ncpus));
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

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	/* A link: the program leaves the interface when this process ends, even
	 * if it is killed. The skeleton destroys it with itself. */
	skel->links.count_packets = bpf_program__attach_xdp(skel->progs.count_packets, ifindex);
	if (!skel->links.count_packets) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			fprintf(stderr, "{{NAME}}: %s already has an XDP program "
					"(`ip link show dev %s` shows it)\n", env.ifname, env.ifname);
		else if (err == -EINVAL)
			fprintf(stderr, "{{NAME}}: this kernel cannot attach XDP through a BPF link "
					"(needs Linux 5.9+)\n");
		else if (err == -EOPNOTSUPP)
			fprintf(stderr, "{{NAME}}: %s supports no XDP program\n", env.ifname);
		else if (err == -EPERM)
			fprintf(stderr, "{{NAME}}: not allowed to attach XDP to %s: run as root "
					"(or with CAP_NET_ADMIN)\n", env.ifname);
		else
			fprintf(stderr, "{{NAME}}: failed to attach XDP to %s: %s\n", env.ifname,
				strerror(-err));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	fprintf(stderr, "Counting packets received on %s (ifindex %u)... Hit Ctrl-C to end.\n",
		env.ifname, ifindex);

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
	return err < 0 ? 1 : 0;
}
