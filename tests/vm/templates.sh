#!/usr/bin/env bash
# tests/vm/templates.sh: the slow template matrix. Builds every template once
# (with the BTF of the kernel without BTF embedded, when its vmlinux with DWARF
# is there) and runs each on every kernel of tests/kernels.sh with
# `bpfpack vmtest`: one boot per kernel runs a guest script that starts each
# tool, waits until it is attached, makes its workload (execs, exits, unlinks,
# kill(), a protected process, getaddrinfo() through the real libc, a Python
# garbage collection, a busy process, UDP over lo, a cgroup's traffic, a
# process to list, sleeps to time) and stops it. The records are checked here
# with their exact values (PIDs, commands, paths, signals, results, counts).
#
# Where a template's program type does not exist on a kernel (no kernel BTF
# for fentry, lsm and task_iter; tc's qdisc built as a module on a kernel
# given as a boot image, which brings no modules, while a .deb does with
# --modules; a feature the kernel config lacks), the cell is "n/a", counted
# as skipped with the reason, and the tool must still fail with one line.
# Prints the matrix and ends with "N passed, N failed[, N skipped]"; exit 1 if
# any check failed.
#
#   tests/vm/templates.sh [-j N] [-t T1,T2] [--download] [NAME...]
#     -j N      VMs at once (default 2)
#     -t LIST   only these templates (default: all in templates/)
#     NAME...   only these kernels, as tests/kernels.sh names them
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BPFPACK_ROOT=${BPFPACK_ROOT:-$ROOT}
BPFPACK=$BPFPACK_ROOT/bin/bpfpack
jobs=2
only=
kargs=()
while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	-t) only=$2; shift 2 ;;
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) kargs+=("$1"); shift ;;
	esac
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-vmtpl.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
passed=0 failed=0 skipped=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
skip() { echo "ok - $1 # SKIP $2"; skipped=$((skipped + 1)); }
not_ok() {
	echo "not ok - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/#   /'
	failed=$((failed + 1))
}
finish() {
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
	exit
}
t0=$(date +%s)

# ---- templates and kernels ------------------------------------------------------
TEMPLATES=()
for d in "$BPFPACK_ROOT"/templates/*/; do
	t=$(basename "$d")
	[ -z "$only" ] || [[ ",$only," == *,"$t",* ]] && TEMPLATES+=("$t")
done
[ "${#TEMPLATES[@]}" -gt 0 ] || { not_ok "templates to test" "none matches -t $only"; finish; }

"$ROOT/tests/kernels.sh" "${kargs[@]}" >kernels.all 2>kernels.err
cat kernels.err >&2
if ! [ -s kernels.all ]; then
	skip "template matrix" "no kernel available"
	finish
fi
sed 's/^/# kernel: /' kernels.all

# The kernel's config (beside a shared image as config-RELEASE or config, or
# boot/config-* in a .deb), for what the kernel has; empty if not found.
kernel_config() {
	local path=$1 dir base c
	dir=$(dirname "$path")
	base=$(basename "$path")
	case "$path" in
	*.deb)
		dpkg-deb --fsys-tarfile "$path" 2>/dev/null | tar -xO --wildcards './boot/config-*' 2>/dev/null
		return ;;
	esac
	for c in "$dir/config-${base#vmlinuz-}" "$dir/config"; do
		[ -f "$c" ] && { cat "$c"; return; }
	done
}
declare -A KPATH
KNAMES=()
while read -r name path; do
	KNAMES+=("$name")
	KPATH[$name]=$path
	kernel_config "$path" >"config.$name"
done <kernels.all

# ---- BTF for the kernel without it ----------------------------------------------
# The no-BTF kernel's vmlinux (DWARF) beside its image gives the BTF the tools
# carry; without it the tools carry none and that kernel's column is skipped.
# The BTF file is named after the kernel's release (from the x86 boot header's
# version string), which is how the tools' embedded set is keyed.
image_release() {
	local off
	off=$(od -An -tu2 -j526 -N2 "$1" | tr -d ' ')
	[ -n "$off" ] && [ "$off" -gt 0 ] &&
		dd if="$1" bs=1 skip=$((off + 512)) count=128 status=none | tr '\0' '\n' | head -n 1 | cut -d' ' -f1
}
btf_args=()
EMBEDDED=
for name in "${KNAMES[@]}"; do
	case "$name" in nobtf-*) ;; *) continue ;; esac
	vmlinux=$(dirname "${KPATH[$name]}")/vmlinux.xz
	[ -f "$vmlinux" ] || continue
	release=$(image_release "${KPATH[$name]}")
	[ -n "$release" ] || { not_ok "the release of $name" "no version string in ${KPATH[$name]}"; continue; }
	s=$(date +%s)
	mkdir -p btf
	if "$BPFPACK" btf from-debug "$vmlinux" -o "$TMP/btf/$release.btf" >from-debug.log 2>&1; then
		btf_args+=(--btf "$TMP/btf/$release.btf")
		EMBEDDED="$EMBEDDED $name"
		ok "BTF of $name ($release) from its vmlinux's DWARF ($(($(date +%s) - s)) s)"
	else
		not_ok "BTF of $name from its vmlinux's DWARF" "$(tail -n 5 from-debug.log)"
	fi
done

# ---- build each template once ---------------------------------------------------
WS=$TMP/ws
mkdir -p "$WS" logs
bin() { echo "$WS/tpl_$1/tpl_$1"; }
build_template() {
	local t=$1
	"$BPFPACK" new "tpl_$t" -t "$t" -C "$WS" >"logs/$t.log" 2>&1 || return 1
	[ -f "$WS/vmlinux.h" ] && cp "$WS/vmlinux.h" "$WS/tpl_$t/vmlinux.h"
	"$BPFPACK" build -C "$WS/tpl_$t" "${btf_args[@]}" >>"logs/$t.log" 2>&1
}
s=$(date +%s)
build_template "${TEMPLATES[0]}"
echo $? >"logs/${TEMPLATES[0]}.rc"
cp "$WS/tpl_${TEMPLATES[0]}/.output/vmlinux.h" "$WS/vmlinux.h" 2>/dev/null
for t in "${TEMPLATES[@]:1}"; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	(build_template "$t"; echo $? >"logs/$t.rc") &
done
wait
BUILT=()
adds=()
for t in "${TEMPLATES[@]}"; do
	if [ "$(cat "logs/$t.rc" 2>/dev/null)" = 0 ] && [ -x "$(bin "$t")" ]; then
		BUILT+=("$t")
		adds+=(--add "$(bin "$t")")
		ok "$t: builds once${EMBEDDED:+ (with the BTF of$EMBEDDED embedded)}"
	else
		not_ok "$t: builds once" "$(tail -n 20 "logs/$t.log")"
	fi
done
echo "# built ${#TEMPLATES[@]} templates in $(($(date +%s) - s)) s"
[ "${#BUILT[@]}" -gt 0 ] || finish

# ---- what the guest needs besides busybox -----------------------------------------
# A static helper for network workloads: UDP datagrams to an address, and a
# process that joins a cgroup and sends datagrams to itself.
cat >net.c <<'EOF'
/* bpfpk_net: network workloads for the template matrix in VMs.
 *   bpfpk_net udp ADDR PORT COUNT SIZE     COUNT datagrams of SIZE bytes to ADDR:PORT
 *   bpfpk_net cgself CGROUP COUNT SIZE     join CGROUP, send COUNT datagrams of SIZE
 *                                          bytes to itself over 127.0.0.1 and read them */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what) { perror(what); return 1; }

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char buf[1500];
	int s, count, size;

	if (argc != 6 && !(argc == 5 && !strcmp(argv[1], "cgself")))
		return fprintf(stderr, "usage: see the source\n"), 2;
	count = atoi(argv[argc - 2]);
	size = atoi(argv[argc - 1]);
	if (size < 0 || size > (int)sizeof(buf))
		return 2;
	memset(buf, 'x', sizeof(buf));
	/* A socket belongs to the cgroup its creator was in: join first. */
	if (!strcmp(argv[1], "cgself")) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", argv[2]);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			return fail(path);
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return fail("socket");
	if (!strcmp(argv[1], "cgself")) {
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (struct sockaddr *)&a, &alen))
			return fail("bind");
	} else {
		if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1)
			return 2;
		a.sin_port = htons(atoi(argv[3]));
	}
	for (int i = 0; i < count; i++) {
		if (sendto(s, buf, size, 0, (struct sockaddr *)&a, sizeof(a)) != size)
			return fail("sendto");
		if (!strcmp(argv[1], "cgself") && recv(s, buf, sizeof(buf), 0) != size)
			return fail("recv");
	}
	return 0;
}
EOF
CC=${CC:-cc}
if ! "$CC" -static -O2 -o bpfpk_net net.c 2>cc.err; then
	not_ok "the network helper builds (cc -static)" "$(cat cc.err)"
	finish
fi
# getaddrinfo() through the real libc (uprobe): getent, dynamically linked,
# with its libraries; CPython with its USDT probes (usdt), with the three
# modules it loads with -I -S. Each at its host path.
extra=(--add "$TMP/bpfpk_net")
PY=/usr/bin/python3.11
for f in /usr/bin/getent "$PY"; do
	[ -x "$f" ] || continue
	extra+=(--add "$f")
	while read -r lib; do
		[ -f "$lib" ] || continue
		# The loader at the path programs name; libraries at their
		# symlink-free directory under their soname (vmtest's default).
		case "$lib" in
		*/ld-linux*) extra+=(--add "$lib:$lib") ;;
		*) extra+=(--add "$lib") ;;
		esac
	done < <(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' | sort -u)
done
if [ -x "$PY" ]; then
	pylib=/usr/lib/$(basename "$PY")
	for f in os.py encodings/__init__.py encodings/aliases.py encodings/utf_8.py; do
		[ -f "$pylib/$f" ] && extra+=(--add "$pylib/$f")
	done
fi
# Sorted, so each path is added once.
mapfile -t extra < <(printf '%s\n' "${extra[@]}" | paste -d' ' - - | sort -u | tr ' ' '\n')
NR_SLEEP=$(printf '#include <sys/syscall.h>\nSYS_clock_nanosleep\n' | "$CC" -E -P - 2>/dev/null | tail -n 1)

# ---- the guest -------------------------------------------------------------------
# Busybox sh. Applets run by their full path, so each workload is a real exec
# with the applet's name as comm. It prints "@KEY VALUES" facts and each
# tool's stdout ("NAME| ") and stderr ("NAME! "); the checks are on the host.
cat >guest.sh <<'EOF'
W=$1 NR_SLEEP=$2 PY=$3
shift 3
say() { echo "@$*"; }
RM=$(which rm) UNLINK=$(which unlink) KILL=$(which kill) SLEEP=$(which sleep)
TRUE=$(which true) SH=$(which sh) DD=$(which dd) USLEEP=$(which usleep)
NET=$(dirname "$W")/bpfpk_net
ip link set lo up
# The libraries come from a merged-/usr host, where /lib is usr/lib: libbpf
# looks for libc.so.6 in /lib/x86_64-linux-gnu.
[ -e /lib ] || ln -s usr/lib /lib
printf '127.0.0.1 localhost\n' >/etc/hosts
printf 'hosts: files\n' >/etc/nsswitch.conf
mkdir -p "/usr/lib/$(basename "$PY")/lib-dynload"

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
# stop NAME [REGEX]: once the output has REGEX (at most 5 s), SIGINT.
stop() {
	i=0
	while [ -n "${2:-}" ] && [ $i -lt 50 ] && ! grep -qE "$2" /tmp/$1.out; do sleep 0.1; i=$((i+1)); done
	kill -INT $tp; wait $tp; show $1 $?
}
failed() { kill -9 $tp 2>/dev/null; wait $tp; show $1 $?; }

w_tracepoint() {
	start tracepoint || { failed tracepoint; return; }
	$TRUE & p=$!; wait $p
	say "tracepoint.pids $p $$ $TRUE"
	stop tracepoint "^[0-9:]+ +$p "
}
w_raw_tp() {
	start raw_tp || { failed raw_tp; return; }
	$SH -c 'exit 7' & p=$!; wait $p
	$SLEEP 30 & q=$!; sleep 0.2; kill -9 $q; wait $q
	say "raw_tp.pids $p $q $$"
	stop raw_tp "^[0-9:]+ +$q "
}
w_kprobe() {
	start kprobe || { failed kprobe; return; }
	touch /tmp/vmvictim; $RM /tmp/vmvictim & p=$!; wait $p
	$UNLINK /tmp/vmmissing 2>/dev/null & q=$!; wait $q
	say "kprobe.pids $p $q"
	stop kprobe "^[0-9:]+ +$q "
}
w_fentry() {
	start fentry || { failed fentry; return; }
	touch /tmp/vmvictim2; $RM /tmp/vmvictim2 & p=$!; wait $p
	$UNLINK /tmp/vmmissing2 2>/dev/null & q=$!; wait $q
	say "fentry.pids $p $q"
	stop fentry "^[0-9:]+ +$q "
}
w_ksyscall() {
	start ksyscall || { failed ksyscall; return; }
	$SLEEP 60 & t=$!
	$KILL -USR1 $t & k=$!; wait $k; wait $t; st=$?
	$KILL -TERM 99999 2>/dev/null & q=$!; wait $q
	say "ksyscall.pids $k $t $st $q"
	stop ksyscall "^[0-9:]+ +$q "
}
w_lsm() {
	$SLEEP 60 & t=$!
	if start lsm -p $t; then
		$KILL -TERM $t 2>/tmp/kill.err & k=$!; wait $k; krc=$?
		kill -0 $t 2>/dev/null && alive=alive || alive=dead
		say "lsm.kill $k $t $krc $alive $(cat /tmp/kill.err)"
		stop lsm "^[0-9:]+ +$k "
		$KILL -TERM $t; krc=$?; wait $t; say "lsm.after $krc $?"
	else
		failed lsm; kill -9 $t; wait $t
	fi
}
w_uprobe() {
	start uprobe || { failed uprobe; return; }
	getent ahosts localhost >/dev/null & p=$!; wait $p
	say "uprobe.pids $p $?"
	stop uprobe "^[0-9:]+ +$p "
}
# Two collections clear the start-up garbage; then exactly 100
# self-referencing lists are unreachable.
w_usdt() {
	start usdt -b "$PY" || { failed usdt; return; }
	"$PY" -I -S -c '
import gc
gc.collect(); gc.collect()
for i in range(100):
    a = []; a.append(a)
del a
gc.collect()' & p=$!; wait $p
	say "usdt.pids $p $? $(basename "$PY")"
	stop usdt "^[0-9:]+ +$p .* 100\$"
}
# dd reading /dev/zero is busy in the kernel: samples with kernel stacks.
w_perf_event() {
	$DD if=/dev/zero of=/dev/null bs=1M count=100000000 2>/dev/null & busy=$!
	"$W/tpl_perf_event/tpl_perf_event" -p $busy -F 99 -d 2 >/tmp/perf_event.out 2>/tmp/perf_event.err
	rc=$?
	kill $busy; wait $busy
	sym=$(grep -m1 -oE '^    \[k\] [A-Za-z_][A-Za-z0-9_.]*\+0x' /tmp/perf_event.out | sed -E 's/^    \[k\] //; s/\+0x$//')
	if [ -n "$sym" ] && grep -qE " [tTwW] $sym( |\$)" /proc/kallsyms; then k=yes; else k=no; fi
	say "perf_event.pids $busy $k $sym"
	show perf_event $rc
}
w_xdp() {
	start xdp -i lo || { failed xdp; return; }
	$NET udp 127.0.0.1 4242 5 6
	sleep 0.5
	stop xdp
	say "xdp.after $(ip link show lo | grep -c xdp)"
}
w_tc() {
	start tc -i lo || { failed tc; return; }
	$NET udp 127.0.0.1 4242 1 6
	stop tc "ingress +UDP"
	say "tc.after $(tc qdisc show dev lo | grep -c clsact)"
}
w_socket() {
	start socket -i lo -P 4242 || { failed socket; return; }
	$NET udp 127.0.0.1 4242 1 6
	$NET udp 127.0.0.1 4243 1 6
	sleep 0.5
	stop socket
}
w_cgroup_skb() {
	cg=/sys/fs/cgroup/bpfpk
	mkdir -p $cg
	start cgroup_skb -c $cg || { failed cgroup_skb; return; }
	$NET cgself $cg 5 100; say "cgroup_skb.net $?"
	stop cgroup_skb
}
w_task_iter() {
	$SLEEP 30 & p=$!
	sleep 0.2
	"$W/tpl_task_iter/tpl_task_iter" -p $p >/tmp/task_iter.out 2>/tmp/task_iter.err
	rc=$?
	"$W/tpl_task_iter/tpl_task_iter" 2>&1 | sed 's/^/task_iter.all| /'
	kill $p; wait $p
	say "task_iter.pids $p $$"
	show task_iter $rc
}
# Three 40 ms sleeps of `usleep` (clock_nanosleep), the only usleep calls.
w_histogram() {
	start histogram -c usleep -s "$NR_SLEEP" || { failed histogram; return; }
	for i in 1 2 3; do $USLEEP 40000; done
	stop histogram
}

for t in "$@"; do
	s0=$(date +%s)
	w_$t
	say "$t.seconds $(( $(date +%s) - s0 ))"
done
EOF

# ---- run -------------------------------------------------------------------------
# tc's qdisc and classifier, where they are modules: from the kernel packages.
for k in "${KNAMES[@]}"; do
	case ${KPATH[$k]} in *.deb) extra+=(--modules sch_ingress,cls_bpf); break ;; esac
done
s=$(date +%s)
"$BPFPACK" vmtest --json -j "$jobs" --timeout 600 --mem 768 --lsm lockdown,capability,yama,bpf \
	--kernels kernels.all "${adds[@]}" "${extra[@]}" --add "$TMP/guest.sh" -- \
	sh "$TMP/guest.sh" "$WS" "${NR_SLEEP:-230}" "$PY" "${BUILT[@]}" >result.json 2>vmtest.err
rc=$?
echo "# vmtest exit $rc after $(($(date +%s) - s)) s (-j $jobs, ${#KNAMES[@]} kernels)"

if ! python3 - result.json <<'EOF' 2>split.err; then
import json, os, sys
d = json.load(open(sys.argv[1]))
for k in d["kernels"]:
    os.makedirs("k/" + k["kernel"], exist_ok=True)
    with open("k/%s/out" % k["kernel"], "w") as f: f.write(k["stdout"])
    with open("k/%s/err" % k["kernel"], "w") as f: f.write(k["stderr"])
    with open("k/%s/meta" % k["kernel"], "w") as f:
        f.write("%s %s %s %s %.0f\n" % (k["result"], k["exit_status"],
            {True: "yes", False: "no", None: "?"}[k["btf"]], k["lsm"] or "-", k["seconds"]))
EOF
	not_ok "vmtest gives a JSON result" "$(cat split.err)" "$(tail -n 30 vmtest.err)"
	finish
fi

# ---- checks ------------------------------------------------------------------------
fact() { sed -n "s/^@$2 //p" "k/$1/out" | head -n 1; }
MISSING=()
# need K REGEX [WHAT]: K's guest output has a line matching REGEX.
need() {
	grep -qE "$2" "k/$1/out" || MISSING+=("${3:-no line matching /$2/}")
}
need_rc0() {
	local rc
	rc=$(fact "$1" "$2.rc")
	[ "$rc" = 0 ] || MISSING+=("$2 exited ${rc:-?}, not 0")
}
# count K REGEX: how many lines of K's guest output match REGEX.
count() { grep -cE "$2" "k/$1/out"; }

# Each check_T K: what T must have shown on K (fills MISSING); its summary in DESC.
check_tracepoint() {
	local p ppid path _
	read -r p ppid path _ <<<"$(fact "$1" tracepoint.pids)"
	DESC="the exec of $path (pid $p, parent, uid 0, comm true)"
	need_rc0 "$1" tracepoint
	need "$1" "^tracepoint\| [0-9:]+ +${p:-x} +${ppid:-x} +0 +true +${path:-x}\$"
}
check_raw_tp() {
	local p q ppid _
	read -r p q ppid _ <<<"$(fact "$1" raw_tp.pids)"
	DESC="an exit with status 7 and a SIGKILL as 'sig 9'"
	need_rc0 "$1" raw_tp
	need "$1" "^raw_tp\| [0-9:]+ +${p:-x} +${ppid:-x} +[0-9.]+ +7 +sh\$"
	need "$1" "^raw_tp\| [0-9:]+ +${q:-x} +${ppid:-x} +[0-9.]+ +sig 9 +sleep\$"
}
check_kprobe() {
	local p q _
	read -r p q _ <<<"$(fact "$1" kprobe.pids)"
	DESC="rm's unlink (0, path) and a failed unlink (-2)"
	need_rc0 "$1" kprobe
	need "$1" "^kprobe\| [0-9:]+ +${p:-x} +rm +0 +/tmp/vmvictim\$"
	need "$1" "^kprobe\| [0-9:]+ +${q:-x} +unlink +-2 +/tmp/vmmissing\$"
}
check_fentry() {
	local p q _
	read -r p q _ <<<"$(fact "$1" fentry.pids)"
	DESC="rm's unlink with its latency and a failed one (-2)"
	need_rc0 "$1" fentry
	need "$1" "^fentry\| [0-9:]+ +${p:-x} +rm +0 +[0-9]+\.[0-9]{3} +/tmp/vmvictim2\$"
	need "$1" "^fentry\| [0-9:]+ +${q:-x} +unlink +-2 +[0-9]+\.[0-9]{3} +/tmp/vmmissing2\$"
}
check_ksyscall() {
	local k t st q _
	read -r k t st q _ <<<"$(fact "$1" ksyscall.pids)"
	DESC="kill -USR1 (signal 10, target, 0; the target dies of it) and a kill of no process (-3)"
	need_rc0 "$1" ksyscall
	need "$1" "^ksyscall\| [0-9:]+ +${k:-x} +kill +10 +${t:-x} +0\$"
	need "$1" "^ksyscall\| [0-9:]+ +${q:-x} +kill +15 +99999 +-3\$"
	[ "$st" = 138 ] || MISSING+=("the target's exit status is ${st:-?}, not 138 (SIGUSR1)")
}
check_lsm() {
	local k t _
	read -r k t _ <<<"$(fact "$1" lsm.kill)"
	DESC="kill -TERM of the protected PID fails with EPERM and is reported; after exit it works"
	need_rc0 "$1" lsm
	need "$1" "^@lsm\.kill [0-9]+ [0-9]+ 1 alive kill: can't kill pid ${t:-x}: Operation not permitted\$"
	need "$1" "^lsm\| [0-9:]+ +${k:-x} +kill +15 +${t:-x}\$"
	need "$1" '^@lsm\.after 0 143$'
}
check_uprobe() {
	local p st _
	read -r p st _ <<<"$(fact "$1" uprobe.pids)"
	DESC="getent's getaddrinfo(\"localhost\") in libc.so.6 (latency, 0)"
	need_rc0 "$1" uprobe
	need "$1" "^uprobe\| [0-9:]+ +${p:-x} +getent +[0-9]+\.[0-9]{3} +0 +localhost\$"
	[ "$st" = 0 ] || MISSING+=("getent exited ${st:-?}")
}
check_usdt() {
	local p st comm _
	read -r p st comm _ <<<"$(fact "$1" usdt.pids)"
	DESC="CPython's full collection (generation 2, 100 objects)"
	need_rc0 "$1" usdt
	need "$1" "^usdt\| [0-9:]+ +${p:-x} +${comm:-x} +2 +[0-9.]+ +100\$"
	[ "$st" = 0 ] || MISSING+=("python exited ${st:-?}")
}
check_perf_event() {
	local busy k sym _ n
	read -r busy k sym _ <<<"$(fact "$1" perf_event.pids)"
	n=$(count "$1" "^perf_event\| [0-9:]+ +${busy:-x} +${busy:-x} +[0-9]+ +dd\$")
	DESC="$n samples of the busy dd, kernel frames named ($sym)"
	need_rc0 "$1" perf_event
	[ "$n" -ge 10 ] || MISSING+=("$n samples of dd, want at least 10")
	[ "$k" = yes ] || MISSING+=("no kernel frame named from the guest's /proc/kallsyms (${sym:-none})")
}
check_xdp() {
	DESC="5 UDP packets of 48 bytes received on lo, detached at exit"
	need_rc0 "$1" xdp
	need "$1" '^xdp\| UDP +5 +240$'
	need "$1" '^@xdp\.after 0$' "lo still has an XDP program after exit"
}
check_tc() {
	DESC="the UDP packet leaving and entering lo (addresses, port, 48 bytes), clsact removed"
	need_rc0 "$1" tc
	need "$1" '^tc\| [0-9:]+ +egress +UDP +127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4242 len 48$'
	need "$1" '^tc\| [0-9:]+ +ingress +UDP +127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4242 len 48$'
	need "$1" '^@tc\.after 0$' "lo still has a clsact qdisc after exit"
}
check_socket() {
	local n42
	n42=$(count "$1" '^socket\| [0-9:]+ +(out|in) +lo +UDP +127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4242 len 48$')
	DESC="port 4242's datagram out and in on lo, not port 4243's"
	need_rc0 "$1" socket
	[ "$n42" -eq 2 ] || MISSING+=("$n42 lines for port 4242, want 2")
	[ "$(count "$1" '^socket\| .*:4243 ')" -eq 0 ] || MISSING+=("port 4243 passed the filter")
	need "$1" '^socket\| [0-9]+ packets seen, 2 passed the filter$'
}
check_cgroup_skb() {
	DESC="the cgroup's 5+5 UDP packets of 128 bytes and nothing else"
	need_rc0 "$1" cgroup_skb
	need "$1" '^@cgroup_skb\.net 0$' "the workload failed"
	need "$1" '^cgroup_skb\| ingress +UDP +5 +640$'
	need "$1" '^cgroup_skb\| egress +UDP +5 +640$'
	[ "$(count "$1" '^cgroup_skb\| (ingress|egress) ')" -eq 2 ] || MISSING+=("other traffic counted")
}
check_task_iter() {
	local p ppid _
	read -r p ppid _ <<<"$(fact "$1" task_iter.pids)"
	DESC="the sleep process (pid, parent, uid 0, state S, 1 thread, memory) and init in the full list"
	need_rc0 "$1" task_iter
	need "$1" "^task_iter\| ${p:-x} +${ppid:-x} +0 +S +1 +[1-9][0-9]* +sleep\$"
	[ "$(count "$1" '^task_iter\| [0-9]+ ')" -eq 1 ] || MISSING+=("-p listed more than one process")
	need "$1" '^task_iter\.all\| 1 +0 +0 +[A-Z] +1 +[0-9]+ +init$'
}
# The three 40 ms usleeps: 3 calls in all, none under 32768 us, one comm.
check_histogram() {
	local sum low
	DESC="three 40 ms sleeps of usleep, in buckets from 32768 us"
	need_rc0 "$1" histogram
	need "$1" '^histogram\| comm = usleep$'
	[ "$(count "$1" '^histogram\| comm = ')" -eq 1 ] || MISSING+=("more than one comm")
	read -r sum low <<<"$(sed -nE 's/^histogram\| +([0-9]+) -> +[0-9]+ +: ([0-9]+) .*/\1 \2/p' "k/$1/out" |
		awk '$2 > 0 { s += $2; if (m == "" || $1 < m) m = $1 } END { print s + 0, m + 0 }')"
	[ "$sum" = 3 ] || MISSING+=("$sum calls counted, want 3")
	[ "${low:-0}" -ge 32768 ] || MISSING+=("a call in the bucket from $low us, under 32768")
}

# Why template T cannot exist on kernel K (empty: it must run). CONFIG is the
# kernel's config (empty when unknown: then everything must run); BTF whether
# the kernel has its own.
cfg() { grep -q "^$1=y" "config.$2"; }
not_available() {
	local t=$1 k=$2 btf=$3 c
	case $t in
	fentry | lsm | task_iter)
		[ "$btf" = no ] && { echo "needs the kernel's own BTF, which embedded BTF cannot replace"; return; } ;;
	esac
	[ -s "config.$k" ] || return 0
	case $t in
	kprobe | ksyscall) cfg CONFIG_KPROBES "$k" || echo "no kprobes (CONFIG_KPROBES)" ;;
	fentry) cfg CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS "$k" || echo "no BPF trampolines" ;;
	lsm) cfg CONFIG_BPF_LSM "$k" || echo "no BPF LSM (CONFIG_BPF_LSM)" ;;
	uprobe | usdt) cfg CONFIG_UPROBE_EVENTS "$k" || echo "no uprobes (CONFIG_UPROBE_EVENTS)" ;;
	tracepoint | raw_tp) cfg CONFIG_BPF_EVENTS "$k" || echo "no BPF tracing (CONFIG_BPF_EVENTS)" ;;
	histogram) cfg CONFIG_FTRACE_SYSCALLS "$k" || echo "no syscall tracepoints" ;;
	perf_event) cfg CONFIG_PERF_EVENTS "$k" || echo "no perf events" ;;
	cgroup_skb) cfg CONFIG_CGROUP_BPF "$k" || echo "no cgroup BPF (CONFIG_CGROUP_BPF)" ;;
	socket) cfg CONFIG_PACKET "$k" || echo "no packet sockets (CONFIG_PACKET)" ;;
	tc)
		for c in CONFIG_NET_SCH_INGRESS CONFIG_NET_CLS_BPF; do
			# vmtest --modules loads modules from a kernel package only.
			if grep -q "^$c=m" "config.$k"; then
				[ "${KPATH[$k]%.deb}" != "${KPATH[$k]}" ] && continue
				echo "$c=m: a module, and a boot image brings none (a .deb does)"; return
			fi
			cfg $c "$k" || { echo "not built ($c)"; return; }
		done ;;
	esac
}

# What the tool's one line must name when its type is missing for WHY.
refusal_re() {
	case "$1" in
	*BTF*) echo 'has no BTF' ;;
	*CONFIG_NET_SCH_INGRESS*) echo 'no clsact qdisc' ;;
	*CONFIG_NET_CLS_BPF*) echo 'no BPF tc classifier' ;;
	*) echo . ;;
	esac
}

declare -A CELL
NOTES=()
for k in "${KNAMES[@]}"; do
	if ! [ -f "k/$k/meta" ]; then
		for t in "${BUILT[@]}"; do
			CELL[$t,$k]=FAIL
			not_ok "$k: $t" "no result for this kernel from vmtest" "$(tail -n 20 vmtest.err)"
		done
		continue
	fi
	read -r result status btf lsm secs <"k/$k/meta"
	echo "# $k: $result (exit $status) in $secs s, BTF $btf, lsm $lsm"
	if [ "$btf" = no ] && [[ " $EMBEDDED " != *" $k "* ]]; then
		for t in "${BUILT[@]}"; do
			CELL[$t,$k]=skip
			skip "$k: $t" "this kernel has no BTF and the tools carry none for it (no vmlinux with DWARF beside it)"
		done
		continue
	fi
	for t in "${BUILT[@]}"; do
		rc=$(fact "$k" "$t.rc")
		if [ -z "$rc" ]; then
			CELL[$t,$k]=FAIL
			not_ok "$k: $t" "the guest did not get to run it (VM: $result, exit $status)" \
				"$(grep -vE '^[a-z_.]+[|!] |^@' "k/$k/out" "k/$k/err" | tail -n 10)" \
				"$(grep -A12 "^$k " vmtest.err | tail -n 12)"
			continue
		fi
		why=$(not_available "$t" "$k" "$btf")
		errs=$(sed -n "s/^$t! //p" "k/$k/out")
		if [ -n "$why" ]; then
			# The type does not exist here: the tool must say so in one line.
			re=$(refusal_re "$why")
			if [ "$rc" != 0 ] && [ "$(grep -c . <<<"$errs")" -eq 1 ] && [[ "$errs" == "tpl_$t: "* ]] &&
				grep -qE "$re" <<<"$errs"; then
				CELL[$t,$k]=n/a
				NOTES+=("$t on $k: $why; the tool says: ${errs#tpl_$t: }")
				skip "$k: $t: fails in one line where its type does not exist" "$why"
			else
				CELL[$t,$k]=FAIL
				not_ok "$k: $t: fails in one line where its type does not exist ($why)" \
					"want exit 1 and one line 'tpl_$t: ...' matching /$re/, got exit $rc" \
					"$(grep -E "^($t[|!]|@$t\.)" "k/$k/out" | head -n 20)"
			fi
			continue
		fi
		MISSING=()
		DESC=
		"check_$t" "$k"
		if [ "${#MISSING[@]}" -eq 0 ]; then
			CELL[$t,$k]=ok
			ok "$k: $t: $DESC"
		else
			CELL[$t,$k]=FAIL
			not_ok "$k: $t: $DESC" "${MISSING[@]}" "$(grep -E "^($t[|!.]|@$t\.)" "k/$k/out" | head -n 30)"
		fi
	done
done

# ---- the matrix ----------------------------------------------------------------------
w=10
for t in "${BUILT[@]}"; do [ ${#t} -gt $w ] && w=${#t}; done
line=$(printf "%-${w}s" TEMPLATE)
for k in "${KNAMES[@]}"; do line="$line  $(printf '%-10s' "$k")"; done
echo "# $line"
for t in "${BUILT[@]}"; do
	line=$(printf "%-${w}s" "$t")
	for k in "${KNAMES[@]}"; do line="$line  $(printf '%-10s' "${CELL[$t,$k]:-?}")"; done
	echo "# $line"
done
for n in "${NOTES[@]}"; do echo "# n/a: $n"; done
echo "# total $(($(date +%s) - t0)) s"
finish
