#!/usr/bin/env bash
# embed.sh: puts each tool's merged set into the tool (btf embed --set) and
# collects the static binaries in CI_OUT/bin for the artifacts (from the
# unembedded ones build.sh left in CI_OUT/tools).
. "$(dirname "$0")/ci-env.sh"

mkdir -p "$CI_OUT/bin"
for t in $(ci_tools); do
	cp "$CI_OUT/tools/$t" "$CI_OUT/bin/$t"
	chmod 755 "$CI_OUT/bin/$t"
	"$BPFPACK" btf embed "$CI_OUT/bin/$t" --set "$CI_OUT/sets/$t.btfset"
done
ls -l "$CI_OUT/bin" >&2
