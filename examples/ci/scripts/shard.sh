#!/usr/bin/env bash
# shard.sh K: one shard job of N (SHARDS). Minimizes the BTF of shard K/N of
# the kernels for every tool (btf gen --shard) and checks the tools on the
# same kernels (check --shard). A kernel's shard depends on its key only, so
# every job, on its own runner and checkout, takes its own part. Leaves
# CI_OUT/parts/NAME.K-of-N.btfpart and CI_OUT/parts/check.K-of-N.part.
. "$(dirname "$0")/ci-env.sh"

k=${1:?usage: shard.sh K (1..SHARDS)}
mkdir -p "$CI_OUT/parts"
ci_say "shard $k/$SHARDS over $BTFHUB_DIR"
"$BPFPACK" btf gen -C "$PROJECT_DIR" --btf "$BTFHUB_DIR" "${ci_filter_args[@]}" --shard "$k/$SHARDS" -j "$JOBS"
for t in $(ci_tools); do
	mv "$PROJECT_DIR/.output/$t.$k-of-$SHARDS.btfpart" "$CI_OUT/parts/"
done
"$BPFPACK" check -C "$PROJECT_DIR" --btf "$BTFHUB_DIR" "${ci_filter_args[@]}" --shard "$k/$SHARDS" -j "$JOBS" \
	-o "$CI_OUT/parts/check.$k-of-$SHARDS.part"
