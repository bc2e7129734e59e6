#!/usr/bin/env bash
# t-hostile-privileged: a tool given file capabilities (setcap
# cap_bpf,cap_perfmon+ep) and run by an unprivileged user ignores
# BPFPACK_BTF and BPFPACK_BTF_FORCE_EMBEDDED: it runs on the kernel's own BTF,
# says with -v which variables it ignored, and never opens the file
# BPFPACK_BTF names. The file is a FIFO: opening it blocks until a writer
# comes, so a tool that opens it hangs and the timeout shows it. The same
# binary without capabilities, run the same way, obeys both variables (the
# control that proves the FIFO would catch an open).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

missing=
for c in setcap setpriv unshare timeout mkfifo tar xz; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
if ! t_is_root; then
	t_skip "privileged tools ignore the caller's environment" "needs root (setcap, mounts)"
	t_done
elif [ -n "$missing" ]; then
	t_skip "privileged tools ignore the caller's environment" "missing:$missing (apt-get install libcap2-bin util-linux)"
	t_done
elif ! id nobody >/dev/null 2>&1; then
	t_skip "privileged tools ignore the caller's environment" "no user 'nobody'"
	t_done
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	t_skip "privileged tools ignore the caller's environment" "this kernel has no /sys/kernel/btf/vmlinux"
	t_done
fi
export BPFPACK_CACHE_DIR=$T_TMP/cache
nobody_group=$(id -gn nobody)

# A set for this very kernel, keyed by this machine, so that the tool without
# capabilities really can be forced onto it.
rel=$(uname -r)
distro=$(. /etc/os-release && echo "$ID")
dver=$(. /etc/os-release && echo "${VERSION_ID:-}")
mkdir -p "tree/$distro/$dver/x86_64" stage
cp /sys/kernel/btf/vmlinux "stage/$rel.btf"
tar -C stage -cJf "tree/$distro/$dver/x86_64/$rel.btf.tar.xz" "$rel.btf"

"$BPFPACK" new hp -t raw_tp >/dev/null 2>&1
if ! (cd hp && nice "$BPFPACK" build --btf ../tree >../build.out 2>&1); then
	t_fail "build a raw_tp tool with embedded BTF" "$(cat build.out)"
	t_done
fi
# The unprivileged user must reach the binaries.
chmod 755 "$T_TMP"
mkdir -m 755 bin
cp hp/hp bin/hp-caps
cp hp/hp bin/hp-plain
if ! setcap cap_bpf,cap_perfmon+ep bin/hp-caps 2>setcap.err; then
	t_skip "privileged tools ignore the caller's environment" "setcap failed here: $(cat setcap.err)"
	t_done
fi
# File capabilities do nothing on a nosuid mount, and nobody must reach the
# binary: say so instead of failing for the machine's reasons.
if findmnt -no OPTIONS -T "$T_TMP/bin" 2>/dev/null | grep -qw nosuid; then
	t_skip "privileged tools ignore the caller's environment" "$T_TMP is on a nosuid mount: file capabilities are ignored there"
	t_done
fi
if ! setpriv --reuid=nobody --regid="$nobody_group" --clear-groups test -x "$T_TMP/bin/hp-caps"; then
	t_skip "privileged tools ignore the caller's environment" "user nobody cannot reach $T_TMP/bin (a parent directory is closed)"
	t_done
fi
mkfifo -m 666 bin/btf.fifo
fifo=$T_TMP/bin/btf.fifo

# ---- the kernel has BTF: caps tool runs on it, whatever the variables say ----
BPFPACK_BTF=$fifo BPFPACK_BTF_FORCE_EMBEDDED=1 timeout 20 \
	setpriv --reuid=nobody --regid="$nobody_group" --clear-groups bin/hp-caps -v -d 1 \
	>caps.out 2>caps.err
rc=$?
if [ $rc -eq 0 ] && grep -q "^hp: BTF: the kernel's own" caps.err && grep -q '^TIME ' caps.out; then
	t_ok "with file capabilities, as nobody: runs and attaches on the kernel's own BTF despite BPFPACK_BTF_FORCE_EMBEDDED=1"
else
	t_fail "with file capabilities, as nobody: runs and attaches on the kernel's own BTF despite BPFPACK_BTF_FORCE_EMBEDDED=1" \
		"exit $rc (124: it blocked opening the FIFO)" "$(grep -v '^libbpf:' caps.err)"
fi
if grep -q "^hp: running with elevated privileges (setuid, setgid or file capabilities): ignoring BPFPACK_BTF, BPFPACK_BTF_FORCE_EMBEDDED from the environment" caps.err; then
	t_ok "-v names the variables it ignored"
else
	t_fail "-v names the variables it ignored" "$(grep -v '^libbpf:' caps.err)"
fi
# Without -v: not a word about it.
BPFPACK_BTF=$fifo BPFPACK_BTF_FORCE_EMBEDDED=1 timeout 20 \
	setpriv --reuid=nobody --regid="$nobody_group" --clear-groups bin/hp-caps -d 1 >/dev/null 2>quiet.err
if ! grep -q "elevated privileges" quiet.err; then t_ok "without -v it says nothing about them"
else t_fail "without -v it says nothing about them" "$(cat quiet.err)"; fi

# The control: no capabilities, the same user and variables: obeyed.
BPFPACK_BTF=$fifo BPFPACK_BTF_FORCE_EMBEDDED=1 timeout 20 \
	setpriv --reuid=nobody --regid="$nobody_group" --clear-groups bin/hp-plain -v -d 1 \
	>plain.out 2>plain.err
if grep -q "^hp: BTF: embedded, for .*forced by BPFPACK_BTF_FORCE_EMBEDDED" plain.err &&
	! grep -q "elevated privileges" plain.err; then
	t_ok "without capabilities the same binary obeys BPFPACK_BTF_FORCE_EMBEDDED (control)"
else
	t_fail "without capabilities the same binary obeys BPFPACK_BTF_FORCE_EMBEDDED (control)" \
		"$(grep -v '^libbpf:' plain.err)"
fi

# ---- the kernel's BTF hidden from the user: BPFPACK_BTF would be next ----
# A mount namespace of its own puts an unreadable file over
# /sys/kernel/btf/vmlinux, so nobody sees a kernel without BTF; the privileged
# tool must not turn to the caller's file, the unprivileged one does (and
# blocks on the FIFO: timeout's 124).
touch unreadable && chmod 000 unreadable
hidden() { # BINARY
	BPFPACK_BTF=$fifo timeout 10 unshare -m sh -c \
		'mount --bind "$1" /sys/kernel/btf/vmlinux && shift && exec setpriv --reuid=nobody --regid="$1" --clear-groups "$2" -v -d 1' \
		sh "$T_TMP/unreadable" "$nobody_group" "$@"
}
hidden bin/hp-caps >hcaps.out 2>hcaps.err
rc=$?
if [ $rc -ne 124 ] && grep -q "ignoring BPFPACK_BTF from the environment" hcaps.err &&
	! grep -q "BPFPACK_BTF=" hcaps.err; then
	t_ok "with file capabilities on a kernel without (visible) BTF: BPFPACK_BTF is never opened"
else
	t_fail "with file capabilities on a kernel without (visible) BTF: BPFPACK_BTF is never opened" \
		"exit $rc (124: it blocked opening the FIFO)" "$(grep -v '^libbpf:' hcaps.err)"
fi
hidden bin/hp-plain >hplain.out 2>hplain.err
rc=$?
if [ $rc -eq 124 ]; then
	t_ok "without capabilities the same binary opens BPFPACK_BTF (control: the FIFO catches an open)"
else
	t_fail "without capabilities the same binary opens BPFPACK_BTF (control: the FIFO catches an open)" \
		"exit $rc, want 124" "$(grep -v '^libbpf:' hplain.err)"
fi
t_done
