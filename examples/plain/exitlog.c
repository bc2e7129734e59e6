// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exitlog: a hand-written loader in plain libbpf style, no skeleton and no
 * bpfpack API: it opens the compiled BPF object from a file with
 * bpf_object__open_file(), finds its program and map by name, and attaches.
 * The object is FILE of -o, else .output/exitlog.bpf.o beside the binary. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "exitlog.h"

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
	printf("EXIT %-7d %-16s %d\n", e->pid, e->comm, e->exit_code);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX + 64], self[PATH_MAX];
	const char *obj_path = NULL;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	struct ring_buffer *rb = NULL;
	time_t end = 0;
	int opt, err;
	ssize_t n;

	while ((opt = getopt(argc, argv, "vd:o:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'd':
			end = time(NULL) + atoi(optarg);
			break;
		case 'o':
			obj_path = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-d SECONDS] [-o OBJECT.bpf.o]\n", argv[0]);
			return 2;
		}
	}
	if (!obj_path) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			fprintf(stderr, "cannot find my own binary: %s\n", strerror(errno));
			return 1;
		}
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/.output/exitlog.bpf.o", dirname(self));
		obj_path = path;
	}
	libbpf_set_print(libbpf_print_fn);
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		fprintf(stderr, "Failed to open %s: %s\n", obj_path, strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "Failed to load %s: %d\n", obj_path, err);
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(obj, "handle_exit");
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		err = -1;
		fprintf(stderr, "Failed to attach handle_exit\n");
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "rb"), handle_event, NULL, NULL);
	if (!rb) {
		err = -1;
		fprintf(stderr, "Failed to create ring buffer\n");
		goto cleanup;
	}
	printf("%-4s %-7s %-16s %s\n", "EVT", "PID", "COMM", "CODE");
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
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err < 0 ? -err : err;
}
