/* An fentry target no kernel has: libbpf cannot find its BTF: load-fail. */
#include "check_test.h"

__u64 runs;

SEC("fentry/bpfpack_no_such_function")
int BPF_PROG(on_call)
{
	runs++;
	return 0;
}
