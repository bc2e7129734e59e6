#!/usr/bin/env bash
# tests/kernels.sh: the kernels the VM tests boot, one a line: "NAME PATH".
# The output is what `bpfpack vmtest --kernels FILE` reads.
#
#   tests/kernels.sh [--download] [--arch ARCH] [NAME...]
#
# Kernels (--arch x86_64, the default), in this order:
#   5.10, 6.1, 6.12   Debian cloud kernels (boot images), with BTF
#   nobtf-6.1         a 6.1 kernel built without BTF
#       from ../shared/kernels (BPFPACK_KERNELS_DIR overrides) when present;
#   CODENAME          this Debian release's own cloud kernel (e.g. "bookworm"), as
#                     its package (.deb): the kernel behind linux-image-cloud-amd64
#       when the shared kernels are missing (or with --download), fetched once
#       with `apt-get download` into tests/.cache/kernels/ (BPFPACK_KERNEL_CACHE
#       overrides) and reused from there, also without network.
# Kernels with --arch arm64 (for `bpfpack vmtest --arch arm64`), as packages in
# the same cache, fetched the same way when missing (needs the arm64 dpkg
# architecture: tests/setup-arm64.sh):
#   CODENAME-arm64    the kernel behind linux-image-cloud-arm64 (e.g. 6.1)
#   backports-arm64   the one from CODENAME-backports (e.g. 6.12); only when
#                     named or with --download
# NAMEs given as arguments select those kernels only. A kernel that is not
# available is left out and the reason is said on stderr; the exit status is
# 0 even when nothing is printed (the tests then skip).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${BPFPACK_KERNELS_DIR:-$ROOT/../shared/kernels}
CACHE=${BPFPACK_KERNEL_CACHE:-$ROOT/tests/.cache/kernels}
download=0
arch=x86_64
want=()
while [ $# -gt 0 ]; do
	case "$1" in
	--download) download=1 ;;
	--arch) [ $# -ge 2 ] || { echo "kernels.sh: --arch needs a value" >&2; exit 2; }; arch=$2; shift ;;
	--arch=*) arch=${1#--arch=} ;;
	-h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "kernels.sh: unknown option $1" >&2; exit 2 ;;
	*) want+=("$1") ;;
	esac
	shift
done
case "$arch" in
x86_64 | amd64 | x86) arch=x86_64 ;;
arm64 | aarch64) arch=arm64 ;;
*) echo "kernels.sh: unknown --arch $arch (x86_64 or arm64)" >&2; exit 2 ;;
esac

say() { printf 'kernels.sh: %s\n' "$*" >&2; }

emit() {
	local name=$1 path=$2 w
	if [ "${#want[@]}" -gt 0 ]; then
		for w in "${want[@]}"; do [ "$w" = "$name" ] && break; w=; done
		[ -n "$w" ] || return 0
	fi
	printf '%s %s\n' "$name" "$path"
}

wanted() {
	local w
	for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done
	return 1
}

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
codename=${codename:-debian}

# fetch_kernel META[:ARCH] [SUITE]: prints the cached package of the kernel that
# the metapackage META depends on (from SUITE, else the default candidate),
# downloading it into $CACHE first when it is not there. Prints nothing, with
# the reason on stderr, when it cannot.
fetch_kernel() {
	local meta=$1 suite=${2:-} flavor pkg deb tmp f
	flavor=${meta#linux-image-}
	flavor=${flavor%%:*}
	# Any cached package of the flavor, from the same suite ("~bpo" marks
	# backports): works without network or apt lists, and a newer kernel in
	# the archive does not make the tests download again.
	deb=$(ls -t "$CACHE"/linux-image-*-"$flavor"_*.deb 2>/dev/null | grep -v unsigned |
		if [ -n "$suite" ]; then grep '~bpo'; else grep -v '~bpo'; fi | head -n 1)
	if [ -n "$deb" ]; then
		echo "$deb"
		return 0
	fi
	if ! command -v apt-get >/dev/null || ! command -v apt-cache >/dev/null; then
		say "no apt-get here: cannot download a kernel package"
		return 0
	fi
	# The metapackage's dependency names the kernel.
	pkg=$(apt-cache depends "$meta${suite:+/$suite}" 2>/dev/null |
		awk -v f="$flavor" '$1 == "Depends:" && $2 ~ "^linux-image-.*-" f "(:[a-z0-9]+)?$" { print $2; exit }')
	if [ -z "$pkg" ]; then
		say "apt knows no $meta${suite:+ in $suite} (run apt-get update?): no kernel package"
		return 0
	fi
	mkdir -p "$CACHE" || return 0
	tmp=$(mktemp -d "$CACHE/.download.XXXXXX") || return 0
	# As root, apt would drop to _apt, which cannot write here: say so
	# up front instead of getting a warning.
	local sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && apt-get download -q "${sandbox[@]}" "$pkg${suite:+/$suite}" >"$tmp/apt.log" 2>&1); then
		say "apt-get download $pkg failed (no network?): $( (grep '^E:' "$tmp/apt.log"; cat "$tmp/apt.log") | head -n 1)"
		rm -rf "$tmp"
		return 0
	fi
	for f in "$tmp"/*.deb; do
		[ -f "$f" ] && mv "$f" "$CACHE/" && deb=$CACHE/$(basename "$f")
	done
	rm -rf "$tmp"
	if [ -z "$deb" ]; then
		say "apt-get download $pkg gave no package"
		return 0
	fi
	say "downloaded $(basename "$deb") into $CACHE"
	echo "$deb"
}

if [ "$arch" = arm64 ]; then
	if ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 &&
		! ls "$CACHE"/linux-image-*-arm64_*.deb >/dev/null 2>&1; then
		say "dpkg has no arm64 architecture (tests/setup-arm64.sh adds it): no arm64 kernel"
		exit 0
	fi
	if [ "${#want[@]}" -eq 0 ] || wanted "$codename-arm64"; then
		deb=$(fetch_kernel linux-image-cloud-arm64:arm64)
		[ -z "$deb" ] || emit "$codename-arm64" "$deb"
	fi
	if wanted backports-arm64 || { [ "$download" = 1 ] && [ "${#want[@]}" -eq 0 ]; }; then
		deb=$(fetch_kernel linux-image-cloud-arm64:arm64 "$codename-backports")
		[ -z "$deb" ] || emit backports-arm64 "$deb"
	fi
	exit 0
fi

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

# linux-image-cloud-amd64 is a metapackage; the kernel is in the package it
# depends on (linux-image-VERSION-cloud-amd64).
deb=$(fetch_kernel linux-image-cloud-amd64)
[ -z "$deb" ] || emit "$codename" "$deb"
