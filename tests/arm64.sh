#!/usr/bin/env bash
# tests/arm64.sh: the slow arm64 suite. Builds, on this x86_64 machine, the
# default template and the kprobe template for arm64 (the default one with
# embedded BTF of every arm64 kernel), then boots every arm64 kernel of
# tests/kernels.sh --arch arm64 (this release's and the backports one) under
# qemu-system-aarch64 and checks in each guest: the tool reports an exec with
# the kernel's BTF, and again with that BTF hidden through its embedded BTF;
# the kprobe tool reads do_unlinkat's file name from arm64's registers. The
# kernels run two at a time. Ends with "N passed, N failed"; exit status 1 if
# any check failed. Needs tests/setup-arm64.sh (it says what is missing).
#
#   tests/arm64.sh [-j N] [NAME...]   (NAMEs as tests/kernels.sh --arch arm64 prints them)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BPFPACK=${BPFPACK_ROOT:-$ROOT}/bin/bpfpack
jobs=2
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	*) names+=("$1"); shift ;;
	esac
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-arm64.XXXXXX")
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

if ! missing=$(bash "$ROOT/tests/setup-arm64.sh" --check 2>&1); then
	echo "ok - arm64 suite # SKIP not set up (run tests/setup-arm64.sh): $(echo "$missing" | tr '\n' ' ')"
	skipped=1
	finish
fi
[ "${#names[@]}" -gt 0 ] || names=(--download)
"$ROOT/tests/kernels.sh" --arch arm64 "${names[@]}" >"$TMP/kernels" 2>"$TMP/kernels.err"
cat "$TMP/kernels.err" >&2
if ! [ -s "$TMP/kernels" ]; then
	echo "ok - arm64 kernels # SKIP no arm64 kernel available"
	skipped=1
	finish
fi
sed 's/^/# kernel: /' "$TMP/kernels"
mapfile -t kpaths < <(cut -d' ' -f2- "$TMP/kernels")
btf=()
for k in "${kpaths[@]}"; do btf+=(--btf "$k"); done

cd "$TMP"
# BTF minimizing gets a fresh cache; the arm64 busybox comes from the usual one.
export BUSYBOX_ARM64
BUSYBOX_ARM64=$(ls "${BPFPACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack}"/busybox-static_*_arm64.deb | sort -V | tail -n 1)
export BPFPACK_CACHE_DIR=$TMP/cache
if "$BPFPACK" new tool >/dev/null && "$BPFPACK" build -C tool --arch arm64 --vmlinux "${kpaths[0]}" "${btf[@]}" >build.log 2>&1 &&
	"$BPFPACK" new kp -t kprobe >/dev/null && "$BPFPACK" build -C kp --arch arm64 --vmlinux "${kpaths[0]}" >>build.log 2>&1; then
	ok "the default and kprobe templates build for arm64, the default one with BTF of ${#kpaths[@]} kernels"
else
	not_ok "the default and kprobe templates build for arm64" "$(tail -n 20 build.log)"
	finish
fi
TOOL=$TMP/tool/arm64/tool
KP=$TMP/kp/arm64/kp

cat >guest.sh <<'EOT'
# In the guest: NAME TOOL [ARGS] runs TOOL until it is attached, makes an
# event, and prints what it said between markers.
run() {
	name=$1 t=$2; shift 2
	: >/tmp/o; : >/tmp/e
	"$t" "$@" -d 4 >/tmp/o 2>/tmp/e & p=$!
	i=0; until grep -q TIME /tmp/o || ! kill -0 $p 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
	/bin/true; touch /tmp/bpfpack-gone; rm /tmp/bpfpack-gone
	wait $p; rc=$?
	echo "== $name rc=$rc"
	grep -v '^libbpf: ' /tmp/e | sed 's/^/E: /'
	sed 's/^/O: /' /tmp/o
}
run tool "$TOOL" -v
[ -d /sys/kernel/btf ] && run kprobe "$KP"
exit 0
EOT

check() { # JSON HIDDEN
	python3 - "$1" "$2" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
hidden = sys.argv[2] == "1"
for k in d["kernels"]:
    name, rel, out = k["kernel"], k["release"], k["stdout"]
    def section(n):
        m = re.search(r"^== %s rc=(\d+)\n(.*?)(?=^== |\Z)" % n, out, re.M | re.S)
        return (int(m.group(1)), m.group(2)) if m else (None, "")
    def report(ok, what, detail=""):
        print("%s - %s: %s" % ("ok" if ok else "not ok", rel, what))
        if not ok:
            for l in (detail or json.dumps(k, indent=1)).splitlines():
                print("#   " + l)
    rc, s = section("tool")
    report(k["result"] == "ok" and k["btf"] is True and k["btf_hidden"] is hidden, "booted, BTF %s" % ("hidden" if hidden else "there"))
    want = "BTF: embedded, for debian/12/arm64/%s" % rel if hidden else "BTF: the kernel's"
    seen = rc == 0 and re.search(r"^O: [0-9:]+ +[0-9]+ +[0-9]+ +0 +true +/bin/true$", s, re.M)
    report(bool(seen) and (want in s if hidden else "embedded" not in s),
           "the tool reports the exec%s" % (" through its embedded BTF" if hidden else ""), s)
    if not hidden:
        rc, s = section("kprobe")
        report(rc == 0 and re.search(r"^O: [0-9:]+ +[0-9]+ +rm +0 +/tmp/bpfpack-gone$", s, re.M),
               "the arm64 kprobe reads do_unlinkat's file name", s)
EOF
}
for hidden in 0 1; do
	flag=()
	[ "$hidden" = 1 ] && flag=(--no-btf)
	"$BPFPACK" vmtest --json -j "$jobs" "${flag[@]}" --kernels "$TMP/kernels" --add "$TOOL" --add "$KP" \
		--add "$TMP/guest.sh" -- env TOOL="$TOOL" KP="$KP" sh "$TMP/guest.sh" >vm.json 2>vm.err
	if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' vm.json 2>/dev/null; then
		not_ok "vmtest${flag:+ ${flag[*]}} gave its JSON" "$(cat vm.err)"
		continue
	fi
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) echo "$line"; passed=$((passed + 1)) ;;
		"not ok - "*) echo "$line"; failed=$((failed + 1)) ;;
		*) echo "$line" ;;
		esac
	done < <(check vm.json "$hidden")
	python3 -c 'import json,sys
for k in json.load(open(sys.argv[1]))["kernels"]: print("# %-28s %-6s %.1f s" % (k["release"], k["result"], k["seconds"]))' vm.json
done
finish
