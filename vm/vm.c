/* vm: qemu processes for vmtest. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/proc.h"
#include "../lib/report.h"

#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif
#ifndef EM_X86_64
#define EM_X86_64 62
#endif

static const struct vm_machine machines[] = {
	{ "x86_64", "qemu-system-x86_64", "QEMU", "qemu-system-x86", "ttyS0", "/dev/ttyS1",
	  EM_X86_64, "x86_64" },
	{ "arm64", "qemu-system-aarch64", "QEMU_ARM64", "qemu-system-arm", "ttyAMA0", "/dev/ttyS0",
	  EM_AARCH64, "aarch64" },
};

const struct vm_machine *vm_machine_find(const char *arch)
{
	if (!arch)
		return NULL;
	if (!strcmp(arch, "amd64"))
		arch = "x86_64";
	else if (!strcmp(arch, "aarch64"))
		arch = "arm64";
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		if (!strcmp(machines[i].arch, arch))
			return &machines[i];
	return NULL;
}

static const struct vm_machine *machine_or_default(const struct vm_machine *m)
{
	return m ? m : &machines[0];
}

int vm_find_qemu(const struct vm_machine *m, char **path)
{
	const char *want;

	m = machine_or_default(m);
	want = getenv(m->qemu_env);
	if (!want || !*want)
		want = m->qemu;
	*path = proc_find_program(want);
	if (!*path) {
		report_error("cannot find %s", want);
		report_hint("install it: apt-get install %s (or set %s)", m->qemu_package, m->qemu_env);
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

bool vm_kvm_usable(const struct vm_machine *m)
{
	const char *force = getenv("BPFPACK_ACCEL");
	struct utsname u;
	int fd;

	m = machine_or_default(m);
	if (force && !strcmp(force, "tcg"))
		return false;
	if (force && !strcmp(force, "kvm"))
		return true;
	/* KVM runs guests of the host's own kind only. */
	if (uname(&u) < 0 || strcmp(u.machine, m->kvm_host))
		return false;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	/* arm64 hosts have no cpuinfo flag for it: /dev/kvm is the test. */
	return strcmp(m->arch, "x86_64") ? true : cpu_has_virt();
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
	const struct vm_machine *m = machine_or_default(c->machine);
	bool arm64 = !strcmp(m->arch, "arm64");

	strv_push(argv, c->qemu);
	/* No default devices (VGA, NIC, drives) and no user config: less to boot,
	 * and the same machine wherever it runs. */
	strv_push(argv, "-nodefaults");
	strv_push(argv, "-no-user-config");
	strv_push(argv, "-display");
	strv_push(argv, "none");
	strv_push(argv, "-no-reboot");
	if (arm64) {
		strv_push(argv, "-machine");
		strv_push(argv, "virt");
	}
	strv_push(argv, "-accel");
	strv_push(argv, c->kvm ? "kvm" : "tcg");
	if (c->kvm || arm64) {
		strv_push(argv, "-cpu");
		strv_push(argv, c->kvm ? "host" : "cortex-a57");
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
		strv_pushf(argv, "console=%s %s %s", m->console, VM_CMDLINE_BASE, c->cmdline_extra);
	else
		strv_pushf(argv, "console=%s %s", m->console, VM_CMDLINE_BASE);
	push_serial(argv, "console", c->console_path);
	if (arm64) {
		/* virt's one PL011 is the console: the channel is a PCI 16550. */
		char *p = qemu_escape(c->channel_path);

		strv_push(argv, "-chardev");
		strv_pushf(argv, "file,id=channel,path=%s", p);
		strv_push(argv, "-device");
		strv_push(argv, "pci-serial,chardev=channel");
		free(p);
	} else {
		push_serial(argv, "channel", c->channel_path);
	}
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
