#!/usr/bin/env bash
# packaging/deb.sh: build/bpfpack_VERSION_ARCH.deb from this tree, with
# dpkg-deb alone (no debian/ source package, no fakeroot): the files are
# what `make install PREFIX=/usr` installs, owned by root in the archive
# (--root-owner-group).
#
# Depends: the shared libraries the driver itself loads (from dpkg-shlibdeps,
# so the names are this release's: libarchive13 on bookworm,
# libarchive13t64 on trixie) and what `bpfpack build` runs and links into
# every tool: clang, bpftool, cc with ar and objcopy, the static libc and
# the static libbpf, libelf, zlib and zstd. Recommends: what vmtest (qemu,
# busybox) and `btf from-debug` (pahole) need.
#
# Run by `make deb` (./build.sh deb) after bin/bpfpack and the docs are made.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

die() { printf 'packaging/deb.sh: error: %s\n' "$*" >&2; exit 1; }

command -v dpkg-deb >/dev/null || die "dpkg-deb not found (package dpkg)"
command -v dpkg-shlibdeps >/dev/null || die "dpkg-shlibdeps not found: apt-get install dpkg-dev"

version=$(cat VERSION)
arch=$(dpkg --print-architecture)
out=build/bpfpack_${version}_${arch}.deb
stage=build/deb
rm -rf "$stage"
mkdir -p "$stage/root/DEBIAN"

make -s install PREFIX=/usr DESTDIR="$ROOT/$stage/root" ${DOCS+DOCS="$DOCS"}

# dpkg-shlibdeps wants a debian/control to read the package's name from.
mkdir -p "$stage/src/debian"
cat >"$stage/src/debian/control" <<EOT
Source: bpfpack

Package: bpfpack
Architecture: any
EOT
shlibs=$(cd "$stage/src" && dpkg-shlibdeps -O -e "$ROOT/$stage/root/usr/bin/bpfpack" 2>/dev/null) ||
	die "dpkg-shlibdeps failed on usr/bin/bpfpack"
shlibs=${shlibs#shlibs:Depends=}
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no shared library dependencies"

# What `bpfpack build` needs (cmd/build.c: clang -target bpf, bpftool gen,
# cc -static ... -lbpf -lelf -lzstd -lz, ar, objcopy). libbpf >= 1.4 and
# bpftool >= 7.5: on bookworm these come from bookworm-backports. gcc, not
# "a C compiler": bpfpack runs `cc`, which gcc provides and clang (which
# Provides: c-compiler) does not.
tools="clang-19 | clang (>= 1:19), bpftool (>= 7.5), gcc, binutils, libc6-dev,"
tools="$tools libbpf-dev (>= 1:1.4), libelf-dev, zlib1g-dev, libzstd-dev"

size=$(du -sk --exclude=DEBIAN "$stage/root" | cut -f1)
cat >"$stage/root/DEBIAN/control" <<EOT
Package: bpfpack
Version: $version
Architecture: $arch
Maintainer: bpfpack developers <dev@bpfpack.invalid>
Installed-Size: $size
Depends: $shlibs, $tools
Recommends: qemu-system-x86, busybox-static, dwarves
Section: devel
Priority: optional
Description: toolchain for portable eBPF CO-RE programs
 bpfpack takes an eBPF CO-RE tool from nothing to one static binary that
 runs on many kernels, including kernels without BTF: templates, build with
 embedded minimized BTF, compatibility checks per kernel and tests in VMs.
EOT

mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage/root" "$out.tmp" >/dev/null
mv "$out.tmp" "$out"
rm -rf "$stage"
echo "$out"
