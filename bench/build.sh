#!/usr/bin/env bash
# bench/build.sh: times `bpfpack build` of the default template against
# bench/Makefile (libbpf-bootstrap style, same compilers, same flags, the
# same steps: bpfpack's runtime -> libbpfpack.a, link, objcopy embed) in one
# run: a cold build (no .output/, no binary) and a no-op rebuild, each side
# alternating with the other so machine noise lands on both. Prints the
# medians, the bpfpack/make ratios and PASS/MISS against the goals:
#   cold:  bpfpack / make <= 1.05
#   no-op: bpfpack < 20 ms
# bpfpack's cache is emptied before each of its cold builds, so it compiles
# its runtime and makes vmlinux.h as make does (what the cache saves a
# user's later projects is bench/collection.sh's business).
#
# usage: bench/build.sh [-n RUNS]     (RUNS defaults to 5)
# Exits 0 when the benchmark ran (whatever the verdict), 1 when a build
# failed or the two sides did different work, 2 on bad usage.
set -euo pipefail

COLD_RATIO_GOAL=1.05
NOOP_MS_GOAL=20

usage() {
	echo "usage: $0 [-n RUNS]" >&2
	exit 2
}

runs=5
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

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench_dir")
bpfpack=$root/bin/bpfpack
makefile=$bench_dir/Makefile
name=benchtool

# A make above us (e.g. `make bench`) must not leak its flags or jobserver
# into the baseline.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES GNUMAKEFLAGS

if [[ ! -x $bpfpack ]]; then
	echo "building $bpfpack" >&2
	make -C "$root" bin/bpfpack >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-bench.XXXXXX")
export BPFPACK_CACHE_DIR=$tmp/cache
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

die() {
	echo "$0: $*" >&2
	if [[ -s $log ]]; then
		echo "--- last output ---" >&2
		tail -n 30 "$log" >&2
	fi
	exit 1
}

# Scaffold once; the Makefile side builds an identical copy.
(cd "$tmp" && "$bpfpack" new "$name" >"$log" 2>&1) || die "bpfpack new failed"
bp=$tmp/bp
mk=$tmp/mk
mv "$tmp/$name" "$bp"
cp -a "$bp" "$mk"

jobs=$(nproc)		# bpfpack's default -j is the number of online CPUs

clean_tree() {
	rm -rf "${1:?}/.output" "${1:?}/$name" "${1:?}/compile_commands.json"
}

bpfpack_build() {
	"$bpfpack" build -C "$bp" "$@"
}

make_build() {
	make -C "$mk" -f "$makefile" -j"$jobs" APPS="$name" \
		CLANG="$clang" BPFTOOL="$bpftool" CC="$cc" AR="$ar" OBJCOPY="$objcopy" "$@"
}

# Warm-up: one verbose cold build per side (untimed). It fills the page
# cache for both, and tells which programs bpfpack picked, so make is
# handed exactly the same ones.
clean_tree "$bp"
rm -rf "$BPFPACK_CACHE_DIR"
bpfpack_build -v >"$tmp/bp.cmds" 2>"$log" || die "bpfpack build failed"
clang=$(awk '$1 ~ /clang/ { print $1; exit }' "$tmp/bp.cmds")
bpftool=$(awk '$2 == "gen" && $3 == "object" { print $1; exit }' "$tmp/bp.cmds")
cc=$(awk '$2 == "-static" { print $1; exit }' "$tmp/bp.cmds")
ar=$(awk '$2 == "rcsD" { print $1; exit }' "$tmp/bp.cmds")
objcopy=$(awk '$2 == "--remove-section" { print $1; exit }' "$tmp/bp.cmds")
[[ -n $clang && -n $bpftool && -n $cc && -n $ar && -n $objcopy ]] ||
	die "cannot read the toolchain from 'bpfpack build -v'"
clean_tree "$mk"
make_build V=1 >"$tmp/mk.cmds" 2>"$log" || die "make failed"

echo "toolchain (both sides):"
echo "  clang:   $clang: $("$clang" --version | head -n 1)"
echo "  bpftool: $bpftool: $("$bpftool" --version | head -n 1)"
echo "  cc:      $cc: $("$cc" --version | head -n 1)"
echo "  ar:      $ar: $("$ar" --version | head -n 1)"
echo "  objcopy: $objcopy: $("$objcopy" --version | head -n 1)"
echo "  make:    $(command -v make): $(make --version | head -n 1)"
echo "  bpfpack: $bpfpack ($("$bpfpack" --version 2>/dev/null | head -n 1 || echo '?'))"
echo "  -j$jobs, $runs runs, project: default template ($name)"
echo

# Equal work: the command lines must match once project paths and
# bpfpack's temp-file names are taken out. Make's mkdir and its bpftool
# `btf dump` (bpfpack writes the same vmlinux.h in-process) are the only
# commands allowed to differ. The graph has independent branches (runtime,
# BPF object, user code) that both sides run in parallel, so the start order
# is the scheduler's: the two lists are compared sorted, as multisets, every
# line exactly.
normalize() {
	# Join make's backslash-continued recipe lines, squeeze blanks, drop
	# the project root and bpfpack's temp suffix.
	sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba}' "$1" |
		tr -s ' \t' ' ' |
		sed -e "s|$2|<project>|g" -e 's|\.bpfpack-tmp\.[A-Za-z0-9]\{6\}||g' |
		grep -v -e '^ ' -e '^make' -e '^mkdir ' -e ' btf dump file ' || true
}
normalize "$tmp/bp.cmds" "$bp" >"$tmp/bp.norm"
normalize "$tmp/mk.cmds" "$mk" >"$tmp/mk.norm"
if ! diff -u <(sort "$tmp/bp.norm") <(sort "$tmp/mk.norm") >"$tmp/cmds.diff"; then
	cat "$tmp/cmds.diff" >&2
	die "bpfpack and the Makefile run different commands (diff above: - bpfpack, + make)"
fi
grep -q ' btf dump file ' "$tmp/mk.cmds" || die "the Makefile did not generate vmlinux.h"
grep -q 'VMLINUX' "$tmp/bp.cmds" || die "bpfpack did not generate vmlinux.h"
# Both tools carry their BPF object the same way.
for dir in "$bp" "$mk"; do
	# An output file of its own: objcopy with one file rewrites it in place.
	"$objcopy" --dump-section ".bpfpack.bpfobj=$tmp/embedded.o" "$dir/$name" "$tmp/objcopy.out" 2>>"$log" ||
		die "$dir/$name has no .bpfpack.bpfobj section"
	cmp -s "$tmp/embedded.o" "$dir/.output/$name.bpf.o" ||
		die "$dir/$name does not carry its .output/$name.bpf.o"
done
cmp -s "$bp/.output/vmlinux.h" "$mk/.output/vmlinux.h" ||
	die "bpfpack's vmlinux.h differs from bpftool's"
echo "commands run by both sides (paths as <project>; make also runs mkdir and"
echo "'$bpftool btf dump file /sys/kernel/btf/vmlinux format c', bpfpack writes vmlinux.h in-process):"
sed 's/^/  /' "$tmp/bp.norm"
echo

# Wall time of one command, in microseconds, appended to the named array.
time_us() {
	local -n out=$1
	shift
	local t0 t1
	t0=$(date +%s%N)
	"$@" >>"$log" 2>&1 || die "'$*' failed"
	t1=$(date +%s%N)
	out+=($(((t1 - t0) / 1000)))
}

bp_cold=() mk_cold=() bp_noop=() mk_noop=()
: >"$log"
printf '%-5s %12s %12s %12s %12s\n' run "bpfpack cold" "make cold" "bpfpack no-op" "make no-op"
for ((i = 0; i < runs; i++)); do
	clean_tree "$bp"
	clean_tree "$mk"
	rm -rf "$BPFPACK_CACHE_DIR"
	time_us bp_cold bpfpack_build
	time_us mk_cold make_build
	time_us bp_noop bpfpack_build
	time_us mk_noop make_build
	awk -v r=$((i + 1)) -v a="${bp_cold[i]}" -v b="${mk_cold[i]}" \
		-v c="${bp_noop[i]}" -v d="${mk_noop[i]}" \
		'BEGIN { printf "%-5d %12.1f %12.1f %12.1f %12.1f\n", r, a / 1000, b / 1000, c / 1000, d / 1000 }'
done
# Every no-op rebuild must really have had nothing to do, on both sides.
[[ $(grep -c 'bpfpack: build: note: no work to do' "$log") -eq $runs ]] ||
	die "a bpfpack no-op rebuild did work"
[[ $(grep -c 'Nothing to be done for' "$log") -eq $runs ]] ||
	die "a make no-op rebuild did work"

# Both sides must have made a runnable static binary.
for dir in "$bp" "$mk"; do
	desc=$(file -b "$dir/$name")
	[[ $desc == *"statically linked"* ]] || die "$dir/$name is not a static binary: $desc"
	"$dir/$name" --help >/dev/null 2>&1 || die "$dir/$name --help failed"
done
loaded="not tried (needs root)"
if [[ $EUID -eq 0 ]]; then
	loaded="yes, both"
	for dir in "$bp" "$mk"; do
		timeout 10 "$dir/$name" -d 1 >/dev/null 2>&1 || loaded="no ($dir/$name -d 1 failed)"
	done
fi

# Median in ms, from microsecond samples.
median_ms() {
	printf '%s\n' "$@" | sort -n | awk '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'
}
bc_m=$(median_ms "${bp_cold[@]}")
mc_m=$(median_ms "${mk_cold[@]}")
bn_m=$(median_ms "${bp_noop[@]}")
mn_m=$(median_ms "${mk_noop[@]}")
cold_ratio=$(awk -v a="$bc_m" -v b="$mc_m" 'BEGIN { printf "%.3f", a / b }')
noop_ratio=$(awk -v a="$bn_m" -v b="$mn_m" 'BEGIN { printf "%.2f", a / b }')
cold_verdict=$(awk -v r="$cold_ratio" -v g="$COLD_RATIO_GOAL" 'BEGIN { print (r <= g) ? "PASS" : "MISS" }')
noop_verdict=$(awk -v t="$bn_m" -v g="$NOOP_MS_GOAL" 'BEGIN { print (t < g) ? "PASS" : "MISS" }')

echo
echo "median of $runs runs (wall ms):"
printf '  %-7s %10s %10s %10s   %s\n' "" bpfpack make ratio goal
printf '  %-7s %10s %10s %10s   %s\n' cold "$bc_m" "$mc_m" "$cold_ratio" \
	"$cold_verdict (ratio <= $COLD_RATIO_GOAL)"
printf '  %-7s %10s %10s %10s   %s\n' no-op "$bn_m" "$mn_m" "$noop_ratio" \
	"$noop_verdict (bpfpack < $NOOP_MS_GOAL ms)"
echo
echo "binaries: both statically linked (file); loaded and ran: $loaded"
