/* trace_helpers: what the example tools share in user space: the
 * open/load/attach sequence every tool runs (struct trace_tool), libbpf's log
 * behind -v, SIGINT/SIGTERM handling, the poll loop with a -d deadline, one
 * line explaining a failed load, tracepoint detection, log2 histograms,
 * address formatting and argp number parsing. Linked into every tool of the
 * project (bpfpack links every non-tool .c file into each tool): the helper
 * convention, a plain .c file beside the tools, nothing to declare. */
#ifndef TRACE_HELPERS_H
#define TRACE_HELPERS_H

#include <argp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

/* One tool's way from its skeleton to running BPF programs. A tool fills in
 * what it is, then:
 *
 *	struct trace_tool t = { .name = "execsnoop", .prog_type = BPF_PROG_TYPE_TRACEPOINT,
 *				.needs_ringbuf = true, .attach_what = "..." };
 *	if (trace_tool_begin(&t))
 *		return 1;
 *	skel = execsnoop_bpf__open_opts(&t.open_opts);
 *	if (!trace_tool_opened(&t, skel))
 *		return 1;
 *	skel->rodata->... = ...;	(settings before load)
 *	err = trace_tool_load_attach(&t, skel->skeleton);
 *	...
 *	execsnoop_bpf__destroy(skel);
 *	trace_tool_end(&t);
 *
 * The helpers work on the generic bpf_object_skeleton every bpftool skeleton
 * carries, so the tool keeps its typed skeleton for maps and rodata. Each
 * failure is one line on stderr, prefixed with the tool's name. */
struct trace_tool {
	const char *name;		/* "execsnoop": prefixes every message */
	enum bpf_prog_type prog_type;	/* what a failed load is explained for */
	bool needs_ringbuf;		/* a failed load may mean no ring buffer */
	bool no_core;			/* no CO-RE: kernel BTF is not needed */
	const char *attach_what;	/* what a failed attach names */
	struct bpf_object_open_opts open_opts;	/* set by trace_tool_begin() */
};

/* libbpf's log behind -v, and the BTF to relocate against: the kernel's own,
 * or the one this binary carries for kernels without it. 0, or -1 after one
 * line. */
int trace_tool_begin(struct trace_tool *t);
/* Whether the skeleton SKEL (X__open_opts()'s result) opened; if not, says so
 * and releases what trace_tool_begin() took. */
bool trace_tool_opened(struct trace_tool *t, const void *skel);
/* Loads the programs of S (SKEL->skeleton): 0, or a negative errno after one
 * line explaining why (permission, kernel BTF, ring buffer, libbpf). Once
 * loaded, libbpf has read the BTF: what the embedded fallback held (its
 * memfd) is freed right away. */
int trace_tool_load(struct trace_tool *t, struct bpf_object_skeleton *s);
/* trace_tool_load(), then attaches every program the skeleton attaches;
 * a failure names T's attach_what. */
int trace_tool_load_attach(struct trace_tool *t, struct bpf_object_skeleton *s);
/* A ring buffer on MAP calling FN per record; NULL (errno set) after one line. */
struct ring_buffer *trace_tool_ring_buffer(struct trace_tool *t, struct bpf_map *map,
					   ring_buffer_sample_fn fn);
/* Releases what trace_tool_begin() took (after the skeleton is destroyed). */
void trace_tool_end(struct trace_tool *t);

/* Set by -v: libbpf's own messages (debug included) go to stderr. */
extern bool trace_verbose;
/* Set by SIGINT/SIGTERM once trace_install_signals() ran. */
extern volatile sig_atomic_t trace_exiting;

/* libbpf print callback: silent unless trace_verbose, so that a failure is
 * the one line the tool prints. Pass it to libbpf_set_print(). */
int trace_libbpf_print(enum libbpf_print_level level, const char *format, va_list args);

/* SIGINT and SIGTERM set trace_exiting instead of killing the tool, so it
 * detaches and prints its summary. */
void trace_install_signals(void);

/* argp helper: ARG as a number in 1..max, or an argp_error naming WHAT. */
long trace_parse_positive(const char *arg, struct argp_state *state, const char *what, long max);

/* Prints one line on stderr saying why a skeleton failed to load: no
 * permission to load programs of TYPE, no kernel BTF (when BTF_PATH is NULL,
 * i.e. CO-RE relocates against the kernel's own), no BPF ring buffer when
 * NEEDS_RINGBUF, or libbpf's error. TOOL prefixes the line. */
void trace_explain_load_error(const char *tool, int err, enum bpf_prog_type type,
			      const char *btf_path, bool needs_ringbuf);

/* Polls RB until SIGINT/SIGTERM or, when DURATION > 0, until DURATION seconds
 * passed. Returns 0, or a negative errno after printing one line. */
int trace_poll_ring_buffer(const char *tool, struct ring_buffer *rb, long duration);

/* Sleeps until SIGINT/SIGTERM or, when DURATION > 0, until DURATION seconds
 * passed (for tools that aggregate in maps and print at the end). */
void trace_wait(long duration);

/* "HH:MM:SS" local time, for the first column of event lines. */
void trace_time_str(char *buf, size_t len);

/* Whether tracefs has the tracepoint CATEGORY:EVENT (some exist only on
 * some architectures, e.g. syscalls:sys_enter_open). */
bool trace_tracepoint_exists(const char *category, const char *event);

/* Prints a log2 histogram as bcc's tools do: one line per bucket up to the
 * last non-empty one ("low -> high : count |****|"), bars scaled to the
 * largest. UNIT names the values ("usecs"). */
void trace_print_log2_hist(const unsigned int *slots, int nr, const char *unit);

/* FAMILY (AF_INET or AF_INET6) address ADDR as text in BUF; returns BUF. */
const char *trace_format_addr(int family, const void *addr, char *buf, size_t len);

#endif /* TRACE_HELPERS_H */
