#!/usr/bin/env bash
# install.sh: makes bpfpack available to the later steps. From a .deb
# (BPFPACK_DEB=path/to/bpfpack_*.deb, installed with apt), or from a bpfpack
# source tree (BPFPACK_SRC=dir: its ./build.sh installs the packages it needs
# and builds the driver), or already there (BPFPACK, or bpfpack on PATH).
# On GitHub Actions the driver's directory is added to $GITHUB_PATH.
. "$(dirname "$0")/ci-env.sh"

# git for fetch-btfhub.sh (a bare Debian image has none).
if ! command -v git >/dev/null && command -v apt-get >/dev/null; then
	ci_say "installing git"
	apt-get update -qq && apt-get install -y -qq git ca-certificates >/dev/null
fi
if [ -n "${BPFPACK_DEB:-}" ]; then
	ci_say "installing $BPFPACK_DEB"
	apt-get install -y "$(cd "$(dirname "$BPFPACK_DEB")" && pwd)/$(basename "$BPFPACK_DEB")"
	BPFPACK=bpfpack
elif [ -n "${BPFPACK_SRC:-}" ]; then
	ci_say "building bpfpack in $BPFPACK_SRC"
	(cd "$BPFPACK_SRC" && ./build.sh)
	BPFPACK=$(cd "$BPFPACK_SRC" && pwd)/bin/bpfpack
	if [ -n "${GITHUB_PATH:-}" ]; then dirname "$BPFPACK" >>"$GITHUB_PATH"; fi
fi
command -v "$BPFPACK" >/dev/null || ci_die "no bpfpack: set BPFPACK_DEB or BPFPACK_SRC"
"$BPFPACK" --version
