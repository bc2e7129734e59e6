/* bpf_ktime_get_coarse_ns (helper 160) came in 5.11: load-fail on 5.10. */
#include "check_test.h"

__u64 last;

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	last = bpf_ktime_get_coarse_ns();
	return 0;
}
