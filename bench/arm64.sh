#!/usr/bin/env bash
# bench/arm64.sh: what the arm64 target costs on this x86_64 machine.
#   1. Build: a cold `bpfpack build --arch arm64` of the default template
#      (cross compiler, :arm64 static libraries) against a cold native
#      `bpfpack build` of the same project, alternating so machine noise lands
#      on both; medians and the cross/native ratio. "Cold" leaves each arch's
#      vmlinux.h in place (made once and timed on its own with `bpfpack
#      vmlinux`: from the arm64 kernel package, from the running kernel); its
#      size, which the BPF compile's time follows, is shown beside.
#   2. VMs: seconds from `bpfpack vmtest --arch arm64` start to its result per
#      arm64 kernel (tests/kernels.sh --arch arm64) under TCG, for busybox's
#      `true` (boot, init, power off) and the arm64 tool run for one second;
#      one x86_64 kernel (6.1, when there) beside them for scale.
#
# usage: bench/arm64.sh [-n RUNS] [NAME...]   (RUNS defaults to 3; NAMEs as
#        tests/kernels.sh --arch arm64 prints them, e.g. backports-arm64)
# Needs tests/setup-arm64.sh. Exits 0 when the benchmark ran, 1 when a step
# failed or the set-up is missing, 2 on bad usage.
set -uo pipefail

usage() {
	echo "usage: $0 [-n RUNS] [NAME...]" >&2
	exit 2
}

runs=3
while getopts ":n:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	h) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n takes a positive number, not '$runs'" >&2; exit 2; }

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${BPFPACK_ROOT:-$(dirname "$bench_dir")}
bpfpack=$root/bin/bpfpack
[[ -x $bpfpack ]] || { echo "$0: build bpfpack first ($bpfpack)" >&2; exit 1; }
bash "$root/tests/setup-arm64.sh" --check || { echo "$0: run tests/setup-arm64.sh first" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-bench-arm64.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

die() {
	echo "$0: $*" >&2
	[[ -s $log ]] && { echo "--- last output ---" >&2; tail -n 20 "$log" >&2; }
	exit 1
}

"$root/tests/kernels.sh" --arch arm64 "$@" >"$tmp/kernels" 2>"$log" || die "tests/kernels.sh failed"
[[ -s $tmp/kernels ]] || die "no arm64 kernel"
mapfile -t names < <(awk '{ print $1 }' "$tmp/kernels")
mapfile -t paths < <(cut -d' ' -f2- "$tmp/kernels")
x86=$("$root/tests/kernels.sh" 6.1 2>/dev/null | head -n 1)

now() { date +%s.%N; }
# secs CMD...: runs CMD (stdout to $tmp/out), prints its wall time; fails if CMD failed.
secs() {
	local s e
	s=$(now)
	"$@" >"$tmp/out" 2>>"$log" || return 1
	e=$(now)
	echo "$e - $s" | bc -l
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1 /proc/loadavg; }

# --- 1. build ----------------------------------------------------------------
(cd "$tmp" && "$bpfpack" new benchtool >>"$log" 2>&1) || die "bpfpack new failed"
proj=$tmp/benchtool
# vmlinux.h, made once per arch and kept by cold builds, timed on its own.
t_vml64=$(secs "$bpfpack" vmlinux --btf "${paths[0]}" -o "$tmp/vmlinux-arm64.h") || die "vmlinux.h for arm64 failed"
t_vmlx86=$(secs "$bpfpack" vmlinux -o "$tmp/vmlinux-x86.h") || die "vmlinux.h of the running kernel failed"
"$bpfpack" build -C "$proj" --arch arm64 --vmlinux "${paths[0]}" >>"$log" 2>&1 || die "arm64 build failed"
"$bpfpack" build -C "$proj" >>"$log" 2>&1 || die "native build failed"
# What a cold build removes: everything but the arch's vmlinux.h.
cold() { # DIR BIN
	find "$1" -mindepth 1 -maxdepth 1 ! -name 'vmlinux.h*' ! -name '.clang-includes' -exec rm -rf {} +
	rm -f "$2"
}
t64=() t86=()
for ((r = 0; r < runs; r++)); do
	cold "$proj/.output/arm64" "$proj/arm64/benchtool"
	t=$(secs "$bpfpack" build -C "$proj" --arch arm64) || die "arm64 build failed"
	t64+=("$t")
	find "$proj/.output" -mindepth 1 -maxdepth 1 ! -name arm64 ! -name 'vmlinux.h*' ! -name '.clang-includes' -exec rm -rf {} +
	rm -f "$proj/benchtool" "$proj/compile_commands.json"
	t=$(secs "$bpfpack" build -C "$proj") || die "native build failed"
	t86+=("$t")
done
file -b "$proj/arm64/benchtool" | grep -q aarch64 || die "the arm64 build made no aarch64 binary"
m64=$(printf '%s\n' "${t64[@]}" | median)
m86=$(printf '%s\n' "${t86[@]}" | median)
echo "bpfpack build of the default template, cold, median of $runs ($(nproc) CPUs, load $(load))"
# The BPF compile's time follows vmlinux.h's size, which differs by kernel.
printf '  %-22s %7.2f s   vmlinux.h: %6d lines, from the running kernel %s in %.2f s\n' "native x86_64" "$m86" \
	"$(wc -l <"$proj/.output/vmlinux.h")" "$(uname -r)" "$t_vmlx86"
printf '  %-22s %7.2f s   vmlinux.h: %6d lines, from %s in %.2f s\n' "--arch arm64 (cross)" "$m64" \
	"$(wc -l <"$proj/.output/arm64/vmlinux.h")" "$(basename "${paths[0]}")" "$t_vml64"
printf '  cross / native: %.2fx\n\n' "$(echo "$m64 / $m86" | bc -l)"

# --- 2. vmtest ---------------------------------------------------------------
tool=$proj/arm64/benchtool
xtool=$proj/benchtool
echo "bpfpack vmtest, start to result, median of $runs (TCG)"
printf '  %-18s %-7s %-28s %8s %10s\n' KERNEL ARCH RELEASE true "tool -d1"
row() { # NAME ARCH KERNEL TOOL
	local tt=() td=() t release m_true m_tool
	for ((r = 0; r < runs; r++)); do
		t=$(secs "$bpfpack" vmtest --json --kernel "$3" -- true) || die "vmtest on $1 failed"
		tt+=("$t")
		release=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["kernels"][0]["release"])' <"$tmp/out")
		t=$(secs "$bpfpack" vmtest --kernel "$3" --add "$4" -- "$4" -d 1) || die "the tool failed on $1"
		td+=("$t")
	done
	m_true=$(printf '%s\n' "${tt[@]}" | median)
	m_tool=$(printf '%s\n' "${td[@]}" | median)
	printf '  %-18s %-7s %-28s %8s %10s\n' "$1" "$2" "${release:-?}" "$m_true" "$m_tool"
}
for i in "${!names[@]}"; do
	row "${names[$i]}" arm64 "${paths[$i]}" "$tool"
done
if [[ -n $x86 ]]; then
	row "${x86%% *}" x86_64 "${x86#* }" "$xtool"
fi
echo "(load $(load) at the end)"
