// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: user space. Loads {{NAME}}.bpf.c through its libbpf skeleton,
 * attaches its classifiers to the ingress and egress tc hooks of one
 * interface with libbpf's bpf_tc_* API, prints one line per IP packet and
 * takes the classifiers (and the clsact qdisc, if it made it) away at exit. */
#include <argp.h>
#include <arpa/inet.h>
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
	bool ingress;
	bool egress;
	long duration;
	const char *ifname;
} env;

const char *argp_program_version = "{{NAME}} 0.1";
static const char doc[] =
	"Log the IP packets entering and leaving a network interface, with tc\n"
	"classifiers on its ingress and egress hooks.\n"
	"\n"
	"USAGE: {{NAME}} -i IFNAME [-v] [-d SECONDS] [--ingress | --egress]\n"
	"\n"
	"Prints one line per IPv4/IPv6 packet: time, direction, protocol, source\n"
	"and destination (with ports for TCP and UDP) and frame length.\n"
	"Needs root (or CAP_BPF and CAP_NET_ADMIN).";

enum { OPT_INGRESS = 0x100, OPT_EGRESS };

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFNAME", 0, "The network interface to watch (required)", 0 },
	{ "ingress", OPT_INGRESS, NULL, 0, "Only packets the interface receives", 0 },
	{ "egress", OPT_EGRESS, NULL, 0, "Only packets the interface sends", 0 },
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
	case OPT_INGRESS:
		env.ingress = true;
		break;
	case OPT_EGRESS:
		env.egress = true;
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
		if (!env.ifname)
			argp_error(state, "which interface? (-i IFNAME)");
		if (!env.ingress && !env.egress)
			env.ingress = env.egress = true;
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
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, NULL) != 1) {
		fprintf(stderr, "{{NAME}}: not allowed to load BPF programs: run as root "
				"(or with CAP_BPF and CAP_NET_ADMIN)\n");
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

/* Attaches prog_fd to one hook of the clsact qdisc as filter 1, priority 1. */
static int attach_filter(struct bpf_tc_hook *hook, enum bpf_tc_attach_point point, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = 1, .priority = 1, .prog_fd = prog_fd);

	hook->attach_point = point;
	return bpf_tc_attach(hook, &tc_opts);
}

/* Removes what attach_filter() added. */
static void detach_filter(struct bpf_tc_hook *hook, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = 1, .priority = 1);

	hook->attach_point = point;
	bpf_tc_detach(hook, &tc_opts);
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
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

/* "ADDR" or "ADDR:PORT" (IPv6: "[ADDR]:PORT"). */
static void format_endpoint(const struct event *e, const unsigned char *addr, unsigned short port,
			    char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(e->family == 4 ? AF_INET : AF_INET6, addr, ip, sizeof(ip));
	if (e->protocol != 6 && e->protocol != 17)
		snprintf(buf, len, "%s", ip);
	else if (e->family == 4)
		snprintf(buf, len, "%s:%u", ip, port);
	else
		snprintf(buf, len, "[%s]:%u", ip, port);
}

static int handle_event(void *ctx, void *data, size_t data_sz)
{
	const struct event *e = data;
	char ts[32], src[64], dst[64], pbuf[16];
	struct tm tm;
	time_t t;

	(void)ctx;
	if (data_sz < sizeof(*e))
		return 0;
	time(&t);
	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	format_endpoint(e, e->saddr, e->sport, src, sizeof(src));
	format_endpoint(e, e->daddr, e->dport, dst, sizeof(dst));
	printf("%-8s %-7s %-7s %s -> %s len %u\n", ts,
	       e->direction == DIR_INGRESS ? "ingress" : "egress",
	       proto_name(e->protocol, pbuf, sizeof(pbuf)), src, dst, e->len);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	LIBBPF_OPTS(bpf_tc_hook, hook);
	bool hook_created = false, in_attached = false, out_attached = false;
	struct ring_buffer *rb = NULL;
	struct {{NAME}}_bpf *skel;
	time_t deadline;
	int ifindex, err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(libbpf_print_fn);

	ifindex = (int)if_nametoindex(env.ifname);
	if (!ifindex) {
		fprintf(stderr, "{{NAME}}: no network interface named '%s'\n", env.ifname);
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

	/* The clsact qdisc holds both hooks. It may exist already (another tool's
	 * filters): then it stays when this tool exits. */
	hook.ifindex = ifindex;
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		if (err == -EPERM)
			fprintf(stderr, "{{NAME}}: not allowed to change %s's qdiscs: run as root "
					"(or with CAP_NET_ADMIN)\n", env.ifname);
		else if (err == -ENOENT || err == -EOPNOTSUPP)
			fprintf(stderr, "{{NAME}}: this kernel has no clsact qdisc "
					"(CONFIG_NET_SCH_INGRESS, Linux 4.5+)\n");
		else
			fprintf(stderr, "{{NAME}}: cannot add a clsact qdisc to %s: %s\n", env.ifname,
				strerror(-err));
		goto cleanup;
	}
	hook_created = !err;

	if (env.ingress) {
		err = attach_filter(&hook, BPF_TC_INGRESS, bpf_program__fd(skel->progs.tc_ingress));
		in_attached = !err;
	}
	if (!err && env.egress) {
		err = attach_filter(&hook, BPF_TC_EGRESS, bpf_program__fd(skel->progs.tc_egress));
		out_attached = !err;
	}
	if (err) {
		if (err == -EEXIST)
			fprintf(stderr, "{{NAME}}: %s already has a tc filter with handle 1, "
					"priority 1 (`tc filter show dev %s ingress` shows it)\n",
				env.ifname, env.ifname);
		else if (err == -ENOENT || err == -EOPNOTSUPP)
			fprintf(stderr, "{{NAME}}: this kernel has no BPF tc classifier "
					"(CONFIG_NET_CLS_BPF)\n");
		else
			fprintf(stderr, "{{NAME}}: cannot attach the tc filters to %s: %s\n",
				env.ifname, strerror(-err));
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

	fprintf(stderr, "Logging IP packets on %s (%s)... Hit Ctrl-C to end.\n", env.ifname,
		env.ingress && env.egress ? "ingress and egress" : env.ingress ? "ingress" : "egress");
	printf("%-8s %-7s %-7s %s\n", "TIME", "DIR", "PROTO", "SOURCE -> DESTINATION, LENGTH");
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
	/* tc filters are not links: they stay until removed, so remove them. */
	if (in_attached)
		detach_filter(&hook, BPF_TC_INGRESS);
	if (out_attached)
		detach_filter(&hook, BPF_TC_EGRESS);
	if (hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	ring_buffer__free(rb);
	{{NAME}}_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
