#!/usr/bin/env bash
# t-newuser: what trying bpfpack as a new user found, mended.
#   - A tool whose BPF program the verifier rejects says so (and to rerun
#     with -v), not "run as root": the tracepoint template, and every
#     template's "not allowed" is guarded by a probe of the permission.
#   - vmlinux.h says which kernel it comes from when it is made; `build -v`
#     says it when it is kept; a build with --vmlinux after a plain one prints
#     no error about a missing stamp; the next plain build goes back to the
#     running kernel, and so does a build after a kernel upgrade.
#   - --arch arm64 without --vmlinux takes the newest arm64 kernel of the BTF
#     sources by version (6.12 over 6.9 over 6.1), and says which.
#   - --btf with raw BTF not named <release>.btf fails before any compile,
#     naming the file and how to name it (build and btf gen).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
export BPFPACK_CACHE_DIR=$T_TMP/cache
KBTF=/sys/kernel/btf/vmlinux
REL=$(uname -r)

# The VMLINUX step lines of a build's output.
vmlinux_lines() { grep '^  VMLINUX ' "$1"; }

# ---- the templates' permission messages (source check) -----------------------
# "not allowed to load BPF programs" only after a probe says loading is not
# allowed: EACCES is also the verifier's answer to a program it rejects.
bad=
for f in "$BPFPACK_ROOT"/templates/*/'{{NAME}}.c'; do
	t=$(basename "$(dirname "$f")")
	# The condition in front of each message: the 3 lines before it.
	grep -B3 "not allowed to load BPF programs" "$f" | grep -q "bpf_allowed()\|libbpf_probe_bpf_prog_type" ||
		bad+=" $t(unguarded 'not allowed')"
	grep -A1 "the kernel's verifier rejected the BPF program: \"$" "$f" |
		grep -q '"rerun with -v for its log\\n"' ||
		bad+=" $t(no verifier message)"
done
if [ -z "$bad" ]; then
	t_ok "every template says 'not allowed' only when a probe says so, and names the verifier"
else
	t_fail "every template says 'not allowed' only when a probe says so, and names the verifier" "$bad"
fi

# ---- a verifier rejection in the tracepoint template --------------------------
"$BPFPACK" new tp -t tracepoint >/dev/null || { t_fail "bpfpack new tp -t tracepoint"; t_done; }
if [ ! -r "$KBTF" ]; then
	t_skip "the tracepoint template reports a verifier rejection" "this kernel has no BTF"
else
	cp -r tp tpbad
	# Drop the NULL check after bpf_ringbuf_reserve(): the verifier refuses
	# the write through a maybe-NULL pointer (EACCES).
	python3 - tpbad/tp.bpf.c <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
a = "\tif (!e)\n\t\treturn 0;\n"
assert a in s, "template changed: no NULL check to drop"
open(p, "w").write(s.replace(a, "", 1))
EOF
	if "$BPFPACK" build -C tpbad >tpbad.out 2>&1; then
		t_ok "a tool the verifier will reject still builds"
	else
		t_fail "a tool the verifier will reject still builds" "$(cat tpbad.out)"
	fi
	if ! t_is_root; then
		t_skip "the tracepoint template reports a verifier rejection" "needs root to load BPF"
	elif [ -x tpbad/tp ]; then
		tpbad/tp -d 1 >run.out 2>run.err
		rc=$?
		if [ $rc -eq 1 ] && [ "$(wc -l <run.err)" -eq 1 ] &&
			grep -qx "tp: the kernel's verifier rejected the BPF program: rerun with -v for its log" run.err; then
			t_ok "a verifier rejection: one line naming the verifier and -v, exit 1"
		else
			t_fail "a verifier rejection: one line naming the verifier and -v, exit 1" "exit $rc" "$(cat run.err)"
		fi
		tpbad/tp -v -d 1 >run.out 2>run.err
		if grep -q "invalid mem access" run.err &&
			grep -qx "tp: the kernel's verifier rejected the BPF program: rerun with -v for its log" run.err; then
			t_ok "with -v the verifier's log shows why"
		else
			t_fail "with -v the verifier's log shows why" "$(tail -n 20 run.err)"
		fi
		if command -v setpriv >/dev/null; then
			chmod 755 "$T_TMP" tpbad
			setpriv --reuid=65534 --regid=65534 --clear-groups tpbad/tp -d 1 >/dev/null 2>run.err
			rc=$?
			if [ $rc -eq 1 ] && grep -q "^tp: not allowed to load BPF programs: run as root" run.err; then
				t_ok "without permission it still says to run as root"
			else
				t_fail "without permission it still says to run as root" "exit $rc" "$(cat run.err)"
			fi
		fi
	fi
fi

# ---- which kernel vmlinux.h comes from -----------------------------------------
if [ ! -r "$KBTF" ]; then
	t_skip "vmlinux.h names its kernel" "this kernel has no BTF"
else
	# Another kernel's BTF, named as btfhub names it (the running kernel's
	# bytes under another release: what matters here is the source).
	mkdir other
	cp "$KBTF" other/5.99.0-1-test.btf
	"$BPFPACK" build -C tp >b1.out 2>&1
	rc1=$?
	"$BPFPACK" build -C tp --vmlinux other/5.99.0-1-test.btf >b2.out 2>&1
	rc2=$?
	"$BPFPACK" build -C tp >b3.out 2>&1
	rc3=$?
	"$BPFPACK" build -C tp -v >b4.out 2>&1
	rc4=$?
	if [ $rc1 -eq 0 ] && [ "$(vmlinux_lines b1.out)" = "  VMLINUX   vmlinux.h (running kernel) $REL" ]; then
		t_ok "a plain build says vmlinux.h is the running kernel's, and which release"
	else
		t_fail "a plain build says vmlinux.h is the running kernel's, and which release" "exit $rc1" "$(cat b1.out)"
	fi
	if [ $rc2 -eq 0 ] && ! grep -q "cannot read\|vmlinux.h.source" b2.out &&
		vmlinux_lines b2.out | grep -qxF "  VMLINUX   vmlinux.h (5.99.0-1-test) from $T_TMP/other/5.99.0-1-test.btf; was (running kernel) $REL" &&
		grep -q '^  BPF       tp.bpf.c' b2.out; then
		t_ok "build --vmlinux after a plain build: no error, says which kernel it replaces, recompiles"
	else
		t_fail "build --vmlinux after a plain build: no error, says which kernel it replaces, recompiles" \
			"exit $rc2" "$(cat b2.out)"
	fi
	if [ $rc3 -eq 0 ] && vmlinux_lines b3.out | grep -qxF "  VMLINUX   vmlinux.h (running kernel) $REL; was (5.99.0-1-test) from $T_TMP/other/5.99.0-1-test.btf" &&
		grep -q '^struct task_struct {' tp/.output/vmlinux.h; then
		t_ok "the next plain build goes back to the running kernel's vmlinux.h, and says so"
	else
		t_fail "the next plain build goes back to the running kernel's vmlinux.h, and says so" "exit $rc3" "$(cat b3.out)"
	fi
	if [ $rc4 -eq 0 ] && ! vmlinux_lines b4.out >/dev/null &&
		grep -qxF "bpfpack: build: vmlinux.h (running kernel) $REL: kept ($T_TMP/tp/.output/vmlinux.h)" b4.out; then
		t_ok "build -v says which kernel a kept vmlinux.h is from"
	else
		t_fail "build -v says which kernel a kept vmlinux.h is from" "exit $rc4" "$(cat b4.out)"
	fi
	# A kernel upgrade: the stamp names the kernel that made vmlinux.h (its
	# release, build and BTF size); one that is not this kernel remakes it.
	stamp=tp/.output/vmlinux.h.source
	if [ -f "$stamp" ] && grep -qF "$(uname -v)" "$stamp"; then
		sed -i "1s/.*/(running kernel) 5.98.0-1-old/; 2s/ $(uname -r) / 5.98.0-1-old /" "$stamp"
		"$BPFPACK" build -C tp >b5.out 2>&1
		rc5=$?
		if [ $rc5 -eq 0 ] && vmlinux_lines b5.out | grep -qxF "  VMLINUX   vmlinux.h (running kernel) $REL; was (running kernel) 5.98.0-1-old" &&
			grep -qF "$REL $(uname -v)" "$stamp"; then
			t_ok "after a kernel upgrade a plain build remakes vmlinux.h from the new kernel"
		else
			t_fail "after a kernel upgrade a plain build remakes vmlinux.h from the new kernel" "exit $rc5" \
				"$(cat b5.out)" "stamp: $(cat "$stamp")"
		fi
	else
		t_fail "after a kernel upgrade a plain build remakes vmlinux.h from the new kernel" \
			"no stamp naming the running kernel's build in $stamp" "$(cat "$stamp" 2>&1)"
	fi
fi

# ---- --arch arm64: the newest arm64 kernel --------------------------------------
if [ ! -r "$KBTF" ]; then
	t_skip "--arch arm64 takes the newest arm64 kernel" "this kernel has no BTF"
elif ! command -v aarch64-linux-gnu-gcc >/dev/null || [ ! -f /usr/lib/aarch64-linux-gnu/libbpf.a ]; then
	t_skip "--arch arm64 takes the newest arm64 kernel" "no arm64 cross toolchain (tests/setup-arm64.sh)"
else
	# A btfhub tree with four "arm64" kernels. Only vmlinux.h's choice is
	# checked: the bytes are this machine's, so the build may fail later.
	mkdir -p tree/debian/12/arm64
	for r in 5.10.0-26-arm64 6.1.0-13-arm64 6.12.0-1-arm64 6.9.0-1-arm64; do
		cp "$KBTF" "tree/debian/12/arm64/$r.btf"
	done
	"$BPFPACK" new a64 >/dev/null
	# Stop the build at the first BPF compile: vmlinux.h comes before it.
	echo '#error stop here' >>a64/a64.bpf.c
	"$BPFPACK" build -C a64 --arch arm64 --btf tree >a64.out 2>&1
	if vmlinux_lines a64.out | grep -qxF "  VMLINUX   vmlinux.h (arm64: 6.12.0-1-arm64) from debian/12/arm64/6.12.0-1-arm64.btf, the newest of 4 arm64 kernels"; then
		t_ok "--arch arm64 takes the newest arm64 kernel by version (6.12 over 6.9), and says which"
	else
		t_fail "--arch arm64 takes the newest arm64 kernel by version (6.12 over 6.9), and says which" "$(cat a64.out)"
	fi
	cp "$KBTF" tree/debian/12/arm64/5.4.0-1-arm64.btf
	"$BPFPACK" build -C a64 --arch arm64 --btf tree >a64b.out 2>&1
	if grep -q "stop here" a64b.out && ! vmlinux_lines a64b.out; then
		t_ok "another, older arm64 kernel among the sources does not remake vmlinux.h"
	else
		t_fail "another, older arm64 kernel among the sources does not remake vmlinux.h" "$(cat a64b.out)"
	fi
	cp "$KBTF" tree/debian/12/arm64/6.13.0-1-arm64.btf
	"$BPFPACK" build -C a64 --arch arm64 --btf tree >a64c.out 2>&1
	if vmlinux_lines a64c.out | grep -qxF "  VMLINUX   vmlinux.h (arm64: 6.13.0-1-arm64) from debian/12/arm64/6.13.0-1-arm64.btf, the newest of 6 arm64 kernels; was (arm64: 6.12.0-1-arm64) from debian/12/arm64/6.12.0-1-arm64.btf"; then
		t_ok "a newer arm64 kernel among the sources remakes vmlinux.h, saying which it replaces"
	else
		t_fail "a newer arm64 kernel among the sources remakes vmlinux.h, saying which it replaces" "$(cat a64c.out)"
	fi
fi

# ---- --btf raw BTF without a release in its name ---------------------------------
if [ ! -r "$KBTF" ]; then
	t_skip "raw BTF not named <release>.btf fails up front" "this kernel has no BTF"
else
	cp "$KBTF" mykernel
	"$BPFPACK" new nr >/dev/null
	t_expect_error "build --btf RAW-BTF without a release in its name fails naming the file" 1 \
		"build: $T_TMP/mykernel: raw BTF does not say which kernel release it is, and its name is not <release>\.btf$" \
		"$BPFPACK" build -C nr --btf "$T_TMP/mykernel"
	if grep -q "^hint: name it after the kernel's \`uname -r\`: <release>.btf" "$T_TMP/.stderr" && [ ! -e nr/.output/nr.bpf.o ]; then
		t_ok "... before compiling anything, with a hint how to name it"
	else
		t_fail "... before compiling anything, with a hint how to name it" "$(cat "$T_TMP/.stderr")" "$(ls nr/.output 2>&1)"
	fi
	t_expect_error "btf gen --btf RAW-BTF without a release in its name fails naming the file" 1 \
		"btf gen: mykernel: raw BTF does not say which kernel release it is" \
		"$BPFPACK" btf gen --btf mykernel --object "$T_TMP/tp/.output/tp.bpf.o" -o x.btfset
	mv mykernel "$REL.btf"
	if "$BPFPACK" build -C nr --btf "$T_TMP/$REL.btf" >nr.out 2>&1 &&
		"$BPFPACK" inspect nr/nr 2>&1 | grep -qF "$REL"; then
		t_ok "the same file named <release>.btf builds and the set names that release"
	else
		t_fail "the same file named <release>.btf builds and the set names that release" "$(cat nr.out)" \
			"$("$BPFPACK" inspect nr/nr 2>&1)"
	fi
fi

t_done
