#!/usr/bin/env bash
# t-vmtest: `bpfpack vmtest` boots real kernels in qemu (TCG here) and runs a
# command in them: a tool built from the default template sees an exec in the
# guest; output and exit status come back, kernel noise does not; --no-btf
# hides the kernel's BTF from the tool; --lsm reaches the kernel; .deb kernel
# packages boot; timeouts and interrupts leave no qemu and no temp files; bad
# input gets one clear error. Kernels come from tests/kernels.sh.
. "$(dirname "$0")/lib.sh"

KERNELS=$BPFPACK_ROOT/tests/kernels.sh
VMTMP=$T_TMP/vmtmp	# TMPDIR of every vmtest here: what it leaves is visible
mkdir -p "$VMTMP"

vmtest() { TMPDIR=$VMTMP "$BPFPACK" vmtest "$@"; }
# No qemu started by this script is left running and vmtest's temp dirs are gone.
no_leftovers() {
	local left
	# Without pgrep (procps) nothing would be found: not a pass.
	command -v pgrep >/dev/null || { echo "no pgrep here (procps; ./build.sh test installs it)"; return 1; }
	left=$(pgrep -af -- "$VMTMP" | grep qemu-system)
	[ -z "$left" ] || { echo "qemu still running: $left"; return 1; }
	[ -z "$(ls -A "$VMTMP")" ] || { echo "left in TMPDIR: $(ls -A "$VMTMP")"; return 1; }
}

# --- bad input: checked before anything boots, so no kernel is needed -----
t_expect_error "missing kernel file" 1 "cannot read kernel .*/nonexistent: No such file" \
	vmtest --kernel "$T_TMP/nonexistent" -- true
printf 'not a kernel\n' >"$T_TMP/notakernel"
t_expect_error "a text file as kernel" 1 "notakernel: not a kernel image" \
	vmtest --kernel "$T_TMP/notakernel" -- true
t_expect_error "an ELF program as kernel" 1 "an ELF file \(vmlinux\?\), not a bootable image" \
	vmtest --kernel "$BPFPACK" -- true
t_expect_error "no command" 2 "no command given" vmtest --kernel "$T_TMP/notakernel"
t_expect_error "no command after --" 2 "no command given" vmtest --kernel "$T_TMP/notakernel" --
t_expect_error "no kernel" 2 "no kernel given" vmtest -- true
t_expect_error "bad --lsm" 2 "invalid --lsm list" vmtest --kernel "$T_TMP/notakernel" --lsm 'bpf lockdown' -- true
t_expect_error "bad --timeout" 2 "invalid --timeout" vmtest --kernel "$T_TMP/notakernel" --timeout 0 -- true

mapfile -t klines < <("$KERNELS" 2>"$T_TMP/kernels.err")
pick=
for want in 6.1 "$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"; do
	for l in "${klines[@]}"; do [ "${l%% *}" = "$want" ] && pick=$l && break 2; done
done
[ -n "$pick" ] || pick=${klines[0]:-}
if [ -z "$pick" ]; then
	why=$(tr '\n' ' ' <"$T_TMP/kernels.err")
	t_skip "checks in a VM" "no kernel available: ${why:-tests/kernels.sh printed none}"
	t_done
fi
KNAME=${pick%% *}
K=${pick#* }
echo "# kernel: $KNAME $K"

# A package with no kernel in it (like the linux-image-cloud-amd64 metapackage).
mkdeb() {	# mkdeb DIR NAME OUT: a real .deb of DIR's files
	local dir=$1
	mkdir -p "$dir/DEBIAN"
	printf 'Package: %s\nVersion: 1.0\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: test\n' \
		"$2" >"$dir/DEBIAN/control"
	dpkg-deb -Zxz -z1 --build "$dir" "$3" >/dev/null
}
if command -v dpkg-deb >/dev/null; then
	mkdir -p "$T_TMP/meta/usr/share/doc/meta"
	echo doc >"$T_TMP/meta/usr/share/doc/meta/README"
	mkdeb "$T_TMP/meta" linux-image-meta "$T_TMP/meta.deb"
	t_expect_error "a package without a kernel" 1 "holds no boot/vmlinuz-\*" \
		vmtest --kernel "$T_TMP/meta.deb" -- true
else
	t_skip "a package without a kernel" "no dpkg-deb"
fi

cc_bin=$(command -v cc || command -v gcc)
if [ -n "$cc_bin" ]; then
	printf 'int main(void) { return 0; }\n' >"$T_TMP/dyn.c"
	"$cc_bin" -o "$T_TMP/dyn" "$T_TMP/dyn.c"
	t_expect_error "a dynamic program is refused" 1 "dyn is dynamically linked" \
		vmtest --kernel "$K" -- "$T_TMP/dyn"
else
	t_skip "a dynamic program is refused" "no C compiler"
fi
t_expect_error "an unknown command" 1 "cannot find the command no-such-program-here" \
	vmtest --kernel "$K" -- no-such-program-here
t_check "bad input leaves nothing behind" no_leftovers

# --- output, exit status, .deb kernels ---------------------------------------
# The kernel as a package: K itself when it is one, else K packed with dpkg-deb
# the way Debian packs it (boot/vmlinuz-RELEASE in data.tar.xz).
KDEB=
case "$K" in
*.deb) KDEB=$K ;;
*) if command -v dpkg-deb >/dev/null; then
	mkdir -p "$T_TMP/kpkg/boot"
	cp "$K" "$T_TMP/kpkg/boot/vmlinuz-test"
	mkdeb "$T_TMP/kpkg" linux-image-test "$T_TMP/kernel.deb" && KDEB=$T_TMP/kernel.deb
   fi ;;
esac
out=$T_TMP/out err=$T_TMP/err
vmtest --kernel "${KDEB:-$K}" -- sh -c 'echo out; echo err >&2; exit 3' >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 1 ] && grep -qE '^[^ ]+ +[^ ]+ +yes +exit 3 ' "$err"; then
	t_ok "exit status 3 comes back: vmtest exits 1, the table says exit 3"
else
	t_fail "exit status 3 comes back: vmtest exits 1, the table says exit 3" "exit $rc" "$(cat "$err")"
fi
if [ "$(cat "$out")" = out ] && grep -qx err "$err"; then
	t_ok "stdout is the command's alone (no kernel noise), stderr has its stderr"
else
	t_fail "stdout is the command's alone (no kernel noise), stderr has its stderr" \
		"stdout: $(head -c 2000 "$out")" "stderr: $(cat "$err")"
fi
if [ -n "$KDEB" ]; then
	if grep -qE "^$(basename "$KDEB") " "$err"; then
		t_ok "a Debian kernel package boots"
	else
		t_fail "a Debian kernel package boots" "$(cat "$err")"
	fi
else
	t_skip "a Debian kernel package boots" "no dpkg-deb to pack $K"
fi
t_check "a finished run leaves no qemu and no temp files" no_leftovers

# A guest kernel that dies under the command: no exit status, the panic named.
vmtest --kernel "$K" -- sh -c 'echo c >/proc/sysrq-trigger; sleep 30' >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'kernel panic: sysrq triggered crash' "$err" &&
	grep -qE ' no result ' "$err"; then
	t_ok "a kernel panic in the guest is reported, with the panic"
else
	t_fail "a kernel panic in the guest is reported, with the panic" "exit $rc" "$(cat "$err")"
fi

# --- a tool built by bpfpack, in the guest -----------------------------------
TOOL_DIR=$T_TMP/proj/vtool
if ! (cd "$T_TMP" && mkdir -p proj && "$BPFPACK" new vtool -C proj >/dev/null &&
	cd proj/vtool && "$BPFPACK" build >"$T_TMP/build.log" 2>&1); then
	t_fail "the default template builds" "$(tail -n 20 "$T_TMP/build.log" 2>/dev/null)"
	t_done
fi
TOOL=$TOOL_DIR/vtool
# The tool writes to a file; once its header is there it is attached, and the
# /bin/true that follows must be reported.
script='t=$1; : >/tmp/o; "$t" -d 4 >/tmp/o & p=$!
i=0; until grep -q TIME /tmp/o || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
/bin/true; wait $p; rc=$?; cat /tmp/o; exit $rc'
vmtest --kernel "$K" --add "$TOOL" -- sh -c "$script" sh "$TOOL" >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 0 ] && grep -qE '^[0-9:]+ +[0-9]+ +[0-9]+ +0 +true +/bin/true$' "$out" &&
	grep -q 'Tracing exec()' "$err"; then
	t_ok "the default tool sees an exec in the guest ($KNAME)"
else
	t_fail "the default tool sees an exec in the guest ($KNAME)" "exit $rc" \
		"stdout: $(cat "$out")" "stderr: $(cat "$err")"
fi

# --- --no-btf, --lsm, --json --------------------------------------------------
vmtest --json --no-btf --lsm yama,bpf --kernel "$K" --add "$TOOL" -- \
	sh -c 'ls /sys/kernel/btf/vmlinux; echo ==tool== >&2; "$1" -d 1' sh "$TOOL" >"$out" 2>"$err"
rc=$?
check_json() {
	python3 - "$out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
k = d["kernels"][0]
def need(cond, what):
    if not cond:
        sys.exit("%s: %s" % (what, json.dumps(k, indent=1)))
need(d["failed"] == 1 and d["passed"] == 0, "one failed")
need(k["btf"] is True and k["btf_hidden"] is True, "kernel has BTF, hidden")
need(k["result"] == "exit" and k["exit_status"] not in (None, 0), "the tool failed")
need("/sys/kernel/btf/vmlinux: No such file" in k["stderr"], "vmlinux hidden from ls")
tool_err = k["stderr"].split("==tool==", 1)[-1]
need("BTF" in tool_err, "the tool says it lacks BTF")
need(k["lsm"] and "bpf" in k["lsm"].split(",") and "apparmor" not in k["lsm"], "lsm=yama,bpf applied")
need(k["stdout"] == "", "no stdout")
EOF
}
if [ "$rc" -eq 1 ] && msg=$(check_json 2>&1); then
	t_ok "--no-btf hides /sys/kernel/btf and the tool fails for lack of BTF (--json, --lsm)"
else
	t_fail "--no-btf hides /sys/kernel/btf and the tool fails for lack of BTF (--json, --lsm)" \
		"exit $rc" "${msg:-}" "stdout: $(head -c 3000 "$out")" "stderr: $(cat "$err")"
fi

# --- bounded: timeout and interrupt -------------------------------------------
start=$(date +%s)
vmtest --timeout 4 --kernel "$K" -- sh -c 'sleep 100' >"$out" 2>"$err"
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" -eq 1 ] && grep -qE ' timeout \(4 s\) ' "$err" && [ "$took" -lt 15 ]; then
	t_ok "a VM is killed at its timeout and reported so"
else
	t_fail "a VM is killed at its timeout and reported so" "exit $rc after ${took}s" "$(cat "$err")"
fi
t_check "after a timeout no qemu is left and temp files are gone" no_leftovers

# Not through the vmtest function: $! must be bpfpack itself, not a subshell.
TMPDIR=$VMTMP "$BPFPACK" vmtest --kernel "$K" -- sleep 100 >/dev/null 2>"$err" &
vpid=$!
T_BG_PIDS+=("$vpid")
for ((i = 0; i < 100; i++)); do
	pgrep -f -- "$VMTMP" | grep -q . && break
	sleep 0.1
done
sleep 1
kill -INT "$vpid"
wait "$vpid"
rc=$?
if [ "$rc" -eq 130 ] && grep -q 'interrupted' "$err"; then
	t_ok "SIGINT stops vmtest with status 130"
else
	t_fail "SIGINT stops vmtest with status 130" "exit $rc" "$(cat "$err")"
fi
t_check "after SIGINT no qemu is left and temp files are gone" no_leftovers

t_done
