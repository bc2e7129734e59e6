#!/usr/bin/env bash
# vmtest.sh: runs every tool of CI_OUT/bin in a VM on each kernel of
# VMTEST_KERNELS (Debian kernel images or .debs) with /sys/kernel/btf hidden
# (--no-btf), so each tool must find its kernel in the BTF embedded in it.
. "$(dirname "$0")/ci-env.sh"

[ -n "$VMTEST_KERNELS" ] || ci_die "set VMTEST_KERNELS to the kernels to boot"
kargs=()
# shellcheck disable=SC2086	# patterns are expanded on purpose
for k in $VMTEST_KERNELS; do
	[ -e "$k" ] || ci_die "no kernel $k"
	kargs+=(--kernel "$k")
done
for t in $(ci_tools); do
	ci_say "vmtest $t"
	chmod 755 "$CI_OUT/bin/$t"	# artifacts keep no file modes
	# shellcheck disable=SC2086
	"$BPFPACK" vmtest "${kargs[@]}" --no-btf -j "$JOBS" -- "$CI_OUT/bin/$t" $VMTEST_ARGS
done
