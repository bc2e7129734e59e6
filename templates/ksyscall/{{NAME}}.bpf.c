// SPDX-License-Identifier: GPL-2.0
/* {{NAME}}: the BPF side. A ksyscall probe on kill() saves its arguments per
 * thread; a kretsyscall probe adds the result and sends the record to user
 * space. libbpf picks the syscall's kernel symbol for the running kernel
 * (__x64_sys_kill, __se_sys_kill or sys_kill) and BPF_KSYSCALL unpacks the
 * arguments whether or not the kernel uses syscall wrappers. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "{{NAME}}.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; 0 means "every process". */
const volatile int targ_pid = 0;	/* only signals sent by this process */
const volatile int targ_sig = 0;	/* only this signal */

/* In-flight calls, by thread ID: entry and return run in the same thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("ksyscall/kill")
int BPF_KSYSCALL(kill_entry, pid_t target, int sig)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event e = {};

	if (targ_pid && (int)(id >> 32) != targ_pid)
		return 0;
	if (targ_sig && sig != targ_sig)
		return 0;
	e.pid = id >> 32;
	e.target = target;
	e.sig = sig;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

SEC("kretsyscall/kill")
int BPF_KRETPROBE(kill_exit, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&inflight, &tid);

	if (!e)
		return 0;
	e->ret = (int)ret;
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
