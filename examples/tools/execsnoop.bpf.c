// SPDX-License-Identifier: GPL-2.0
/* execsnoop: the BPF side. At execve() entry (syscalls:sys_enter_execve) it
 * copies the file name and arguments while they are still in the caller's
 * memory; at the exit (sys_exit_execve) it adds the result and the new
 * command name and sends the record. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "execsnoop.h"

char LICENSE[] SEC("license") = "GPL";

const volatile unsigned int targ_uid = INVALID_UID;	/* only this user */
const volatile bool failed_only = false;

/* execve()s in progress, by thread ID. Too big for the BPF stack: built in
 * place in the map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);
} events SEC(".maps");

static const struct event empty_event;

SEC("tp/syscalls/sys_enter_execve")
int handle_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	unsigned int uid = (unsigned int)bpf_get_current_uid_gid();
	const char **argv = (const char **)ctx->args[1];
	__u32 tid = (__u32)id;
	struct task_struct *task;
	const char *argp;
	struct event *e;
	int ret;

	if (targ_uid != INVALID_UID && uid != targ_uid)
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &empty_event, BPF_NOEXIST))
		return 0;
	e = bpf_map_lookup_elem(&execs, &tid);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->uid = uid;
	task = (struct task_struct *)bpf_get_current_task();
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);

	ret = bpf_probe_read_user_str(e->args, ARGSIZE, (const char *)ctx->args[0]);
	if (ret < 0)
		return 0;
	e->args_size = ret;
	e->args_count = 1;
	for (int i = 1; i < MAX_ARGS; i++) {
		if (bpf_probe_read_user(&argp, sizeof(argp), &argv[i]) || !argp)
			return 0;
		/* Tells the verifier the copy below stays inside args. */
		if (e->args_size > LAST_ARG)
			return 0;
		ret = bpf_probe_read_user_str(&e->args[e->args_size], ARGSIZE, argp);
		if (ret < 0)
			return 0;
		e->args_count++;
		e->args_size += ret;
	}
	/* More arguments than fit: count one more, so user space says "...". */
	if (!bpf_probe_read_user(&argp, sizeof(argp), &argv[MAX_ARGS]) && argp)
		e->args_count++;
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int handle_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&execs, &tid);
	long ret = ctx->ret;
	unsigned int len;

	if (!e)
		return 0;
	if (!failed_only || ret < 0) {
		e->retval = (int)ret;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		/* Send only the part of args in use. */
		len = __builtin_offsetof(struct event, args) + e->args_size;
		if (len > sizeof(*e))
			len = sizeof(*e);
		bpf_ringbuf_output(&events, e, len, 0);
	}
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}
