#!/usr/bin/env bash
# bench/collection.sh in its short mode (one run, a generated collection of
# four tools): both sides build every tool, the same BPF programs, and the
# benchmark prints its ratios and verdict. The verdict itself is reported,
# not asserted: one run on a shared machine is too noisy for a goal.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

if "$BPFPACK_ROOT/bench/collection.sh" -n 1 -t 4 -c gen >bench.out 2>&1 &&
   line=$(grep -E '^gen +4 +[0-9]+ ms +[0-9]+ ms +[0-9.]+ +[0-9]+ ms +[0-9]+ ms +[0-9.]+ +(PASS|MISS)' bench.out); then
	t_ok "bench/collection.sh -n 1 runs both sides on a collection: $(echo $line | tr -s ' ')"
else
	t_fail "bench/collection.sh -n 1 runs both sides on a collection" "$(tail -20 bench.out)"
fi
t_done
