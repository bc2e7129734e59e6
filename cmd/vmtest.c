/* vmtest: `bpfpack vmtest --kernel K [...] -- CMD [ARGS]` runs a command as
 * root in a qemu VM on each given kernel and reports, per kernel, its release,
 * whether it has BTF, the command's exit status and the time it took.
 *
 * The library does the parts: vm_kernel (what to boot), vm_rootfs +
 * initramfs (the guest's files), vm_guest (its /init and the channel it
 * reports through), vm (the qemu process). This file parses the flags, runs
 * up to -j VMs at once with a deadline each, passes the command's output on,
 * and prints the summary. Every VM is killed at its timeout or when bpfpack
 * is interrupted; the temp directory is removed (with -v, the logs are kept).
 *
 * The machine follows the kernels: x86_64 kernels boot in
 * qemu-system-x86_64, arm64 kernels in qemu-system-aarch64 (--arch says which
 * when no kernel can, and refuses kernels of another arch). All kernels of one
 * run share an arch, since they share one initramfs. An arm64 guest needs an
 * arm64 busybox: $BUSYBOX_ARM64 (the program or its busybox-static .deb),
 * else the newest busybox-static_*_arm64.deb in bpfpack's cache or apt's
 * archive cache, whose bin/busybox is extracted for the run. Images made from
 * kernel packages are kept in bpfpack's cache (vm_kernel) for the next run. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cmd.h"
#include "../btfhub/btfgen.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/report.h"
#include "../lib/toolchain.h"
#include "../lib/vm.h"
#include "../lib/vm_guest.h"
#include "../lib/vm_kernel.h"
#include "../lib/vm_modules.h"
#include "../lib/vm_rootfs.h"

#define DEFAULT_TIMEOUT_S 60
#define DEFAULT_MEM_MB 512
/* After the guest reported the exit status it powers off at once; a VM that
 * is still there after this long is killed. */
#define POWEROFF_GRACE_NS (5 * 1000000000LL)
#define POLL_NS (20 * 1000000LL)
#define CONSOLE_TAIL_LINES 20

enum result {
	R_PENDING,
	R_EXIT,		/* the command ran; exit_status says how it ended */
	R_TIMEOUT,	/* killed at the deadline */
	R_NO_RESULT,	/* the guest stopped without reporting (panic, init failed) */
	R_QEMU_FAILED,	/* qemu could not start the machine */
	R_INTERRUPTED,	/* bpfpack was interrupted */
};

struct run {
	char *name;		/* shown in the summary */
	char *arg;		/* the kernel as given */
	struct vm_kernel k;
	char *initrd;		/* with its modules (--modules); NULL: the common one */
	bool opened;
	char *console, *channel, *qemu_log;
	pid_t pid;
	bool running;
	long long start_ns, end_ns, exit_seen_ns;
	int chan_fd;
	off_t chan_off;
	struct vm_guest_channel ch;
	struct buf out, err;	/* the command's output, when not passed on live */
	bool live;
	enum result result;
	int qemu_status;
};

struct vmtest {
	struct run *runs;
	size_t n;
	char *work;		/* the temp directory */
	char *initrd;
	char *qemu;
	const struct vm_machine *machine;	/* what the kernels boot on */
	char *busybox;		/* the guest's busybox when not this machine's */
	bool json, no_btf, kvm;
	const char *lsm;
	struct strv modules;	/* --modules */
	int mem_mb, timeout_s, parallel;
};

static volatile sig_atomic_t vmtest_signal;

static void on_signal(int sig)
{
	vmtest_signal = sig;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage_error(const char *fmt, const char *arg)
{
	report_error(fmt, arg);
	cmd_usage_hint(&command_vmtest);
	return -EUSAGE;
}

/* "512", "512M", "1G" → MiB. */
static int parse_mem(const char *s, int *mb)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	if (*end == 'G' || *end == 'g') {
		v *= 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		end++;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || v < 64 || v > 65536)
		return -EINVAL;
	*mb = (int)v;
	return 0;
}


/* LSM names go on the kernel command line: only [a-z0-9_] and commas. */
/* Adds the comma-separated module names of LIST to MODS; -1 when a name is
 * empty or not made of letters, digits, '_' and '-'. */
static int add_modules(struct strv *mods, const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *name;
	int rc = *list ? 0 : -1;

	for (name = strtok_r(copy, ",", &save); name && !rc; name = strtok_r(NULL, ",", &save)) {
		for (const char *c = name; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
				rc = -1;
		if (!rc)
			strv_push(mods, name);
	}
	if (strstr(list, ",,") || list[0] == ',' || (*list && list[strlen(list) - 1] == ','))
		rc = -1;
	free(copy);
	return rc;
}

static bool lsm_list_valid(const char *s)
{
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == ','))
			return false;
	return true;
}

/* The summary's name for a kernel path: its file name, with its directory
 * when the file name says nothing ("nobtf-6.1/bzImage"). */
static char *kernel_display_name(const char *path)
{
	static const char *const generic[] = { "bzImage", "vmlinuz", "vmlinux", "Image" };
	const char *base = fs_basename(path);

	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
		if (strcmp(base, generic[i]))
			continue;
		char *dir = fs_dirname(path);
		char *name = xasprintf("%s/%s", fs_basename(dir), base);

		free(dir);
		return name;
	}
	return xstrdup(base);
}

static void add_run(struct vmtest *t, const char *name, const char *path)
{
	struct run *r;

	t->runs = xrealloc(t->runs, (t->n + 1) * sizeof(*t->runs));
	r = &t->runs[t->n++];
	memset(r, 0, sizeof(*r));
	r->arg = xstrdup(path);
	r->name = name ? xstrdup(name) : kernel_display_name(path);
	r->chan_fd = -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* --kernels FILE: one kernel a line, "PATH" or "NAME PATH" (as printed by
 * tests/kernels.sh); blank lines and #-comments are skipped; a relative PATH
 * is relative to FILE's directory. A line naming no file is an error. */
static int read_kernel_list(struct vmtest *t, const char *file)
{
	struct buf b = {0};
	char *dir, *l, *next;
	int err = fs_read_file(file, &b), lineno = 0;

	if (err)
		return err;
	dir = fs_dirname(file);
	for (l = b.data; l && !err; l = next) {
		char *line, *name = NULL, *path, *full;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = path = trim(l);
		if (!*line || *line == '#')
			continue;
		full = fs_path_join(dir, line);
		if (!fs_exists(full)) {
			char *sp = line + strcspn(line, " \t");

			if (*sp) {
				*sp = '\0';
				name = line;
				path = trim(sp + 1);
			}
			free(full);
			full = fs_path_join(dir, path);
		}
		if (fs_exists(full)) {
			add_run(t, name, full);
		} else {
			report_error("kernel list %s, line %d: cannot read kernel %s: %s", file,
				     lineno, full, strerror(ENOENT));
			err = -ENOENT;
		}
		free(full);
	}
	free(dir);
	buf_free(&b);
	return err;
}

static void write_all(FILE *f, const char *data, size_t len)
{
	fwrite(data, 1, len, f);
	fflush(f);
}

/* The channel's sink: live output goes straight to our stdout/stderr. */
static void on_output(void *ctx, enum vm_guest_stream stream, const char *data, size_t len)
{
	struct run *r = ctx;

	if (r->live) {
		write_all(stream == VM_GUEST_STDOUT ? stdout : stderr, data, len);
		return;
	}
	buf_append(stream == VM_GUEST_STDOUT ? &r->out : &r->err, data, len);
}

/* Reads what qemu added to the channel file since the last call. */
static void drain_channel(struct run *r)
{
	char chunk[65536];
	ssize_t n;

	if (r->chan_fd < 0)
		return;
	while ((n = pread(r->chan_fd, chunk, sizeof(chunk), r->chan_off)) > 0) {
		r->chan_off += n;
		vm_guest_channel_feed(&r->ch, chunk, (size_t)n);
	}
}

static void print_header(const struct run *r, const struct vmtest *t)
{
	if (t->n > 1 && !t->json) {
		fflush(stdout);
		fprintf(stderr, "== %s ==\n", r->name);
	}
}

static int start_run(struct vmtest *t, struct run *r, size_t idx, bool live)
{
	struct vm_config c = {
		.machine = t->machine,
		.qemu = t->qemu,
		.kernel = r->k.image,
		.initrd = r->initrd ? r->initrd : t->initrd,
		.mem_mb = t->mem_mb,
		.kvm = t->kvm,
	};
	char *extra = t->lsm ? xasprintf("lsm=%s", t->lsm) : NULL;
	int err;

	r->console = xasprintf("%s/%zu.console.log", t->work, idx);
	r->channel = xasprintf("%s/%zu.channel", t->work, idx);
	r->qemu_log = xasprintf("%s/%zu.qemu.log", t->work, idx);
	c.console_path = r->console;
	c.channel_path = r->channel;
	c.log_path = r->qemu_log;
	c.cmdline_extra = extra;
	/* Created (empty) before qemu opens it, so we hold the same file. */
	err = fs_write_atomic(r->channel, "", 0, 0600);
	if (!err) {
		r->chan_fd = open(r->channel, O_RDONLY | O_CLOEXEC);
		if (r->chan_fd < 0) {
			err = -errno;
			report_error("cannot open %s: %s", r->channel, strerror(errno));
		}
	}
	vm_guest_channel_init(&r->ch, on_output, r);
	r->live = live;
	if (!err) {
		if (live)
			print_header(r, t);
		r->start_ns = now_ns();
		err = vm_start(&c, &r->pid);
	}
	free(extra);
	if (err) {
		r->result = R_QEMU_FAILED;
		r->end_ns = r->start_ns = now_ns();
		return err;
	}
	r->running = true;
	return 0;
}

/* QEMU's exit (STATUS) or our kill ended the VM: decide what happened. */
static void finish_run(struct vmtest *t, struct run *r, enum result forced)
{
	r->running = false;
	r->end_ns = now_ns();
	drain_channel(r);
	/* A command that finished counts, even if the VM had to be killed
	 * while powering off. */
	if (r->ch.report.exited)
		r->result = R_EXIT;
	else if (forced != R_PENDING)
		r->result = forced;
	else if (!r->ch.report.release && r->qemu_status != 0)
		r->result = R_QEMU_FAILED;
	else
		r->result = R_NO_RESULT;
	if (!r->live) {
		print_header(r, t);
		if (!t->json) {
			write_all(stdout, r->out.data ? r->out.data : "", r->out.len);
			write_all(stderr, r->err.data ? r->err.data : "", r->err.len);
		}
	}
}

/* Prints the last lines of FILE on stderr, each prefixed. */
static void print_tail(const char *file, const char *prefix, int lines)
{
	struct buf b = {0};
	FILE *f = fopen(file, "re");
	char chunk[8192];
	size_t n, start;
	int seen = 0;

	if (f) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
	}
	if (!b.len) {
		fprintf(stderr, "%s(empty)\n", prefix);
		buf_free(&b);
		return;
	}
	start = b.len;
	if (b.data[start - 1] == '\n')
		start--;
	while (start > 0 && seen < lines) {
		start--;
		if (b.data[start] == '\n' && ++seen == lines) {
			start++;
			break;
		}
	}
	for (char *save = NULL, *l = strtok_r(b.data + start, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);

		if (len && l[len - 1] == '\r')
			l[len - 1] = '\0';
		fprintf(stderr, "%s%s\n", prefix, l);
	}
	buf_free(&b);
}

static void kill_all(struct vmtest *t, enum result why)
{
	for (size_t i = 0; i < t->n; i++) {
		struct run *r = &t->runs[i];

		if (!r->running)
			continue;
		vm_kill(r->pid);
		finish_run(t, r, why);
	}
}

/* Runs every VM, up to t->parallel at once. Returns -EINTR when interrupted. */
static int run_all(struct vmtest *t)
{
	size_t next = 0, running = 0, done = 0;
	/* Output is passed on live only when one VM runs at a time. */
	bool live = !t->json && (t->parallel == 1 || t->n == 1);

	while (done < t->n) {
		if (vmtest_signal) {
			kill_all(t, R_INTERRUPTED);
			return -EINTR;
		}
		while (running < (size_t)t->parallel && next < t->n) {
			struct run *r = &t->runs[next];

			if (start_run(t, r, next, live) == 0)
				running++;
			else
				done++;
			next++;
		}
		for (size_t i = 0; i < next; i++) {
			struct run *r = &t->runs[i];
			long long now = now_ns();
			int status, w;

			if (!r->running)
				continue;
			drain_channel(r);
			if (r->ch.report.exited && !r->exit_seen_ns)
				r->exit_seen_ns = now;
			w = vm_try_wait(r->pid, &status);
			if (w != 0) {
				r->qemu_status = w > 0 ? status : 1;
				finish_run(t, r, R_PENDING);
			} else if (now - r->start_ns >= (long long)t->timeout_s * 1000000000LL) {
				vm_kill(r->pid);
				finish_run(t, r, R_TIMEOUT);
			} else if (r->exit_seen_ns && now - r->exit_seen_ns > POWEROFF_GRACE_NS) {
				vm_kill(r->pid);
				finish_run(t, r, R_PENDING);
			}
			if (!r->running) {
				running--;
				done++;
			}
		}
		if (done < t->n) {
			struct timespec ts = { 0, POLL_NS };

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

static bool run_ok(const struct run *r)
{
	return r->result == R_EXIT && r->ch.report.exit_status == 0;
}

static const char *result_word(const struct run *r)
{
	switch (r->result) {
	case R_EXIT:
		return r->ch.report.exit_status == 0 ? "ok" : "exit";
	case R_TIMEOUT:
		return "timeout";
	case R_NO_RESULT:
		return "no-result";
	case R_QEMU_FAILED:
		return "qemu-failed";
	case R_INTERRUPTED:
		return "interrupted";
	case R_PENDING:
		break;
	}
	return "not-run";
}

static char *result_text(const struct run *r, const struct vmtest *t)
{
	switch (r->result) {
	case R_EXIT:
		return r->ch.report.exit_status == 0 ? xstrdup("ok")
						     : xasprintf("exit %d", r->ch.report.exit_status);
	case R_TIMEOUT:
		return xasprintf("timeout (%d s)", t->timeout_s);
	case R_NO_RESULT:
		return xstrdup("no result");
	case R_QEMU_FAILED:
		return xstrdup("qemu failed");
	case R_INTERRUPTED:
		return xstrdup("interrupted");
	case R_PENDING:
		break;
	}
	return xstrdup("not run");
}

static const char *release_of(const struct run *r)
{
	if (r->ch.report.release && *r->ch.report.release)
		return r->ch.report.release;
	if (r->k.release)
		return r->k.release;
	return "?";
}

static double run_seconds(const struct run *r)
{
	return r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) / 1e9 : 0.0;
}

static void print_table(const struct vmtest *t)
{
	int wk = 6, wr = 7;
	char **res = xcalloc(t->n, sizeof(*res));

	for (size_t i = 0; i < t->n; i++) {
		int l = (int)strlen(t->runs[i].name), m = (int)strlen(release_of(&t->runs[i]));

		wk = l > wk ? l : wk;
		wr = m > wr ? m : wr;
		res[i] = result_text(&t->runs[i], t);
	}
	fflush(stdout);
	fprintf(stderr, "%-*s  %-*s  %-12s  %-16s  %s\n", wk, "KERNEL", wr, "RELEASE", "BTF",
		"RESULT", "SECONDS");
	for (size_t i = 0; i < t->n; i++) {
		const struct run *r = &t->runs[i];
		const char *btf = r->ch.report.btf < 0 ? "?" :
				  !r->ch.report.btf ? "no" : t->no_btf ? "yes (hidden)" : "yes";

		fprintf(stderr, "%-*s  %-*s  %-12s  %-16s  %.1f\n", wk, r->name, wr, release_of(r),
			btf, res[i], run_seconds(r));
		free(res[i]);
	}
	free(res);
}

/* A JSON string; invalid UTF-8 becomes U+FFFD so the document stays valid. */
static void json_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	fputc('"', f);
	while (p < end) {
		unsigned char c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			   (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n && (size_t)(end - p) >= n;

		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

static void json_cstr(FILE *f, const char *s)
{
	if (s)
		json_string(f, s, strlen(s));
	else
		fputs("null", f);
}

static void print_json(const struct vmtest *t, bool keep_logs)
{
	size_t passed = 0;
	FILE *f = stdout;

	fprintf(f, "{\n  \"arch\": \"%s\",\n  \"accel\": \"%s\",\n  \"kernels\": [",
		t->machine ? t->machine->arch : "x86_64", t->kvm ? "kvm" : "tcg");
	for (size_t i = 0; i < t->n; i++) {
		const struct run *r = &t->runs[i];
		const struct vm_guest_report *rep = &r->ch.report;

		passed += run_ok(r);
		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"kernel\": ", f);
		json_cstr(f, r->name);
		fputs(", \"path\": ", f);
		json_cstr(f, r->arg);
		fputs(", \"release\": ", f);
		json_cstr(f, rep->release && *rep->release ? rep->release : r->k.release);
		fprintf(f, ", \"btf\": %s, \"btf_hidden\": %s",
			rep->btf < 0 ? "null" : rep->btf ? "true" : "false",
			t->no_btf && rep->btf > 0 ? "true" : "false");
		fputs(", \"lsm\": ", f);
		json_cstr(f, rep->lsm);
		fprintf(f, ", \"result\": \"%s\"", result_word(r));
		if (r->result == R_EXIT)
			fprintf(f, ", \"exit_status\": %d", rep->exit_status);
		else
			fputs(", \"exit_status\": null", f);
		fprintf(f, ", \"seconds\": %.2f", run_seconds(r));
		fputs(", \"stdout\": ", f);
		json_string(f, r->out.data ? r->out.data : "", r->out.len);
		fputs(", \"stderr\": ", f);
		json_string(f, r->err.data ? r->err.data : "", r->err.len);
		fputs(", \"console_log\": ", f);
		json_cstr(f, keep_logs ? r->console : NULL);
		fputs("}", f);
	}
	fprintf(f, "\n  ],\n  \"passed\": %zu,\n  \"failed\": %zu\n}\n", passed, t->n - passed);
	fflush(f);
}

/* The reason of the kernel panic the console log shows, or NULL. */
static char *console_panic(const char *file)
{
	static const char mark[] = "Kernel panic - not syncing: ";
	struct buf b = {0};
	FILE *f = fopen(file, "re");
	char chunk[8192], *p, *reason = NULL;
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (b.data && (p = memmem(b.data, b.len, mark, strlen(mark)))) {
		p += strlen(mark);
		reason = strndup(p, strcspn(p, "\r\n"));
	}
	buf_free(&b);
	return reason;
}

/* Says on stderr what went wrong with each VM that gave no exit status. */
static void explain_failures(const struct vmtest *t, bool keep_logs)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct run *r = &t->runs[i];

		if (r->result == R_EXIT || r->result == R_INTERRUPTED || !r->console)
			continue;
		fflush(stdout);
		if (r->result == R_QEMU_FAILED) {
			fprintf(stderr, "%s: qemu failed (exit %d); its messages:\n", r->name,
				r->qemu_status);
			print_tail(r->qemu_log, "  | ", CONSOLE_TAIL_LINES);
		} else {
			char *panic = console_panic(r->console);

			if (r->result == R_TIMEOUT)
				fprintf(stderr, "%s: killed at the timeout", r->name);
			else if (panic)
				fprintf(stderr, "%s: kernel panic: %s", r->name, panic);
			else
				fprintf(stderr, "%s: the guest stopped without a result", r->name);
			fprintf(stderr, "; the end of the console log:\n");
			print_tail(r->console, "  | ", CONSOLE_TAIL_LINES);
			free(panic);
		}
		if (keep_logs)
			fprintf(stderr, "%s: console log: %s\n", r->name, r->console);
	}
}

/* Removes the temp directory, or with KEEP_LOGS only the big files in it. */
static void cleanup(struct vmtest *t, bool keep_logs)
{
	for (size_t i = 0; i < t->n; i++) {
		struct run *r = &t->runs[i];

		if (r->running)
			vm_kill(r->pid);
		if (r->chan_fd >= 0)
			close(r->chan_fd);
		if (keep_logs && r->k.from_deb && !r->k.cached)
			unlink(r->k.image);
		vm_kernel_free(&r->k);
		if (keep_logs && r->initrd)
			unlink(r->initrd);
		free(r->initrd);
		vm_guest_channel_free(&r->ch);
		buf_free(&r->out);
		buf_free(&r->err);
		free(r->console);
		free(r->channel);
		free(r->qemu_log);
		free(r->name);
		free(r->arg);
	}
	free(t->runs);
	if (t->work) {
		if (keep_logs) {
			unlink(t->initrd);
			if (t->busybox && !strncmp(t->busybox, t->work, strlen(t->work)))
				unlink(t->busybox);
		} else {
			fs_rm_rf(t->work);
		}
	}
	free(t->initrd);
	free(t->work);
	free(t->qemu);
	free(t->busybox);
	strv_free(&t->modules);
}

/* The cache's module archive for kernel package DEB and the modules MODS
 * (in any order and spelling): BASE.mod-HASH.gz (lib/vm_kernel.h). NULL
 * without a cache. */
static char *modules_cache_path(const char *kcache, const char *deb, const struct strv *mods)
{
	struct strv names = {0};
	struct buf id = {0};
	char *base, *path = NULL;

	if (!kcache || !(base = vm_kernel_cache_base(kcache, deb)))
		return NULL;
	for (size_t i = 0; i < mods->n; i++) {
		char *n = xstrdup(mods->v[i]);

		for (char *c = n; *c; c++)
			if (*c == '-')
				*c = '_';
		strv_push(&names, n);
		free(n);
	}
	strv_sort(&names);
	for (size_t i = 0; i < names.n; i++)
		if (!i || strcmp(names.v[i], names.v[i - 1]))
			buf_printf(&id, "%s,", names.v[i]);
	path = xasprintf("%s.mod-%016llx.gz", base,
			 (unsigned long long)XXH3_64bits(id.data, id.len));
	buf_free(&id);
	strv_free(&names);
	free(base);
	return path;
}

/* Copies SRC to the cache file DST (atomically: parallel runs share it). */
static void cache_put(const char *src, const char *dst)
{
	struct buf data = {0};
	char *dir = fs_dirname(dst);

	if (fs_mkdir_p(dir, 0755) == 0 && fs_read_file(src, &data) == 0)
		fs_write_atomic(dst, data.data, data.len, 0644);
	buf_free(&data);
	free(dir);
}

/* --modules: for each kernel that came as a package, an initrd that adds the
 * modules (lib/vm_modules.h), made once and kept in the cache KCACHE (may be
 * NULL); a boot image has none to add, which is said. */
static int add_kernel_modules(struct vmtest *t, const char *kcache)
{
	for (size_t i = 0; i < t->n; i++) {
		struct run *r = &t->runs[i];
		struct strv loaded = {0}, builtin = {0};
		char *extra, *cached;
		int err = 0;

		if (!r->k.deb || !r->k.release) {
			report_warn("%s: not a kernel package, so --modules loads nothing there",
				    r->name);
			continue;
		}
		cached = modules_cache_path(kcache, r->k.arg, &t->modules);
		extra = cached && fs_exists(cached) ? xstrdup(cached)
						    : xasprintf("%s/%zu.modules.gz", t->work, i);
		if (cached && !strcmp(extra, cached)) {
			report_debug("%s: the modules archive made by an earlier run, %s", r->name,
				     cached);
		} else {
			err = vm_modules_write(r->k.arg, r->k.release, &t->modules, extra, &loaded,
					       &builtin);
			if (!err) {
				struct buf say = {0};

				for (size_t j = 0; j < loaded.n; j++)
					buf_printf(&say, " %s", loaded.v[j]);
				if (!loaded.n)
					buf_append_str(&say, " none");
				for (size_t j = 0; j < builtin.n; j++)
					buf_printf(&say, "%s%s", j ? " " : "; built in: ", builtin.v[j]);
				report_debug("%s: modules to load:%s", r->name, say.data);
				buf_free(&say);
				/* Kept for the next run. */
				if (cached)
					cache_put(extra, cached);
			}
		}
		r->initrd = xasprintf("%s/%zu.initrd.gz", t->work, i);
		if (!err)
			err = vm_modules_append(t->initrd, extra, r->initrd);
		if (strcmp(extra, cached ? cached : ""))
			unlink(extra);
		free(extra);
		free(cached);
		strv_free(&loaded);
		strv_free(&builtin);
		if (err)
			return err;
		if (vmtest_signal)
			return -EINTR;
	}
	return 0;
}

/* Decides the machine from ARCH (--arch, may be NULL) and the kernels:
 * they must all be of one arch, and of ARCH when it is given. */
static int choose_machine(struct vmtest *t, const char *arch)
{
	const char *want = arch;

	for (size_t i = 0; i < t->n; i++) {
		const struct run *r = &t->runs[i];

		if (!want) {
			want = r->k.arch;
			continue;
		}
		if (!strcmp(want, r->k.arch))
			continue;
		if (arch)
			report_error("kernel %s is an %s kernel: vmtest --arch %s boots %s kernels",
				     r->arg, r->k.arch, arch, arch);
		else
			report_error("kernels of two arches in one run (%s is %s, %s is %s): they "
				     "share one initramfs", t->runs[0].arg, want, r->arg, r->k.arch);
		report_hint("run vmtest once per arch");
		return -EINVAL;
	}
	t->machine = vm_machine_find(want ? want : "x86_64");
	return 0;
}

/* An arch's busybox for a guest that is not of this machine's arch: the
 * program or package $BUSYBOX_<ARCH> names, else a busybox-static package of
 * the arch in bpfpack's cache or apt's. A package's bin/busybox is extracted
 * into the work directory. */
static int find_guest_busybox(struct vmtest *t)
{
	const struct toolchain_arch *arch = toolchain_arch_find(t->machine->arch);
	char var[32], *cache = btfgen_cache_dir(), *deb, *path = NULL;
	const char *dirs[] = { cache, "/var/cache/apt/archives", NULL };
	unsigned char head[64];
	ssize_t n;
	int fd, err;

	deb = vm_rootfs_busybox_source(t->machine->arch, arch->deb_arch, dirs, var);
	if (deb && !fs_exists(deb)) {
		report_error("%s=%s: no such file", var, deb);
		free(deb);
		free(cache);
		return -ENOENT;
	}
	if (!deb) {
		report_error("no %s busybox for the guest: no busybox-static_*_%s.deb in %s or "
			     "/var/cache/apt/archives, and %s is not set", t->machine->arch,
			     arch->deb_arch, cache, var);
		report_hint("cd %s && apt-get download busybox-static:%s (tests/setup-arm64.sh "
			    "does), or set %s to a static %s busybox", cache, arch->deb_arch, var,
			    t->machine->arch);
		free(cache);
		return -ENOENT;
	}
	free(cache);
	fd = open(deb, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? pread(fd, head, sizeof(head), 0) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		report_error("cannot read %s: %s", deb, strerror(errno));
		free(deb);
		return -errno;
	}
	if (!vm_is_deb(head, (size_t)n)) {
		t->busybox = deb;	/* a program: vm_rootfs checks it */
		return 0;
	}
	path = fs_path_join(t->work, "busybox.XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		report_error("cannot create a file in %s: %s", t->work, strerror(errno));
	} else {
		err = vm_deb_extract(deb, "bin/busybox", fd, NULL);
		if (err == -ENOENT)
			report_error("package %s holds no bin/busybox", deb);
		if (!err && fchmod(fd, 0755) < 0) {
			err = -errno;
			report_error("cannot chmod %s: %s", path, strerror(errno));
		}
		close(fd);
	}
	report_debug("busybox: bin/busybox of %s", deb);
	free(deb);
	if (err) {
		free(path);
		return err == -ENOENT ? -EINVAL : err;
	}
	t->busybox = path;
	return 0;
}

/* The option callbacks: each reports its own error (the parser adds the
 * synopsis hint). */
static int opt_lsm(const char *arg, void *field)
{
	if (!lsm_list_valid(arg)) {
		report_error("invalid --lsm list '%s': want names such as bpf or lockdown,bpf", arg);
		return -EINVAL;
	}
	*(const char **)field = arg;
	return 0;
}

static int opt_modules(const char *arg, void *field)
{
	if (add_modules(field, arg)) {
		report_error("invalid --modules '%s': want module names such as sch_ingress or "
			     "sch_ingress,cls_bpf", arg);
		return -EINVAL;
	}
	return 0;
}

static int opt_mem(const char *arg, void *field)
{
	if (parse_mem(arg, field)) {
		report_error("invalid --mem '%s': want MiB (64..65536), e.g. 512 or 1G", arg);
		return -EINVAL;
	}
	return 0;
}

static int opt_timeout(const char *arg, void *field)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0 || v > 86400) {
		report_error("invalid --timeout '%s': want whole seconds (1..86400)", arg);
		return -EINVAL;
	}
	*(int *)field = (int)v;
	return 0;
}

struct vmtest_args {
	struct strv kernels, lists, adds, modules;
	bool no_btf, json;
	const char *lsm;
	int mem_mb, timeout_s, jobs;
	const struct toolchain_arch *arch;
};

static const struct opt vmtest_options[] = {
	OPT_LIST('k', "kernel", struct vmtest_args, kernels, "K", "@file",
		 "a boot image (bzImage, vmlinuz, arm64 Image or Image.gz) or a Debian kernel .deb"),
	OPT_CALLBACK(0, "arch", struct vmtest_args, arch, "ARCH", "x86_64 arm64", cmd_opt_arch,
		     "the machine: x86_64 (qemu-system-x86_64) or arm64 (qemu-system-aarch64 -machine "
		     "virt); default: the kernels' arch. An arm64 guest needs an arm64 busybox "
		     "(BUSYBOX_ARM64, or busybox-static_*_arm64.deb in ~/.cache/bpfpack)"),
	OPT_LIST(0, "kernels", struct vmtest_args, lists, "F", "@file",
		 "more kernels, one a line: PATH or NAME PATH"),
	OPT_LIST('a', "add", struct vmtest_args, adds, "F[:P]", "@file",
		 "put file or directory F in the guest at P (default: F's own path)"),
	OPT_FLAG(0, "no-btf", struct vmtest_args, no_btf, "hide /sys/kernel/btf in the guest before CMD runs"),
	OPT_CALLBACK(0, "lsm", struct vmtest_args, lsm, "LIST", NULL, opt_lsm,
		     "boot with lsm=LIST, e.g. --lsm bpf for the BPF LSM"),
	OPT_CALLBACK(0, "modules", struct vmtest_args, modules, "LIST", NULL, opt_modules,
		     "load these kernel modules (comma-separated, with the ones they depend on) before "
		     "CMD, e.g. sch_ingress for tc's clsact; taken from the kernel's package, so only for "
		     "a kernel given as a .deb (others get a warning)"),
	OPT_CALLBACK(0, "mem", struct vmtest_args, mem_mb, "M", NULL, opt_mem,
		     "guest memory: MiB, or with G (default: 512)"),
	OPT_CALLBACK(0, "timeout", struct vmtest_args, timeout_s, "S", NULL, opt_timeout,
		     "kill a VM after S seconds, reported so (default: 60)"),
	OPT_JOBS(struct vmtest_args, jobs,
		 "up to N VMs at once (default: number of CPUs); output comes as it is made with one "
		 "VM at a time, else per kernel"),
	OPT_FLAG(0, "json", struct vmtest_args, json, "the results as JSON on stdout, CMD's output included"),
	OPT_VERBOSE("print qemu's command line; keep the console logs"),
	OPT_END(),
};

static const char *const vmtest_synopsis[] = {
	"--kernel K [--kernel K2 ...] [--kernels FILE] [--add F[:PATH]] [--no-btf] [--lsm LIST] "
	"[--modules LIST] [--mem M] [--timeout S] [-j N] [--arch ARCH] [--json] [-v] -- CMD [ARGS]",
	NULL,
};

const struct command command_vmtest = {
	.name = "vmtest",
	.path = "vmtest",
	.fn = cmd_vmtest,
	.summary = "run a command in VMs on other kernels (qemu)",
	.synopsis = vmtest_synopsis,
	.description =
		"Runs CMD as root in a qemu VM of the kernels' arch on each kernel (KVM when usable,\n"
		"else TCG) and reports per kernel: its release, whether it has BTF, CMD's exit\n"
		"status and the seconds it took. The guest boots an initramfs made on the fly:\n"
		"busybox (static), CMD's program and the --add files; it mounts proc, sys,\n"
		"devtmpfs, tracefs, debugfs and bpffs, runs CMD and powers off. CMD's stdout\n"
		"and stderr come back to ours, the kernel's console does not. The summary\n"
		"goes to stderr. Exit status 1 if CMD failed, timed out or did not finish on\n"
		"any kernel.\n"
		"\n"
		"Files keep their host paths in the guest, and CMD starts in the current\n"
		"directory's path. CMD is a busybox applet (sh, ls, ...), a file added with\n"
		"--add (by path, or by name), or a static program of this machine, copied in;\n"
		"dynamically linked programs are refused.\n",
	.options = vmtest_options,
	.operands = "@command",
};

int cmd_vmtest(int argc, char **argv)
{
	struct vmtest_args a = { .mem_mb = DEFAULT_MEM_MB, .timeout_s = DEFAULT_TIMEOUT_S };
	struct vmtest t = {0};
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction old_int, old_term, old_hup, old_pipe;
	struct strv adds = {0};
	struct strv lists = {0};
	char **cmd = NULL;
	const char *arch = NULL;
	char *kcache = NULL;
	int n, err, nopts = argc, rc = -EIO, failed = 0;
	bool keep_logs = false, ran = false;

	/* Everything after "--" is the command, never our flags. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			nopts = i;
			cmd = argv + i + 1;
			break;
		}
	}
	n = cmd_parse_options(&command_vmtest, nopts, argv, &a, 0);
	if (n < 0) {
		rc = n == PARSE_OPT_HELP ? 0 : n;
		goto out_args;
	}
	if (n > 0) {
		rc = usage_error(cmd ? "unexpected argument '%s' before --"
				     : "unexpected argument '%s': give the command after --",
				 argv[1]);
		goto out_args;
	}
	for (size_t i = 0; i < a.kernels.n; i++)
		add_run(&t, NULL, a.kernels.v[i]);
	strv_push_all(&adds, &a.adds);
	strv_push_all(&lists, &a.lists);
	t.no_btf = a.no_btf;
	t.json = a.json;
	t.lsm = a.lsm;
	t.modules = a.modules;
	memset(&a.modules, 0, sizeof(a.modules));
	t.mem_mb = a.mem_mb;
	t.timeout_s = a.timeout_s;
	t.parallel = a.jobs;
	if (a.arch)
		arch = vm_machine_find(a.arch->name)->arch;
	for (size_t i = 0; i < lists.n; i++) {
		size_t before = t.n;

		if (read_kernel_list(&t, lists.v[i]))
			goto out;
		if (t.n == before) {
			report_error("kernel list %s names no kernel", lists.v[i]);
			goto out;
		}
	}
	if (!t.n) {
		rc = usage_error("no kernel given%s", ": use --kernel FILE or --kernels LIST");
		goto out;
	}
	if (!cmd || !cmd[0]) {
		rc = usage_error("no command given%s", ": put it after --, e.g. -- /bin/true");
		goto out;
	}
	if ((size_t)t.parallel > t.n)
		t.parallel = (int)t.n;

	sigemptyset(&sa.sa_mask);
	vmtest_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	/* A reader that goes away (`vmtest ... | head`) must not kill us while
	 * VMs run: writes fail instead, and the VMs are still reaped. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);

	if (fs_mkdtemp("bpfpack-vmtest", &t.work))
		goto restore;
	keep_logs = report_verbose() > 0;
	kcache = btfgen_cache_dir();
	for (size_t i = 0; i < t.n; i++) {
		if (vm_kernel_open(t.runs[i].arg, t.work, kcache, &t.runs[i].k))
			goto restore;
		if (vmtest_signal)
			goto interrupted;
	}
	if (choose_machine(&t, arch)) {
		rc = -EUSAGE;
		goto restore;
	}
	if (vm_find_qemu(t.machine, &t.qemu))
		goto restore;
	t.kvm = vm_kvm_usable(t.machine);
	report_debug("machine: %s, accelerator: %s", t.machine->arch,
		     t.kvm ? "kvm" : "tcg (KVM is not usable here)");
	if (toolchain_arch_is_cross(toolchain_arch_find(t.machine->arch)) &&
	    find_guest_busybox(&t))
		goto restore;
	t.initrd = fs_path_join(t.work, "initrd.gz");
	{
		struct vm_rootfs_opts ro = {
			.cmd = cmd,
			.adds = &adds,
			.busybox = t.busybox,
			.elf_machine = t.machine->elf_machine,
			.arch = t.machine->arch,
			.channel = t.machine->channel,
			.hide_btf = t.no_btf,
			.dump_kernel_log = keep_logs,
			/* A backstop for when bpfpack itself is killed: the guest
			 * powers off on its own a little after the deadline. */
			.watchdog_s = t.timeout_s + 10,
		};

		long long t0 = now_ns();
		struct stat st;

		if (vm_rootfs_write(&ro, t.initrd))
			goto restore;
		if (stat(t.initrd, &st) == 0)
			report_debug("initramfs: %lld KiB in %lld ms", (long long)st.st_size / 1024,
				     (now_ns() - t0) / 1000000);
	}
	if (vmtest_signal)
		goto interrupted;
	if (t.modules.n && add_kernel_modules(&t, kcache))
		goto restore;
	if (vmtest_signal)
		goto interrupted;
	ran = true;
	err = run_all(&t);
	if (err == -EINTR)
		goto interrupted;

	for (size_t i = 0; i < t.n; i++)
		failed += !run_ok(&t.runs[i]);
	explain_failures(&t, keep_logs);
	if (t.json)
		print_json(&t, keep_logs);
	else
		print_table(&t);
	if (keep_logs)
		fprintf(stderr, "logs kept in %s\n", t.work);
	if (failed) {
		report_error("%d of %zu kernel%s failed", failed, t.n, t.n == 1 ? "" : "s");
		rc = -ECHILD;	/* CMD failed somewhere: exit 1 */
	} else {
		rc = 0;
	}
	goto restore;

interrupted:
	kill_all(&t, R_INTERRUPTED);
	rc = -EINTR;	/* main says "interrupted" */
	keep_logs = false;
restore:
	cleanup(&t, keep_logs && ran);
	memset(&t, 0, sizeof(t));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
out:
	cleanup(&t, false);
	free(kcache);
	strv_free(&adds);
	strv_free(&lists);
out_args:
	strv_free(&a.kernels);
	strv_free(&a.lists);
	strv_free(&a.adds);
	strv_free(&a.modules);
	return rc;
}
