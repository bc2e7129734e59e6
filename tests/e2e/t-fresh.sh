#!/usr/bin/env bash
# t-fresh: the fresh-machine test in the default suite. tests/fresh/run.sh
# makes minimal bookworm and trixie systems from the mirror apt uses, runs a
# clean clone's `./build.sh demo` in each, and on trixie installs the .deb
# with apt and builds and runs a tool outside any source tree. It skips, and
# says why, without root, mmdebstrap or a reachable mirror.
# FRESH_RELEASES="trixie" narrows it to some releases.
set -u

BPFPACK_ROOT=${BPFPACK_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck disable=SC2086
exec bash "$BPFPACK_ROOT/tests/fresh/run.sh" ${FRESH_RELEASES:-}
