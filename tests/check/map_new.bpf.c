/* BPF_MAP_TYPE_BLOOM_FILTER came in 5.16: load-fail on 5.10. */
#include "check_test.h"

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, __u32);
} seen SEC(".maps");

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	bpf_map_push_elem(&seen, &pid, 0);
	return 0;
}
