/* bpf_get_current_task_btf (helper 158) came in 5.11: load-fail on 5.10.
 * (A tracepoint program may call it; not every new helper is allowed in
 * every program type, which BTF cannot tell.) */
#include "check_test.h"

__u64 last;

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();

	last = BPF_CORE_READ(t, tgid);
	return 0;
}
