/* __weak kfuncs called without a bpf_ksym_exists() guard: where the kernel
 * lacks them the poisoned call is reachable: load-fail on 5.10 and 6.1. */
#include "check_test.h"

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

__u64 runs;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_task_acquire(p);

	if (t) {
		runs++;
		bpf_task_release(t);
	}
	return 0;
}
