#!/usr/bin/env bash
# Every template: `bpfpack new` lists it and renders it, `bpfpack build` makes
# a warning-free static binary, `--help` documents -v and -d, and the tool
# refuses in one line without permission. Then, as root, each tool runs
# against a workload this script makes (an exec, an exit with a known code, a
# getaddrinfo() call, a Python garbage collection, a busy process, packets
# over a veth pair between two network namespaces, traffic of a cgroup, a
# process to list, sleeps to time) and the expected record must appear with
# the right values. Types this kernel cannot attach (kprobe, ksyscall, fentry,
# lsm here) must instead fail with one line naming the missing feature.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

TEMPLATES=(tracepoint raw_tp kprobe ksyscall fentry uprobe usdt perf_event xdp tc socket
	   cgroup_skb lsm task_iter histogram)
WS=$T_TMP/ws
mkdir -p "$WS" logs
bin() { echo "$WS/tpl_$1/tpl_$1"; }

# Network namespaces and a cgroup of this run, removed however the script ends.
NS_A=bpfpack-tpl-$$-a
NS_B=bpfpack-tpl-$$-b
CG=
test_cleanup() {
	local p
	# Reap what is killed here, so bash reports no "Killed" job.
	{
		for p in "${T_BG_PIDS[@]}"; do kill -9 "$p"; done
		wait
	} 2>/dev/null
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	t_cleanup
}
trap test_cleanup EXIT

# veth0 (10.248.0.1) in NS_A <-> veth1 (10.248.0.2) in NS_B, loopback up in both.
net_setup() {
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
		ip -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" &&
		ip -n "$NS_A" addr add 10.248.0.1/24 dev veth0 &&
		ip -n "$NS_B" addr add 10.248.0.2/24 dev veth1 &&
		ip -n "$NS_A" link set veth0 up && ip -n "$NS_B" link set veth1 up &&
		ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up
}

# start_tool NAME CMD...: runs CMD in the background (stdout NAME.out, stderr
# NAME.err) and waits until it says it is attached ("Hit Ctrl-C"). Returns 1
# when CMD ended (or hung) instead; TOOL is its PID either way.
start_tool() {
	local name=$1 i
	shift
	"$@" >"$name.out" 2>"$name.err" &
	TOOL=$!
	T_BG_PIDS+=("$TOOL")
	for ((i = 0; i < 150; i++)); do
		grep -q 'Hit Ctrl-C' "$name.err" 2>/dev/null && return 0
		kill -0 "$TOOL" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop_tool NAME: SIGINT, then checks the tool detached and exited 0.
stop_tool() {
	local rc
	kill -INT "$TOOL" 2>/dev/null
	wait "$TOOL"
	rc=$?
	[ $rc -eq 0 ] && t_ok "$1: exits 0 on SIGINT" || t_fail "$1: exits 0 on SIGINT" "exit $rc" "$(cat "$1.err")"
}

# check NAME REGEX FILE: FILE has a line matching REGEX (waits up to 5 s).
check() {
	if t_wait_for "$3" "$2" 5; then t_ok "$1"
	else t_fail "$1" "no line matching /$2/ in:" "$(tail -n 20 "$3")"; fi
}

# explains NAME REGEX: the tool ended; it must have exited non-zero with one
# line on stderr naming what is missing (REGEX).
explains() {
	local rc
	wait "$TOOL"
	rc=$?
	if [ $rc -ne 0 ] && [ "$(wc -l <"$1.err")" -eq 1 ] && grep -qE "^tpl_$1: .*$2" "$1.err"; then
		t_ok "$1: cannot run on this kernel and says why in one line"
	else
		t_fail "$1: cannot run on this kernel and says why in one line" "exit $rc" "$(cat "$1.err")"
	fi
}

# ---- new --list, new, build -----------------------------------------------
list=$("$BPFPACK" new --list 2>&1)
missing=
for t in "${TEMPLATES[@]}"; do
	grep -qE "^$t +[^ ].{20,}" <<<"$list" || missing="$missing $t"
done
[ -z "$missing" ] && t_ok "new --list shows all ${#TEMPLATES[@]} templates, each with a summary" ||
	t_fail "new --list shows all ${#TEMPLATES[@]} templates, each with a summary" "missing:$missing" "$list"

# The first build makes vmlinux.h; the others take it as their own (a project
# may carry one), so the running kernel's BTF is dumped once. Two builds run
# at a time.
build_template() {
	local t=$1
	"$BPFPACK" new "tpl_$t" -t "$t" -C "$WS" >"logs/$t.log" 2>&1 || return 1
	[ -f "$WS/vmlinux.h" ] && cp "$WS/vmlinux.h" "$WS/tpl_$t/vmlinux.h"
	"$BPFPACK" build -C "$WS/tpl_$t" >>"logs/$t.log" 2>&1
}
build_template tracepoint
echo $? >logs/tracepoint.rc
cp "$WS/tpl_tracepoint/.output/vmlinux.h" "$WS/vmlinux.h" 2>/dev/null
for t in "${TEMPLATES[@]:1}"; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	(build_template "$t"; echo $? >"logs/$t.rc") &
done
wait

declare -A BUILT
for t in "${TEMPLATES[@]}"; do
	name="$t: new + build make one static binary, without warnings"
	files_ok=1
	for f in "tpl_$t.bpf.c" "tpl_$t.c" "tpl_$t.h" bpfpack.ini README.md .gitignore; do
		[ -f "$WS/tpl_$t/$f" ] || files_ok=0
	done
	if [ "$(cat "logs/$t.rc" 2>/dev/null)" != 0 ]; then
		t_fail "$name" "$(tail -n 30 "logs/$t.log")"
	elif [ $files_ok = 0 ]; then
		t_fail "$name" "the project lacks one of NAME.bpf.c NAME.c NAME.h bpfpack.ini README.md .gitignore"
	elif grep -qi 'warning' "logs/$t.log"; then
		t_fail "$name" "$(grep -i -A3 warning "logs/$t.log" | head -n 20)"
	elif ! grep -q 'statically linked' <<<"$(file "$(bin "$t")")"; then
		t_fail "$name" "$(file "$(bin "$t")")"
	else
		BUILT[$t]=1
		t_ok "$name"
	fi
done

for t in "${TEMPLATES[@]}"; do
	[ -n "${BUILT[$t]:-}" ] || continue
	out=$("$(bin "$t")" --help 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q -- '-v, --verbose' <<<"$out" && grep -q -- '-d, --duration=SECONDS' <<<"$out"; then
		t_ok "$t: --help documents -v and -d"
	else
		t_fail "$t: --help documents -v and -d" "exit $rc" "$out"
	fi
done

if ! t_is_root; then
	t_skip "templates run against their workloads" "needs root to load BPF"
	t_done
fi

# ---- without permission: one line, exit 1 ---------------------------------
# The binaries must be reachable by an unprivileged user.
chmod 755 "$T_TMP" "$WS" "$WS"/tpl_*
for t in "${TEMPLATES[@]}"; do
	[ -n "${BUILT[$t]:-}" ] || continue
	args=()
	case $t in
	xdp | tc) args=(-i lo) ;;
	lsm) args=(-p 1) ;;
	esac
	setpriv --reuid=65534 --regid=65534 --clear-groups "$(bin "$t")" "${args[@]}" -d 1 \
		>/dev/null 2>"$t.noperm"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$t.noperm")" -eq 1 ] &&
		grep -q "^tpl_$t: not allowed to load BPF programs: run as root" "$t.noperm"; then
		t_ok "$t: without permission, one line and exit 1"
	else
		t_fail "$t: without permission, one line and exit 1" "exit $rc" "$(cat "$t.noperm")"
	fi
done

# ---- tracing templates ------------------------------------------------------
if [ -n "${BUILT[tracepoint]:-}" ] && start_tool tracepoint "$(bin tracepoint)"; then
	cp /bin/true "$T_TMP/bpfpk_exec"
	"$T_TMP/bpfpk_exec" &
	p=$!
	wait $p
	check "tracepoint: reports the exec (pid $p, parent, comm, path)" \
		"^[0-9:]+ +$p +$$ +0 +bpfpk_exec +$T_TMP/bpfpk_exec\$" tracepoint.out
	stop_tool tracepoint
fi

if [ -n "${BUILT[raw_tp]:-}" ] && start_tool raw_tp "$(bin raw_tp)"; then
	cp /bin/sh "$T_TMP/bpfpk_exit"
	"$T_TMP/bpfpk_exit" -c 'exit 7' &
	p=$!
	wait $p
	check "raw_tp: reports the exit (pid $p, parent, status 7, comm)" \
		"^[0-9:]+ +$p +$$ +[0-9.]+ +7 +bpfpk_exit\$" raw_tp.out
	cp /bin/sleep "$T_TMP/bpfpk_killed"
	"$T_TMP/bpfpk_killed" 30 &
	p=$!
	sleep 0.2
	kill -9 $p
	wait $p 2>/dev/null
	check "raw_tp: reports a process killed by SIGKILL as 'sig 9'" \
		"^[0-9:]+ +$p +$$ +[0-9.]+ +sig 9 +bpfpk_killed\$" raw_tp.out
	stop_tool raw_tp
fi

# kprobe, ksyscall, fentry: where they attach, a real workload; elsewhere,
# the one-line explanation.
if [ -n "${BUILT[kprobe]:-}" ]; then
	if start_tool kprobe "$(bin kprobe)"; then
		touch "$T_TMP/bpfpk_victim"
		rm "$T_TMP/bpfpk_victim" &
		p=$!
		wait $p
		check "kprobe: reports the unlink (pid $p, rm, 0, path)" \
			"^[0-9:]+ +$p +rm +0 +$T_TMP/bpfpk_victim\$" kprobe.out
		stop_tool kprobe
	else
		explains kprobe "this kernel has no kprobes"
	fi
fi

if [ -n "${BUILT[ksyscall]:-}" ]; then
	if start_tool ksyscall "$(bin ksyscall)"; then
		sleep 30 &
		target=$!
		bash -c "echo \$\$ >'$T_TMP/killer.pid'; kill -USR1 $target"
		p=$(cat "$T_TMP/killer.pid")
		check "ksyscall: reports the kill() (sender $p, signal 10, target $target, 0)" \
			"^[0-9:]+ +$p +bash +10 +$target +0\$" ksyscall.out
		{ kill -9 $target; wait $target; } 2>/dev/null
		stop_tool ksyscall
	else
		explains ksyscall "this kernel has no kprobes"
	fi
fi

if [ -n "${BUILT[fentry]:-}" ]; then
	if start_tool fentry "$(bin fentry)"; then
		touch "$T_TMP/bpfpk_victim2"
		rm "$T_TMP/bpfpk_victim2" &
		p=$!
		wait $p
		check "fentry: reports the unlink with its latency (pid $p, rm, 0, path)" \
			"^[0-9:]+ +$p +rm +0 +[0-9.]+ +$T_TMP/bpfpk_victim2\$" fentry.out
		stop_tool fentry
	else
		explains fentry "this kernel refuses fentry/fexit programs"
	fi
fi

if [ -n "${BUILT[uprobe]:-}" ] && start_tool uprobe "$(bin uprobe)"; then
	getent ahosts localhost >/dev/null &
	p=$!
	wait $p
	check "uprobe: reports getaddrinfo() (pid $p, getent, 0, localhost)" \
		"^[0-9:]+ +$p +getent +[0-9.]+ +0 +localhost\$" uprobe.out
	stop_tool uprobe
fi

# CPython's USDT probes, where /usr/bin/python3 has them (Debian's does).
if [ -n "${BUILT[usdt]:-}" ]; then
	if [ ! -x /usr/bin/python3 ] || ! grep -q gc__start <<<"$(readelf -n /usr/bin/python3 2>/dev/null)"; then
		t_skip "usdt: reports a Python garbage collection" "/usr/bin/python3 has no USDT probes"
	elif start_tool usdt "$(bin usdt)"; then
		# Two collections clear the start-up garbage; then exactly 100
		# self-referencing lists are unreachable.
		/usr/bin/python3 -c '
import gc
gc.collect(); gc.collect()
for i in range(100):
    a = []; a.append(a)
del a
gc.collect()' &
		p=$!
		wait $p
		check "usdt: reports the full collection (pid $p, generation 2, 100 collected)" \
			"^[0-9:]+ +$p +python3 +2 +[0-9.]+ +100\$" usdt.out
		stop_tool usdt
	else
		t_fail "usdt: starts" "$(cat usdt.err)"
	fi
fi

if [ -n "${BUILT[perf_event]:-}" ]; then
	cp /bin/dd "$T_TMP/bpfpk_busy"
	# Reading /dev/zero keeps it busy in the kernel: samples with kernel stacks.
	"$T_TMP/bpfpk_busy" if=/dev/zero of=/dev/null bs=1M count=100000000 2>/dev/null &
	busy=$!
	T_BG_PIDS+=("$busy")
	"$(bin perf_event)" -p $busy -F 99 -d 2 >perf_event.out 2>perf_event.err
	rc=$?
	{ kill $busy; wait $busy; } 2>/dev/null
	n=$(grep -cE "^[0-9:]+ +$busy +$busy +[0-9]+ +bpfpk_busy\$" perf_event.out)
	if [ $rc -eq 0 ] && [ "$n" -ge 10 ]; then t_ok "perf_event: samples the busy process ($n samples, pid, comm)"
	else t_fail "perf_event: samples the busy process" "exit $rc, $n samples" "$(head -n 20 perf_event.out)" "$(cat perf_event.err)"; fi
	sym=$(grep -m1 -oE '^    \[k\] [A-Za-z_][A-Za-z0-9_.]*\+0x' perf_event.out | sed -E 's/^    \[k\] //; s/\+0x$//')
	if [ -n "$sym" ] && grep -qE " [tTwW] $sym( |\$)" /proc/kallsyms; then
		t_ok "perf_event: kernel frames are named from /proc/kallsyms ($sym)"
	else
		t_fail "perf_event: kernel frames are named from /proc/kallsyms" "$(head -n 20 perf_event.out)"
	fi
fi

if [ -n "${BUILT[lsm]:-}" ]; then
	sleep 30 &
	target=$!
	T_BG_PIDS+=("$target")
	if start_tool lsm "$(bin lsm)" -p $target; then
		if ! bash -c "echo \$\$ >'$T_TMP/killer.pid'; kill -TERM $target" 2>/dev/null &&
			kill -0 $target 2>/dev/null; then
			t_ok "lsm: the protected process survives SIGTERM"
		else
			t_fail "lsm: the protected process survives SIGTERM"
		fi
		p=$(cat "$T_TMP/killer.pid")
		check "lsm: reports the refused signal (sender $p, signal 15, target)" \
			"^[0-9:]+ +$p +[a-z]+ +15 +$target\$" lsm.out
		stop_tool lsm
	else
		explains lsm "(BPF LSM|refuses BPF LSM)"
	fi
	{ kill -9 $target; wait $target; } 2>/dev/null
fi

if [ -n "${BUILT[task_iter]:-}" ]; then
	cp /bin/sleep "$T_TMP/bpfpk_listed"
	"$T_TMP/bpfpk_listed" 30 &
	p=$!
	T_BG_PIDS+=("$p")
	sleep 0.2
	"$(bin task_iter)" -c bpfpk_listed >task_iter.out 2>task_iter.err
	rc=$?
	if [ $rc -eq 0 ] && grep -qE "^$p +$$ +0 +S +1 +[1-9][0-9]* +bpfpk_listed\$" task_iter.out &&
		[ "$(grep -c bpfpk_listed task_iter.out)" -eq 1 ]; then
		t_ok "task_iter: lists the process (pid $p, parent, uid, state S, 1 thread, memory, comm) and only it"
	else
		t_fail "task_iter: lists the process" "exit $rc" "$(cat task_iter.out task_iter.err)"
	fi
	"$(bin task_iter)" >task_iter.all 2>&1
	n=$(grep -cE '^[0-9]+ ' task_iter.all)
	if [ "$n" -ge 10 ] && grep -qE "^$$ " task_iter.all; then t_ok "task_iter: lists every process ($n)"
	else t_fail "task_iter: lists every process" "$(head -n 5 task_iter.all)"; fi
	{ kill $p; wait $p; } 2>/dev/null
fi

if [ -n "${BUILT[histogram]:-}" ]; then
	cp /bin/sleep "$T_TMP/bpfpk_sleep"
	# Only clock_nanosleep(): each `sleep 0.04` makes one call of ~40 ms, in
	# the middle of the 32.8-65.5 ms bucket (a loaded machine wakes late).
	nr=$(printf '#include <sys/syscall.h>\nSYS_clock_nanosleep\n' | cc -E -P - 2>/dev/null | tail -n 1)
	if start_tool histogram "$(bin histogram)" -c bpfpk_sleep -s "$nr"; then
		for i in 1 2 3; do "$T_TMP/bpfpk_sleep" 0.04; done
		stop_tool histogram
		if grep -q '^comm = bpfpk_sleep$' histogram.out &&
			grep -qE '^ +32768 -> 65535 +: 3 +\|\*{40}\|$' histogram.out &&
			[ "$(grep -c '^comm = ' histogram.out)" -eq 1 ]; then
			t_ok "histogram: three 40 ms sleeps land in the 32768-65535 us bucket"
		else
			t_fail "histogram: three 40 ms sleeps land in the 32768-65535 us bucket" "$(cat histogram.out)"
		fi
	else
		t_fail "histogram: starts" "$(cat histogram.err)"
	fi
fi

# ---- networking templates ---------------------------------------------------
if ! command -v ip >/dev/null || ! net_setup 2>net.err; then
	t_skip "networking templates over a veth pair" "cannot create network namespaces: $(cat net.err 2>/dev/null)"
else
	udp_to() { ip netns exec "$1" bash -c "for i in \$(seq $3); do echo hello >/dev/udp/$2; done"; }

	# 5 UDP datagrams of 6 bytes: 5 frames of 14 + 20 + 8 + 6 = 48 bytes.
	if [ -n "${BUILT[xdp]:-}" ] && start_tool xdp ip netns exec "$NS_B" "$(bin xdp)" -i veth1; then
		udp_to "$NS_A" 10.248.0.2/4242 5
		sleep 0.5
		stop_tool xdp
		check "xdp: counts the 5 UDP packets and their 240 bytes" '^UDP +5 +240$' xdp.out
		if grep -q xdp <<<"$(ip -n "$NS_B" link show veth1)"; then t_fail "xdp: detaches at exit"
		else t_ok "xdp: detaches at exit"; fi
	fi

	if [ -n "${BUILT[tc]:-}" ] && start_tool tc ip netns exec "$NS_A" "$(bin tc)" -i veth0; then
		udp_to "$NS_A" 10.248.0.2/4242 1
		check "tc: logs the egress UDP packet (addresses, port 4242, 48 bytes)" \
			'^[0-9:]+ +egress +UDP +10\.248\.0\.1:[0-9]+ -> 10\.248\.0\.2:4242 len 48$' tc.out
		check "tc: logs the ingress ICMP answer" \
			'^[0-9:]+ +ingress +ICMP +10\.248\.0\.2 -> 10\.248\.0\.1 len [0-9]+$' tc.out
		stop_tool tc
		if grep -q clsact <<<"$(ip netns exec "$NS_A" tc qdisc show dev veth0)"; then
			t_fail "tc: removes its filters and clsact qdisc at exit" "$(ip netns exec "$NS_A" tc qdisc show dev veth0)"
		else
			t_ok "tc: removes its filters and clsact qdisc at exit"
		fi
	fi

	if [ -n "${BUILT[socket]:-}" ] && start_tool socket ip netns exec "$NS_A" "$(bin socket)" -i lo -P 4242; then
		udp_to "$NS_A" 127.0.0.1/4242 1
		udp_to "$NS_A" 127.0.0.1/4243 1
		sleep 0.5
		stop_tool socket
		n42=$(grep -cE '^[0-9:]+ +(out|in) +lo +UDP +127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4242 len 48$' socket.out)
		if [ "$n42" -eq 2 ] && ! grep -q ':4243 ' socket.out &&
			grep -qE '^[0-9]+ packets seen, 2 passed the filter$' socket.out; then
			t_ok "socket: the filter passes port 4242 (out and in on lo), not 4243"
		else
			t_fail "socket: the filter passes port 4242 (out and in on lo), not 4243" "$(cat socket.out)"
		fi
	fi
fi

# cgroup_skb: a process in a new cgroup sends itself 5 datagrams of 100 bytes
# over loopback: 5 packets of 128 bytes (IP header included) each way.
if [ -n "${BUILT[cgroup_skb]:-}" ]; then
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if [ -z "$cg2" ] || ! command -v python3 >/dev/null; then
		t_skip "cgroup_skb: counts a cgroup's traffic" "needs a cgroup v2 mount and python3"
	elif ! mkdir "$cg2/bpfpack-tpl-$$"; then
		t_skip "cgroup_skb: counts a cgroup's traffic" "cannot create a cgroup in $cg2"
	else
		CG=$cg2/bpfpack-tpl-$$
		if start_tool cgroup_skb "$(bin cgroup_skb)" -c "$CG"; then
			python3 - "$CG" <<'EOF'
import os, socket, sys
with open(sys.argv[1] + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
for i in range(5):
    s.sendto(b"x" * 100, s.getsockname())
    s.recv(200)
EOF
			stop_tool cgroup_skb
			if grep -qE '^ingress +UDP +5 +640$' cgroup_skb.out && grep -qE '^egress +UDP +5 +640$' cgroup_skb.out &&
				[ "$(grep -cE '^(ingress|egress) ' cgroup_skb.out)" -eq 2 ]; then
				t_ok "cgroup_skb: counts the cgroup's 5+5 UDP packets of 128 bytes and nothing else"
			else
				t_fail "cgroup_skb: counts the cgroup's 5+5 UDP packets of 128 bytes and nothing else" "$(cat cgroup_skb.out cgroup_skb.err)"
			fi
		else
			t_fail "cgroup_skb: starts" "$(cat cgroup_skb.err)"
		fi
	fi
fi

t_done
