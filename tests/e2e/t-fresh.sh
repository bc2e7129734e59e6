#!/usr/bin/env bash
# t-fresh: the fresh-machine test in the default suite. tests/fresh/run.sh
# makes minimal bookworm and trixie systems from the mirror apt uses and, in
# each, runs a clean clone's `./build.sh demo` and then `./build.sh test`
# (the whole suite: exit 0, "N passed, 0 failed", nothing skipped but this
# test's own nested run); on trixie it also installs the .deb with apt in a
# second fresh system and builds and runs a tool outside any source tree.
# The two releases run side by side (their suites leave CPU idle).
# Inside those systems this test is the one skip, said so by run.sh: the
# nested suite sees BPFPACK_FRESH_INNER=1 and does not make chroots inside
# the chroot. It skips, and says why, without root, mmdebstrap or a
# reachable mirror.
# FRESH_RELEASES="trixie" narrows it to some releases; for the demo and the
# .deb alone, run tests/fresh/run.sh --no-suite.
set -u

BPFPACK_ROOT=${BPFPACK_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck disable=SC2086
exec bash "$BPFPACK_ROOT/tests/fresh/run.sh" ${FRESH_RELEASES:-}
