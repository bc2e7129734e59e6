#!/usr/bin/env bash
# gate.sh: fails the pipeline when a kernel CHECK_REQUIRE matches (a --filter
# spec, e.g. "ubuntu:22.04,debian:12"; default: every kernel checked) is not
# `ok` for some tool, by bpfpack check --require over the merged results.
. "$(dirname "$0")/ci-env.sh"

require=$CHECK_REQUIRE
if [ -z "$require" ]; then
	# Every distro the results name: the whole selection.
	require=$(grep -o '"distro":"[^"]*"' "$CI_OUT/check.json" | sort -u | cut -d'"' -f4 | paste -sd, -)
fi
checks=("$CI_OUT/parts/check".*-of-"$SHARDS".part)
ci_say "gate: check --require $require"
"$BPFPACK" check --merge "${checks[@]}" --require "$require" >/dev/null
