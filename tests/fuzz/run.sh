#!/usr/bin/env bash
# tests/fuzz/run.sh: builds the fuzz targets (tests/fuzz/fuzz_*.c, libFuzzer
# with ASan and UBSan, clang-19) and runs each for SECONDS (default 10),
# printing one check per target, counted by tests/run.sh:
#
#   ok - fuzz TARGET (N execs, C inputs in corpus)
#   not ok - fuzz TARGET: crash; reproduce: build/fuzz/bin/fuzz_TARGET build/fuzz/crashes/TARGET/crash-...
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# Inputs: the seeds committed in tests/fuzz/seeds/TARGET/ (small real files
# and the reproducer of every crash found so far, so a bug that comes back
# fails at once), the seeds tests/fuzz/make_seeds.py makes from real files
# (made once into build/fuzz/seeds/), and the corpus earlier runs grew
# (build/fuzz/corpus/TARGET/, kept: each run starts where the last stopped).
# Targets run side by side, one per CPU (at most 4).
# Environment: FUZZ_CC (default clang-19), FUZZ_PARALLEL (default: CPUs, at
# most 4), FUZZ_FLAGS (extra libFuzzer flags, e.g. -dict=... or -jobs=N).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
seconds=${1:-10}
shift || true
FUZZ_CC=${FUZZ_CC:-clang-19}
OUT=build/fuzz
ncpu=$(nproc 2>/dev/null || echo 1)
parallel=${FUZZ_PARALLEL:-$((ncpu > 4 ? 4 : ncpu))}

all_targets=()
for f in tests/fuzz/fuzz_*.c; do
	t=${f#tests/fuzz/fuzz_}
	all_targets+=("${t%.c}")
done
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")

case "$seconds" in
'' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

skip_all() {
	local t
	for t in "${targets[@]}"; do echo "ok - fuzz $t # SKIP $1"; done
	exit 0
}

# libFuzzer and the sanitizers' runtimes come with clang's compiler-rt
# (Debian: libclang-rt-19-dev).
command -v "$FUZZ_CC" >/dev/null || skip_all "$FUZZ_CC not found"
rt=$("$FUZZ_CC" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
if [ ! -f "$rt" ]; then
	rt=$("$FUZZ_CC" -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer.a
	[ -f "$rt" ] || skip_all "no libFuzzer runtime for $FUZZ_CC (apt-get install libclang-rt-19-dev)"
fi

# ---- build ----------------------------------------------------------------
libs=$(sed -n 's/^LIBS :\?= //p' Makefile)
bins=()
for t in "${targets[@]}"; do
	[ -f "tests/fuzz/fuzz_$t.c" ] && bins+=("$OUT/bin/fuzz_$t")
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ "${#bins[@]}" -gt 0 ] && ! make -s -j"$ncpu" -f tests/fuzz/fuzz.mk FUZZ_CC="$FUZZ_CC" OUT="$OUT" \
	${libs:+LIBS="$libs"} "${bins[@]}" >"$log" 2>&1; then
	sed 's/^/#   /' "$log" | tail -n 30
	for t in "${targets[@]}"; do echo "not ok - fuzz $t: the target does not build"; done
	exit 1
fi

# ---- seeds made from real files, once ----------------------------------------
seeds=$OUT/seeds
if [ ! -f "$seeds/.done" ] || [ tests/fuzz/make_seeds.py -nt "$seeds/.done" ] ||
	[ tests/fuzz/seed-prog.bpf.c -nt "$seeds/.done" ]; then
	rm -rf "$seeds.tmp"
	if python3 tests/fuzz/make_seeds.py "$ROOT" "$seeds.tmp" >"$log" 2>&1; then
		rm -rf "$seeds" && mv "$seeds.tmp" "$seeds" && touch "$seeds/.done"
	else
		echo "# make_seeds.py failed: only the committed seeds are used"
	fi
	grep '^#' "$log"
fi

# ---- run ------------------------------------------------------------------------
# One target: fuzz for SECONDS, then write its check line to RESULT.
fuzz_one() {
	local t=$1 result=$2 bin=$OUT/bin/fuzz_$1 flog=$OUT/logs/$1.log
	local corpus=$OUT/corpus/$1 crashes=$OUT/crashes/$1/ rc execs n art
	local dirs=("$corpus") dict=()

	mkdir -p "$corpus" "$crashes" "$OUT/logs"
	[ -d "tests/fuzz/seeds/$t" ] && dirs+=("tests/fuzz/seeds/$t")
	[ -d "$seeds/$t" ] && dirs+=("$seeds/$t")
	# The tokens a format is recognised by, for the targets that have them.
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	# -close_fd_mask=2: the parsers' one-line errors would drown the log
	# (libFuzzer and the sanitizers keep their own copy of stderr).
	# ${FUZZ_FLAGS} is split on purpose: several flags in one variable.
	# Sanitizer options meant for the test suite (log_path) would take the
	# reports away from the log; libFuzzer sets its own.
	# shellcheck disable=SC2086
	env -u ASAN_OPTIONS -u UBSAN_OPTIONS "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -close_fd_mask=2 \
		-print_final_stats=1 -artifact_prefix="$crashes" "${dict[@]}" ${FUZZ_FLAGS:-} "${dirs[@]}" \
		>"$flog" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$flog" | tail -n 1)
	n=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		echo "ok - fuzz $t ($execs execs, $n inputs in corpus)" >"$result"
		return
	fi
	art=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$flog" | tail -n 1)
	{
		grep -E 'ERROR: |SUMMARY: |contract broken|^    #[0-9]+ .* in ' "$flog" |
			grep -v 'in fuzzer::\|in __libc_start\|in _start\|in main ' | head -n 14 | sed 's/^/#   /'
		if [ -n "$art" ]; then
			echo "not ok - fuzz $t: crash; reproduce: $bin $art (log: $flog)"
		else
			echo "not ok - fuzz $t: exit status $rc (log: $flog)"
		fi
	} >"$result"
}

results=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$results"' EXIT
running=0
for t in "${targets[@]}"; do
	if [ ! -x "$OUT/bin/fuzz_$t" ]; then
		echo "not ok - fuzz $t: no such target (have: ${all_targets[*]})" >"$results/$t"
		continue
	fi
	fuzz_one "$t" "$results/$t" &
	running=$((running + 1))
	if [ "$running" -ge "$parallel" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

failed=0
for t in "${targets[@]}"; do
	cat "$results/$t"
	grep -q '^not ok' "$results/$t" && failed=1
done
exit "$failed"
