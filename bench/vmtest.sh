#!/usr/bin/env bash
# bench/vmtest.sh: seconds from `bpfpack vmtest` start to its result, per
# kernel of tests/kernels.sh, for trivial commands:
#   true      busybox's true: boot, init, power off (the floor)
#   tool -d1  the default template's tool, built here, run for one second
# Each is the median of RUNS runs, against the goal of <= 6 s per kernel (TCG
# on this machine; the goal is checked on `true`, the tool's column adds its
# own one second). Then all kernels in one vmtest, -j 1 against -j 2.
#
# usage: bench/vmtest.sh [-n RUNS] [NAME...]     (RUNS defaults to 3)
# Exits 0 when the benchmark ran (whatever the verdict), 1 when a run failed,
# 2 on bad usage.
set -uo pipefail

GOAL_S=6

usage() {
	echo "usage: $0 [-n RUNS] [NAME...]" >&2
	exit 2
}

runs=3
while getopts ":n:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	h) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n takes a positive number, not '$runs'" >&2; exit 2; }

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${BPFPACK_ROOT:-$(dirname "$bench_dir")}
bpfpack=$root/bin/bpfpack
[[ -x $bpfpack ]] || { echo "$0: build bpfpack first ($bpfpack)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-bench-vm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

die() {
	echo "$0: $*" >&2
	[[ -s $log ]] && { echo "--- last output ---" >&2; tail -n 20 "$log" >&2; }
	exit 1
}

"$root/tests/kernels.sh" "$@" >"$tmp/kernels" 2>"$log" || die "tests/kernels.sh failed"
[[ -s $tmp/kernels ]] || die "no kernel to boot"
mapfile -t names < <(awk '{ print $1 }' "$tmp/kernels")
mapfile -t paths < <(cut -d' ' -f2- "$tmp/kernels")

(cd "$tmp" && "$bpfpack" new benchtool >"$log" 2>&1 && cd benchtool && "$bpfpack" build >>"$log" 2>&1) ||
	die "building the default template failed"
tool=$tmp/benchtool/benchtool

now() { date +%s.%N; }
# secs CMD...: runs CMD (stdout to $tmp/out), prints its wall time in
# seconds; fails if CMD failed.
secs() {
	local s e
	s=$(now)
	"$@" >"$tmp/out" 2>>"$log" || return 1
	e=$(now)
	echo "$e - $s" | bc -l
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

load() { cut -d' ' -f1 /proc/loadavg; }
echo "bpfpack vmtest, start to result, median of $runs ($(nproc) CPUs, load $(load) at start)"
printf '%-12s %-28s %8s %10s  %s\n' KERNEL RELEASE true "tool -d1" "goal <= ${GOAL_S} s"
misses=0
for i in "${!names[@]}"; do
	k=${paths[$i]}
	t_true=() t_tool=()
	for ((r = 0; r < runs; r++)); do
		t=$(secs "$bpfpack" vmtest --json --kernel "$k" -- true) || die "vmtest on ${names[$i]} failed"
		t_true+=("$t")
		read -r release accel < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kernels"][0]["release"], d["accel"].upper())' <"$tmp/out")
		t=$(secs "$bpfpack" vmtest --kernel "$k" --add "$tool" -- "$tool" -d 1) ||
			t=nan	# kernels without BTF: the tool cannot load (yet)
		t_tool+=("$t")
	done
	m_true=$(printf '%s\n' "${t_true[@]}" | median)
	if [[ " ${t_tool[*]} " == *" nan "* ]]; then m_tool="-"; else m_tool=$(printf '%s\n' "${t_tool[@]}" | median); fi
	if (($(echo "$m_true <= $GOAL_S" | bc -l))); then verdict=PASS; else verdict=MISS; misses=$((misses + 1)); fi
	printf '%-12s %-28s %8s %10s  %s\n' "${names[$i]}" "${release:-?}" "$m_true" "$m_tool" "$verdict"
done

if [[ ${#names[@]} -gt 1 ]]; then
	j1=$(secs "$bpfpack" vmtest -j 1 --kernels "$tmp/kernels" -- true) || die "vmtest -j 1 failed"
	j2=$(secs "$bpfpack" vmtest -j 2 --kernels "$tmp/kernels" -- true) || die "vmtest -j 2 failed"
	printf '\nall %d kernels in one vmtest: -j 1 %.2f s, -j 2 %.2f s (%.2fx)\n' \
		"${#names[@]}" "$j1" "$j2" "$(echo "$j1 / $j2" | bc -l)"
fi
echo "$((${#names[@]} - misses)) of ${#names[@]} kernels within ${GOAL_S} s ($accel; load $(load) at the end)"
