// SPDX-License-Identifier: GPL-2.0
/* bashreadline: the BPF side. A uretprobe on readline() in bash: when it
 * returns, its result is the command line the user typed (before bash expands
 * it), in the shell's memory. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bashreadline.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("uretprobe")
int BPF_URETPROBE(readline_return, const char *line)
{
	struct event *e;

	/* NULL: end of input (Ctrl-D). */
	if (!line)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(&e->line, sizeof(e->line), line) < 0)
		e->line[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}
