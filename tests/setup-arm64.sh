#!/usr/bin/env bash
# tests/setup-arm64.sh: installs what `bpfpack build --arch arm64` and
# `bpfpack vmtest --arch arm64` need on an x86_64 Debian machine, and fetches
# an arm64 kernel and busybox for the tests. Only what is missing is done.
#
#   tests/setup-arm64.sh [--check]
#
#   1. dpkg --add-architecture arm64, then apt-get update. apt then fetches the
#      arm64 indexes of every source as it is (deb822 sources without an
#      Architectures: line serve all of dpkg's architectures).
#   2. The cross toolchain: gcc-aarch64-linux-gnu, binutils-aarch64-linux-gnu
#      (aarch64-linux-gnu-objcopy and -ar), and qemu-system-arm
#      (qemu-system-aarch64).
#   3. The arm64 static libraries from Debian's multiarch packages:
#      libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64,
#      each at exactly the version of its installed amd64 twin (Multi-Arch:
#      same packages must match). libbpf comes from bookworm-backports like the
#      amd64 one: build.sh's pin names packages without an architecture, which
#      apt applies to the native architecture only, so a second pin file
#      (/etc/apt/preferences.d/bpfpack-backports-arm64) pins the :arm64 ones.
#   4. busybox for the guest: busybox-static:arm64 cannot be installed beside
#      busybox-static:amd64 (the package is not Multi-Arch and conflicts with
#      itself), so its .deb is fetched with `apt-get download` into bpfpack's
#      cache ($BPFPACK_CACHE_DIR, else $XDG_CACHE_HOME/bpfpack, else
#      ~/.cache/bpfpack), where `bpfpack vmtest --arch arm64` finds it and
#      takes bin/busybox out of it.
#   5. This release's arm64 cloud kernel package into tests/.cache/kernels/
#      (tests/kernels.sh --arch arm64).
#
# --check installs nothing: it says what is missing and exits 1 if anything is.
# Exit status 0 when everything is in place at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check_only=0
case "${1:-}" in
"") ;;
--check) check_only=1 ;;
-h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: tests/setup-arm64.sh [--check]" >&2; exit 2 ;;
esac

log() { printf 'setup-arm64: %s\n' "$*" >&2; }
die() { printf 'setup-arm64: error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Version of an installed package (NAME or NAME:ARCH), or nothing.
installed() {
	dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "installed" { print $2; exit }' || true
}

TOOLS=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm)
# arm64 -dev package and the runtime library it pins to its own version.
LIBS=(libbpf-dev:libbpf1 libelf-dev:libelf1 zlib1g-dev:zlib1g libzstd-dev:libzstd1)
CACHE=${BPFPACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack}

[ "$(uname -m)" = x86_64 ] || log "this machine is $(uname -m), not x86_64: the set-up is meant for x86_64 hosts"
command -v dpkg >/dev/null && command -v apt-get >/dev/null || die "not a Debian machine (no dpkg/apt-get)"

missing=()
dpkg --print-foreign-architectures | grep -qx arm64 || missing+=("dpkg architecture arm64")
for p in "${TOOLS[@]}"; do [ -n "$(installed "$p")" ] || missing+=("$p"); done
for pair in "${LIBS[@]}"; do
	dev=${pair%%:*}
	want=$(installed "$dev:amd64")
	have=$(installed "$dev:arm64")
	if [ -z "$have" ] || [ "$have" != "$want" ]; then missing+=("$dev:arm64${want:+ $want}"); fi
done
busybox_deb=$(ls "$CACHE"/busybox-static_*_arm64.deb 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$busybox_deb" ] || missing+=("busybox-static_*_arm64.deb in $CACHE")
KCACHE=${BPFPACK_KERNEL_CACHE:-$ROOT/tests/.cache/kernels}
kernel=$(ls "$KCACHE"/linux-image-*-cloud-arm64_*.deb 2>/dev/null | head -n 1 || true)
[ -n "$kernel" ] || missing+=("an arm64 kernel package in $KCACHE")

if [ "${#missing[@]}" -eq 0 ]; then
	log "everything for --arch arm64 is in place"
	exit 0
fi
if [ "$check_only" = 1 ]; then
	printf 'setup-arm64: missing: %s\n' "${missing[@]}" >&2
	exit 1
fi
log "missing: $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g')"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64"
	as_root dpkg --add-architecture arm64
fi
as_root apt-get update -qq

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
pin=/etc/apt/preferences.d/bpfpack-backports-arm64
if [ "$codename" = bookworm ] && [ ! -f "$pin" ]; then
	log "pinning libbpf-dev:arm64 libbpf1:arm64 to ${codename}-backports"
	as_root tee "$pin" >/dev/null <<EOT
Package: libbpf-dev:arm64 libbpf1:arm64
Pin: release n=${codename}-backports
Pin-Priority: 990
EOT
fi

# NAME=VERSION for every package, the arm64 libraries at their amd64 twins'
# versions; the amd64 -dev packages must be there first (./build.sh installs them).
install=("${TOOLS[@]}")
for pair in "${LIBS[@]}"; do
	dev=${pair%%:*} lib=${pair#*:}
	want=$(installed "$dev:amd64")
	[ -n "$want" ] || die "$dev (amd64) is not installed: run ./build.sh first"
	install+=("$dev:arm64=$want")
	libv=$(installed "$lib:amd64")
	if [ -n "$libv" ]; then install+=("$lib:arm64=$libv"); fi
done
apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$apt_log" 2>&1
}
apt_log=$(mktemp "${TMPDIR:-/tmp}/setup-arm64.XXXXXX")
log "installing: ${install[*]}"
if ! apt_install "${install[@]}"; then
	# The mirror may no longer have the amd64 twins' versions (a machine not
	# upgraded since): move both arches to the candidate together instead.
	log "$(grep '^E:' "$apt_log" | head -n 1); installing both arches' current versions instead"
	both=("${TOOLS[@]}")
	for pair in "${LIBS[@]}"; do
		dev=${pair%%:*} lib=${pair#*:}
		both+=("$dev:amd64" "$dev:arm64" "$lib:amd64" "$lib:arm64")
	done
	apt_install "${both[@]}" || { cat "$apt_log" >&2; rm -f "$apt_log"; die "apt-get install failed"; }
fi
rm -f "$apt_log"
for pair in "${LIBS[@]}"; do
	dev=${pair%%:*}
	[ "$(installed "$dev:arm64")" = "$(installed "$dev:amd64")" ] ||
		die "$dev:arm64 $(installed "$dev:arm64") differs from $dev:amd64 $(installed "$dev:amd64")"
done

# As root, apt would drop to _apt, which may not write the target directory.
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
if [ -z "$busybox_deb" ]; then
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.download.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "${sandbox[@]}" busybox-static:arm64 >"$tmp/apt.log" 2>&1) ||
		die "apt-get download busybox-static:arm64 failed: $(head -n 3 "$tmp/apt.log")"
	mv "$tmp"/busybox-static_*_arm64.deb "$CACHE/"
	log "fetched $(ls "$CACHE"/busybox-static_*_arm64.deb | sort -V | tail -n 1)"
fi
if [ -z "$kernel" ]; then
	# kernels.sh fetches this release's arm64 kernel when it is not cached.
	[ -n "$("$ROOT/tests/kernels.sh" --arch arm64)" ] || die "no arm64 kernel package was fetched"
fi
log "done: bpfpack build --arch arm64 and vmtest --arch arm64 can run"
