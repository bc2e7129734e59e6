/* The tracepoint block/block_io_start came in 6.5: attach-fail on 5.10, 6.1. */
#include "check_test.h"

__u64 runs;

SEC("tp/block/block_io_start")
int on_io(void *ctx)
{
	runs++;
	return 0;
}
