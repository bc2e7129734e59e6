#!/usr/bin/env bash
# t-check-bench: bench/check.sh runs in its short mode (-n 1): it compiles the
# example objects, checks them over the corpus cold and warm, finds the warm
# verdicts equal to the cold ones and prints the ratio to the decode floor.
# The goals' verdicts are printed, not asserted: timing on a shared machine
# is not a test. Skips without ../shared/btf-corpus.
. "$(dirname "$0")/lib.sh"

CORPUS=${BPFPACK_BTF_CORPUS:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared/btf-corpus}
if [ ! -d "$CORPUS" ]; then
	t_skip "bench/check.sh -n 1" "needs ../shared/btf-corpus"
	t_done
fi
if out=$(nice "$BPFPACK_ROOT/bench/check.sh" -n 1 2>&1) &&
	grep -q 'check, cold .* ratio [0-9.]*' <<<"$out" && grep -q 'check, warm .* ms' <<<"$out"; then
	t_ok "bench/check.sh -n 1 runs and prints the ratio"
	sed 's/^/# /' <<<"$out"
else
	t_fail "bench/check.sh -n 1 runs and prints the ratio" "$out"
fi
t_done
