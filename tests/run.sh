#!/usr/bin/env bash
# tests/run.sh: runs the unit tests (cmocka, TAP output), the end-to-end
# scripts (tests/e2e/t-*.sh) and a short run of every fuzz target, and ends
# with one line "N passed, N failed" (", N skipped" when some could not run
# here). Exit status 1 if any failed.
#
#   tests/run.sh [PATTERN]   only the tests whose file name contains PATTERN
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BPFPACK_ROOT=$ROOT
pattern=${1:-}
passed=0 failed=0 skipped=0
failed_names=()

# Reads TAP-like lines ("ok - x", "not ok - x", "ok - x # SKIP why") from a
# test's output, echoes them, and adds them up.
count() {
	local name=$1 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok "*"# SKIP"*|"not ok "*"# skip"*) skipped=$((skipped + 1)) ;;
		"not ok "*) failed=$((failed + 1)); failed_names+=("$name: ${line#not ok }") ;;
		"ok "*"# SKIP"*|"ok "*"# skip"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

run_one() {
	local name=$1; shift
	local out rc
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	echo "# $name"
	local before=$((passed + failed + skipped)) before_failed=$failed
	count "$name" <"$out"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before_failed" ]; then
		# Crashed or exited non-zero without saying which check failed.
		sed 's/^/#   /' "$out" | tail -n 20
		echo "not ok - $name exited with status $rc"
		failed=$((failed + 1)); failed_names+=("$name: exited with status $rc")
	elif [ $((passed + failed + skipped)) -eq "$before" ]; then
		echo "not ok - $name ran no check"
		failed=$((failed + 1)); failed_names+=("$name: ran no check")
	fi
	rm -f "$out"
}

for t in "$ROOT"/build/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	name=$(basename "$t")
	[[ -z "$pattern" || "$name" == *"$pattern"* ]] || continue
	run_one "unit/$name" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done

for t in "$ROOT"/tests/e2e/t-*.sh; do
	name=$(basename "$t" .sh)
	[[ -z "$pattern" || "$name" == *"$pattern"* ]] || continue
	run_one "e2e/$name" bash "$t"
done

# Every parser of outside input, fuzzed briefly (tests/fuzz/run.sh SECONDS
# for a longer run; FUZZ_SECONDS=0 leaves them out).
fuzz_seconds=${FUZZ_SECONDS:-8}
if [ "$fuzz_seconds" != 0 ] && [[ -z "$pattern" || "fuzz" == *"$pattern"* ]]; then
	run_one "fuzz" bash "$ROOT/tests/fuzz/run.sh" "$fuzz_seconds"
fi

# ./build.sh test --sanitize: every ASan, UBSan or LeakSanitizer report of
# any process of the run landed in this directory; there must be none.
if [ -n "${BPFPACK_SANITIZER_LOGS:-}" ]; then
	reports=$(find "$BPFPACK_SANITIZER_LOGS" -type f -size +0 2>/dev/null | sort)
	if [ -z "$reports" ]; then
		echo "ok - sanitizers: no ASan, UBSan or LeakSanitizer report"
		passed=$((passed + 1))
	else
		n=$(printf '%s\n' "$reports" | wc -l)
		while IFS= read -r r; do
			echo "#   $r:"
			grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$r" | sed 's/^/#     /'
		done <<<"$reports"
		echo "not ok - sanitizers: $n report(s) in $BPFPACK_SANITIZER_LOGS"
		failed=$((failed + 1)); failed_names+=("sanitizers: $n report(s)")
	fi
fi

if [ "${#failed_names[@]}" -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed_names[@]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
