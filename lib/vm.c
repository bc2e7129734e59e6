/* vm: qemu processes for vmtest. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "report.h"

int vm_find_qemu(char **path)
{
	const char *want = getenv("QEMU");

	if (!want || !*want)
		want = "qemu-system-x86_64";
	*path = proc_find_program(want);
	if (!*path) {
		report_error("cannot find %s", want);
		report_hint("install it: apt-get install qemu-system-x86 (or set QEMU)");
		return -ENOENT;
	}
	return 0;
}

/* The CPU offers hardware virtualization (what kvm-ok checks). /dev/kvm alone
 * is not enough: some sandboxes provide it without a CPU that can run a
 * kernel under it, and qemu then hangs without a word. */
static bool cpu_has_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (char *save = NULL, *w = strtok_r(line, " \t\n", &save); w;
		     w = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(w, "vmx") || !strcmp(w, "svm"))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

bool vm_kvm_usable(void)
{
	const char *force = getenv("BPFPACK_ACCEL");
	int fd;

	if (force && !strcmp(force, "tcg"))
		return false;
	if (force && !strcmp(force, "kvm"))
		return true;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return cpu_has_virt();
}

/* qemu's option parser splits at commas; a comma in a value is doubled. */
static char *qemu_escape(const char *s)
{
	struct buf b = {0};

	buf_append_str(&b, "");
	for (; *s; s++)
		buf_append_str(&b, *s == ',' ? ",," : (char[2]){ *s, '\0' });
	return b.data;
}

static void push_serial(struct strv *argv, const char *id, const char *path)
{
	char *p = qemu_escape(path);

	strv_push(argv, "-chardev");
	strv_pushf(argv, "file,id=%s,path=%s", id, p);
	strv_push(argv, "-serial");
	strv_pushf(argv, "chardev:%s", id);
	free(p);
}

void vm_build_argv(const struct vm_config *c, struct strv *argv)
{
	strv_push(argv, c->qemu);
	/* No default devices (VGA, NIC, drives) and no user config: less to boot,
	 * and the same machine wherever it runs. */
	strv_push(argv, "-nodefaults");
	strv_push(argv, "-no-user-config");
	strv_push(argv, "-display");
	strv_push(argv, "none");
	strv_push(argv, "-no-reboot");
	strv_push(argv, "-accel");
	strv_push(argv, c->kvm ? "kvm" : "tcg");
	if (c->kvm) {
		strv_push(argv, "-cpu");
		strv_push(argv, "host");
	}
	strv_push(argv, "-smp");
	strv_push(argv, "1");
	strv_push(argv, "-m");
	strv_pushf(argv, "%d", c->mem_mb);
	strv_push(argv, "-kernel");
	strv_push(argv, c->kernel);
	strv_push(argv, "-initrd");
	strv_push(argv, c->initrd);
	strv_push(argv, "-append");
	if (c->cmdline_extra && *c->cmdline_extra)
		strv_pushf(argv, "%s %s", VM_CMDLINE_BASE, c->cmdline_extra);
	else
		strv_push(argv, VM_CMDLINE_BASE);
	push_serial(argv, "console", c->console_path);
	push_serial(argv, "channel", c->channel_path);
}

int vm_start(const struct vm_config *c, pid_t *pid)
{
	struct proc_opts opts = PROC_OPTS_INHERIT;
	struct strv argv = {0};
	int log_fd, err;

	log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		err = errno;
		report_error("cannot create %s: %s", c->log_path, strerror(err));
		return -err;
	}
	vm_build_argv(c, &argv);
	if (report_verbose()) {
		struct buf b = {0};

		proc_format_argv(argv.v, &b);
		report_debug("running %s", b.data);
		buf_free(&b);
	}
	/* stdin stays /dev/null: qemu must not take over the terminal. */
	opts.stdout_fd = log_fd;
	opts.stderr_fd = log_fd;
	err = proc_spawn(argv.v, &opts, pid);
	close(log_fd);
	strv_free(&argv);
	return err;
}

int vm_try_wait(pid_t pid, int *status)
{
	int st;
	pid_t r;

	do
		r = waitpid(pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 1;
	return 1;
}

void vm_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	proc_wait(pid);
}
