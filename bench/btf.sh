#!/usr/bin/env bash
# bench/btf.sh: embedded BTF, measured against what bcc's libbpf-tools does.
#
# 1. btfgen over a whole btfhub corpus: `bpfpack btf gen -j 2` (cold: an empty
#    cache; warm: the same run again) against a shell loop that, for each
#    btfhub `.btf.tar.xz`, extracts it with tar, runs `bpftool gen
#    min_core_btf` once, and at the end `tar czf`s the results (libbpf-tools'
#    Makefile.btfgen, one kernel at a time). The loop has no cache: its cold
#    and warm runs are the same thing, so one set of loop runs serves both.
#    Sides alternate, so machine noise lands on both; medians and ratios.
#      goal: loop / bpfpack cold >= 1.8 (on 2 cores); loop / bpfpack warm >= 50
# 2. Size: bpfpack's set (what `bpfpack build --btf` embeds as .bpfpack.btf)
#    against the tar.gz of the loop's per-kernel files (libbpf-tools' format;
#    tar.xz printed for information).      goal: set / tar.gz <= 0.3
#    For a project of several tools, each tool's own set (what `bpfpack
#    build --btf` embeds, compressed against the tool's BPF object) is
#    printed beside the tar.gz of that tool's files, for information.
# 3. Start-up, exec to "Tracing exec()" (printed right after attach), of the
#    default template built with --btf for this kernel: the embedded BTF
#    (BPFPACK_BTF_FORCE_EMBEDDED=1) against the kernel's own, timed by
#    bench/startup.c.                     goal: embedded - native < 10 ms
#
# 4. The edit loop: after a cold run for the template's object, the same
#    template with one relocation changed (real_parent -> parent: a new
#    relocation key, so every kernel is minimized again) over the unchanged
#    corpus; the decoded-kernel cache spares every xz decode.
#                                         goal: edit / cold <= 0.15
#    And one decode serving both: cold `btf gen` then `check` of that object
#    against cold `btf gen --no-verdicts` alone (btf gen doing none of
#    check's work).                       goal: (gen + check) / gen <= 1.10
#    Ratios of wall medians (CPU medians printed beside); no assertion.
#
# Objects: the default template's BPF object; and, when examples/tools builds,
# all of its BPF objects as one set (as libbpf-tools minimizes all its tools
# together) for a bigger CO-RE case.
#
# usage: bench/btf.sh [-e] [-n RUNS] [-s STARTUP_RUNS]   (defaults: 3 and 30)
#   -e  the edit loop (part 4) only: the short mode the test suite runs once
# BPFPACK_BTF_CORPUS names the corpus (default: ../shared/btf-corpus beside
# the tree); without it parts 1 and 2 are skipped with a message. Part 3 needs
# root; without it it is skipped with a message. Exits 0 when the benchmark ran
# (whatever the verdicts), 1 when a step failed or a check of the results did
# not hold, 2 on bad usage.
set -euo pipefail

COLD_RATIO_GOAL=1.8
WARM_RATIO_GOAL=50
SIZE_RATIO_GOAL=0.3
EDIT_RATIO_GOAL=0.15
GENCHECK_RATIO_GOAL=1.10
STARTUP_MS_GOAL=10
JOBS=2
ATTACH_LINE='Tracing exec()'

usage() {
	echo "usage: $0 [-e] [-n RUNS] [-s STARTUP_RUNS]" >&2
	exit 2
}

runs=3
startup_runs=30
edit_only=false
while getopts ":en:s:h" opt; do
	case $opt in
	e) edit_only=true ;;
	n) runs=$OPTARG ;;
	s) startup_runs=$OPTARG ;;
	h) echo "usage: $0 [-e] [-n RUNS] [-s STARTUP_RUNS]"; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "$0: -n takes a positive number, not '$runs'" >&2; exit 2; }
[[ $startup_runs =~ ^[1-9][0-9]*$ ]] ||
	{ echo "$0: -s takes a positive number, not '$startup_runs'" >&2; exit 2; }

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench_dir")
bpfpack=$root/bin/bpfpack
corpus=${BPFPACK_BTF_CORPUS:-$root/../shared/btf-corpus}
name=benchtool

unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES GNUMAKEFLAGS
# Nothing the user set may steer the runtime's choice in the native runs.
unset BPFPACK_BTF BPFPACK_BTF_FORCE_EMBEDDED

if [[ ! -x $bpfpack ]]; then
	echo "building $bpfpack" >&2
	make -C "$root" bin/bpfpack >&2
fi

# Both sides minimize with the same bpftool: the one bpfpack would pick.
bpftool=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}
[[ -x $bpftool ]] || { echo "$0: bpftool not found (set BPFTOOL)" >&2; exit 1; }
export BPFTOOL=$bpftool

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-btfbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
: >"$log"
# Every bpfpack run gets its own cache under $tmp: the user's is never
# touched, and "cold" really is empty.
export BPFPACK_CACHE_DIR=$tmp/cache-unused

die() {
	echo "$0: $*" >&2
	if [[ -s $log ]]; then
		echo "--- last output ---" >&2
		tail -n 30 "$log" >&2
	fi
	exit 1
}

# Wall time of one command, in microseconds, appended to the array NAME,
# and its CPU time (user + sys, its children included) to NAME_cpu: the CPU
# time does not depend on what else the machine runs, the wall time does.
time_us() {
	local -n samples_=$1 cpu_=${1}_cpu
	shift
	local t0 t1 u s TIMEFORMAT='%3U %3S'
	t0=$(date +%s%N)
	{ time "$@" >>"$log" 2>&1; } 2>"$tmp/time" || die "'$*' failed"
	t1=$(date +%s%N)
	read -r u s <"$tmp/time"
	samples_+=($(((t1 - t0) / 1000)))
	cpu_+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000000 }')")
}

# Median of the arguments (any unit), printed with DIGITS decimals after
# dividing by DIV.
median() {
	local div=$1 digits=$2
	shift 2
	printf '%s\n' "$@" | sort -n | awk -v d="$div" -v p="$digits" '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.*f", p, m / d }'
}
ratio() { awk -v a="$1" -v b="$2" -v p="${3:-2}" 'BEGIN { printf "%.*f", p, a / b }'; }
verdict() { awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
	ok = op == ">=" ? v >= g : op == "<=" ? v <= g : v < g
	print ok ? "PASS" : "MISS" }'; }

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
echo "bpftool: $bpftool: $("$bpftool" --version | head -n 1)"
echo "bpfpack: $bpfpack ($("$bpfpack" --version 2>/dev/null | head -n 1 || echo '?'))"
echo "tar:     $(tar --version | head -n 1), gzip and xz at their default levels"
echo

# ---- the BPF objects ------------------------------------------------------

(cd "$tmp" && "$bpfpack" new "$name" >>"$log" 2>&1) || die "bpfpack new failed"
"$bpfpack" build -C "$tmp/$name" >>"$log" 2>&1 || die "bpfpack build of the template failed"
cases=(template)
declare -A case_objs case_desc
case_objs[template]="$tmp/$name/.output/$name.bpf.o"
case_desc[template]="the default template's BPF object ($name.bpf.o)"
have_corpus=false
if [[ -d $corpus ]] && [[ -n $(find "$corpus" -type f -name '*.btf.tar.xz' -print -quit) ]]; then
	have_corpus=true
	corpus=$(cd "$corpus" && pwd)
fi
if ! $have_corpus || $edit_only; then
	:	# only the template is needed, for the start-up part and the edit loop
elif [[ -d $root/examples/tools ]] && cp -a "$root/examples/tools" "$tmp/examples" &&
	rm -rf "$tmp/examples/.output" &&
	"$bpfpack" build -C "$tmp/examples" >>"$tmp/examples.log" 2>&1; then
	mapfile -t objs < <(find "$tmp/examples/.output" -name '*.bpf.o' ! -name '*.tmp.bpf.o' | sort)
	cases+=(examples)
	case_objs[examples]=$(printf '%s\n' "${objs[@]}")
	case_desc[examples]="all ${#objs[@]} BPF objects of examples/tools in one set ($(printf '%s ' "${objs[@]##*/}" | sed 's/ $//'))"
else
	echo "optional case examples/tools: skipped, it does not build here:"
	tail -n 5 "$tmp/examples.log" 2>/dev/null | sed 's/^/  /'
	echo
fi

# ---- 1 and 2: btfgen over the corpus, and the set's size ----------------------

# libbpf-tools' way, one kernel at a time: extract, minimize, and one tar.gz
# of the per-kernel files at the end. WORK is the extraction tree (the
# btfhub checkout in libbpf-tools), OUT the min_core_btfs tree.
loop_btfgen() {
	local work=$1 out=$2 f rel dir base
	shift 2
	while IFS= read -r f; do
		rel=${f#"$corpus"/}
		dir=$(dirname "$rel")
		base=$(basename "$f" .tar.xz)
		mkdir -p "$work/$dir" "$out/$dir"
		tar xJf "$f" -C "$work/$dir" </dev/null
		"$bpftool" gen min_core_btf "$work/$dir/$base" "$out/$dir/$base" "$@" </dev/null
	done < <(find "$corpus" -type f -name '*.btf.tar.xz' | sort)
	tar czf "$out.tar.gz" -C "$out" .
}

bpfpack_btfgen() {
	local out=$1
	shift
	local args=()
	for o in "$@"; do
		case $o in
		--*) args+=("$o") ;;	# a flag of btf gen's, not an object
		*) args+=(--object "$o") ;;
		esac
	done
	"$bpfpack" btf gen "${args[@]}" --btf "$corpus" -o "$out" -j "$JOBS"
}

# The numbers in bpfpack's summary line "BTFGEN ...: K kernels (C cached,
# M minimized), D distinct, B bytes" of the last run in the log.
btfgen_summary() {
	grep 'BTFGEN' "$log" | tail -n 1 |
		sed -n 's/.*: \([0-9]*\) kernels\{0,1\} (\([0-9]*\) cached, \([0-9]*\) minimized), \([0-9]*\) distinct, \([0-9]*\) bytes.*/\1 \2 \3 \4 \5/p'
}

# What `bpfpack build --btf` embeds in each tool of a project: a set made for
# that tool's object alone (compressed against it), beside the tar.gz of the
# same tool's per-kernel files. Information only: the goal is checked on the
# set of all objects, which is what libbpf-tools' archive holds. Uses the
# kernels the loop extracted into $tmp/lw.
per_tool_sizes() {
	local o t set_b tgz_b tot_set=0 tot_tgz=0 f rel
	echo "  size per tool, as \`bpfpack build --btf\` embeds it (information):"
	for o in "$@"; do
		t=$(basename "$o" .bpf.o)
		rm -rf "$tmp/pt" "$tmp/pt.tar.gz"
		while IFS= read -r f; do
			rel=${f#"$tmp/lw/"}
			mkdir -p "$tmp/pt/$(dirname "$rel")"
			"$bpftool" gen min_core_btf "$f" "$tmp/pt/$rel" "$o" </dev/null >>"$log" 2>&1 ||
				die "bpftool gen min_core_btf $f for $t failed"
		done < <(find "$tmp/lw" -type f -name '*.btf' | sort)
		tar czf "$tmp/pt.tar.gz" -C "$tmp/pt" .
		BPFPACK_CACHE_DIR=$tmp/cache-pt bpfpack_btfgen "$tmp/pt.set" "$o" >>"$log" 2>&1 ||
			die "bpfpack btf gen for $t failed"
		set_b=$(stat -c %s "$tmp/pt.set")
		tgz_b=$(stat -c %s "$tmp/pt.tar.gz")
		printf '    %-14s set %5d bytes, tar.gz %5d bytes: %s\n' "$t" "$set_b" "$tgz_b" \
			"$(ratio "$set_b" "$tgz_b" 3)"
		tot_set=$((tot_set + set_b))
		tot_tgz=$((tot_tgz + tgz_b))
	done
	printf '    %-14s set %5d bytes, tar.gz %5d bytes: %s\n' "all ${#@}" "$tot_set" "$tot_tgz" \
		"$(ratio "$tot_set" "$tot_tgz" 3)"
	echo
}

declare -A res	# results per case, for the summary
bench_case() {
	local c=$1 i
	local objs
	mapfile -t objs <<<"${case_objs[$c]}"
	local lp=() bc=() bw=() lp_cpu=() bc_cpu=() bw_cpu=() n_kernels n_files sum

	echo "== btfgen: ${case_desc[$c]}"
	# Warm-up, untimed, of both sides: the corpus and every program they
	# run in the page cache.
	BPFPACK_CACHE_DIR=$tmp/cache-warmup bpfpack_btfgen "$tmp/warmup.set" "${objs[@]}" >>"$log" 2>&1 ||
		die "bpfpack btf gen failed"
	loop_btfgen "$tmp/lw" "$tmp/lo" "${objs[@]}" >>"$log" 2>&1 || die "the loop failed"
	rm -rf "$tmp/cache-warmup" "$tmp/warmup.set"

	printf '  %-5s %12s %16s %16s\n' run "loop (s)" "bpfpack cold (s)" "bpfpack warm (s)"
	for ((i = 0; i < runs; i++)); do
		rm -rf "$tmp/lw" "$tmp/lo" "$tmp/lo.tar.gz" "$tmp/cache" "$tmp/bp.set"
		if ((i % 2 == 0)); then
			time_us lp loop_btfgen "$tmp/lw" "$tmp/lo" "${objs[@]}"
		fi
		BPFPACK_CACHE_DIR=$tmp/cache time_us bc bpfpack_btfgen "$tmp/bp.set" "${objs[@]}"
		read -r k cached minimized distinct bytes < <(btfgen_summary) ||
			die "no summary line from bpfpack btf gen"
		[[ $cached -eq 0 && $minimized -eq $k ]] ||
			die "the cold run was not cold: $cached cached, $minimized minimized of $k"
		BPFPACK_CACHE_DIR=$tmp/cache time_us bw bpfpack_btfgen "$tmp/bp.set" "${objs[@]}"
		read -r k cached minimized distinct bytes < <(btfgen_summary)
		[[ $cached -eq $k && $minimized -eq 0 ]] ||
			die "the warm run did work: $cached cached, $minimized minimized of $k"
		if ((i % 2 == 1)); then
			time_us lp loop_btfgen "$tmp/lw" "$tmp/lo" "${objs[@]}"
		fi
		printf '  %-5d %12.2f %16.2f %16.3f\n' $((i + 1)) \
			"$(ratio "${lp[i]}" 1000000 3)" "$(ratio "${bc[i]}" 1000000 3)" \
			"$(ratio "${bw[i]}" 1000000 4)"
	done

	# Both sides covered every kernel of the corpus.
	n_kernels=$(find "$corpus" -type f -name '*.btf.tar.xz' | wc -l)
	n_files=$(find "$tmp/lo" -type f -name '*.btf' | wc -l)
	[[ $n_files -eq $n_kernels ]] || die "the loop made $n_files files for $n_kernels kernels"
	[[ $k -eq $n_kernels ]] || die "bpfpack's set holds $k kernels, the corpus $n_kernels"
	[[ $bytes -eq $(stat -c %s "$tmp/bp.set") ]] || die "bpfpack's summary and its file disagree on the size"
	loop_distinct=$(find "$tmp/lo" -type f -name '*.btf' -exec cksum {} + | awk '{ print $1, $2 }' | sort -u | wc -l)
	# bpfpack's dedup (canonical type order) may merge blobs bpftool wrote
	# in different orders; it must never keep more than bpftool's distinct.
	[[ $distinct -le $loop_distinct ]] ||
		die "bpfpack keeps $distinct distinct blobs, the loop's files hold $loop_distinct"

	sum=$(find "$tmp/lo" -type f -name '*.btf' -exec stat -c %s {} + | awk '{ s += $1 } END { print s }')
	tgz=$(stat -c %s "$tmp/lo.tar.gz")
	tar cJf "$tmp/lo.tar.xz" -C "$tmp/lo" .
	txz=$(stat -c %s "$tmp/lo.tar.xz")

	local lp_m bc_m bw_m
	lp_m=$(median 1000 1 "${lp[@]}")
	bc_m=$(median 1000 1 "${bc[@]}")
	bw_m=$(median 1000 1 "${bw[@]}")
	local lpc_m bcc_m bwc_m
	lpc_m=$(median 1000 1 "${lp_cpu[@]}")
	bcc_m=$(median 1000 1 "${bc_cpu[@]}")
	bwc_m=$(median 1000 1 "${bw_cpu[@]}")
	local r_cold r_warm r_cw r_xz
	# Verdicts on unrounded ratios (a printed 0.300 may be 0.3004).
	local x_cold x_warm x_size
	x_cold=$(ratio "$lp_m" "$bc_m" 6)
	x_warm=$(ratio "$lp_m" "$bw_m" 6)
	x_size=$(ratio "$bytes" "$tgz" 6)
	r_cold=$(ratio "$lp_m" "$bc_m" 2)
	r_warm=$(ratio "$lp_m" "$bw_m" 0)
	r_cw=$(ratio "$bc_m" "$bw_m" 0)
	r_xz=$(ratio "$bytes" "$txz" 3)
	echo
	echo "  median of $runs runs (wall ms; -j$JOBS for bpfpack, the loop runs one kernel at a time;"
	echo "  the loop has no cache, so its one median is both its cold and its warm time):"
	printf '    %-24s %10s %14s\n' "" "wall ms" "CPU ms (u+s)"
	printf '    %-24s %10s %14s\n' "loop (cold = warm)" "$lp_m" "$lpc_m"
	printf '    %-24s %10s %14s\n' "bpfpack cold" "$bc_m" "$bcc_m"
	printf '    %-24s %10s %14s\n' "bpfpack warm" "$bw_m" "$bwc_m"
	printf '    %-24s %10s   %s\n' "loop / bpfpack cold" "$r_cold" \
		"$(verdict "$x_cold" ">=" $COLD_RATIO_GOAL) (>= $COLD_RATIO_GOAL on 2 cores; this machine has $(nproc))"
	printf '    %-24s %10s   %s\n' "loop / bpfpack warm" "$r_warm" \
		"$(verdict "$x_warm" ">=" $WARM_RATIO_GOAL) (>= $WARM_RATIO_GOAL)"
	printf '    %-24s %10s\n' "bpfpack cold / warm" "$r_cw"
	printf '    %-24s %10s   %s\n' "loop CPU / bpfpack CPU" "$(ratio "$lpc_m" "$bcc_m" 2)" \
		"(cold; with -j$JOBS on an idle machine the wall ratio is at most about $JOBS x this)"
	echo "  size ($k kernels; the loop's files: $n_files, $loop_distinct distinct, $sum bytes;"
	echo "  bpfpack's set: $distinct distinct blobs):"
	printf '    %-24s %10s bytes\n' "bpfpack set" "$bytes"
	printf '    %-24s %10s bytes\n' "loop tar.gz" "$tgz"
	printf '    %-24s %10s bytes\n' "loop tar.xz (info)" "$txz"
	printf '    %-24s %10s   %s\n' "set / tar.gz" "$(ratio "$bytes" "$tgz" 4)" \
		"$(verdict "$x_size" "<=" $SIZE_RATIO_GOAL) (<= $SIZE_RATIO_GOAL)"
	printf '    %-24s %10s\n' "set / tar.xz (info)" "$r_xz"
	echo
	if ((${#objs[@]} > 1)); then
		per_tool_sizes "${objs[@]}"
	fi
	res[$c]="$x_cold $x_warm $x_size"
}

if $have_corpus && ! $edit_only; then
	echo "corpus: $corpus ($(find "$corpus" -type f -name '*.btf.tar.xz' | wc -l) kernels, btfhub layout)"
	echo
	for c in "${cases[@]}"; do
		bench_case "$c"
	done
elif $edit_only; then
	:
else
	echo "btfgen and size: SKIPPED: no btfhub corpus at $corpus (set BPFPACK_BTF_CORPUS to a"
	echo "  btfhub-archive tree of *.btf.tar.xz files)"
	echo
fi

# ---- 3: start-up, embedded BTF against the kernel's own -------------------------

startup=skipped
edit=
if ! $edit_only; then
echo "== start-up: exec to '$ATTACH_LINE', the template built with --btf for this kernel"
fi
if $edit_only; then
	:
elif [[ $EUID -ne 0 ]]; then
	echo "  SKIPPED: loading BPF programs needs root"
elif [[ ! -r /sys/kernel/btf/vmlinux ]]; then
	echo "  SKIPPED: this kernel has no BTF (/sys/kernel/btf/vmlinux) to compare against"
else
	# A btfhub tree holding just this kernel's BTF, keyed like the runtime
	# keys this system (os-release ID and VERSION_ID, btfhub's arch name).
	os_id=$(. /etc/os-release 2>/dev/null; echo "${ID:-unknown}")
	os_ver=$(. /etc/os-release 2>/dev/null; echo "${VERSION_ID:-unknown}")
	arch=$(uname -m)
	[[ $arch == aarch64 ]] && arch=arm64
	release=$(uname -r)
	kdir=$tmp/kbtf/$os_id/$os_ver/$arch
	mkdir -p "$kdir" "$tmp/kraw"
	cp /sys/kernel/btf/vmlinux "$tmp/kraw/$release.btf"
	tar cJf "$kdir/$release.btf.tar.xz" -C "$tmp/kraw" "$release.btf"
	tool=$tmp/$name/$name
	BPFPACK_CACHE_DIR=$tmp/cache-startup \
		"$bpfpack" build -C "$tmp/$name" --btf "$tmp/kbtf" >>"$log" 2>&1 ||
		die "bpfpack build --btf failed"
	# An output file of its own: objcopy with one file rewrites it in place.
	objcopy --dump-section ".bpfpack.btf=$tmp/section.btf" "$tool" "$tmp/objcopy.out" 2>>"$log" ||
		die "$tool carries no .bpfpack.btf section"
	section=$(stat -c %s "$tmp/section.btf")
	# Each mode really takes its path.
	BPFPACK_BTF_FORCE_EMBEDDED=1 timeout 20 "$tool" -v -d 1 2>"$tmp/emb.err" >/dev/null ||
		{ cat "$tmp/emb.err" >>"$log"; die "$tool -v -d 1 with BPFPACK_BTF_FORCE_EMBEDDED=1 failed"; }
	grep -q 'BTF: embedded' "$tmp/emb.err" || die "the forced run did not use the embedded BTF"
	timeout 20 "$tool" -v -d 1 2>"$tmp/nat.err" >/dev/null ||
		{ cat "$tmp/nat.err" >>"$log"; die "$tool -v -d 1 failed"; }
	grep -q "BTF: the kernel's own" "$tmp/nat.err" || die "the plain run did not use the kernel's BTF"

	cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$tmp/startup" \
		"$bench_dir/startup.c" >>"$log" 2>&1 || die "cannot compile bench/startup.c"
	"$tmp/startup" "$startup_runs" "$ATTACH_LINE" "$tool" >"$tmp/startup.out" 2>>"$log" ||
		die "the start-up harness failed"
	mapfile -t nat < <(awk '$2 == "native" { print $3 }' "$tmp/startup.out")
	mapfile -t emb < <(awk '$2 == "embedded" { print $3 }' "$tmp/startup.out")
	[[ ${#nat[@]} -eq $startup_runs && ${#emb[@]} -eq $startup_runs ]] ||
		die "the start-up harness printed too few results"
	nat_m=$(median 1000 2 "${nat[@]}")
	emb_m=$(median 1000 2 "${emb[@]}")
	# The difference of the paired runs (same iteration), median of those.
	mapfile -t diffs < <(awk '{ v[$1, $2] = $3; n[$1] = 1 }
		END { for (r in n) print v[r, "embedded"] - v[r, "native"] }' "$tmp/startup.out")
	diff_m=$(median 1000 2 "${diffs[@]}")
	added=$(awk -v a="$emb_m" -v b="$nat_m" 'BEGIN { printf "%+.2f", a - b }')
	echo "  key $os_id/$os_ver/$arch/$release; embedded set: $section bytes; $startup_runs runs each, alternating"
	printf '    %-34s %10s\n' "native (kernel BTF), median ms" "$nat_m"
	printf '    %-34s %10s\n' "embedded, median ms" "$emb_m"
	printf '    %-34s %10s   %s\n' "added (difference of medians), ms" "$added" \
		"$(verdict "$added" "<" $STARTUP_MS_GOAL) (< $STARTUP_MS_GOAL ms)"
	printf '    %-34s %10s\n' "median of paired differences, ms" "$diff_m"
	printf '    %-34s %10s .. %s\n' "range native, ms" "$(ratio "$(printf '%s\n' "${nat[@]}" | sort -n | head -n 1)" 1000 2)" \
		"$(ratio "$(printf '%s\n' "${nat[@]}" | sort -n | tail -n 1)" 1000 2)"
	printf '    %-34s %10s .. %s\n' "range embedded, ms" "$(ratio "$(printf '%s\n' "${emb[@]}" | sort -n | head -n 1)" 1000 2)" \
		"$(ratio "$(printf '%s\n' "${emb[@]}" | sort -n | tail -n 1)" 1000 2)"
	startup="$added"
fi

# ---- 4: the edit loop, and gen + check on one decode ------------------------------

gen_and_check() {	# gen_and_check SET OBJECT
	bpfpack_btfgen "$1" "$2" && "$bpfpack" check --object "$2" --btf "$corpus" -j "$JOBS" >/dev/null
}

$edit_only || echo
if $have_corpus; then
	echo "== the edit loop: ${case_desc[template]} changed (one relocation: real_parent -> parent)"
	cp -a "$tmp/$name" "$tmp/edited"
	rm -rf "$tmp/edited/.output"
	sed -i 's/BPF_CORE_READ(task, real_parent, tgid)/BPF_CORE_READ(task, parent, tgid)/' \
		"$tmp/edited/$name.bpf.c"
	grep -q 'BPF_CORE_READ(task, parent, tgid)' "$tmp/edited/$name.bpf.c" ||
		die "the template no longer reads task->real_parent->tgid: update the edit"
	"$bpfpack" build -C "$tmp/edited" >>"$log" 2>&1 || die "bpfpack build of the edited template failed"
	orig_obj=${case_objs[template]}
	edit_obj=$tmp/edited/.output/$name.bpf.o
	n_kernels=$(find "$corpus" -type f -name '*.btf.tar.xz' | wc -l)
	ec=() ee=() eg=() egc=() ec_cpu=() ee_cpu=() eg_cpu=() egc_cpu=()
	printf '  %-5s %14s %14s %14s %16s\n' run "cold (s)" "edit (s)" "gen (s)" "gen+check (s)"
	for ((i = 0; i < runs; i++)); do
		rm -rf "$tmp/ecache"
		BPFPACK_CACHE_DIR=$tmp/ecache time_us ec bpfpack_btfgen "$tmp/e1.set" "$orig_obj"
		n_dec=$(find "$tmp/ecache/kernels" -name '*.btf' 2>/dev/null | wc -l)
		[[ $n_dec -eq $n_kernels ]] ||
			die "the cold run left $n_dec of $n_kernels kernels in the decoded-kernel cache"
		BPFPACK_CACHE_DIR=$tmp/ecache time_us ee bpfpack_btfgen "$tmp/e2.set" "$edit_obj"
		read -r k cached minimized distinct bytes < <(btfgen_summary) ||
			die "no summary line from bpfpack btf gen"
		[[ $cached -eq 0 && $minimized -eq $k ]] ||
			die "the edited object was not minimized again: $cached cached, $minimized minimized of $k"
		rm -rf "$tmp/ecache"
		BPFPACK_CACHE_DIR=$tmp/ecache time_us eg bpfpack_btfgen "$tmp/e3.set" "$edit_obj" --no-verdicts
		rm -rf "$tmp/ecache"
		BPFPACK_CACHE_DIR=$tmp/ecache time_us egc gen_and_check "$tmp/e4.set" "$edit_obj"
		printf '  %-5d %14.2f %14.2f %14.2f %16.2f\n' $((i + 1)) "$(ratio "${ec[i]}" 1000000 3)" \
			"$(ratio "${ee[i]}" 1000000 3)" "$(ratio "${eg[i]}" 1000000 3)" "$(ratio "${egc[i]}" 1000000 3)"
	done
	cmp -s "$tmp/e2.set" "$tmp/e3.set" || die "the edit loop's set differs from a cold run's for the same object"
	ec_m=$(median 1000 1 "${ec[@]}")
	ee_m=$(median 1000 1 "${ee[@]}")
	eg_m=$(median 1000 1 "${eg[@]}")
	egc_m=$(median 1000 1 "${egc[@]}")
	x_edit=$(ratio "$ee_m" "$ec_m" 6)
	x_gc=$(ratio "$egc_m" "$eg_m" 6)
	echo
	echo "  median of $runs runs ($n_kernels kernels, -j$JOBS):"
	printf '    %-28s %10s %14s\n' "" "wall ms" "CPU ms (u+s)"
	printf '    %-28s %10s %14s\n' "cold btf gen (original)" "$ec_m" "$(median 1000 1 "${ec_cpu[@]}")"
	printf '    %-28s %10s %14s\n' "edit loop btf gen (changed)" "$ee_m" "$(median 1000 1 "${ee_cpu[@]}")"
	printf '    %-28s %10s %14s\n' "cold btf gen --no-verdicts" "$eg_m" "$(median 1000 1 "${eg_cpu[@]}")"
	printf '    %-28s %10s %14s\n' "cold btf gen + check" "$egc_m" "$(median 1000 1 "${egc_cpu[@]}")"
	printf '    %-28s %10s   %s (CPU %s)\n' "edit / cold" "$(ratio "$ee_m" "$ec_m" 3)" \
		"$(verdict "$x_edit" "<=" $EDIT_RATIO_GOAL) (<= $EDIT_RATIO_GOAL)" \
		"$(ratio "$(median 1000 1 "${ee_cpu[@]}")" "$(median 1000 1 "${ec_cpu[@]}")" 3)"
	printf '    %-28s %10s   %s (CPU %s)\n' "(gen + check) / gen" "$(ratio "$egc_m" "$eg_m" 3)" \
		"$(verdict "$x_gc" "<=" $GENCHECK_RATIO_GOAL) (<= $GENCHECK_RATIO_GOAL)" \
		"$(ratio "$(median 1000 1 "${egc_cpu[@]}")" "$(median 1000 1 "${eg_cpu[@]}")" 3)"
	echo
	edit="$x_edit $x_gc"
else
	echo "== the edit loop: SKIPPED: no btfhub corpus at $corpus"
	echo
fi
echo "goals:"
for c in "${cases[@]}"; do
	[[ -n ${res[$c]:-} ]] || continue
	read -r x_cold x_warm x_size <<<"${res[$c]}"
	printf '  %-9s btfgen cold %-4s (%.2fx >= %s)  warm %-4s (%.0fx >= %s)  size %-4s (%.4f <= %s)\n' "$c" \
		"$(verdict "$x_cold" ">=" $COLD_RATIO_GOAL)" "$x_cold" $COLD_RATIO_GOAL \
		"$(verdict "$x_warm" ">=" $WARM_RATIO_GOAL)" "$x_warm" $WARM_RATIO_GOAL \
		"$(verdict "$x_size" "<=" $SIZE_RATIO_GOAL)" "$x_size" $SIZE_RATIO_GOAL
done
if [[ -n $edit ]]; then
	read -r x_edit x_gc <<<"$edit"
	printf '  edit loop %-4s (%.3fx <= %s)  gen+check %-4s (%.3fx <= %s)\n' \
		"$(verdict "$x_edit" "<=" $EDIT_RATIO_GOAL)" "$x_edit" $EDIT_RATIO_GOAL \
		"$(verdict "$x_gc" "<=" $GENCHECK_RATIO_GOAL)" "$x_gc" $GENCHECK_RATIO_GOAL
fi
if $edit_only; then
	:
elif [[ $startup == skipped ]]; then
	echo "  start-up  skipped"
else
	printf '  start-up  %-4s (%s ms < %s ms)\n' "$(verdict "$startup" "<" $STARTUP_MS_GOAL)" \
		"$startup" $STARTUP_MS_GOAL
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; other work on the machine widens the spread)"
