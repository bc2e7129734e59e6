// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches its socket filter to a raw packet socket (SO_ATTACH_BPF), reads the
 * packets the filter passes and prints one line per packet: direction,
 * interface, protocol, addresses and ports. */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "{{NAME}}.h"
#include "{{NAME}}.skel.h"

static struct env {
	bool verbose;
	long duration;
	int port;
	const char *ifname;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Capture TCP and UDP packets with a BPF socket filter on a packet socket.\n"
	"\n"
	"USAGE: {{NAME}} [-v] [-d SECONDS] [-i IFNAME] [-P PORT]\n"
	"\n"
	"Prints one line per packet the filter passes: time, direction (in/out),\n"
	"interface, protocol, source and destination, and length; at exit, how many\n"
	"packets the filter saw and passed. The filter runs in the kernel: packets\n"
	"it rejects are never copied to this process.\n"
	"Needs root (or CAP_BPF and CAP_NET_RAW).";

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFNAME", 0, "Only this network interface (default: all)", 0 },
	{ "port", 'P', "PORT", 0, "Only packets from or to this TCP/UDP port", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
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
	case 'P':
		env.port = (int)parse_positive(arg, state, "port");
		if (env.port > 65535)
			argp_error(state, "invalid port: %s", arg);
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
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, NULL) != 1) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_NET_RAW)\n");
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

/* Prints one captured frame (Ethernet header first). The filter only passes
 * IPv4/IPv6 TCP/UDP packets, so that is all this decodes. */
static void print_packet(const unsigned char *pkt, size_t len, const struct sockaddr_ll *from)
{
	char ts[32], ifname[IF_NAMESIZE] = "?", src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	unsigned short sport, dport, ethertype;
	const unsigned char *l4;
	unsigned char proto;
	struct tm tm;
	time_t t;
	int v6;

	if (len < ETH_HLEN + 20)
		return;
	ethertype = (unsigned short)(pkt[12] << 8 | pkt[13]);
	v6 = ethertype == ETH_P_IPV6;
	if (v6) {
		if (len < ETH_HLEN + 40 + 4)
			return;
		proto = pkt[ETH_HLEN + 6];
		inet_ntop(AF_INET6, pkt + ETH_HLEN + 8, src, sizeof(src));
		inet_ntop(AF_INET6, pkt + ETH_HLEN + 24, dst, sizeof(dst));
		l4 = pkt + ETH_HLEN + 40;
	} else {
		size_t ihl = (pkt[ETH_HLEN] & 0xf) * 4;

		if (len < ETH_HLEN + ihl + 4)
			return;
		proto = pkt[ETH_HLEN + 9];
		inet_ntop(AF_INET, pkt + ETH_HLEN + 12, src, sizeof(src));
		inet_ntop(AF_INET, pkt + ETH_HLEN + 16, dst, sizeof(dst));
		l4 = pkt + ETH_HLEN + ihl;
	}
	sport = (unsigned short)(l4[0] << 8 | l4[1]);
	dport = (unsigned short)(l4[2] << 8 | l4[3]);
	if_indextoname(from->sll_ifindex, ifname);
	time(&t);
	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	printf(v6 ? "%-8s %-3s %-10s %-4s [%s]:%u -> [%s]:%u len %zu\n"
		  : "%-8s %-3s %-10s %-4s %s:%u -> %s:%u len %zu\n",
	       ts, from->sll_pkttype == PACKET_OUTGOING ? "out" : "in", ifname,
	       proto == IPPROTO_TCP ? "TCP" : "UDP", src, sport, dst, dport, len);
	fflush(stdout);
}

/* Sums the filter's per-CPU counters. */
static int read_stats(struct {{NAME}}_bpf *skel, struct stats *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct stats *percpu;
	__u32 zero = 0;
	int err;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map__lookup_elem(skel->maps.stats, &zero, sizeof(zero), percpu,
				   ncpus * sizeof(*percpu), 0);
	memset(sum, 0, sizeof(*sum));
	for (int cpu = 0; !err && cpu < ncpus; cpu++) {
		sum->seen += percpu[cpu].seen;
		sum->matched += percpu[cpu].matched;
	}
	free(percpu);
	return err;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	static unsigned char pkt[65536];
	struct {{NAME}}_bpf *skel;
	int sock = -1, prog_fd, err;
	struct stats st;
	time_t deadline;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);

	if (env.ifname) {
		sll.sll_ifindex = (int)if_nametoindex(env.ifname);
		if (!sll.sll_ifindex) {
			fprintf(stderr, "{{NAME}}: no network interface named '%s'\n", env.ifname);
			return 1;
		}
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
	skel->rodata->targ_port = (__u16)env.port;

	err = {{NAME}}_bpf__load(skel);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();

	/* Protocol 0: the socket receives nothing until bind() names one, so no
	 * packet gets queued before the filter is in place. */
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		err = -errno;
		if (err == -EPERM || err == -EACCES)
			fprintf(stderr, "{{NAME}}: not allowed to open a packet socket: run as root "
					"(or with CAP_NET_RAW)\n");
		else
			fprintf(stderr, "{{NAME}}: cannot open a packet socket (CONFIG_PACKET): %s\n",
				strerror(-err));
		goto cleanup;
	}
	prog_fd = bpf_program__fd(skel->progs.port_filter);
	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) < 0) {
		err = -errno;
		fprintf(stderr, "{{NAME}}: cannot attach the socket filter: %s\n", strerror(-err));
		goto cleanup;
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	if (bind(sock, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = -errno;
		fprintf(stderr, "{{NAME}}: cannot bind the packet socket: %s\n", strerror(-err));
		goto cleanup;
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	if (env.port)
		fprintf(stderr, "Capturing TCP/UDP port %d on %s... Hit Ctrl-C to end.\n", env.port,
			env.ifname ? env.ifname : "every interface");
	else
		fprintf(stderr, "Capturing TCP/UDP on %s... Hit Ctrl-C to end.\n",
			env.ifname ? env.ifname : "every interface");
	printf("%-8s %-3s %-10s %-4s %s\n", "TIME", "DIR", "IFACE", "PROTO",
	       "SOURCE -> DESTINATION, LENGTH");
	fflush(stdout);

	deadline = env.duration ? time(NULL) + env.duration : 0;
	while (!exiting) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		if (deadline && time(NULL) >= deadline)
			break;
		if (poll(&pfd, 1, 100 /* ms */) <= 0)
			continue;	/* a timeout, or EINTR from a signal */
		n = recvfrom(sock, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			err = -errno;
			fprintf(stderr, "{{NAME}}: reading the packet socket failed: %s\n",
				strerror(-err));
			goto cleanup;
		}
		print_packet(pkt, (size_t)n, &from);
	}
	err = read_stats(skel, &st);
	if (err)
		fprintf(stderr, "{{NAME}}: cannot read the filter's counters: %s\n", strerror(-err));
	else
		printf("%llu packets seen, %llu passed the filter\n", st.seen, st.matched);

cleanup:
	if (sock >= 0)
		close(sock);
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
