/* Nothing any of the kernels lacks: ok everywhere. */
#include "check_test.h"

__u64 runs;

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	runs++;
	return 0;
}
