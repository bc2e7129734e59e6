/* An fentry program on a function every kernel has (do_unlinkat): ok on a
 * kernel with BTF; on a kernel without BTF of its own, libbpf needs the
 * kernel's BTF for it whatever BTF the tool brings: load-fail, "needs kernel
 * BTF". */
#include "check_test.h"

__u64 runs;

SEC("fentry/do_unlinkat")
int BPF_PROG(on_unlink)
{
	runs++;
	return 0;
}
