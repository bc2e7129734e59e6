/* vm_guest: the inside of a vmtest VM and what it reports. It writes the
 * guest's /init (a busybox sh script) and parses the channel through which
 * the guest reports back.
 *
 * The kernel's console (and init's own messages) stay on the machine's
 * console (ttyS0 on x86_64, ttyAMA0 on arm64), which the host keeps in a log
 * file. Everything the host needs comes through a second serial port, the
 * channel (ttyS1 on x86_64, a PCI 16550 that is ttyS0 on arm64: see vm.h), in
 * raw mode, as lines whose first byte says what they are:
 *   "1<text>"   a line of the command's stdout
 *   "2<text>"   a line of the command's stderr
 *   "S<key> <value>"   a status: release, btf (0/1, before --no-btf hid it),
 *                      lsm (the active LSMs), start, exit <status>
 * A line of output longer than busybox awk's buffer may interleave with a line
 * of the other stream; a last line without a newline gets one. */
#ifndef BPFPACK_VM_GUEST_H
#define BPFPACK_VM_GUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"

/* The guest's device for the channel on x86_64 (the default). */
#define VM_GUEST_CHANNEL "/dev/ttyS1"

struct vm_guest_opts {
	char *const *argv;	/* the command, as the guest runs it */
	const char *channel;	/* the channel's device in the guest; NULL: VM_GUEST_CHANNEL */
	const char *cwd;	/* the guest's working directory (created) */
	bool hide_btf;		/* mount an empty tmpfs over /sys/kernel/btf */
	bool dump_kernel_log;	/* print dmesg on the console before powering off */
	int watchdog_s;		/* the guest powers itself off after this (0: never) */
};

/* The text of /init; malloc'd. */
char *vm_guest_init_script(const struct vm_guest_opts *o);

enum vm_guest_stream {
	VM_GUEST_STDOUT = 1,
	VM_GUEST_STDERR = 2,
};

/* What the guest said about itself. */
struct vm_guest_report {
	char *release;		/* uname -r, or NULL */
	int btf;		/* /sys/kernel/btf/vmlinux existed: 1, 0, or -1 unknown */
	char *lsm;		/* /sys/kernel/security/lsm, or NULL */
	bool started;		/* the command was started */
	bool exited;		/* ... and exited with EXIT_STATUS */
	int exit_status;
};

typedef void (*vm_guest_sink_fn)(void *ctx, enum vm_guest_stream stream, const char *data,
				 size_t len);

struct vm_guest_channel {
	vm_guest_sink_fn sink;	/* gets each line of output, with its newline */
	void *ctx;
	struct vm_guest_report report;
	struct buf partial;	/* the unfinished last line */
};

void vm_guest_channel_init(struct vm_guest_channel *ch, vm_guest_sink_fn sink, void *ctx);
/* Feeds bytes read from the channel; complete lines are handled at once. */
void vm_guest_channel_feed(struct vm_guest_channel *ch, const char *data, size_t len);
void vm_guest_channel_free(struct vm_guest_channel *ch);

/* Appends S to OUT quoted for a POSIX shell ('...'). */
void vm_guest_shell_quote(struct buf *out, const char *s);

#endif
