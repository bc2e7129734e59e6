/* vmtest: `bpfpack vmtest --kernel K [...] -- CMD [ARGS]` runs a command as
 * root in a qemu VM on each given kernel and reports, per kernel, its release,
 * whether it has BTF, the command's exit status and the time it took.
 *
 * The VM engine (vm/) does the parts: vm_kernel (what to boot), vm_rootfs +
 * initramfs (the guest's files), vm_guest (its /init and the channel it
 * reports through), vm (the qemu process), vmtest_sched (up to -j VMs at
 * once with a deadline each, passing the command's output on),
 * vmtest_report (the summary), vmtest_modules (--modules, a guest's
 * busybox). This file parses the flags and calls them in order. Every VM is killed at its timeout or when bpfpack
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

#include "cmd.h"
#include "../btfhub/btfgen.h"
#include "../formats/deb.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/report.h"
#include "../lib/toolchain.h"
#include "../vm/vm.h"
#include "../vm/vm_guest.h"
#include "../vm/vm_kernel.h"
#include "../vm/vm_rootfs.h"
#include "../vm/vmtest.h"

#define DEFAULT_TIMEOUT_S 60
#define DEFAULT_MEM_MB 512
/* After the guest reported the exit status it powers off at once; a VM that
 * is still there after this long is killed. */

static void on_signal(int sig)
{
	vmtest_signal = sig;
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
	struct vmtest_run *r;

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
	if (vmtest_choose_machine(&t, arch)) {
		rc = -EUSAGE;
		goto restore;
	}
	if (vm_find_qemu(t.machine, &t.qemu))
		goto restore;
	t.kvm = vm_kvm_usable(t.machine);
	report_debug("machine: %s, accelerator: %s", t.machine->arch,
		     t.kvm ? "kvm" : "tcg (KVM is not usable here)");
	if (toolchain_arch_is_cross(toolchain_arch_find(t.machine->arch)) &&
	    vmtest_find_busybox(&t, kcache))
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

		long long t0 = vmtest_now_ns();
		struct stat st;

		if (vm_rootfs_write(&ro, t.initrd))
			goto restore;
		if (stat(t.initrd, &st) == 0)
			report_debug("initramfs: %lld KiB in %lld ms", (long long)st.st_size / 1024,
				     (vmtest_now_ns() - t0) / 1000000);
	}
	if (vmtest_signal)
		goto interrupted;
	if (t.modules.n && vmtest_add_modules(&t, kcache))
		goto restore;
	if (vmtest_signal)
		goto interrupted;
	ran = true;
	err = vmtest_run_all(&t);
	if (err == -EINTR)
		goto interrupted;

	for (size_t i = 0; i < t.n; i++)
		failed += !vmtest_run_ok(&t.runs[i]);
	vmtest_explain_failures(&t, keep_logs);
	if (t.json)
		vmtest_print_json(&t, keep_logs);
	else
		vmtest_print_table(&t);
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
	vmtest_kill_all(&t, VMTEST_INTERRUPTED);
	rc = -EINTR;	/* main says "interrupted" */
	keep_logs = false;
restore:
	vmtest_cleanup(&t, keep_logs && ran);
	memset(&t, 0, sizeof(t));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
out:
	vmtest_cleanup(&t, false);
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
