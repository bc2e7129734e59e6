/* vmtest_sched: starts the VMs of a vmtest run, up to -j at once, watches
 * each for its result, its deadline and bpfpack's interruption, and passes
 * the command's output on (live with one VM at a time, else after each). */
#include "vmtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/report.h"

/* After the guest reported the exit status it powers off at once; a VM that
 * is still there after this long is killed. */
#define POWEROFF_GRACE_NS (5 * 1000000000LL)
#define POLL_NS (20 * 1000000LL)

volatile sig_atomic_t vmtest_signal;

long long vmtest_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void write_all(FILE *f, const char *data, size_t len)
{
	fwrite(data, 1, len, f);
	fflush(f);
}

/* The channel's sink: live output goes straight to our stdout/stderr. */
static void on_output(void *ctx, enum vm_guest_stream stream, const char *data, size_t len)
{
	struct vmtest_run *r = ctx;

	if (r->live) {
		write_all(stream == VM_GUEST_STDOUT ? stdout : stderr, data, len);
		return;
	}
	buf_append(stream == VM_GUEST_STDOUT ? &r->out : &r->err, data, len);
}

/* Reads what qemu added to the channel file since the last call. */
static void drain_channel(struct vmtest_run *r)
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

static void print_header(const struct vmtest_run *r, const struct vmtest *t)
{
	if (t->n > 1 && !t->json) {
		fflush(stdout);
		fprintf(stderr, "== %s ==\n", r->name);
	}
}

static int start_run(struct vmtest *t, struct vmtest_run *r, size_t idx, bool live)
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
		r->start_ns = vmtest_now_ns();
		err = vm_start(&c, &r->pid);
	}
	free(extra);
	if (err) {
		r->result = VMTEST_QEMU_FAILED;
		r->end_ns = r->start_ns = vmtest_now_ns();
		return err;
	}
	r->running = true;
	return 0;
}

/* QEMU's exit (STATUS) or our kill ended the VM: decide what happened. */
static void finish_run(struct vmtest *t, struct vmtest_run *r, enum vmtest_result forced)
{
	r->running = false;
	r->end_ns = vmtest_now_ns();
	drain_channel(r);
	/* A command that finished counts, even if the VM had to be killed
	 * while powering off. */
	if (r->ch.report.exited)
		r->result = VMTEST_EXIT;
	else if (forced != VMTEST_PENDING)
		r->result = forced;
	else if (!r->ch.report.release && r->qemu_status != 0)
		r->result = VMTEST_QEMU_FAILED;
	else
		r->result = VMTEST_NO_RESULT;
	if (!r->live) {
		print_header(r, t);
		if (!t->json) {
			write_all(stdout, r->out.data ? r->out.data : "", r->out.len);
			write_all(stderr, r->err.data ? r->err.data : "", r->err.len);
		}
	}
}

void vmtest_kill_all(struct vmtest *t, enum vmtest_result why)
{
	for (size_t i = 0; i < t->n; i++) {
		struct vmtest_run *r = &t->runs[i];

		if (!r->running)
			continue;
		vm_kill(r->pid);
		finish_run(t, r, why);
	}
}

int vmtest_run_all(struct vmtest *t)
{
	size_t next = 0, running = 0, done = 0;
	/* Output is passed on live only when one VM runs at a time. */
	bool live = !t->json && (t->parallel == 1 || t->n == 1);

	while (done < t->n) {
		if (vmtest_signal) {
			vmtest_kill_all(t, VMTEST_INTERRUPTED);
			return -EINTR;
		}
		while (running < (size_t)t->parallel && next < t->n) {
			struct vmtest_run *r = &t->runs[next];

			if (start_run(t, r, next, live) == 0)
				running++;
			else
				done++;
			next++;
		}
		for (size_t i = 0; i < next; i++) {
			struct vmtest_run *r = &t->runs[i];
			long long now = vmtest_now_ns();
			int status, w;

			if (!r->running)
				continue;
			drain_channel(r);
			if (r->ch.report.exited && !r->exit_seen_ns)
				r->exit_seen_ns = now;
			w = vm_try_wait(r->pid, &status);
			if (w != 0) {
				r->qemu_status = w > 0 ? status : 1;
				finish_run(t, r, VMTEST_PENDING);
			} else if (now - r->start_ns >= (long long)t->timeout_s * 1000000000LL) {
				vm_kill(r->pid);
				finish_run(t, r, VMTEST_TIMEOUT);
			} else if (r->exit_seen_ns && now - r->exit_seen_ns > POWEROFF_GRACE_NS) {
				vm_kill(r->pid);
				finish_run(t, r, VMTEST_PENDING);
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

int vmtest_choose_machine(struct vmtest *t, const char *arch)
{
	const char *want = arch;

	for (size_t i = 0; i < t->n; i++) {
		const struct vmtest_run *r = &t->runs[i];

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

void vmtest_cleanup(struct vmtest *t, bool keep_logs)
{
	for (size_t i = 0; i < t->n; i++) {
		struct vmtest_run *r = &t->runs[i];

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

