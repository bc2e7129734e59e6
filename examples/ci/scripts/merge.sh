#!/usr/bin/env bash
# merge.sh: the merge job. Joins every tool's partial sets into its set
# (CI_OUT/sets/NAME.btfset, the same bytes one job over all kernels makes)
# and the partial check results into one report: CI_OUT/check.md (also
# appended to $GITHUB_STEP_SUMMARY on GitHub Actions) and CI_OUT/check.json.
# A missing or doubled shard, or parts of other objects or kernels, fail it.
. "$(dirname "$0")/ci-env.sh"

mkdir -p "$CI_OUT/sets"
for t in $(ci_tools); do
	# Every part there is: bpfpack names the shards that are missing.
	"$BPFPACK" btf merge "$CI_OUT/parts/$t".*-of-"$SHARDS".btfpart -o "$CI_OUT/sets/$t.btfset"
done
checks=("$CI_OUT/parts/check".*-of-"$SHARDS".part)
"$BPFPACK" check --merge "${checks[@]}" --markdown >"$CI_OUT/check.md"
"$BPFPACK" check --merge "${checks[@]}" --json >"$CI_OUT/check.json"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$CI_OUT/check.md" >>"$GITHUB_STEP_SUMMARY"; fi
ci_say "sets and check report in $CI_OUT"
