#!/usr/bin/env bash
# tests/kernels.sh: the kernels the VM tests boot, one a line: "NAME PATH".
# The output is what `bpfpack vmtest --kernels FILE` reads.
#
#   tests/kernels.sh [--download] [NAME...]
#
# Kernels, in this order:
#   5.10, 6.1, 6.12   Debian cloud kernels (boot images), with BTF
#   nobtf-6.1         a 6.1 kernel built without BTF
#       from ../shared/kernels (BPFPACK_KERNELS_DIR overrides) when present;
#   CODENAME          this Debian release's own cloud kernel (e.g. "bookworm"), as
#                     its package (.deb): the kernel behind linux-image-cloud-amd64
#       when the shared kernels are missing (or with --download), fetched once
#       with `apt-get download` into tests/.cache/kernels/ (BPFPACK_KERNEL_CACHE
#       overrides) and reused from there, also without network.
# NAMEs given as arguments select those kernels only. A kernel that is not
# available is left out and the reason is said on stderr; the exit status is
# 0 even when nothing is printed (the tests then skip).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${BPFPACK_KERNELS_DIR:-$ROOT/../shared/kernels}
CACHE=${BPFPACK_KERNEL_CACHE:-$ROOT/tests/.cache/kernels}
download=0
want=()
for a in "$@"; do
	case "$a" in
	--download) download=1 ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "kernels.sh: unknown option $a" >&2; exit 2 ;;
	*) want+=("$a") ;;
	esac
done

say() { printf 'kernels.sh: %s\n' "$*" >&2; }

emit() {
	local name=$1 path=$2 w
	if [ "${#want[@]}" -gt 0 ]; then
		for w in "${want[@]}"; do [ "$w" = "$name" ] && break; w=; done
		[ -n "$w" ] || return 0
	fi
	printf '%s %s\n' "$name" "$path"
}

shared_found=0
if [ -d "$SHARED" ]; then
	SHARED=$(cd "$SHARED" && pwd)
	for pat in "5.10:vmlinuz-5.10.*" "6.1:vmlinuz-6.1.*" "6.12:vmlinuz-6.12.*" "nobtf-6.1:nobtf-6.1/bzImage"; do
		name=${pat%%:*}
		# The newest match of each series.
		path=$(cd "$SHARED" && ls -d ${pat#*:} 2>/dev/null | sort -V | tail -n 1)
		if [ -n "$path" ] && [ -f "$SHARED/$path" ]; then
			emit "$name" "$SHARED/$path"
			shared_found=1
		fi
	done
fi

if [ "$shared_found" = 1 ] && [ "$download" = 0 ]; then
	exit 0
fi
[ "$shared_found" = 1 ] || say "no shared kernels in $SHARED: using this Debian release's kernel package"

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-debian}")
codename=${codename:-debian}
cached() { ls -t "$CACHE"/linux-image-*-cloud-amd64_*.deb 2>/dev/null | grep -v unsigned | head -n 1; }
deb=$(cached)
if [ -z "$deb" ]; then
	if ! command -v apt-get >/dev/null || ! command -v apt-cache >/dev/null; then
		say "no apt-get here: cannot download a kernel package"
		exit 0
	fi
	# linux-image-cloud-amd64 is a metapackage; the kernel is in the
	# package it depends on (linux-image-VERSION-cloud-amd64).
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		say "apt knows no linux-image-cloud-amd64 (run apt-get update?): no kernel package"
		exit 0
	fi
	mkdir -p "$CACHE" || exit 0
	tmp=$(mktemp -d "$CACHE/.download.XXXXXX") || exit 0
	trap 'rm -rf "$tmp"' EXIT
	# As root, apt would drop to _apt, which cannot write here: say so
	# up front instead of getting a warning.
	sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && apt-get download -q "${sandbox[@]}" "$pkg" >"$tmp/apt.log" 2>&1); then
		say "apt-get download $pkg failed (no network?): $( (grep '^E:' "$tmp/apt.log"; cat "$tmp/apt.log") | head -n 1)"
		exit 0
	fi
	for f in "$tmp"/*.deb; do
		[ -f "$f" ] && mv "$f" "$CACHE/" && deb=$CACHE/$(basename "$f")
	done
	if [ -z "$deb" ]; then
		say "apt-get download $pkg gave no package"
		exit 0
	fi
	say "downloaded $(basename "$deb") into $CACHE"
fi
emit "$codename" "$deb"
