/* vm_guest: the guest's /init script and the host side of its channel. */
#include "vm_guest.h"
#include "vm_modules.h"

#include <stdlib.h>
#include <string.h>

void vm_guest_shell_quote(struct buf *out, const char *s)
{
	buf_append_str(out, "'");
	for (; *s; s++) {
		if (*s == '\'')
			buf_append_str(out, "'\\''");
		else
			buf_append(out, s, 1);
	}
	buf_append_str(out, "'");
}

/* Mount failures are reported on the console, not fatal: a small kernel may
 * lack debugfs or securityfs and the command may not need them. */
static const char init_head[] =
	"#!/bin/busybox sh\n"
	"# /init of a bpfpack vmtest guest (generated): mounts the usual file systems,\n"
	"# runs the command as root with its output on the channel $ch, powers off.\n"
	"/bin/busybox --install -s\n"
	"export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n"
	"m() {\n"
	"\tmkdir -p \"$2\" 2>/dev/null\n"
	"\tmount -t \"$1\" \"$1\" \"$2\" 2>/dev/null || echo \"bpfpack-init: cannot mount $1 on $2\"\n"
	"}\n"
	"m proc /proc\n"
	"m sysfs /sys\n"
	"m devtmpfs /dev\n"
	"m tracefs /sys/kernel/tracing\n"
	"m debugfs /sys/kernel/debug\n"
	"m bpf /sys/fs/bpf\n"
	"m securityfs /sys/kernel/security\n"
	"m cgroup2 /sys/fs/cgroup\n"
	"mkdir -p /tmp /run /root\n";

/* After "ch=<the channel>". */
static const char init_channel[] =
	"stty -F $ch raw -echo || echo \"bpfpack-init: cannot set up $ch\"\n"
	"s() { echo \"S$*\" >$ch; }\n"
	"s release \"$(uname -r)\"\n"
	"if [ -e /sys/kernel/btf/vmlinux ]; then s btf 1; else s btf 0; fi\n"
	"s lsm \"$(cat /sys/kernel/security/lsm 2>/dev/null)\"\n"
	/* Modules (vmtest --modules, vm/vm_modules.h), dependencies first; a
	 * failure is said on the command's stderr, and the command runs. */
	"if [ -f " VM_MODULES_LIST " ]; then\n"
	"\twhile read -r mod; do\n"
	"\t\tinsmod \"$mod\" 2>/run/bpfpack-insmod ||\n"
	"\t\t\techo \"2bpfpack-init: cannot load $mod: $(cat /run/bpfpack-insmod)\" >$ch\n"
	"\tdone <" VM_MODULES_LIST "\n"
	"fi\n";

/* The command's stdout and stderr go through fifos to two awks that prefix
 * each line with its stream and write it whole to the channel. */
static const char init_run[] =
	"mkfifo /run/bpfpack-out /run/bpfpack-err\n"
	"awk '{ print \"1\" $0; fflush() }' </run/bpfpack-out >$ch &\n"
	"o=$!\n"
	"awk '{ print \"2\" $0; fflush() }' </run/bpfpack-err >$ch &\n"
	"e=$!\n"
	"s start\n"
	"\"$@\" </dev/null >/run/bpfpack-out 2>/run/bpfpack-err\n"
	"rc=$?\n"
	"wait $o $e\n";

char *vm_guest_init_script(const struct vm_guest_opts *o)
{
	struct buf b = {0};

	buf_append_str(&b, init_head);
	buf_append_str(&b, "ch=");
	vm_guest_shell_quote(&b, o->channel ? o->channel : VM_GUEST_CHANNEL);
	buf_append_str(&b, "\n");
	buf_append_str(&b, init_channel);
	if (o->hide_btf)
		buf_append_str(&b, "[ -d /sys/kernel/btf ] && "
				   "mount -t tmpfs -o mode=0555 bpfpack-no-btf /sys/kernel/btf\n");
	if (o->watchdog_s > 0)
		buf_printf(&b, "(sleep %d; echo \"bpfpack-init: watchdog: powering off after %d s\"; "
			       "poweroff -f) &\n", o->watchdog_s, o->watchdog_s);
	buf_append_str(&b, "mkdir -p ");
	vm_guest_shell_quote(&b, o->cwd);
	buf_append_str(&b, " && cd ");
	vm_guest_shell_quote(&b, o->cwd);
	buf_append_str(&b, "\nset --");
	for (size_t i = 0; o->argv[i]; i++) {
		buf_append_str(&b, " ");
		vm_guest_shell_quote(&b, o->argv[i]);
	}
	buf_append_str(&b, "\n");
	buf_append_str(&b, init_run);
	if (o->dump_kernel_log)
		buf_append_str(&b, "echo 'bpfpack-init: kernel log:'; dmesg\n");
	buf_append_str(&b, "s exit $rc\npoweroff -f\n");
	return b.data;
}

void vm_guest_channel_init(struct vm_guest_channel *ch, vm_guest_sink_fn sink, void *ctx)
{
	memset(ch, 0, sizeof(*ch));
	ch->sink = sink;
	ch->ctx = ctx;
	ch->report.btf = -1;
}

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static void handle_status(struct vm_guest_report *r, char *line)
{
	char *value = strchr(line, ' ');

	if (value)
		*value++ = '\0';
	else
		value = line + strlen(line);
	if (!strcmp(line, "release"))
		set_str(&r->release, value);
	else if (!strcmp(line, "btf"))
		r->btf = !strcmp(value, "1");
	else if (!strcmp(line, "lsm"))
		set_str(&r->lsm, value);
	else if (!strcmp(line, "start"))
		r->started = true;
	else if (!strcmp(line, "exit")) {
		char *end;
		long v = strtol(value, &end, 10);

		if (end != value && *end == '\0' && v >= 0 && v <= 255) {
			r->exited = true;
			r->exit_status = (int)v;
		}
	}
}

/* LINE includes its newline. */
static void handle_line(struct vm_guest_channel *ch, char *line, size_t len)
{
	switch (line[0]) {
	case '1':
	case '2':
		if (ch->sink)
			ch->sink(ch->ctx, line[0] == '1' ? VM_GUEST_STDOUT : VM_GUEST_STDERR,
				 line + 1, len - 1);
		break;
	case 'S':
		line[len - 1] = '\0';
		handle_status(&ch->report, line + 1);
		break;
	default:
		/* Not a frame (noise before the port was set up): dropped. */
		break;
	}
}

void vm_guest_channel_feed(struct vm_guest_channel *ch, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;

		buf_append(&ch->partial, data, n);
		data += n;
		len -= n;
		if (!nl)
			break;
		handle_line(ch, ch->partial.data, ch->partial.len);
		buf_reset(&ch->partial);
	}
}

void vm_guest_channel_free(struct vm_guest_channel *ch)
{
	free(ch->report.release);
	free(ch->report.lsm);
	buf_free(&ch->partial);
	memset(ch, 0, sizeof(*ch));
}
