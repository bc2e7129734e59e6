#!/usr/bin/env bash
# t-help-messages: the driver's messages are the same everywhere: a missing
# argument, an unknown option or command (with "did you mean"), -j, exit
# codes (130 and "interrupted" from btf gen too), colour only on a terminal
# and never with NO_COLOR, and btf gen's progress bar that fits the terminal,
# names the tool and is gone when done.
. "$(dirname "$0")/lib.sh"
SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
cd "$T_TMP" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi

# t_expect_hint NAME REGEX CMD...: CMD's stderr has a "hint:" line matching.
t_expect_hint() {
	local name=$1 re=$2 err
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	if grep -qE "^hint: .*$re" <<<"$err"; then t_ok "$name"; else t_fail "$name" "$err"; fi
}

# A missing argument says so, whatever the command and option.
t_expect_error "build -j: needs an argument" 2 "build: option '-j' needs an argument$" "$BPFPACK" build -j
t_expect_error "build -C: needs an argument" 2 "build: option '-C' needs an argument$" "$BPFPACK" build -C
t_expect_error "build --btf: needs an argument" 2 "build: option '--btf' needs an argument$" "$BPFPACK" build --btf
t_expect_error "new x -t: needs an argument" 2 "new: option '-t' needs an argument$" "$BPFPACK" new x -t
t_expect_error "a flag given a value" 2 "new: option '--force' takes no argument$" "$BPFPACK" new x --force=yes
# An unknown option names just that option, also inside a bundle.
t_expect_error "an unknown short option in a bundle" 2 "build: unknown option '-x'$" "$BPFPACK" build -vx
t_expect_error "an unknown long option with a value" 2 "build: unknown option '--nope'$" "$BPFPACK" build --nope=3

# Each btf subcommand has its own options: the others' are refused, and the
# hint is the subcommand's own synopsis.
t_expect_error "btf from-debug refuses gen's --tool" 2 "btf from-debug: unknown option '--tool'$" \
	"$BPFPACK" btf from-debug --tool foo --filter ubuntu -j 3 vmlinux -o x.btf
t_expect_error "btf embed refuses gen's --object" 2 "btf embed: unknown option '--object'$" \
	"$BPFPACK" btf embed --object bar tool --btf x
t_expect_hint "btf embed's usage error hints btf embed's synopsis" "usage: bpfpack btf embed TOOL" \
	"$BPFPACK" btf embed
t_expect_hint "btf from-debug's usage error hints its synopsis" "usage: bpfpack btf from-debug VMLINUX" \
	"$BPFPACK" btf from-debug vmlinux
t_expect_error "btf without a subcommand" 2 "btf: missing subcommand" "$BPFPACK" btf

# Did you mean: commands, subcommands, options, templates, names.
t_expect_hint "bpfpack biuld suggests build" "did you mean .bpfpack build.\?" "$BPFPACK" biuld
t_expect_hint "btf gne suggests btf gen" "did you mean .bpfpack btf gen.\?" "$BPFPACK" btf gne
t_expect_hint "build --jbos suggests --jobs" "did you mean '--jobs'\?" "$BPFPACK" build --jbos 2
t_expect_hint "vmtest --kernal suggests --kernel" "did you mean '--kernel'\?" "$BPFPACK" vmtest --kernal x -- true
t_expect_hint "new -t kprob suggests kprobe" "did you mean 'kprobe'\?" "$BPFPACK" new x -t kprob
t_expect_hint "new my-tool suggests my_tool" "did you mean 'my_tool'\?" "$BPFPACK" new my-tool
t_expect_error "new my-tool is a usage error" 2 "new: invalid name 'my-tool'" "$BPFPACK" new my-tool
[ ! -e x ] && [ ! -e my-tool ] && t_ok "the refused new commands created nothing" ||
	t_fail "the refused new commands created nothing" "$(ls)"
err=$("$BPFPACK" nosuchthing 2>&1)
grep -q "did you mean" <<<"$err" && t_fail "a word like no command suggests nothing" "$err" ||
	t_ok "a word like no command suggests nothing"
out=$("$BPFPACK" help help) && grep -q '^usage: bpfpack help' <<<"$out" && t_ok "help help" ||
	t_fail "help help" "$out"

# One -j parser: the same rule and message everywhere.
for c in "build" "btf gen" "btf embed" "vmtest"; do
	# shellcheck disable=SC2086
	t_expect_error "$c -j 0" 2 "-j takes a number of jobs from 1 to 1024, not '0'" "$BPFPACK" $c -j 0
	# shellcheck disable=SC2086
	t_expect_error "$c --jobs=lots" 2 "--jobs takes a number of jobs from 1 to 1024, not 'lots'" \
		"$BPFPACK" $c --jobs=lots
done

# Colour: on a terminal, unless NO_COLOR is set; never into a file.
esc=$(printf '\033')
# A terminal that has colours: the caller's TERM may be dumb (or unset).
on_tty() { TERM=xterm script -qec "$1" /dev/null </dev/null; }
out=$(on_tty "$BPFPACK build --bogus")
grep -q "$esc\[" <<<"$out" && grep -q "unknown option '--bogus'" <<<"$out" &&
	t_ok "an error is coloured on a terminal" || t_fail "an error is coloured on a terminal" "$(cat -v <<<"$out")"
out=$(NO_COLOR=1 on_tty "$BPFPACK build --bogus")
! grep -q "$esc" <<<"$out" && grep -q "^bpfpack: build: unknown option '--bogus'" <<<"$out" &&
	t_ok "NO_COLOR: no escape sequences on a terminal" ||
	t_fail "NO_COLOR: no escape sequences on a terminal" "$(cat -v <<<"$out")"
# An info line is not dressed as an error: clean waiting for a build's lock.
"$BPFPACK" new infoproj >/dev/null && mkdir -p infoproj/.output
flock infoproj/.output/.lock sleep 2 &
T_BG_PIDS+=($!)
sleep 0.3
out=$(on_tty "$BPFPACK clean -C infoproj")
line=$(tr -d '\r' <<<"$out" | grep 'waiting for another build')
if [ "$line" = "bpfpack: clean: note: waiting for another build of this project to finish" ] && [ ! -e infoproj/.output ]; then
	t_ok "an info line on a terminal is plain, not an error's colour"
else
	t_fail "an info line on a terminal is plain, not an error's colour" "$(cat -v <<<"$out")"
fi
"$BPFPACK" build --bogus 2>err.txt
! grep -q "$esc" err.txt && t_ok "no colour into a file" || t_fail "no colour into a file" "$(cat -v err.txt)"

# btf gen on a terminal 50 columns wide: a bar that never wraps, names the
# tool and is erased before the summary. A small BPF object is enough.
cat >probe.bpf.c <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tracepoint/syscalls/sys_enter_execve") int probe(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
EOF
CLANG_BIN=$(command -v clang-19 || command -v clang)
if [ -z "$CLANG_BIN" ] || ! "$CLANG_BIN" -target bpf -O2 -g -I"/usr/include/$(gcc -dumpmachine)" \
	-c probe.bpf.c -o probe.bpf.o 2>clang.err; then
	t_fail "a BPF object to minimize for" "$(cat clang.err)"
	t_done
fi
if [ -d "$SHARED/btf-corpus/debian/11" ]; then
	src=(--btf "$SHARED/btf-corpus" --filter debian:11)
elif [ -r /sys/kernel/btf/vmlinux ]; then
	src=(--btf /sys/kernel/btf/vmlinux)
else
	src=()
fi
if [ ${#src[@]} -eq 0 ]; then
	t_skip "btf gen's progress bar" "no ../shared/btf-corpus and no /sys/kernel/btf/vmlinux"
else
	on_tty "stty cols 50; COLUMNS=50 $BPFPACK btf gen -j 2 --object probe.bpf.o ${src[*]} -o probe.btfset" >bar.out
	# The frames are what lies between carriage returns.
	frames=$(tr '\r' '\n' <bar.out | sed "s/$esc\[K//g")
	bars=$(grep -E '^  BTFGEN +probe \[' <<<"$frames")
	widest=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' <<<"$bars")
	last=$(tr '\r' '\n' <bar.out | grep -v '^$' | tail -n 1)
	if [ -n "$bars" ] && [ "$widest" -le 49 ] && [ "$(tail -c 200 bar.out | tr '\r' '\n' | grep -c "$esc\[K")" -ge 1 ] &&
		[[ "$last" == "$esc[K  BTFGEN    probe: "*kernel* ]] && [ -s probe.btfset ]; then
		t_ok "btf gen's progress bar fits 50 columns ($widest), names the tool and is erased"
	else
		t_fail "btf gen's progress bar fits 50 columns, names the tool and is erased" "widest $widest" \
			"$(cat -v bar.out | tail -c 1500)"
	fi
	"$BPFPACK" btf gen --object probe.bpf.o "${src[@]}" -o probe2.btfset 2>bar.err >/dev/null
	[ ! -s bar.err ] && t_ok "no progress bar when stderr is not a terminal" ||
		t_fail "no progress bar when stderr is not a terminal" "$(cat -v bar.err)"
fi

# Interrupted: 130 and "interrupted", as every other command. Needs enough
# kernels to still be working a second later.
if [ -d "$SHARED/btf-corpus" ]; then
	rm -rf "$BPFPACK_CACHE_DIR"
	"$BPFPACK" btf gen -j 1 --object probe.bpf.o --btf "$SHARED/btf-corpus" -o int.btfset >/dev/null 2>int.err &
	pid=$!
	sleep 1.5
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	if [ $rc -eq 130 ] && [ "$(grep -c . int.err)" = 1 ] && grep -qx 'bpfpack: btf gen: interrupted' int.err &&
		[ ! -e int.btfset ]; then
		t_ok "btf gen interrupted: exit 130, says so in one line, writes nothing"
	else
		t_fail "btf gen interrupted: exit 130, says so in one line, writes nothing" "exit $rc" "$(cat int.err)"
	fi
else
	t_skip "btf gen interrupted: exit 130" "no ../shared/btf-corpus (enough kernels to interrupt)"
fi
t_done
