#!/usr/bin/env bash
# bench/collection.sh: cold builds of tool collections, `bpfpack build`
# against bench/Makefile (libbpf-bootstrap style, what a make user writes:
# the same programs and flags per tool, the same helpers, bpfpack's runtime
# and EMBED step; no precompiled header, the default linker, where bpfpack
# precompiles vmlinux.h and links with gold when it can). Two collections:
#   tools   examples/tools (6 tools sharing trace_helpers.c)
#   gen     a generated collection of N tools from every template (-t N,
#           default 30), in one project (`bpfpack new` inside it)
# Each run builds each side cold (no .output/, no binaries), alternating, with
# -j$(nproc) on both; wall and CPU (user+sys of every child) are measured. The
# medians and bpfpack/make ratios are printed with PASS/MISS against the goal
#   cold: bpfpack / make <= 0.6, wall and CPU
# and each side's BPF objects are checked to be the same programs.
# bpfpack's cache starts empty: the first run makes bpfpack's runtime archive
# and vmlinux.h (which do not depend on the project) and leaves them there;
# later runs take them, as every project after a user's first does. That
# first build is printed on its own line ("1st, empty cache"), beside the
# make run it alternated with; the verdict is on the medians of all runs.
#
# usage: bench/collection.sh [-n RUNS] [-t TOOLS] [-c tools|gen|all]
#   RUNS defaults to 3; `-n 1 -t 4` is the suite's short run.
# Exits 0 when the benchmark ran (whatever the verdict), 1 when a build failed
# or the sides made different tools, 2 on bad usage.
set -euo pipefail

GOAL=0.6
usage() {
	echo "usage: $0 [-n RUNS] [-t TOOLS] [-c tools|gen|all]" >&2
	exit 2
}
runs=3 ntools=30 which=all
while getopts ":n:t:c:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	t) ntools=$OPTARG ;;
	c) which=$OPTARG ;;
	h) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n takes a positive number, not '$runs'" >&2; exit 2; }
[[ $ntools =~ ^[1-9][0-9]*$ ]] || { echo "$0: -t takes a positive number, not '$ntools'" >&2; exit 2; }
case $which in tools | gen | all) ;; *) usage ;; esac

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench_dir")
bpfpack=$root/bin/bpfpack
makefile=$bench_dir/Makefile
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES GNUMAKEFLAGS
[[ -x $bpfpack ]] || make -C "$root" bin/bpfpack >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-bench-coll.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
: >"$log"
die() {
	echo "$0: $*" >&2
	[[ -s $log ]] && { echo "--- last output ---" >&2; tail -n 30 "$log" >&2; }
	exit 1
}
jobs=$(nproc)
export BPFPACK_CACHE_DIR=$tmp/cache

# The collections, as project directories under $tmp/src/.
mkdir -p "$tmp/src"
colls=()
if [[ $which != gen ]]; then
	cp -r "$root/examples/tools" "$tmp/src/tools"
	rm -rf "$tmp/src/tools/.output"
	colls+=(tools)
fi
if [[ $which != tools ]]; then
	templates=($("$bpfpack" new --list | awk '{ print $1 }'))
	(cd "$tmp/src" && "$bpfpack" new gen0 >>"$log" 2>&1) || die "bpfpack new failed"
	mv "$tmp/src/gen0" "$tmp/src/gen"
	for ((i = 1; i < ntools; i++)); do
		t=${templates[i % ${#templates[@]}]}
		"$bpfpack" new "gen$i" -t "$t" -C "$tmp/src/gen" >>"$log" 2>&1 || die "bpfpack new gen$i -t $t failed"
	done
	colls+=(gen)
fi

# Tools and helpers of a project, as bpfpack sees them.
tools_of() { (cd "$1" && for f in *.bpf.c; do n=${f%.bpf.c}; [[ -f $n.c ]] && echo "$n"; done); }
helpers_of() {
	(cd "$1" && for f in *.c; do
		case $f in *.bpf.c) continue ;; esac
		[[ -f ${f%.c}.bpf.c ]] || echo "$f"
	done)
}

# The programs bpfpack picks, handed to make.
probe=$tmp/probe
cp -r "$tmp/src/${colls[0]}" "$probe"
BPFPACK_CACHE_DIR=$tmp/cache-probe "$bpfpack" build -v -C "$probe" >"$tmp/probe.cmds" 2>>"$log" ||
	die "bpfpack build failed"
clang=$(awk '$1 ~ /clang/ { print $1; exit }' "$tmp/probe.cmds")
bpftool=$(awk '$2 == "gen" && $3 == "object" { print $1; exit }' "$tmp/probe.cmds")
cc=$(awk '$2 == "-static" { print $1; exit }' "$tmp/probe.cmds")
ar=$(awk '$2 == "rcsD" { print $1; exit }' "$tmp/probe.cmds")
objcopy=$(awk '$2 == "--remove-section" { print $1; exit }' "$tmp/probe.cmds")
[[ -n $clang && -n $bpftool && -n $cc && -n $ar && -n $objcopy ]] ||
	die "cannot read the toolchain from 'bpfpack build -v'"
rm -rf "$probe"

echo "toolchain (both sides): $clang, $bpftool, $cc; -j$jobs; $runs run(s)"
echo "make side: bench/Makefile (no precompiled header, the default linker); bpfpack side: bpfpack build"
echo "(which precompiles vmlinux.h from four BPF sources on, and links with gold when ld.gold is in PATH)"
echo

# time_run NAME CMD...: runs CMD, appends "wall_ms cpu_ms" to $tmp/NAME.
# Bash's `time` counts the CPU of every child the command waited for.
time_run() {
	local name=$1 TIMEFORMAT='%R %U %S' out
	shift
	{ time "$@" >>"$log" 2>&1; } 2>"$tmp/time" || die "'$*' failed"
	out=$(tail -n 1 "$tmp/time")
	awk -v l="$out" 'BEGIN { split(l, a, " "); printf "%.0f %.0f\n", a[1] * 1000, (a[2] + a[3]) * 1000 }' >>"$tmp/$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

status=0
printf '%-6s %6s %12s %12s %8s %12s %12s %8s  %s\n' collection tools "bpfpack wall" "make wall" ratio \
	"bpfpack cpu" "make cpu" ratio verdict
for c in "${colls[@]}"; do
	src=$tmp/src/$c bp=$tmp/bp-$c mk=$tmp/mk-$c
	apps=$(tools_of "$src" | tr '\n' ' ')
	helpers=$(helpers_of "$src" | tr '\n' ' ')
	n=$(wc -w <<<"$apps")
	export BPFPACK_CACHE_DIR=$tmp/cache-$c	# empty for each collection's first run
	for ((r = 0; r < runs; r++)); do
		rm -rf "$bp" "$mk"
		cp -r "$src" "$bp"
		cp -r "$src" "$mk"
		time_run "$c.bp" "$bpfpack" build -C "$bp" -j "$jobs"
		time_run "$c.mk" make -C "$mk" -f "$makefile" -j"$jobs" APPS="$apps" HELPERS="$helpers" FUSE_LD= \
			CLANG="$clang" BPFTOOL="$bpftool" CC="$cc" AR="$ar" OBJCOPY="$objcopy"
	done
	# The same tools, each a static binary carrying the same BPF program
	# (instructions; the BTF's forward declarations are ordered differently
	# by clang from run to run, which bpfpack puts in a canonical order).
	for a in $apps; do
		for d in "$bp" "$mk"; do
			[[ -x $d/$a ]] || die "$d/$a was not built"
			file -b "$d/$a" | grep -q 'statically linked' || die "$d/$a is not static"
		done
		cmp -s <(llvm-objdump-19 -d --no-show-raw-insn "$bp/.output/$a.bpf.o" 2>/dev/null | tail -n +3) \
			<(llvm-objdump-19 -d --no-show-raw-insn "$mk/.output/$a.bpf.o" 2>/dev/null | tail -n +3) ||
			die "$a: bpfpack's and make's BPF programs differ"
	done
	read -r fw fc < <(head -n 1 "$tmp/$c.bp")
	read -r gw gc < <(head -n 1 "$tmp/$c.mk")
	bw=$(cut -d' ' -f1 "$tmp/$c.bp" | median) bc=$(cut -d' ' -f2 "$tmp/$c.bp" | median)
	mw=$(cut -d' ' -f1 "$tmp/$c.mk" | median) mc=$(cut -d' ' -f2 "$tmp/$c.mk" | median)
	rw=$(awk -v a="$bw" -v b="$mw" 'BEGIN { printf "%.2f", a / b }')
	rc=$(awk -v a="$bc" -v b="$mc" 'BEGIN { printf "%.2f", a / b }')
	verdict=$(awk -v w="$rw" -v c="$rc" -v g="$GOAL" 'BEGIN { print (w <= g && c <= g) ? "PASS" : "MISS" }')
	printf '%-10s %6d %10d ms %10d ms %8s %10d ms %10d ms %8s  %s (<= %s)\n' "$c" "$n" "$bw" "$mw" "$rw" \
		"$bc" "$mc" "$rc" "$verdict" "$GOAL"
	printf '%-10s %6s %10d ms %10d ms %8s %10d ms %10d ms %8s  (1st, empty cache)\n' "" "" "$fw" "$gw" \
		"$(awk -v a="$fw" -v b="$gw" 'BEGIN { printf "%.2f", a / b }')" "$fc" "$gc" \
		"$(awk -v a="$fc" -v b="$gc" 'BEGIN { printf "%.2f", a / b }')"
done
exit $status
