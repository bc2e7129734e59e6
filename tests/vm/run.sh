#!/usr/bin/env bash
# tests/vm/run.sh: the slow VM suite. Builds the default template's tool once
# and runs it with `bpfpack vmtest` on every kernel of the matrix
# (tests/kernels.sh), checking in each guest what this machine's kernel cannot
# show: the tool traces an exec (kernels with BTF) or fails for lack of BTF
# (kernels without it, until the tool is built with embedded BTF); kprobes can
# be created; --lsm bpf turns the BPF LSM on. Ends with the vmtest summary and
# "N passed, N failed"; exit status 1 if any check failed.
#
#   tests/vm/run.sh [-j N] [--download] [NAME...]   (NAMEs as tests/kernels.sh prints them)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BPFPACK=${BPFPACK_ROOT:-$ROOT}/bin/bpfpack
jobs=2
kargs=()
while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	*) kargs+=("$1"); shift ;;
	esac
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-vm.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0 skipped=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; shift; printf '%s\n' "$@" | sed 's/^/#   /'; failed=$((failed + 1)); }
finish() {
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
	exit
}

"$ROOT/tests/kernels.sh" "${kargs[@]}" >"$TMP/kernels" 2>"$TMP/kernels.err"
cat "$TMP/kernels.err" >&2
if ! [ -s "$TMP/kernels" ]; then
	echo "ok - kernel matrix # SKIP no kernel available"
	skipped=1
	finish
fi
sed 's/^/# kernel: /' "$TMP/kernels"

if (cd "$TMP" && "$BPFPACK" new vmtool >/dev/null && cd vmtool && "$BPFPACK" build >"$TMP/build.log" 2>&1); then
	ok "the default template builds"
else
	not_ok "the default template builds" "$(tail -n 20 "$TMP/build.log")"
	finish
fi
TOOL=$TMP/vmtool/vmtool

# In each guest: can a kprobe be made (tracefs kprobe_events)? Then the tool,
# started in the background; once attached, /bin/true must show up.
script='
if echo "p:bpfpack_kp vfs_read" >>/sys/kernel/tracing/kprobe_events 2>/dev/null; then
	echo "kprobe: yes"; echo "-:bpfpack_kp" >>/sys/kernel/tracing/kprobe_events
else
	echo "kprobe: no"
fi
: >/tmp/o; "$1" -d 4 >/tmp/o & p=$!
i=0; until grep -q TIME /tmp/o || [ $i -ge 600 ] || ! kill -0 $p 2>/dev/null; do sleep 0.1; i=$((i+1)); done
/bin/true; wait $p; rc=$?; cat /tmp/o; exit $rc'
start=$(date +%s)
"$BPFPACK" vmtest --json -j "$jobs" --timeout 180 --lsm lockdown,yama,bpf --kernels "$TMP/kernels" \
	--add "$TOOL" -- sh -c "$script" sh "$TOOL" >"$TMP/result.json" 2>"$TMP/vmtest.err"
rc=$?
echo "# vmtest exit $rc after $(($(date +%s) - start)) s with -j $jobs"

cat >"$TMP/check.py" <<'EOF'
import json, re, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("not ok - vmtest printed its JSON result")
    print("#   %s" % e)
    for l in open(sys.argv[2]):
        print("#   " + l.rstrip())
    sys.exit(0)
print("ok - vmtest printed its JSON result")
rows = []
for k in d["kernels"]:
    name, out, err = k["kernel"], k["stdout"], k["stderr"]
    def check(cond, what):
        print(("ok - " if cond else "not ok - ") + "%s: %s" % (name, what))
        if not cond:
            print("#   result %s, exit %s" % (k["result"], k["exit_status"]))
            for l in (out + err).splitlines()[-15:]:
                print("#   " + l)
    if k["btf"]:
        check(k["result"] == "ok" and re.search(r"^\S+ +\d+ +\d+ +0 +true +/bin/true$", out, re.M),
              "the tool traces an exec (kernel BTF)")
    else:
        check(k["result"] == "exit" and "BTF" in err,
              "without kernel BTF the tool fails for lack of BTF")
    check("kprobe: yes" in out, "kprobes can be created")
    if k["lsm"]:
        check("bpf" in k["lsm"].split(","), "--lsm bpf enables the BPF LSM (%s)" % k["lsm"])
    else:
        print("ok - %s: --lsm bpf enables the BPF LSM # SKIP no securityfs in this kernel" % name)
    rows.append((name, k["release"] or "?", "?" if k["btf"] is None else "yes" if k["btf"] else "no",
                 k["result"] + ("" if k["exit_status"] in (None, 0) else " %d" % k["exit_status"]),
                 "%.1f" % k["seconds"]))
w = [max(len(r[i]) for r in rows + [("KERNEL", "RELEASE", "BTF", "RESULT", "SECONDS")]) for i in range(5)]
for r in [("KERNEL", "RELEASE", "BTF", "RESULT", "SECONDS")] + rows:
    print("# " + "  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
EOF
while IFS= read -r line; do
	printf '%s\n' "$line"
	case "$line" in
	"not ok "*) failed=$((failed + 1)) ;;
	"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
	"ok "*) passed=$((passed + 1)) ;;
	esac
done < <(python3 "$TMP/check.py" "$TMP/result.json" "$TMP/vmtest.err" 2>&1)
finish
