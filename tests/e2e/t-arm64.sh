#!/usr/bin/env bash
# t-arm64: cross builds and arm64 VMs on this x86_64 machine. The default
# template is built with `--arch arm64` into a static aarch64 binary (vmlinux.h
# from a Debian arm64 kernel package, the cross toolchain, the :arm64 static
# libraries), beside its x86_64 build without either rebuilding the other;
# `vmtest --arch arm64` boots the arm64 kernel under qemu-system-aarch64 and
# the tool reports an exec there (and the kprobe template a deletion, with the
# argument read from arm64's registers); built again with embedded BTF from a
# btfhub-layout tree (arm64 kernels only are kept), it reports the exec with
# the kernel's BTF hidden. `doctor --arch arm64` checks the set-up; bad input
# gets one clear line. Needs tests/setup-arm64.sh (./build.sh test runs it);
# without it the checks that need it skip, saying what is missing.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

# bpfpack's cache holds the arm64 busybox package; BTF minimizing gets a
# fresh cache of its own, so the test does not depend on earlier runs.
REAL_CACHE=${BPFPACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack}
export BPFPACK_CACHE_DIR=$T_TMP/cache
VMTMP=$T_TMP/vmtmp
mkdir -p "$VMTMP"
vmtest() { TMPDIR=$VMTMP "$BPFPACK" vmtest "$@"; }

# --- bad input: nothing to install for these ----------------------------------
"$BPFPACK" new t64 >/dev/null || { t_fail "bpfpack new t64"; t_done; }
t_expect_error "build --arch with an unknown arch" 2 "unknown --arch 'sparc': bpfpack builds for x86_64, arm64" \
	"$BPFPACK" build -C t64 --arch sparc
t_expect_error "vmtest --arch with an unknown arch" 2 "unknown --arch 'sparc'" \
	vmtest --arch sparc --kernel /nonexistent -- true
t_expect_error "doctor --arch with an unknown arch" 2 "unknown --arch 'sparc'" \
	"$BPFPACK" doctor --arch sparc

if ! missing=$(BPFPACK_CACHE_DIR=$REAL_CACHE bash "$BPFPACK_ROOT/tests/setup-arm64.sh" --check 2>&1); then
	t_skip "arm64 cross build and VM" "not set up (run tests/setup-arm64.sh): $(echo "$missing" | tr '\n' ' ')"
	t_done
fi
kline=$(bash "$BPFPACK_ROOT/tests/kernels.sh" --arch arm64 2>"$T_TMP/kernels.err" | head -n 1)
K=${kline#* }
if [ -z "$kline" ] || [ ! -f "$K" ]; then
	t_skip "arm64 cross build and VM" "no arm64 kernel: $(cat "$T_TMP/kernels.err")"
	t_done
fi
KREL=$(basename "$K" | sed -n 's/^linux-image-\(.*-arm64\)_.*/\1/p')
# The two as regular expressions: trixie's names have a '+' ("6.12.117+deb13").
ere() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }
KREL_RE=$(ere "$KREL") KDEB_RE=$(ere "$(basename "$K")")
echo "# arm64 kernel: $K ($KREL)"
export BUSYBOX_ARM64
BUSYBOX_ARM64=$(ls "$REAL_CACHE"/busybox-static_*_arm64.deb | sort -V | tail -n 1)

# --- doctor --------------------------------------------------------------------
"$BPFPACK" doctor --arch arm64 >doctor.out 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^target: arm64' doctor.out &&
	grep -q '^ok    cross-cc: .*aarch64-linux-gnu-gcc' doctor.out &&
	grep -q '^ok    static-libs: .*links an arm64 program' doctor.out &&
	grep -q '^ok    qemu: .*qemu-system-aarch64' doctor.out &&
	grep -q '^ok    guest-busybox: ' doctor.out && ! grep -q 'kernel-btf\|tracefs' doctor.out; then
	t_ok "doctor --arch arm64 checks the cross toolchain, libraries, qemu and busybox"
else
	t_fail "doctor --arch arm64 checks the cross toolchain, libraries, qemu and busybox" "exit $rc" "$(cat doctor.out)"
fi
# bookworm's busybox-static has bin/busybox, trixie's (merged /usr)
# usr/bin/busybox: the same program packed both ways is found both ways.
name="the guest's busybox is found in a package of either layout (bin/, usr/bin/)"
mkdir -p bbx && dpkg-deb -x "$BUSYBOX_ARM64" bbx
bb=$(ls bbx/bin/busybox bbx/usr/bin/busybox 2>/dev/null | head -n 1)
layouts_ok=1 layouts_out=
for dir in bin usr/bin; do
	rm -rf "bb-$dir" && mkdir -p "bb-$dir/$dir" "bb-$dir/DEBIAN"
	[ -n "$bb" ] && cp "$bb" "bb-$dir/$dir/busybox"
	printf 'Package: busybox-static\nVersion: 1:1.0-1\nArchitecture: arm64\nMaintainer: t <t@example.invalid>\nDescription: t\n' \
		>"bb-$dir/DEBIAN/control"
	deb=$T_TMP/busybox-static_${dir//\//-}_arm64.deb
	dpkg-deb --root-owner-group -b "bb-$dir" "$deb" >/dev/null 2>&1
	BUSYBOX_ARM64=$deb "$BPFPACK" doctor --arch arm64 >layout.out 2>&1
	layouts_out+=$(grep guest-busybox layout.out)$'\n'
	grep -qxF "ok    guest-busybox: $dir/busybox of $deb (for vmtest --arch arm64)" layout.out || layouts_ok=0
done
if [ -n "$bb" ] && [ "$layouts_ok" = 1 ]; then
	t_ok "$name"
else
	t_fail "$name" "busybox in $BUSYBOX_ARM64: ${bb:-none}" "$layouts_out"
fi
CROSS_COMPILE=nope- BUSYBOX_ARM64=/bin/busybox "$BPFPACK" doctor --arch arm64 >doctor.out 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^FAIL  cross-cc: no nope-gcc in PATH — fix: install gcc-aarch64-linux-gnu' doctor.out &&
	grep -q '^FAIL  guest-busybox: /bin/busybox is not an arm64 program' doctor.out; then
	t_ok "doctor --arch arm64 says what is missing and how to fix it"
else
	t_fail "doctor --arch arm64 says what is missing and how to fix it" "exit $rc" "$(cat doctor.out)"
fi

# --- the cross build -----------------------------------------------------------
t_expect_error "a cross build needs the arch's kernel BTF" 1 "no arm64 kernel BTF to make vmlinux.h from" \
	"$BPFPACK" build -C t64 --arch arm64
X86K=$(bash "$BPFPACK_ROOT/tests/kernels.sh" 6.1 2>/dev/null | awk '{ print $2; exit }')
if [ -n "$X86K" ]; then
	t_expect_error "an x86_64 kernel cannot make the arm64 vmlinux.h" 1 "BTF of an x86_64 kernel, not arm64" \
		"$BPFPACK" build -C t64 --arch arm64 --vmlinux "$X86K"
else
	t_skip "an x86_64 kernel cannot make the arm64 vmlinux.h" "no x86_64 kernel image"
fi
if "$BPFPACK" build -C t64 --arch arm64 --vmlinux "$K" >build.out 2>&1; then
	t_ok "build --arch arm64 --vmlinux ARM64.deb"
else
	t_fail "build --arch arm64 --vmlinux ARM64.deb" "$(cat build.out)"
	t_done
fi
desc=$(file -b t64/arm64/t64)
if [[ $desc == *"ARM aarch64"* && $desc == *"statically linked"* ]] &&
	grep -q "VMLINUX   vmlinux.h (arm64: $KREL)" build.out && grep -q 'EMBED     arm64/t64' build.out; then
	t_ok "the tool is a static aarch64 binary in arm64/, vmlinux.h from the arm64 kernel"
else
	t_fail "the tool is a static aarch64 binary in arm64/, vmlinux.h from the arm64 kernel" "$desc" "$(cat build.out)"
fi
if grep -q '^struct user_pt_regs {' t64/.output/arm64/vmlinux.h && grep -qx -- '-D__TARGET_ARCH_arm64' t64/.output/arm64/t64.tmp.bpf.o.cmd &&
	grep -qx '/usr/include/aarch64-linux-gnu' t64/.output/arm64/t64.tmp.bpf.o.cmd; then
	t_ok "BPF is compiled for arm64: its vmlinux.h, -D__TARGET_ARCH_arm64, arm64 <asm/> headers"
else
	t_fail "BPF is compiled for arm64: its vmlinux.h, -D__TARGET_ARCH_arm64, arm64 <asm/> headers" \
		"$(cat t64/.output/arm64/t64.tmp.bpf.o.cmd)"
fi
"$BPFPACK" build -C t64 >native.out 2>&1 &&
	"$BPFPACK" build -C t64 --arch arm64 >again64.out 2>&1 && "$BPFPACK" build -C t64 >again.out 2>&1
if [[ $(file -b t64/t64) == *x86-64* ]] && [[ $(file -b t64/arm64/t64) == *aarch64* ]] &&
	grep -q 'no work to do' again64.out && grep -q 'no work to do' again.out &&
	grep -q '^  VMLINUX   vmlinux.h (running kernel)' native.out; then
	t_ok "native and arm64 builds live side by side: switching --arch rebuilds nothing"
else
	t_fail "native and arm64 builds live side by side: switching --arch rebuilds nothing" \
		"$(cat native.out)" "--- arm64 again:" "$(cat again64.out)" "--- native again:" "$(cat again.out)"
fi
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(any("/arm64/" in e["file"] or "aarch64" in " ".join(e.get("arguments", [e.get("command", "")])) for e in d))' t64/compile_commands.json; then
	t_ok "compile_commands.json stays the native build's"
else
	t_fail "compile_commands.json stays the native build's" "$(head -c 2000 t64/compile_commands.json)"
fi

# --- the arm64 tool in an arm64 VM ---------------------------------------------
TOOL=$T_TMP/t64/arm64/t64
script='t=$1; shift; : >/tmp/o; : >/tmp/e; "$t" "$@" -d 4 >/tmp/o 2>/tmp/e & p=$!
i=0; until grep -q TIME /tmp/o || ! kill -0 $p 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
/bin/true; wait $p; rc=$?; cat /tmp/o; grep -v "^libbpf: " /tmp/e >&2; exit $rc'
exec_seen() { grep -qE '^[0-9:]+ +[0-9]+ +[0-9]+ +0 +true +/bin/true$' "$1"; }
vmtest --arch arm64 --kernel "$K" --add "$TOOL" -- sh -c "$script" sh "$TOOL" >vm.out 2>vm.err
rc=$?
if [ "$rc" -eq 0 ] && exec_seen vm.out && grep -q 'Tracing exec()' vm.err &&
	grep -qE "^$KDEB_RE +$KREL_RE +yes +ok " vm.err; then
	t_ok "vmtest --arch arm64: the arm64 tool sees an exec in the arm64 guest ($KREL)"
else
	t_fail "vmtest --arch arm64: the arm64 tool sees an exec in the arm64 guest ($KREL)" "exit $rc" \
		"stdout: $(cat vm.out)" "stderr: $(cat vm.err)"
fi

# A kprobe reads its arguments from the registers of the arch it was built
# for (PT_REGS_PARM* with -D__TARGET_ARCH_arm64): the file name it reports
# proves the BPF side is arm64's. This machine's kernel has no kprobes.
if "$BPFPACK" new kp -t kprobe >/dev/null && "$BPFPACK" build -C kp --arch arm64 --vmlinux "$K" >kp.out 2>&1; then
	kscript='t=$1; : >/tmp/o; : >/tmp/e; "$t" -d 4 >/tmp/o 2>/tmp/e & p=$!
i=0; until grep -q TIME /tmp/o || ! kill -0 $p 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
touch /tmp/bpfpack-gone; rm /tmp/bpfpack-gone; wait $p; rc=$?; cat /tmp/o; grep -v "^libbpf: " /tmp/e >&2; exit $rc'
	vmtest --kernel "$K" --add "$T_TMP/kp/arm64/kp" -- sh -c "$kscript" sh "$T_TMP/kp/arm64/kp" >vm.out 2>vm.err
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qE '^[0-9:]+ +[0-9]+ +rm +0 +/tmp/bpfpack-gone$' vm.out; then
		t_ok "the kprobe template built for arm64 reads do_unlinkat's arguments in the arm64 guest"
	else
		t_fail "the kprobe template built for arm64 reads do_unlinkat's arguments in the arm64 guest" "exit $rc" \
			"stdout: $(cat vm.out)" "stderr: $(cat vm.err)"
	fi
else
	t_fail "the kprobe template builds for arm64" "$(cat kp.out)"
fi

# --- embedded BTF, the kernel's own hidden ----------------------------------------
# A btfhub-layout tree: this arm64 kernel (its image as the tree's file: sources
# are told apart by content) and, when the corpus is there, x86_64 kernels the
# arm64 build must leave out.
mkdir -p tree/debian/12/arm64 kimg
if dpkg-deb -x "$K" kimg && cp kimg/boot/vmlinuz-"$KREL" "tree/debian/12/arm64/$KREL.btf"; then
	nx86=0
	if [ -d "$BPFPACK_ROOT/../shared/btf-corpus/debian/11/x86_64" ]; then
		mkdir -p tree/debian/11 && cp -r "$BPFPACK_ROOT/../shared/btf-corpus/debian/11/x86_64" tree/debian/11/
		nx86=$(find tree/debian/11 -name '*.btf.tar.xz' | wc -l)
	fi
	rm -rf kimg
	"$BPFPACK" build -C t64 --arch arm64 --btf tree >btf.out 2>&1
	rc=$?
	"$BPFPACK" inspect t64/arm64/t64 >inspect.out 2>&1
	if [ "$rc" -eq 0 ] && grep -q 'BTFGEN    t64: 1 kernel (' btf.out && grep -q 'embedded BTF: 1 kernel,' inspect.out &&
		grep -qE "^  debian +12 +arm64 +$KREL_RE +0$" inspect.out; then
		t_ok "build --arch arm64 --btf TREE embeds the arm64 kernel only (of $((nx86 + 1)))"
	else
		t_fail "build --arch arm64 --btf TREE embeds the arm64 kernel only (of $((nx86 + 1)))" "exit $rc" \
			"$(cat btf.out)" "$(cat inspect.out)"
	fi
	vmtest --json --no-btf --kernel "$K" --add "$TOOL" -- sh -c "$script" sh "$TOOL" -v >vm.json 2>vm.err
	rc=$?
	if [ "$rc" -eq 0 ] && msg=$(python3 - vm.json "$KREL" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
k = d["kernels"][0]
def need(cond, what):
    if not cond:
        sys.exit("%s: %s" % (what, json.dumps(d, indent=1)))
need(d["arch"] == "arm64", "the machine follows the kernel: arm64")
need(k["result"] == "ok" and k["release"] == sys.argv[2], "ran on the arm64 kernel")
need(k["btf"] is True and k["btf_hidden"] is True, "the kernel's BTF is hidden")
need("BTF: embedded, for debian/12/arm64/" + sys.argv[2] in k["stderr"], "the tool used its embedded arm64 BTF")
need(re.search(r"^[0-9:]+ +[0-9]+ +[0-9]+ +0 +true +/bin/true$", k["stdout"], re.M), "the exec was reported")
EOF
); then
		t_ok "with its BTF hidden, the arm64 kernel's exec is reported through the embedded BTF"
	else
		t_fail "with its BTF hidden, the arm64 kernel's exec is reported through the embedded BTF" "exit $rc" \
			"${msg:-}" "stderr: $(cat vm.err)"
	fi
else
	rm -rf kimg
	t_fail "the arm64 kernel package unpacks with dpkg-deb" "$K"
fi

# --- what an arm64 VM refuses ------------------------------------------------------
t_expect_error "an x86_64 program is refused in an arm64 guest" 1 "t64/t64 is built for another machine \(ELF machine 62\), not arm64" \
	vmtest --kernel "$K" -- "$T_TMP/t64/t64"
t_expect_error "--arch x86_64 refuses an arm64 kernel" 2 "is an arm64 kernel: vmtest --arch x86_64 boots x86_64 kernels" \
	vmtest --arch x86_64 --kernel "$K" -- true
if [ -n "$X86K" ]; then
	t_expect_error "one run does not mix arches" 2 "kernels of two arches in one run" \
		vmtest --kernel "$K" --kernel "$X86K" -- true
fi
left=$(pgrep -af -- "$VMTMP" | grep qemu-system)
command -v pgrep >/dev/null || left="no pgrep here (procps; ./build.sh test installs it)"
if [ -z "$left" ] && [ -z "$(ls -A "$VMTMP")" ]; then
	t_ok "no qemu and no temp files are left"
else
	t_fail "no qemu and no temp files are left" "$left" "$(ls -A "$VMTMP")"
fi
t_done
