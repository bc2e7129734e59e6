#!/usr/bin/env bash
# t-btf-bench: bench/btf.sh's short mode (-e -n 1: the edit loop and gen +
# check over the corpus) runs to the end and prints both ratios. No timing is
# asserted: the machine is shared; the benchmark's own checks (the edit run
# minimizes every kernel again, its set equals a cold run's) are.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
if [ ! -d "$SHARED/btf-corpus" ]; then
	t_skip "bench/btf.sh -e" "needs ../shared/btf-corpus"
	t_done
fi
if BPFPACK_BTF_CORPUS=$SHARED/btf-corpus TMPDIR=$T_TMP nice bash "$BPFPACK_ROOT/bench/btf.sh" -e -n 1 \
	>"$T_TMP/bench.out" 2>&1 &&
	grep -qE '^    edit / cold +[0-9.]+ ' "$T_TMP/bench.out" &&
	grep -qE '^    \(gen \+ check\) / gen +[0-9.]+ ' "$T_TMP/bench.out"; then
	t_ok "bench/btf.sh -e -n 1 runs and prints the edit-loop and gen+check ratios"
	grep -E 'edit / cold|gen \+ check\) / gen' "$T_TMP/bench.out" | sed 's/^/# /'
else
	t_fail "bench/btf.sh -e -n 1 runs and prints the edit-loop and gen+check ratios" "$(tail -n 30 "$T_TMP/bench.out")"
fi
t_done
