#!/usr/bin/env bash
# bench/check.sh: `bpfpack check` over a whole btfhub corpus, against the floor
# of only decoding it.
#
# 1. Cold: `bpfpack check -j 2` of the example tools' BPF objects over every
#    kernel of the corpus, with an empty cache, against `xz -dc` of every
#    kernel's .btf.tar.xz to /dev/null, two at a time (decoding is the floor:
#    check must decode each kernel once). Sides alternate, so machine noise
#    lands on both; medians and their ratio.     goal: check / decode <= 1.3
# 2. Warm: the same check again, everything cached.  goal: < 100 ms
#
# The objects are compiled here from examples/tools/*.bpf.c (clang, with a
# vmlinux.h of the corpus's newest kernel), so no `bpfpack build` is needed.
#
# usage: bench/check.sh [-n RUNS]   (default 3; the test suite runs -n 1)
# BPFPACK_BTF_CORPUS names the corpus (default: ../shared/btf-corpus beside
# the tree); without it the benchmark is skipped with a message. Exits 0 when
# the benchmark ran (whatever the verdicts), 1 when a step failed, 2 on bad
# usage.
set -euo pipefail

COLD_RATIO_GOAL=1.3
WARM_MS_GOAL=100
JOBS=2

usage() {
	echo "usage: $0 [-n RUNS]" >&2
	exit 2
}
runs=3
while getopts ":n:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	h) echo "usage: $0 [-n RUNS]"; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n takes a positive number, not '$runs'" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BPFPACK=$ROOT/bin/bpfpack
CORPUS=${BPFPACK_BTF_CORPUS:-$(cd "$ROOT/.." && pwd)/shared/btf-corpus}
if [ ! -d "$CORPUS" ]; then
	echo "bench/check.sh: skipped: no corpus at $CORPUS (set BPFPACK_BTF_CORPUS)"
	exit 0
fi
[ -x "$BPFPACK" ] || { echo "bench/check.sh: $BPFPACK is not built (run make)" >&2; exit 1; }
CLANG=$(command -v clang-19 || command -v clang) || { echo "bench/check.sh: clang not found" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-bench-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

mapfile -t kernels < <(find "$CORPUS" -name '*.btf.tar.xz' | sort)
[ ${#kernels[@]} -gt 0 ] || { echo "bench/check.sh: no .btf.tar.xz under $CORPUS" >&2; exit 1; }
newest=$(printf '%s\n' "${kernels[@]}" | sort -V | tail -n 1)
"$BPFPACK" vmlinux --btf "$newest" -o "$TMP/vmlinux.h"
objs=()
for src in "$ROOT"/examples/tools/*.bpf.c; do
	o=$TMP/$(basename "$src" .c).o
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -I"$TMP" -I"$ROOT/examples/tools" \
		-I"/usr/include/$(gcc -dumpmachine)" -c "$src" -o "$o"
	objs+=(--object "$o")
done

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

decode_ms=() cold_ms=() warm_ms=()
for ((i = 0; i < runs; i++)); do
	t0=$(now_ms)
	printf '%s\0' "${kernels[@]}" | xargs -0 -P "$JOBS" -n 1 sh -c 'xz -dc "$0" >/dev/null'
	t1=$(now_ms)
	decode_ms+=($((t1 - t0)))

	rm -rf "$TMP/cache"
	t0=$(now_ms)
	BPFPACK_CACHE_DIR=$TMP/cache "$BPFPACK" check "${objs[@]}" --btf "$CORPUS" -j "$JOBS" --json >"$TMP/cold.json"
	t1=$(now_ms)
	cold_ms+=($((t1 - t0)))

	t0=$(now_ms)
	BPFPACK_CACHE_DIR=$TMP/cache "$BPFPACK" check "${objs[@]}" --btf "$CORPUS" -j "$JOBS" --json >"$TMP/warm.json"
	t1=$(now_ms)
	warm_ms+=($((t1 - t0)))
	cmp -s "$TMP/cold.json" "$TMP/warm.json" || { echo "bench/check.sh: the warm run's verdicts differ from the cold run's" >&2; exit 1; }
done

d=$(printf '%s\n' "${decode_ms[@]}" | median)
c=$(printf '%s\n' "${cold_ms[@]}" | median)
w=$(printf '%s\n' "${warm_ms[@]}" | median)
ratio=$(awk -v c="$c" -v d="$d" 'BEGIN { printf "%.2f", (d > 0 ? c / d : 0) }')
verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then echo met; else echo "NOT met"; fi; }

echo "bench/check.sh: ${#kernels[@]} kernels, $((${#objs[@]} / 2)) objects, -j $JOBS, median of $runs run(s)"
echo "  xz-decode only   ${d} ms"
echo "  check, cold      ${c} ms   ratio ${ratio} (goal <= ${COLD_RATIO_GOAL}: $(verdict "$ratio" $COLD_RATIO_GOAL))"
echo "  check, warm      ${w} ms   (goal < ${WARM_MS_GOAL} ms: $(verdict "$w" $((WARM_MS_GOAL - 1))))"
