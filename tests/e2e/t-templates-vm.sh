#!/usr/bin/env bash
# t-templates-vm: the templates this machine's kernel cannot run (kprobe,
# ksyscall, fentry, lsm), run for real in VMs with `bpfpack vmtest`, plus two
# it can (tracepoint, raw_tp) on an older kernel. Each template is built once;
# one guest script per kernel starts each tool, waits until it is attached,
# makes its workload (busybox rm/unlink, kill, a protected process, an exec,
# exits) and stops it with SIGINT. The exact records (PID, command, file or
# signal, result) are checked here, on the host, per kernel.
#
# Kernels (tests/kernels.sh): 6.12 and 5.10, booted in parallel (-j 2) with
# lsm=lockdown,capability,yama,bpf (5.10 does not enable the BPF LSM by
# default); without ../shared, the Debian release's own kernel package instead
# (bookworm's 6.1 has kprobes, fentry and the BPF LSM too). The full matrix,
# every template on every kernel, is tests/vm/templates.sh.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

TEMPLATES=(kprobe ksyscall fentry lsm tracepoint raw_tp)
WS=$T_TMP/ws
mkdir -p "$WS" logs
bin() { echo "$WS/tpl_$1/tpl_$1"; }

# ---- kernels -------------------------------------------------------------------
mapfile -t klines < <("$BPFPACK_ROOT/tests/kernels.sh" 2>"$T_TMP/kernels.err")
KERNELS=()
for want in 6.12 5.10; do
	for l in "${klines[@]}"; do [ "${l%% *}" = "$want" ] && KERNELS+=("$l"); done
done
if [ "${#KERNELS[@]}" -eq 0 ]; then
	# No shared kernels: whatever kernel with BTF the matrix has (the .deb).
	for l in "${klines[@]}"; do
		case "${l%% *}" in nobtf-*) ;; *) KERNELS+=("$l"); break ;; esac
	done
fi
if [ "${#KERNELS[@]}" -eq 0 ]; then
	why=$(tr '\n' ' ' <"$T_TMP/kernels.err")
	t_skip "templates in VMs" "no kernel available: ${why:-tests/kernels.sh printed none}"
	t_done
fi
: >kernels.list
for l in "${KERNELS[@]}"; do
	echo "# kernel: $l"
	printf '%s\n' "$l" >>kernels.list
done

# ---- build each template once -------------------------------------------------
# The first build dumps vmlinux.h; the others take it as their own.
build_template() {
	local t=$1
	"$BPFPACK" new "tpl_$t" -t "$t" -C "$WS" >"logs/$t.log" 2>&1 || return 1
	[ -f "$WS/vmlinux.h" ] && cp "$WS/vmlinux.h" "$WS/tpl_$t/vmlinux.h"
	"$BPFPACK" build -C "$WS/tpl_$t" >>"logs/$t.log" 2>&1
}
start=$(date +%s)
build_template "${TEMPLATES[0]}"
echo $? >"logs/${TEMPLATES[0]}.rc"
cp "$WS/tpl_${TEMPLATES[0]}/.output/vmlinux.h" "$WS/vmlinux.h" 2>/dev/null
for t in "${TEMPLATES[@]:1}"; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	(build_template "$t"; echo $? >"logs/$t.rc") &
done
wait
adds=()
for t in "${TEMPLATES[@]}"; do
	if [ "$(cat "logs/$t.rc" 2>/dev/null)" = 0 ] && [ -x "$(bin "$t")" ]; then
		adds+=(--add "$(bin "$t")")
	else
		t_fail "$t: builds" "$(tail -n 20 "logs/$t.log")"
	fi
done
echo "# built ${#TEMPLATES[@]} templates in $(($(date +%s) - start)) s"
[ "${#adds[@]}" -gt 0 ] || t_done

# ---- the guest -----------------------------------------------------------------
# Busybox sh. Applets are run by their full path (found with `which`: /bin/rm,
# /usr/bin/unlink) so each workload is a real exec whose comm is the applet's
# name, not a shell builtin. It prints "@KEY VALUES" facts and each tool's
# stdout ("NAME| ") and stderr ("NAME! "); the host checks them.
cat >guest.sh <<'EOF'
W=$1
say() { echo "@$*"; }
RM=$(which rm) UNLINK=$(which unlink) KILL=$(which kill) SLEEP=$(which sleep)
TRUE=$(which true) SH=$(which sh)
# start NAME ARGS...: the tool in the background (pid $tp); returns once it
# says it is attached, 1 if it ended (or hung for 60 s) instead.
start() {
	n=$1; shift
	"$W/tpl_$n/tpl_$n" "$@" >/tmp/$n.out 2>/tmp/$n.err &
	tp=$!
	i=0
	until grep -q 'Hit Ctrl-C' /tmp/$n.err; do
		if ! kill -0 $tp 2>/dev/null || [ $i -ge 600 ]; then return 1; fi
		sleep 0.1; i=$((i+1))
	done
}
show() { say "$1.rc $2"; sed "s/^/$1| /" /tmp/$1.out; sed "s/^/$1! /" /tmp/$1.err; }
# stop NAME REGEX: once the output has REGEX (or after 5 s), SIGINT.
stop() {
	i=0; while [ $i -lt 50 ] && ! grep -qE "$2" /tmp/$1.out; do sleep 0.1; i=$((i+1)); done
	kill -INT $tp; wait $tp; show $1 $?
}
failed() { kill -9 $tp 2>/dev/null; wait $tp; show $1 $?; }

if start kprobe; then
	touch /tmp/vmvictim; $RM /tmp/vmvictim & p=$!; wait $p
	$UNLINK /tmp/vmmissing 2>/dev/null & q=$!; wait $q
	say "kprobe.pids $p $q"
	stop kprobe "^[0-9:]+ +$q "
else failed kprobe; fi

if start fentry; then
	touch /tmp/vmvictim2; $RM /tmp/vmvictim2 & p=$!; wait $p
	$UNLINK /tmp/vmmissing2 2>/dev/null & q=$!; wait $q
	say "fentry.pids $p $q"
	stop fentry "^[0-9:]+ +$q "
else failed fentry; fi

if start ksyscall; then
	$SLEEP 60 & t=$!
	$KILL -USR1 $t & k=$!; wait $k; wait $t; st=$?
	$KILL -TERM 99999 2>/dev/null & q=$!; wait $q
	say "ksyscall.pids $k $t $st $q"
	stop ksyscall "^[0-9:]+ +$q "
else failed ksyscall; fi

$SLEEP 60 & t=$!
if start lsm -p $t; then
	$KILL -TERM $t 2>/tmp/kill.err & k=$!; wait $k; krc=$?
	kill -0 $t 2>/dev/null && alive=alive || alive=dead
	say "lsm.kill $k $t $krc $alive $(cat /tmp/kill.err)"
	stop lsm "^[0-9:]+ +$k "
	$KILL -TERM $t; krc=$?; wait $t; say "lsm.after $krc $?"
else failed lsm; kill -9 $t; fi

if start tracepoint; then
	$TRUE & p=$!; wait $p
	say "tracepoint.pids $p $$ $TRUE"
	stop tracepoint "^[0-9:]+ +$p "
else failed tracepoint; fi

if start raw_tp; then
	$SH -c 'exit 7' & p=$!; wait $p
	$SLEEP 30 & q=$!; sleep 0.2; kill -9 $q; wait $q
	say "raw_tp.pids $p $q $$"
	stop raw_tp "^[0-9:]+ +$q "
else failed raw_tp; fi
EOF

start=$(date +%s)
"$BPFPACK" vmtest --json -j 2 --timeout 150 --lsm lockdown,capability,yama,bpf \
	--kernels kernels.list "${adds[@]}" --add "$T_TMP/guest.sh" -- sh "$T_TMP/guest.sh" "$WS" \
	>result.json 2>vmtest.err
rc=$?
echo "# vmtest exit $rc after $(($(date +%s) - start)) s (-j 2, ${#KERNELS[@]} kernels)"

# One directory per kernel: stdout, stderr, and "result exit_status lsm".
if ! python3 - result.json <<'EOF' 2>split.err; then
import json, os, sys
d = json.load(open(sys.argv[1]))
for k in d["kernels"]:
    os.makedirs("k/" + k["kernel"], exist_ok=True)
    with open("k/%s/out" % k["kernel"], "w") as f: f.write(k["stdout"])
    with open("k/%s/err" % k["kernel"], "w") as f: f.write(k["stderr"])
    with open("k/%s/meta" % k["kernel"], "w") as f:
        f.write("%s %s %s\n" % (k["result"], k["exit_status"], k["lsm"] or "-"))
    with open("k/list", "a") as f: f.write(k["kernel"] + "\n")
EOF
	t_fail "vmtest gives a JSON result" "$(cat split.err)" "$(tail -n 30 vmtest.err)"
	t_done
fi

# fact K KEY: the values of guest fact "@KEY ..." on kernel K.
fact() { sed -n "s/^@$2 //p" "k/$1/out" | head -n 1; }
# has K REGEX: a line of K's guest output matches REGEX.
has() { grep -qE "$2" "k/$1/out"; }
# expect K NAME TOOL CHECKS...: each CHECK is a REGEX the guest output must
# have; TOOL must have exited 0 on SIGINT. One ok/not ok line.
expect() {
	local k=$1 name=$2 tool=$3 re missing=()
	shift 3
	[ "$(fact "$k" "$tool.rc")" = 0 ] || missing+=("$tool exited $(fact "$k" "$tool.rc"), not 0 on SIGINT")
	for re in "$@"; do has "$k" "$re" || missing+=("no line matching /$re/"); done
	if [ "${#missing[@]}" -eq 0 ]; then
		t_ok "$k: $name"
	else
		t_fail "$k: $name" "${missing[@]}" "$(grep -E "^($tool[|!]|@$tool\.)" "k/$k/out")" \
			"$(grep -vE '^[a-z_]+[|!] |^@' "k/$k/out" "k/$k/err" | tail -n 10)"
	fi
}

while read -r k; do
	read -r result status lsm <"k/$k/meta"
	if [ "$result" = ok ] && [[ ",$lsm," == *,bpf,* ]]; then
		t_ok "$k: boots with the BPF LSM active, the guest script ends with exit 0 ($lsm)"
	else
		t_fail "$k: boots with the BPF LSM active, the guest script ends with exit 0" \
			"result $result, exit $status, lsm $lsm" "$(tail -n 20 vmtest.err)"
	fi

	read -r p q _ <<<"$(fact "$k" kprobe.pids)"
	expect "$k" "kprobe: reports rm's unlink (pid ${p:-?}, rm, 0, path) and a failed unlink (-2)" kprobe \
		'^kprobe! Tracing unlink\(\)\.\.\. Hit Ctrl-C to end\.$' \
		"^kprobe\| [0-9:]+ +${p:-x} +rm +0 +/tmp/vmvictim\$" \
		"^kprobe\| [0-9:]+ +${q:-x} +unlink +-2 +/tmp/vmmissing\$"

	read -r p q _ <<<"$(fact "$k" fentry.pids)"
	expect "$k" "fentry: reports rm's unlink with its latency (pid ${p:-?}, rm, 0, path) and a failed one" fentry \
		'^fentry! Tracing unlink\(\)\.\.\. Hit Ctrl-C to end\.$' \
		"^fentry\| [0-9:]+ +${p:-x} +rm +0 +[0-9]+\.[0-9]{3} +/tmp/vmvictim2\$" \
		"^fentry\| [0-9:]+ +${q:-x} +unlink +-2 +[0-9]+\.[0-9]{3} +/tmp/vmmissing2\$"

	# The target dies of SIGUSR1: exit status 128 + 10.
	read -r kp t st q _ <<<"$(fact "$k" ksyscall.pids)"
	expect "$k" "ksyscall: reports kill -USR1 (sender ${kp:-?}, kill, 10, target ${t:-?}, 0) and kill of no process (-3)" ksyscall \
		'^ksyscall! Tracing kill\(\)\.\.\. Hit Ctrl-C to end\.$' \
		"^ksyscall\| [0-9:]+ +${kp:-x} +kill +10 +${t:-x} +0\$" \
		"^ksyscall\| [0-9:]+ +${q:-x} +kill +15 +99999 +-3\$" \
		"^@ksyscall\.pids [0-9]+ [0-9]+ 138 "

	# kill gets EPERM and the target lives; after the tool exits, SIGTERM
	# kills it (status 143).
	read -r kp t _ <<<"$(fact "$k" lsm.kill)"
	expect "$k" "lsm: kill -TERM of the protected PID ${t:-?} fails with EPERM, the refusal is reported (sender ${kp:-?}, kill, 15)" lsm \
		"^lsm! Protecting PID ${t:-x} from signals\.\.\. Hit Ctrl-C to end\.\$" \
		"^@lsm\.kill [0-9]+ [0-9]+ 1 alive kill: can't kill pid ${t:-x}: Operation not permitted\$" \
		"^lsm\| [0-9:]+ +${kp:-x} +kill +15 +${t:-x}\$" \
		'^@lsm\.after 0 143$'

	read -r p ppid path _ <<<"$(fact "$k" tracepoint.pids)"
	expect "$k" "tracepoint: reports the exec (pid ${p:-?}, parent, uid 0, true, ${path:-?})" tracepoint \
		"^tracepoint\| [0-9:]+ +${p:-x} +${ppid:-x} +0 +true +${path:-x}\$"

	read -r p q ppid _ <<<"$(fact "$k" raw_tp.pids)"
	expect "$k" "raw_tp: reports an exit with status 7 (pid ${p:-?}) and a SIGKILL as 'sig 9' (pid ${q:-?})" raw_tp \
		"^raw_tp\| [0-9:]+ +${p:-x} +${ppid:-x} +[0-9.]+ +7 +sh\$" \
		"^raw_tp\| [0-9:]+ +${q:-x} +${ppid:-x} +[0-9.]+ +sig 9 +sleep\$"
done <k/list

# Every kernel asked for gave a result.
n=$(wc -l <k/list)
[ "$n" -eq "${#KERNELS[@]}" ] && t_ok "one result per kernel ($n)" ||
	t_fail "one result per kernel" "asked ${#KERNELS[@]}, got $n" "$(cat vmtest.err)"
t_done
