// SPDX-License-Identifier: GPL-2.0
/* xdpcount: count the packets an interface receives per source address, with
 * XDP: the top talkers. User space: attaches xdpcount.bpf.c to the
 * interface, waits, prints the busiest sources at exit. */
#include <argp.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include <bpfpack.h>
#include "xdpcount.h"
#include "xdpcount.skel.h"
#include "trace_helpers.h"

static struct env {
	long duration;
	long top;
	const char *ifname;
} env = {
	.top = 10,
};

const char *argp_program_version = "xdpcount 0.1";
static const char doc[] =
	"Count the IP packets a network interface receives per source address.\n"
	"\n"
	"USAGE: xdpcount -i IFNAME [-v] [-d SECONDS] [-n TOP]\n"
	"\n"
	"At exit, prints the TOP sources (default 10) by packets: address, packets\n"
	"and bytes.";

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFNAME", 0, "The network interface (required)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug log", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS seconds", 0 },
	{ "top", 'n', "TOP", 0, "How many sources to print (default 10)", 0 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'i':
		env.ifname = arg;
		break;
	case 'v':
		trace_verbose = true;
		break;
	case 'd':
		env.duration = trace_parse_positive(arg, state, "duration", 0x7fffffff);
		break;
	case 'n':
		env.top = trace_parse_positive(arg, state, "count", 1000000);
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

struct row {
	struct source src;
	struct counter total;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->total.packets != y->total.packets)
		return x->total.packets < y->total.packets ? 1 : -1;
	return memcmp(&x->src, &y->src, sizeof(x->src));
}

/* Walks the per-CPU hash, sums each source over the CPUs, prints the top. */
static int print_top(struct xdpcount_bpf *skel)
{
	struct bpf_map *map = skel->maps.sources;
	int ncpus = libbpf_num_possible_cpus();
	struct counter *percpu = NULL;
	struct source key, prev;
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	bool first = true;
	int err;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	while ((err = bpf_map__get_next_key(map, first ? NULL : &prev, &key, sizeof(key))) == 0) {
		first = false;
		prev = key;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), percpu, ncpus * sizeof(*percpu), 0))
			continue;
		if (n == cap) {
			struct row *more;

			cap = cap ? cap * 2 : 256;
			more = realloc(rows, cap * sizeof(*rows));
			if (!more) {
				err = -ENOMEM;
				break;
			}
			rows = more;
		}
		rows[n].src = key;
		memset(&rows[n].total, 0, sizeof(rows[n].total));
		for (int cpu = 0; cpu < ncpus; cpu++) {
			rows[n].total.packets += percpu[cpu].packets;
			rows[n].total.bytes += percpu[cpu].bytes;
		}
		n++;
	}
	if (err == -ENOENT) {
		err = 0;
		qsort(rows, n, sizeof(*rows), row_cmp);
		printf("%-40s %12s %14s\n", "SOURCE", "PACKETS", "BYTES");
		for (size_t i = 0; i < n && i < (size_t)env.top; i++) {
			char addr[48];

			trace_format_addr(rows[i].src.family == 4 ? AF_INET : AF_INET6,
					  rows[i].src.addr, addr, sizeof(addr));
			printf("%-40s %12llu %14llu\n", addr, rows[i].total.packets,
			       rows[i].total.bytes);
		}
		fflush(stdout);
	} else {
		fprintf(stderr, "xdpcount: cannot walk the counters: %s\n", strerror(-err));
	}
	free(rows);
	free(percpu);
	return err;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct xdpcount_bpf *skel;
	unsigned int ifindex;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;
	libbpf_set_print(trace_libbpf_print);

	ifindex = if_nametoindex(env.ifname);
	if (!ifindex) {
		fprintf(stderr, "xdpcount: no network interface named '%s'\n", env.ifname);
		return 1;
	}

	/* The kernel's own BTF, or BTF this binary carries for kernels without it. */
	if (bpfpack_btf_setup(&open_opts, "xdpcount", trace_verbose))
		return 1;
	skel = xdpcount_bpf__open_opts(&open_opts);
	if (!skel) {
		fprintf(stderr, "xdpcount: failed to open the BPF object: %s\n", strerror(errno));
		bpfpack_btf_cleanup();
		return 1;
	}
	err = xdpcount_bpf__load(skel);
	if (err) {
		trace_explain_load_error("xdpcount", err, BPF_PROG_TYPE_XDP, open_opts.btf_custom_path,
					 false);
		goto cleanup;
	}
	/* libbpf has read the BTF: free what the fallback holds (the memfd). */
	bpfpack_btf_cleanup();
	/* A link: the program leaves the interface when this process ends. */
	skel->links.count_sources = bpf_program__attach_xdp(skel->progs.count_sources, ifindex);
	if (!skel->links.count_sources) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			fprintf(stderr, "xdpcount: %s already has an XDP program\n", env.ifname);
		else if (err == -EINVAL)
			fprintf(stderr, "xdpcount: this kernel cannot attach XDP through a BPF link "
					"(needs Linux 5.9+)\n");
		else
			fprintf(stderr, "xdpcount: failed to attach XDP to %s: %s\n", env.ifname,
				strerror(-err));
		goto cleanup;
	}

	trace_install_signals();
	fprintf(stderr, "Counting packets received on %s by source... Hit Ctrl-C to end.\n",
		env.ifname);
	trace_wait(env.duration);
	err = print_top(skel);

cleanup:
	xdpcount_bpf__destroy(skel);
	bpfpack_btf_cleanup();
	return err < 0 ? 1 : 0;
}
