#!/usr/bin/env bash
# t-doctor: end-to-end checks of `bpfpack doctor`: on a machine set up by
# ./build.sh (run as root) every check passes and a summary line ends the
# report; --json says the same as one JSON document; a missing clang, bpftool
# or data directory makes its check fail with a fix and the exit status 1; a
# missing vmtest piece is a warning that keeps exit 0; a bad flag is a usage
# error.
. "$(dirname "$0")/lib.sh"
tmp=$T_TMP
# Every check doctor runs, in its output order.
CHECKS=(data-dir clang clang-bpf bpftool cc libbpf-headers static-libs kernel-btf bpf-permission tracefs
	qemu vm-accel busybox pahole)

if [ ! -x "$BPFPACK" ]; then
	t_fail "$BPFPACK is built"
	t_done
fi

# Runs doctor with the given environment assignments and arguments; leaves
# stdout in $tmp/out, stderr in $tmp/err, the exit status in $rc.
run_doctor() {
	env "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# 1. Everything passes here, and every check reports an ok line.
name="doctor exits 0 with an ok line for every check"
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - $name # SKIP not root (loading BPF needs root)"
else
	run_doctor "$BPFPACK" doctor
	missing=
	for c in "${CHECKS[@]}"; do
		grep -q "^ok    $c: ." "$tmp/out" || missing="$missing $c"
	done
	lines=$(wc -l <"$tmp/out")
	if [ "$rc" -eq 0 ] && [ -z "$missing" ] && [ "$lines" -eq $((${#CHECKS[@]} + 1)) ] &&
	   ! grep -q '^FAIL' "$tmp/out" &&
	   [ "$(tail -n 1 "$tmp/out")" = "summary: ${#CHECKS[@]} ok, 0 failed, 0 warnings: ready to build, run and vmtest tools" ]; then
		t_ok "$name"
	else
		echo "#   exit $rc, $lines lines, no ok line for:${missing:- (none)}"
		t_fail_files "$name" "$tmp/out" "$tmp/err"
	fi
fi

# 2. CLANG pointing nowhere fails the clang check with a fix, naming the
# variable, while checks that do not need clang still pass.
name="CLANG=/nonexistent: exit 1, FAIL clang with a fix"
run_doctor CLANG=/nonexistent "$BPFPACK" doctor
if [ "$rc" -eq 1 ] &&
   grep -q '^FAIL  clang: .*CLANG=/nonexistent.* — fix: .' "$tmp/out" &&
   grep -q '^ok    bpftool: ' "$tmp/out"; then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 3. Same for bpftool.
name="BPFTOOL=/nonexistent: exit 1, FAIL bpftool with a fix"
run_doctor BPFTOOL=/nonexistent "$BPFPACK" doctor
if [ "$rc" -eq 1 ] &&
   grep -q '^FAIL  bpftool: .*BPFTOOL=/nonexistent.* — fix: .' "$tmp/out" &&
   grep -q '^ok    clang: ' "$tmp/out"; then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 3b. --json: one JSON document naming every check with its status, and the
# counts; nothing else on stdout.
name="doctor --json: one document, every check with status, message and fix, counts that add up"
run_doctor BPFTOOL=/nonexistent "$BPFPACK" doctor --json
if [ "$rc" -eq 1 ] && python3 - "$tmp/out" "${CHECKS[@]}" <<'EOF_PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = [c["name"] for c in d["checks"]]
want = sys.argv[2:]
assert d["target"] and d["cross"] is False, d
assert all(w in names for w in want), (names, want)
by = {c["name"]: c for c in d["checks"]}
assert by["bpftool"]["status"] == "fail" and "BPFTOOL=/nonexistent" in by["bpftool"]["message"], by["bpftool"]
assert by["bpftool"]["fix"], by["bpftool"]
assert by["clang"]["status"] == "ok" and by["clang"]["fix"] is None, by["clang"]
counts = {s: sum(1 for c in d["checks"] if c["status"] == s) for s in ("ok", "warn", "fail")}
assert counts == {"ok": d["ok"], "warn": d["warn"], "fail": d["fail"]}, (counts, d)
assert d["fail"] >= 1
EOF_PY
then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 3c. Without its data directory doctor says so, with the fix.
name="BPFPACK_HOME without the data: exit 1, FAIL data-dir with the install fix"
run_doctor BPFPACK_HOME="$tmp" "$BPFPACK" doctor
if [ "$rc" -eq 1 ] &&
   grep -q "^FAIL  data-dir: BPFPACK_HOME=$tmp lacks templates/, include/ or runtime/ — fix: install bpfpack with \`make install\` or its .deb" "$tmp/out" &&
   grep -q '^summary: .* [1-9][0-9]* failed' "$tmp/out"; then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 3d. A busybox vmtest cannot use is a warning: builds still work, exit 0.
name="BUSYBOX=a dynamic program: warn busybox (vmtest only), the summary counts it"
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - $name # SKIP not root (the other checks need root to pass)"
else
	run_doctor BUSYBOX=/bin/ls "$BPFPACK" doctor
	if [ "$rc" -eq 0 ] &&
	   grep -q '^warn  busybox: /bin/ls is dynamically linked.*(needed by vmtest only) — fix: install busybox-static' "$tmp/out" &&
	   grep -q '^summary: 13 ok, 0 failed, 1 warning: ' "$tmp/out"; then
		t_ok "$name"
	else
		echo "#   exit $rc"
		t_fail_files "$name" "$tmp/out" "$tmp/err"
	fi
fi

# 4. An unknown flag is a usage error: exit 2, one error line and the usage
# on stderr, no checks run.
name="doctor --bogus: exit 2 with an error and the synopsis on stderr"
run_doctor "$BPFPACK" doctor --bogus
if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] &&
   grep -q "^bpfpack: doctor: .*--bogus" "$tmp/err" &&
   grep -q '^hint: usage: bpfpack doctor' "$tmp/err"; then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 5. Without privileges the permission check fails and says why. Needs root
# to drop to nobody, and a kernel that refuses unprivileged BPF (else an
# unprivileged socket filter loads and the check rightly passes).
name="unprivileged: FAIL bpf-permission explains EPERM"
unpriv=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null || echo 0)
drop=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "ok - $name # SKIP needs root and setpriv"
elif [ "$unpriv" = 0 ]; then
	echo "ok - $name # SKIP kernel.unprivileged_bpf_disabled=0"
elif ! "${drop[@]}" test -x "$BPFPACK"; then
	echo "ok - $name # SKIP $BPFPACK is not reachable by uid 65534"
else
	run_doctor TMPDIR=/tmp "${drop[@]}" "$BPFPACK" doctor
	if [ "$rc" -eq 1 ] &&
	   grep -q '^FAIL  bpf-permission: .*EPERM (uid 65534.* — fix: run as root or grant CAP_BPF+CAP_PERFMON' "$tmp/out"; then
		t_ok "$name"
	else
		echo "#   exit $rc"
		t_fail_files "$name" "$tmp/out" "$tmp/err"
	fi
fi

t_done
