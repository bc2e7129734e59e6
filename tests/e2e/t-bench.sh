#!/usr/bin/env bash
# t-bench: every benchmark (bench/*.sh) still runs, once, in its short mode
# (-n 1). Each script checks on its own that both sides did the same work
# (the same commands, the same outputs) and exits 1 when they did not; this
# test checks only that it ran and said so. No timing verdicts: the machine
# is shared, so PASS/MISS lines are printed by the scripts and ignored here.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1
# The benchmarks use bpfpack's own cache (kernels, BTF): the real one, as
# the other VM tests do, so nothing is downloaded twice.
REAL_CACHE=${BPFPACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack}
export BPFPACK_CACHE_DIR=$REAL_CACHE

# bench_run NAME SCRIPT ARGS...: SCRIPT must exit 0 having printed its
# results, else its last lines are shown.
bench_run() {
	local name=$1 script=$2 rc
	shift 2
	nice bash "$BPFPACK_ROOT/bench/$script" "$@" >"$script.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ -s "$script.out" ]; then
		t_ok "$name"
	else
		t_fail "$name" "exit $rc" "$(tail -n 25 "$script.out")"
	fi
}

bench_run "bench/build.sh -n 1: bpfpack and the Makefile run the same commands and both binaries run" \
	build.sh -n 1

# Without a corpus it measures only the start-up part, and says so.
bench_run "bench/btf.sh -n 1: btf gen and the bpftool loop minimize the same kernels" \
	btf.sh -n 1 -s 3

if command -v qemu-system-x86_64 >/dev/null; then
	bench_run "bench/vmtest.sh -n 1: every kernel boots and reports under vmtest" vmtest.sh -n 1
else
	t_skip "bench/vmtest.sh -n 1" "no qemu-system-x86_64"
fi

if missing=$(bash "$BPFPACK_ROOT/tests/setup-arm64.sh" --check 2>&1); then
	bench_run "bench/arm64.sh -n 1: the arm64 build and VMs run" arm64.sh -n 1
else
	t_skip "bench/arm64.sh -n 1" "not set up (run tests/setup-arm64.sh): $(echo "$missing" | tr '\n' ' ')"
fi
t_done
