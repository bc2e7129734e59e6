/* task_struct.state became __state in 5.14; read without a guard: the
 * relocation cannot resolve on 5.10 and is reachable: load-fail there. */
#include "check_test.h"

__u64 last_state;

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	last_state = BPF_CORE_READ(t, __state);
	return 0;
}
