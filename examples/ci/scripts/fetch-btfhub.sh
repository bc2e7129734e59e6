#!/usr/bin/env bash
# fetch-btfhub.sh: a sparse, shallow checkout of btfhub-archive into
# BTFHUB_DIR with only the directories in BTFHUB_PATHS (e.g. "ubuntu/22.04/x86_64
# debian/12/x86_64"): the whole archive is about 1.5 GB, a few distros are a
# small part of it. Blobs are fetched only for the paths checked out.
. "$(dirname "$0")/ci-env.sh"

[ -n "${BTFHUB_ARCHIVE_URL:-}" ] || ci_die "set BTFHUB_ARCHIVE_URL to the btfhub-archive repository to clone"
if [ -d "$BTFHUB_DIR/.git" ]; then
	ci_say "$BTFHUB_DIR is there already"
else
	ci_say "sparse clone of $BTFHUB_ARCHIVE_URL: ${BTFHUB_PATHS:-everything}"
	git clone --quiet --depth 1 --filter=blob:none --no-checkout "$BTFHUB_ARCHIVE_URL" "$BTFHUB_DIR"
	if [ -n "$BTFHUB_PATHS" ]; then
		# Cone mode takes directories; each path is one DISTRO/VERSION/ARCH.
		# shellcheck disable=SC2086
		git -C "$BTFHUB_DIR" sparse-checkout set --cone $BTFHUB_PATHS
	fi
	git -C "$BTFHUB_DIR" checkout --quiet
fi
n=$(find "$BTFHUB_DIR" -name '*.btf.tar.xz' -not -path '*/.git/*' | wc -l)
[ "$n" -gt 0 ] || ci_die "no .btf.tar.xz in $BTFHUB_DIR (BTFHUB_PATHS: $BTFHUB_PATHS)"
ci_say "$n kernels in $BTFHUB_DIR"
