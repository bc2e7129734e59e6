#!/usr/bin/env bash
# examples/tools, one bpfpack project of six tools sharing trace_helpers.c:
# it builds warning-free into six static binaries that each carry the helper;
# every tool documents -v and -d and refuses in one line without permission;
# then, as root, each runs against a workload this script makes (execs with
# known arguments, opens of a known path, loopback TCP connections in a
# network namespace, a process that sleeps and wakes, packets over a veth
# pair, a bash fed commands through a pseudo-terminal) and the expected record
# must appear with the right values.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

TOOLS=(execsnoop opensnoop tcpconnect runqlat xdpcount bashreadline)
P=$T_TMP/tools

NS_A=bpfpack-ex-$$-a
NS_B=bpfpack-ex-$$-b
test_cleanup() {
	local p
	# Reap what is killed here, so bash reports no "Killed" job.
	{
		for p in "${T_BG_PIDS[@]}"; do kill -9 "$p"; done
		wait
	} 2>/dev/null
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	t_cleanup
}
trap test_cleanup EXIT

# veth0 (10.248.1.1) in NS_A <-> veth1 (10.248.1.2) in NS_B, loopback up in both.
net_setup() {
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
		ip -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" &&
		ip -n "$NS_A" addr add 10.248.1.1/24 dev veth0 &&
		ip -n "$NS_B" addr add 10.248.1.2/24 dev veth1 &&
		ip -n "$NS_A" link set veth0 up && ip -n "$NS_B" link set veth1 up &&
		ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up
}

# start_tool NAME CMD...: runs CMD in the background (stdout NAME.out, stderr
# NAME.err) and waits until it says it is attached ("Hit Ctrl-C"). TOOL is
# its PID.
start_tool() {
	local name=$1 i
	shift
	"$@" >"$name.out" 2>"$name.err" &
	TOOL=$!
	T_BG_PIDS+=("$TOOL")
	for ((i = 0; i < 150; i++)); do
		grep -q 'Hit Ctrl-C' "$name.err" 2>/dev/null && return 0
		kill -0 "$TOOL" 2>/dev/null || break
		sleep 0.1
	done
	t_fail "$name: starts" "$(cat "$name.err")"
	return 1
}

# stop_tool NAME: SIGINT, then checks it exited 0.
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

# ---- build ------------------------------------------------------------------
cp -r "$BPFPACK_ROOT/examples/tools" "$P"
rm -rf "$P/.output" "$P/compile_commands.json"
if "$BPFPACK" build -C "$P" >build.log 2>&1; then
	if grep -qi warning build.log; then t_fail "the project builds without warnings" "$(grep -i -A3 warning build.log | head -n 20)"
	else t_ok "the project builds without warnings"; fi
else
	t_fail "the project builds without warnings" "$(tail -n 30 build.log)"
fi
ok=1 why=
for t in "${TOOLS[@]}"; do
	# Whole outputs, not pipes: grep -q would stop reading, and pipefail
	# would count the writer's SIGPIPE as a failure.
	grep -q 'statically linked' <<<"$(file "$P/$t" 2>&1)" || { ok=0; why="$why $t:not-static"; }
	grep -q ' T trace_print_log2_hist$' <<<"$(nm "$P/$t" 2>/dev/null)" || { ok=0; why="$why $t:no-helper"; }
done
[ $ok = 1 ] && t_ok "six static binaries, each linked with the shared trace_helpers.c" ||
	t_fail "six static binaries, each linked with the shared trace_helpers.c" "$why"

for t in "${TOOLS[@]}"; do
	out=$("$P/$t" --help 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q -- '-v, --verbose' <<<"$out" && grep -q -- '-d, --duration=SECONDS' <<<"$out"; then
		t_ok "$t: --help documents -v and -d"
	else
		t_fail "$t: --help documents -v and -d" "exit $rc" "$out"
	fi
done

if ! t_is_root; then
	t_skip "the tools run against their workloads" "needs root to load BPF"
	t_done
fi

chmod 755 "$T_TMP" "$P"
for t in "${TOOLS[@]}"; do
	args=()
	[ $t = xdpcount ] && args=(-i lo)
	setpriv --reuid=65534 --regid=65534 --clear-groups "$P/$t" "${args[@]}" -d 1 >/dev/null 2>"$t.noperm"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$t.noperm")" -eq 1 ] &&
		grep -q "^$t: not allowed to load BPF programs: run as root" "$t.noperm"; then
		t_ok "$t: without permission, one line and exit 1"
	else
		t_fail "$t: without permission, one line and exit 1" "exit $rc" "$(cat "$t.noperm")"
	fi
done

# ---- execsnoop: a successful and a failed exec ----------------------------
if start_tool execsnoop "$P/execsnoop"; then
	/bin/echo bpfpack_arg1 arg2 >/dev/null &
	p=$!
	wait $p
	check "execsnoop: reports the exec (pid $p, parent, uid 0, ret 0, comm, arguments)" \
		"^[0-9:]+ +$p +$$ +0 +0 +echo +/bin/echo bpfpack_arg1 arg2\$" execsnoop.out
	env /nonexistent/bpfpack_missing 2>/dev/null &
	p=$!
	wait $p
	check "execsnoop: reports the failed exec (ret -2 = ENOENT)" \
		"^[0-9:]+ +$p +$$ +0 +-2 +env +/nonexistent/bpfpack_missing\$" execsnoop.out
	stop_tool execsnoop
fi

# ---- opensnoop: a file that exists and one that does not ------------------
echo data >"$T_TMP/bpfpack_known"
if start_tool opensnoop "$P/opensnoop"; then
	cat "$T_TMP/bpfpack_known" >/dev/null &
	p=$!
	wait $p
	check "opensnoop: reports the open (pid $p, cat, fd 3, errno 0, path)" \
		"^[0-9:]+ +$p +cat +3 +0 +$T_TMP/bpfpack_known\$" opensnoop.out
	cat "$T_TMP/bpfpack_missing" 2>/dev/null &
	p=$!
	wait $p
	check "opensnoop: reports the failed open (fd -1, errno 2)" \
		"^[0-9:]+ +$p +cat +-1 +2 +$T_TMP/bpfpack_missing\$" opensnoop.out
	stop_tool opensnoop
fi

# ---- networking: tcpconnect on loopback in a namespace, xdpcount on veth --
if ! command -v ip >/dev/null || ! net_setup 2>net.err; then
	t_skip "tcpconnect and xdpcount" "cannot create network namespaces: $(cat net.err 2>/dev/null)"
else
	if ! command -v python3 >/dev/null; then
		t_skip "tcpconnect: an accepted connection" "needs python3 for a listener"
	elif start_tool tcpconnect "$P/tcpconnect"; then
		# A refused connection (no listener on 4201), then an accepted one.
		ip netns exec "$NS_A" bash -c "echo \$\$ >'$T_TMP/c1.pid'; exec 3<>/dev/tcp/127.0.0.1/4201" 2>/dev/null
		p=$(cat "$T_TMP/c1.pid")
		check "tcpconnect: reports the refused connection (pid $p, bash, port 4201, failed)" \
			"^[0-9:]+ +$p +bash +4 +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:4201 +[0-9.]+ +failed\$" tcpconnect.out
		ip netns exec "$NS_A" python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 4202))
s.listen()
s.settimeout(20)
print("ready", flush=True)
s.accept()[0].close()' >listener.out 2>&1 &
		T_BG_PIDS+=("$!")
		t_wait_for listener.out ready 10
		ip netns exec "$NS_A" bash -c "echo \$\$ >'$T_TMP/c2.pid'; exec 3<>/dev/tcp/127.0.0.1/4202"
		p=$(cat "$T_TMP/c2.pid")
		check "tcpconnect: reports the accepted connection (pid $p, bash, port 4202, ok)" \
			"^[0-9:]+ +$p +bash +4 +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:4202 +[0-9.]+ +ok\$" tcpconnect.out
		stop_tool tcpconnect
	fi

	# 5 UDP datagrams of 6 bytes from 10.248.1.1: 5 frames of 48 bytes.
	if start_tool xdpcount ip netns exec "$NS_B" "$P/xdpcount" -i veth1; then
		ip netns exec "$NS_A" bash -c 'for i in 1 2 3 4 5; do echo hello >/dev/udp/10.248.1.2/4242; done'
		sleep 0.5
		stop_tool xdpcount
		check "xdpcount: counts 5 packets, 240 bytes from 10.248.1.1" '^10\.248\.1\.1 +5 +240$' xdpcount.out
	fi
fi

# ---- runqlat: a shell that sleeps and wakes up, again and again ----------
bash -c 'while :; do sleep 0.01; done' &
loop=$!
T_BG_PIDS+=("$loop")
"$P/runqlat" -p $loop -d 2 >runqlat.out 2>runqlat.err
rc=$?
{ kill $loop; wait $loop; } 2>/dev/null
total=$(awk '$2 == "->" && $4 == ":" { n += $5 } END { print n + 0 }' runqlat.out)
if [ $rc -eq 0 ] && grep -q 'usecs *: count' runqlat.out && [ "$total" -ge 10 ]; then
	t_ok "runqlat: a histogram of the waking shell's run-queue waits ($total)"
else
	t_fail "runqlat: a histogram of the waking shell's run-queue waits" "exit $rc, total $total" "$(cat runqlat.out runqlat.err)"
fi

# ---- bashreadline: an interactive bash on a pseudo-terminal --------------
if ! command -v script >/dev/null; then
	t_skip "bashreadline: reports a typed command" "needs script (util-linux) for a pseudo-terminal"
elif start_tool bashreadline "$P/bashreadline"; then
	printf 'echo $$ >%s/shell.pid\nexit\n' "$T_TMP" |
		timeout 20 script -qec 'bash --norc --noprofile -i' /dev/null >/dev/null 2>&1
	p=$(cat "$T_TMP/shell.pid" 2>/dev/null)
	if [ -n "$p" ]; then
		check "bashreadline: reports the typed command line (pid $p, text as typed)" \
			"^[0-9:]+ +$p +echo \\\$\\\$ >$T_TMP/shell.pid\$" bashreadline.out
	else
		t_fail "bashreadline: reports the typed command line" "the interactive bash did not run the command"
	fi
	stop_tool bashreadline
fi

t_done
