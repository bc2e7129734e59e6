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

# Every script in bench/, so a new one is covered without a line here; the
# ones that need more than this machine has say why they skip.
for script in "$BPFPACK_ROOT"/bench/*.sh; do
	name=$(basename "$script")
	args=(-n 1)
	case $name in
	check.sh | scale.sh | collection.sh)
		# t-check-bench, t-bench-scale and t-bench-collection run these in
		# their short modes, with checks of their own output.
		continue ;;
	btf.sh)
		# Without a corpus it measures only the start-up part, and says so.
		args+=(-s 3) ;;
	vmtest.sh)
		if ! command -v qemu-system-x86_64 >/dev/null; then
			t_skip "bench/$name -n 1" "no qemu-system-x86_64"
			continue
		fi ;;
	arm64.sh)
		if ! missing=$(bash "$BPFPACK_ROOT/tests/setup-arm64.sh" --check 2>&1); then
			t_skip "bench/$name -n 1" "not set up (run tests/setup-arm64.sh): $(echo "$missing" | tr '\n' ' ')"
			continue
		fi ;;
	esac
	bench_run "bench/$name ${args[*]} runs, both sides doing the same work" "$name" "${args[@]}"
done
t_done
