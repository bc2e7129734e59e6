/* vmtest: the engine behind `bpfpack vmtest`: runs a command in a qemu VM
 * on each kernel, up to N at once with a deadline each (vmtest_sched.c),
 * reports per kernel (vmtest_report.c: the table, --json, what went wrong)
 * and builds the per-kernel initrds with modules (vmtest_modules.c). The
 * command (cmd/vmtest.c) parses the flags, fills struct vmtest and calls
 * these in order. */
#ifndef BPFPACK_VMTEST_H
#define BPFPACK_VMTEST_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../lib/buf.h"
#include "vm.h"
#include "vm_guest.h"
#include "vm_kernel.h"

enum vmtest_result {
	VMTEST_PENDING,
	VMTEST_EXIT,		/* the command ran; exit_status says how it ended */
	VMTEST_TIMEOUT,	/* killed at the deadline */
	VMTEST_NO_RESULT,	/* the guest stopped without reporting (panic, init failed) */
	VMTEST_QEMU_FAILED,	/* qemu could not start the machine */
	VMTEST_INTERRUPTED,	/* bpfpack was interrupted */
};

struct vmtest_run {
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
	enum vmtest_result result;
	int qemu_status;
};

struct vmtest {
	struct vmtest_run *runs;
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

/* Set by the command's signal handler: the scheduler kills every VM and
 * stops. */
extern volatile sig_atomic_t vmtest_signal;

/* CLOCK_MONOTONIC in nanoseconds. */
long long vmtest_now_ns(void);

/* vmtest_sched.c */
/* Decides the machine from ARCH (--arch, may be NULL) and the kernels:
 * they must all be of one arch, and of ARCH when it is given. */
int vmtest_choose_machine(struct vmtest *t, const char *arch);
/* Runs every VM, up to t->parallel at once. Returns -EINTR when interrupted. */
int vmtest_run_all(struct vmtest *t);
/* Kills the VMs still running; WHY is their result. */
void vmtest_kill_all(struct vmtest *t, enum vmtest_result why);
/* Removes the temp directory, or with KEEP_LOGS only the big files in it,
 * and frees T's runs. */
void vmtest_cleanup(struct vmtest *t, bool keep_logs);

/* vmtest_report.c */
bool vmtest_run_ok(const struct vmtest_run *r);
void vmtest_print_table(const struct vmtest *t);
void vmtest_print_json(const struct vmtest *t, bool keep_logs);
/* Says on stderr what went wrong with each VM that gave no exit status. */
void vmtest_explain_failures(const struct vmtest *t, bool keep_logs);

/* vmtest_modules.c */
/* --modules: for each kernel that came as a package, an initrd that adds the
 * modules (vm_modules.h), made once and kept in the cache KCACHE (may be
 * NULL); a boot image has none to add, which is said. */
int vmtest_add_modules(struct vmtest *t, const char *kcache);
/* A guest of another arch than this machine's: its busybox (vm_busybox.h),
 * looked for in the cache KCACHE too; sets t->busybox or reports. */
int vmtest_find_busybox(struct vmtest *t, const char *kcache);

#endif
