#!/usr/bin/env bash
# t-bench-scale: bench/scale.sh --short runs end to end (a synthetic btfhub
# tree of 100 kernels): it prints every figure (index size, start-up lookup,
# btf gen cold and warm, merge) and its own checks hold (the sets hold the
# tree's kernels, the warm and the merged sets equal the cold full run's).
# Timings are printed, never asserted.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
if [ ! -d "$SHARED/btf-corpus" ]; then
	t_skip "bench/scale.sh --short" "needs ../shared/btf-corpus"
	t_done
fi
out=$T_TMP/scale.out
if BPFPACK_BTF_CORPUS=$SHARED/btf-corpus "$BPFPACK_ROOT/bench/scale.sh" --short >"$out" 2>&1; then
	t_ok "bench/scale.sh --short runs"
else
	t_fail "bench/scale.sh --short runs" "$(tail -n 20 "$out")"
	t_done
fi
sed 's/^/# /' "$out"
for re in '^index: set of 50 kernels .* of 100 kernels' '^index: .* payload bytes per added kernel' \
	'^lookup at 100 kernels: found .* us .* missing .* us' '^btf gen, cold: 50 kernels .* 100 kernels' \
	'^btf gen, warm: 100 kernels' '^btf gen: peak RSS' '^merge of 4 parts, 100 kernels: .* byte-identical'; do
	if grep -q "$re" "$out"; then t_ok "prints /$re/"; else t_fail "prints /$re/"; fi
done
t_done
