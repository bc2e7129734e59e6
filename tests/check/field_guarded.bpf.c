/* The same read behind bpf_core_field_exists(), with the old name as a
 * flavour: each kernel's unresolved relocation is dead code: ok everywhere. */
#include "check_test.h"

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

__u64 last_state;

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	if (bpf_core_field_exists(t->__state)) {
		last_state = BPF_CORE_READ(t, __state);
	} else {
		struct task_struct___old *o = (void *)t;

		last_state = BPF_CORE_READ(o, state);
	}
	return 0;
}
