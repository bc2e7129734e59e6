#!/usr/bin/env bash
# bench/scale.sh: what grows with the number of kernels, on a synthetic
# btfhub tree of several thousand entries: the corpus's real files
# hard-linked under many keys (8 distros, x86_64 and arm64, made-up versions
# and releases), plus the corpus itself under its own keys (the distinct
# ones). Two trees, SMALL and N kernels, for the default template's tool:
#   1. index size: the set's bytes (stored and decompressed) per kernel;
#   2. start-up lookup: what the tool's runtime does with its set before
#      libbpf (open: CRC, decompress, validate the index; match; fetch the
#      blob), timed by bench/scale_lookup.c, found and missing;
#        goal: < 1 ms at 5,000 kernels
#   3. btf gen: peak RSS of its largest process and time per kernel, cold (an
#      empty cache each: every kernel decoded and minimized), at SMALL and N,
#      and warm (the N run again: all from the cache);  goals: peak memory
#      independent of the kernel count, per-kernel time flat;
#   4. merge: `btf gen --shard K/4` for K = 1..4 and `btf merge` of the
#      parts, timed, and the merged set compared byte for byte with the
#      full run's (a failed comparison is an error).
# Prints figures and, for each goal, met/missed; no timing is asserted.
#
# usage: bench/scale.sh [-n KERNELS] [--short]   (default 5000, about 20
#   minutes on 2 cores, most of it the cold runs; --short: 100 kernels and 20
#   lookups, for the test suite)
# BPFPACK_BTF_CORPUS names the corpus (default: ../shared/btf-corpus beside
# the tree). Exits 0 when the benchmark ran, 1 when a step failed, 2 on bad
# usage.
set -euo pipefail

LOOKUP_US_GOAL=1000
root=$(cd "$(dirname "$0")/.." && pwd)
BPFPACK=$root/bin/bpfpack
corpus=${BPFPACK_BTF_CORPUS:-$(cd "$root/.." && pwd)/shared/btf-corpus}
n=5000 lookup_runs=200 short=0
while [ $# -gt 0 ]; do
	case "$1" in
	-n) n=${2:-}; shift 2 ;;
	--short) short=1 n=100 lookup_runs=20; shift ;;
	*) echo "usage: $0 [-n KERNELS] [--short]" >&2; exit 2 ;;
	esac
done
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 100 ] || { echo "$0: -n takes a number >= 100" >&2; exit 2; }
small=$((n / 5 > 50 ? n / 5 : 50))
die() { echo "scale: $*" >&2; exit 1; }
[ -x "$BPFPACK" ] || die "build bpfpack first (make)"
[ -d "$corpus" ] || die "no corpus at $corpus (set BPFPACK_BTF_CORPUS)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export BPFPACK_CACHE_DIR=$tmp/cache
log=$tmp/log

# The tool: the default template, built.
(cd "$tmp" && "$BPFPACK" new tool >>"$log" 2>&1 && cd tool && "$BPFPACK" build -j 2 >>"$log" 2>&1) ||
	die "cannot build the default template: $(tail -n 5 "$log")"
obj=$tmp/tool/.output/tool.bpf.o
cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$root/include" -o "$tmp/scale_lookup" \
	"$root/bench/scale_lookup.c" "$root/runtime/bpfpack_btf.c" "$root/runtime/btfset.c" \
	-lbpf -lelf -lz -lzstd >>"$log" 2>&1 || die "cannot compile bench/scale_lookup.c"

# The trees: the corpus's files (one copy, so hard links stay on one file
# system) under N keys.
mkdir -p "$tmp/files"
mapfile -t real < <(cd "$corpus" && find . -name '*.btf.tar.xz' | sort)
[ "${#real[@]}" -gt 0 ] || die "no .btf.tar.xz in $corpus"
for i in "${!real[@]}"; do cp "$corpus/${real[$i]}" "$tmp/files/$i.btf.tar.xz"; done
distros=(ubuntu centos fedora amzn ol sles rhel debian)
make_tree() {	# DIR COUNT: COUNT keys, the real ones among them
	local dir=$1 count=$2 i d v a r
	mkdir -p "$dir"
	(cd "$corpus" && find . -name '*.btf.tar.xz' -exec cp --parents -l {} "$dir/" \; 2>/dev/null) ||
		(cd "$corpus" && cp -r . "$dir/")
	for ((i = 0; i < count - ${#real[@]}; i++)); do
		d=${distros[$((i % 8))]}
		v=$((i / 8 % 12 + 1))
		a=$([ $((i / 96 % 2)) = 0 ] && echo x86_64 || echo arm64)
		r=5.$((i % 19)).0-$i-synthetic
		mkdir -p "$dir/$d/$v/$a"
		ln "$tmp/files/$((i % ${#real[@]})).btf.tar.xz" "$dir/$d/$v/$a/$r.btf.tar.xz"
	done
}
make_tree "$tmp/small" "$small"
make_tree "$tmp/big" "$n"
echo "scale: ${#real[@]} distinct kernel BTFs; trees of $small and $n kernels"

# timed OUT CMD...: runs CMD under GNU time; OUT gets "SECONDS MAXRSS_KB".
timed() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M' -o "$out" "$@" >>"$log" 2>&1 || die "failed: $* ($(tail -n 3 "$log"))"
}

# Cold, each tree with a cache of its own; then the big one again, warm.
for tree in small big; do
	BPFPACK_CACHE_DIR=$tmp/cache-$tree timed "$tmp/t.$tree" \
		"$BPFPACK" btf gen --object "$obj" --btf "$tmp/$tree" -j 2 -o "$tmp/$tree.btfset"
done
export BPFPACK_CACHE_DIR=$tmp/cache-big
timed "$tmp/t.warm" "$BPFPACK" btf gen --object "$obj" --btf "$tmp/big" -j 2 -o "$tmp/warm.btfset"
cmp -s "$tmp/warm.btfset" "$tmp/big.btfset" || die "the warm run's set differs from the cold run's"
read -r s_s s_kb <"$tmp/t.small"
read -r b_s b_kb <"$tmp/t.big"
read -r w_s w_kb <"$tmp/t.warm"
s_bytes=$(stat -c %s "$tmp/small.btfset")
b_bytes=$(stat -c %s "$tmp/big.btfset")

# 1. index size
read -r _ _ _ _ s_k s_payload < <("$tmp/scale_lookup" 1 "$tmp/small.btfset" "$obj" debian 12 x86_64 none)
read -r _ _ _ _ b_k b_payload < <("$tmp/scale_lookup" 1 "$tmp/big.btfset" "$obj" debian 12 x86_64 none)
[ "$s_k" = "$small" ] && [ "$b_k" = "$n" ] || die "the sets hold $s_k and $b_k kernels, not $small and $n"
awk -v sk="$small" -v bk="$n" -v ss="$s_bytes" -v bs="$b_bytes" -v sp="$s_payload" -v bp="$b_payload" 'BEGIN {
	printf "index: set of %d kernels %d bytes (payload %d), of %d kernels %d bytes (payload %d)\n", sk, ss, sp, bk, bs, bp
	printf "index: %.2f stored bytes, %.2f payload bytes per added kernel\n", (bs - ss) / (bk - sk), (bp - sp) / (bk - sk)
}'

# 2. start-up lookup, on the big set: the last synthetic key, and a miss.
last=$((n - ${#real[@]} - 1))
ld=${distros[$((last % 8))]} lv=$((last / 8 % 12 + 1))
la=$([ $((last / 96 % 2)) = 0 ] && echo x86_64 || echo arm64)
lr=5.$((last % 19)).0-$last-synthetic
read -r _ f_how f_med f_max _ _ < <("$tmp/scale_lookup" "$lookup_runs" "$tmp/big.btfset" "$obj" "$ld" "$lv" "$la" "$lr")
read -r _ m_how m_med m_max _ _ < <("$tmp/scale_lookup" "$lookup_runs" "$tmp/big.btfset" "$obj" nosuch 1 x86_64 9.9.9-none)
[ "$f_how" = found ] && [ "$m_how" = missing ] || die "lookup: the last kernel was $f_how, a missing one $m_how"
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v < g) ? "met" : "missed" }'; }
echo "lookup at $n kernels: found ${f_med} us (max ${f_max}), missing ${m_med} us (max ${m_max}); goal < ${LOOKUP_US_GOAL} us: $(verdict "$f_med" "$LOOKUP_US_GOAL")/$(verdict "$m_med" "$LOOKUP_US_GOAL")"

# 3. btf gen: memory and time per kernel
awk -v sk="$small" -v bk="$n" -v ss="$s_s" -v bs="$b_s" -v skb="$s_kb" -v bkb="$b_kb" -v ws="$w_s" -v wkb="$w_kb" 'BEGIN {
	ps = ss * 1000 / sk; pb = bs * 1000 / bk
	printf "btf gen, cold: %d kernels %.2fs (%.2f ms/kernel, peak RSS %d KB); %d kernels %.2fs (%.2f ms/kernel, peak RSS %d KB)\n", sk, ss, ps, skb, bk, bs, pb, bkb
	printf "btf gen, warm: %d kernels %.2fs (%.3f ms/kernel, peak RSS %d KB)\n", bk, ws, ws * 1000 / bk, wkb
	printf "btf gen: per-kernel time x%.2f from %d to %d kernels (goal: flat, <= 1.5): %s\n", pb / ps, sk, bk, (pb / ps <= 1.5) ? "met" : "missed"
	printf "btf gen: peak RSS x%.2f (goal: independent of the kernel count, <= 1.5): %s\n", bkb / skb, (bkb / skb <= 1.5) ? "met" : "missed"
}'

# 4. shards and merge
for k in 1 2 3 4; do
	"$BPFPACK" btf gen --object "$obj" --btf "$tmp/big" -j 2 --shard "$k/4" -o "$tmp/p$k.btfpart" >>"$log" 2>&1 ||
		die "btf gen --shard $k/4 failed: $(tail -n 3 "$log")"
done
timed "$tmp/t.merge" "$BPFPACK" btf merge "$tmp"/p[1-4].btfpart -o "$tmp/merged.btfset"
read -r m_s m_kb <"$tmp/t.merge"
cmp -s "$tmp/merged.btfset" "$tmp/big.btfset" || die "the merged set differs from the full run's"
echo "merge of 4 parts, $n kernels: ${m_s}s, peak RSS ${m_kb} KB; byte-identical to the full run"
