#!/usr/bin/env bash
# t-check-vm: a few pairs of the VM agreement matrix in the default suite:
# every purpose-built object of tests/check/, predicted by `bpfpack check`
# and really loaded and attached with `bpfpack vmtest` on Debian 5.10 and
# 6.12 (tests/vm/check.sh; the full matrix: tests/vm/check.sh [--all]).
# Skips without ../shared.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
K510=$SHARED/kernels/vmlinuz-5.10.0-32-cloud-amd64
K612=$SHARED/kernels/vmlinuz-6.12.117+deb13-cloud-amd64
if [ ! -f "$K510" ] || [ ! -f "$K612" ]; then
	t_skip "check agrees with real loads in VMs" "needs ../shared/kernels (5.10, 6.12)"
	t_done
fi
TMPDIR=$T_TMP nice "$BPFPACK_ROOT/tests/vm/check.sh" -j 2 "$K510" "$K612"
