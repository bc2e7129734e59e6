// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* execlog: a tool in plain libbpf style (libbpf-bootstrap's shape): its own
 * main(), the skeleton opened with NAME__open(), no bpfpack API at all.
 * Built by bpfpack, it still runs on kernels without BTF when built with
 * --btf: the runtime wraps libbpf's open functions at link time. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "execlog.h"
#include "execlog.skel.h"

static volatile sig_atomic_t exiting;
static int verbose;

static int libbpf_print_fn(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

static int handle_event(void *ctx, void *data, size_t data_sz)
{
	const struct event *e = data;

	(void)ctx;
	(void)data_sz;
	printf("EXEC %-7d %-7d %-16s %s\n", e->pid, e->ppid, e->comm, e->filename);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct execlog_bpf *skel;
	time_t end = 0;
	int opt, err;

	while ((opt = getopt(argc, argv, "vd:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'd':
			end = time(NULL) + atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-d SECONDS]\n", argv[0]);
			return 2;
		}
	}
	libbpf_set_print(libbpf_print_fn);
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	skel = execlog_bpf__open();
	if (!skel) {
		fprintf(stderr, "Failed to open BPF skeleton\n");
		return 1;
	}
	err = execlog_bpf__load(skel);
	if (err) {
		fprintf(stderr, "Failed to load and verify BPF skeleton\n");
		goto cleanup;
	}
	err = execlog_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "Failed to attach BPF skeleton\n");
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle_event, NULL, NULL);
	if (!rb) {
		err = -1;
		fprintf(stderr, "Failed to create ring buffer\n");
		goto cleanup;
	}
	printf("%-4s %-7s %-7s %-16s %s\n", "EVT", "PID", "PPID", "COMM", "FILENAME");
	fflush(stdout);
	while (!exiting && (!end || time(NULL) < end)) {
		err = ring_buffer__poll(rb, 100);
		if (err == -EINTR) {
			err = 0;
			break;
		}
		if (err < 0) {
			fprintf(stderr, "Error polling ring buffer: %d\n", err);
			break;
		}
		err = 0;
	}
cleanup:
	ring_buffer__free(rb);
	execlog_bpf__destroy(skel);
	return err < 0 ? -err : err;
}
