#!/usr/bin/env bash
# t-check-vm: part of the VM agreement matrix in the default suite: every
# purpose-built object of tests/check/, predicted by `bpfpack check` and
# really loaded and attached with `bpfpack vmtest` on Debian 5.10 and 6.12,
# the 6.1 built without BTF (its BTF from `btf from-debug`, declared
# `--no-kernel-btf`; the loader hands libbpf that BTF, as embedded BTF does)
# and the arm64 6.1 Debian cloud kernel under TCG (objects and loader built
# for arm64) (tests/vm/check.sh; the full matrix: tests/vm/check.sh [--all]).
# Skips without ../shared; the arm64 kernel only without tests/setup-arm64.sh,
# saying why.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
K510=$SHARED/kernels/vmlinuz-5.10.0-32-cloud-amd64
K612=$SHARED/kernels/vmlinuz-6.12.117+deb13-cloud-amd64
KNOBTF=$SHARED/kernels/nobtf-6.1/bzImage
if [ ! -f "$K510" ] || [ ! -f "$K612" ]; then
	t_skip "check agrees with real loads in VMs" "needs ../shared/kernels (5.10, 6.12)"
	t_done
fi
ks=("$K510" "$K612")
if [ -f "$KNOBTF" ] && [ -f "$SHARED/kernels/nobtf-6.1/vmlinux.xz" ]; then
	ks+=("$KNOBTF")
else
	t_skip "check agrees with real loads on the no-BTF 6.1" "needs ../shared/kernels/nobtf-6.1 (bzImage, vmlinux.xz)"
fi
# arm64: the arm64 6.1 kernel package (tests/kernels.sh), or a skip saying why.
ks+=(arm64)
TMPDIR=$T_TMP nice "$BPFPACK_ROOT/tests/vm/check.sh" -j 2 "${ks[@]}"
