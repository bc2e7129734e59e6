#!/bin/bash
# t-vmlinux: `bpfpack vmlinux` end to end: the header equals bpftool's
# `btf dump ... format c`, --btf reads raw BTF files, bad inputs fail with one
# line and leave no file behind, and the header compiles for the BPF target.
# One line per check, as tests/e2e/lib.sh prints them.
. "$(dirname "$0")/lib.sh"
KERNEL_BTF=/sys/kernel/btf/vmlinux
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
CLANG=$(command -v clang-19 || command -v clang || echo clang-19)

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make bin/bpfpack"
	t_done
fi
tmp=$T_TMP

have_kernel_btf=0
[ -r "$KERNEL_BTF" ] && have_kernel_btf=1
have_bpftool=0
"$BPFTOOL" version >/dev/null 2>&1 && have_bpftool=1

# A failing run ends as every bpfpack error does (lib.sh's t_expect_error):
# exit 1, one "bpfpack: vmlinux: ..." line (and "hint:" lines), nothing on
# stdout. Sets $err to that line, for the caller's own checks.
fails_with_one_line() { # NAME ARGS...
	local name=$1 rc lines
	shift
	"$BPFPACK" vmlinux "$@" >"$tmp/fail.out" 2>"$tmp/fail.err"
	rc=$?
	err=$(grep -v '^hint: ' "$tmp/fail.err")
	lines=$(grep -vc '^hint: ' "$tmp/fail.err")
	if [ $rc -ne 1 ]; then
		t_fail "$name" "exit status $rc, expected 1" "$(cat "$tmp/fail.err")"
	elif [ "$lines" -ne 1 ]; then
		t_fail "$name" "expected one error line on stderr, got $lines" "$(cat "$tmp/fail.err")"
	elif [[ $err != "bpfpack: vmlinux: "* ]]; then
		t_fail "$name" "stderr does not start with 'bpfpack: vmlinux: '" "$err"
	elif [ -s "$tmp/fail.out" ]; then
		t_fail "$name" "printed to stdout on failure"
	else
		return 0
	fi
	return 1
}

# 1. Identical to bpftool for the running kernel.
name="output equals bpftool btf dump format c of $KERNEL_BTF"
if [ $have_kernel_btf = 0 ]; then
	t_skip "$name" "the running kernel has no BTF"
elif [ $have_bpftool = 0 ]; then
	t_skip "$name" "bpftool not found"
else
	"$BPFPACK" vmlinux >"$tmp/ours.h" 2>"$tmp/ours.err"
	rc=$?
	"$BPFTOOL" btf dump file "$KERNEL_BTF" format c >"$tmp/bpftool.h"
	if [ $rc -ne 0 ]; then
		t_fail "$name" "exit status $rc: $(cat "$tmp/ours.err")"
	elif ! cmp -s "$tmp/ours.h" "$tmp/bpftool.h"; then
		t_fail "$name" "$(diff "$tmp/ours.h" "$tmp/bpftool.h" | head -20)"
	elif [ -s "$tmp/ours.err" ]; then
		t_fail "$name" "printed on stderr: $(cat "$tmp/ours.err")"
	else
		t_ok "$name"
	fi
fi

# 2. --btf on a copy of the raw BTF file, written with -o.
name="--btf reads a raw BTF file and -o writes the header"
if [ $have_kernel_btf = 0 ] || [ $have_bpftool = 0 ]; then
	t_skip "$name" "needs kernel BTF and bpftool"
else
	cp "$KERNEL_BTF" "$tmp/copy.btf"
	mkdir "$tmp/out"
	if ! "$BPFPACK" vmlinux --btf "$tmp/copy.btf" -o "$tmp/out/vmlinux.h" 2>"$tmp/copy.err"; then
		t_fail "$name" "failed: $(cat "$tmp/copy.err")"
	elif ! cmp -s "$tmp/out/vmlinux.h" "$tmp/bpftool.h"; then
		t_fail "$name" "$(diff "$tmp/out/vmlinux.h" "$tmp/bpftool.h" | head -20)"
	elif [ "$(ls -A "$tmp/out")" != vmlinux.h ]; then
		t_fail "$name" "left files beside the output: $(ls -A "$tmp/out")"
	else
		t_ok "$name"
	fi
fi

# 3. A truncated BTF file: one clear line, exit 1, nothing written.
name="--btf on a truncated file fails with one line and leaves no output"
if [ $have_kernel_btf = 0 ]; then
	t_skip "$name" "needs kernel BTF to cut"
else
	head -c 100000 "$KERNEL_BTF" >"$tmp/truncated.btf"
	mkdir -p "$tmp/trunc-out"
	if fails_with_one_line "$name" --btf "$tmp/truncated.btf" -o "$tmp/trunc-out/vmlinux.h"; then
		if [ -n "$(ls -A "$tmp/trunc-out")" ]; then
			t_fail "$name" "left behind: $(ls -A "$tmp/trunc-out")"
		elif [[ $err != *truncated* ]]; then
			t_fail "$name" "does not say the file is truncated: $err"
		else
			t_ok "$name"
		fi
	fi
fi

# 4. Files that are not BTF say what they are.
name="--btf on compressed data names the format"
printf '\xfd7zXZ\0\0\4\xe6\xd6\xb4\x46' >"$tmp/vmlinux.btf.xz"
t_expect_error "$name" 1 "xz-compressed" "$BPFPACK" vmlinux --btf "$tmp/vmlinux.btf.xz"

name="--btf on a missing file fails with one line"
if fails_with_one_line "$name" --btf "$tmp/no-such-file.btf"; then
	if [[ $err == *"No such file or directory"* ]]; then t_ok "$name"; else t_fail "$name" "$err"; fi
fi

# 5. -o into a directory that does not exist.
name="-o into a nonexistent directory fails clearly"
if fails_with_one_line "$name" -o "$tmp/no/such/dir/vmlinux.h"; then
	if [[ $err == *"$tmp/no/such/dir"*"does not exist"* ]] && [ ! -e "$tmp/no" ]; then
		t_ok "$name"
	else
		t_fail "$name" "unclear message: $err"
	fi
fi

# 6. Usage errors and help.
t_expect_error "an unknown flag is a usage error (exit 2)" 2 "unknown option.*--no-such-flag" \
	"$BPFPACK" vmlinux --no-such-flag
t_check "--help prints the usage and exits 0" \
	bash -c '"$1" vmlinux --help | grep -q "^usage: bpfpack vmlinux"' _ "$BPFPACK"

# 7. The header compiles for the BPF target.
name="vmlinux.h compiles with clang -target bpf"
if [ $have_kernel_btf = 0 ]; then
	t_skip "$name" "the running kernel has no BTF"
elif ! "$CLANG" --version >/dev/null 2>&1; then
	t_skip "$name" "clang-19 not found"
else
	mkdir -p "$tmp/prog"
	"$BPFPACK" vmlinux -o "$tmp/prog/vmlinux.h"
	cat >"$tmp/prog/probe.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, pid_t);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	pid_t pid = BPF_CORE_READ(task, tgid);
	u64 one = 1, *n;

	(void)ctx;
	n = bpf_map_lookup_elem(&counts, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	return 0;
}
EOF
	if "$CLANG" -target bpf -O2 -g -c "$tmp/prog/probe.bpf.c" -o "$tmp/prog/probe.bpf.o" \
		2>"$tmp/prog/clang.err"; then
		t_ok "$name"
	else
		t_fail "$name" "$(head -20 "$tmp/prog/clang.err")"
	fi
fi

t_done
