/* The same kfuncs declared __weak and called only behind bpf_ksym_exists():
 * libbpf poisons the calls on kernels without them, and they are dead code
 * there: ok everywhere. */
#include "check_test.h"

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

__u64 runs;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (bpf_ksym_exists(bpf_task_acquire) && bpf_ksym_exists(bpf_task_release)) {
		struct task_struct *t = bpf_task_acquire(p);

		if (t) {
			runs++;
			bpf_task_release(t);
		}
	}
	return 0;
}
