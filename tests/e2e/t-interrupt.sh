#!/usr/bin/env bash
# t-interrupt: interrupted, concurrent and repeated work gives the same bytes.
# - `bpfpack build` SIGKILLed at a random point of its run, 20 times (clean
#   builds and incremental ones that switch between two variants of the
#   project, with embedded BTF): right after the kill the binary is absent or
#   whole; the next build finishes, and the binary and its BTF set are
#   byte-identical to an uninterrupted build of that variant.
# - a build killed just as the compiler has truncated its depfile (a fake cc
#   kills bpfpack at that moment) still rebuilds what a header change needs.
# - `bpfpack btf gen` SIGKILLed at a random point, 20 times, from a cold
#   cache: the next run writes the same set (and the cache it leaves is good).
# - two builds of one project at once: the second waits for the first, and
#   the outputs are those of one build.
# - builds are reproducible: after `clean` in the same directory, from a
#   terminal as piped, and in another directory (where the cause of any
#   difference is named; clang 19's own, BTF order, is reported as a skip).
# T_KILLS=N runs N kills of each kind instead of 20.
# Only bpfpack itself is killed: its compilers run on as orphans, as they do
# when a user kills a build. T_SEED=N replays the random delays of a run.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache
unset CLANG BPFTOOL CC BPFPACK_BTF BPFPACK_BTF_FORCE_EMBEDDED
N_BUILD=${T_KILLS:-20}
N_GEN=${T_KILLS:-20}
seed=${T_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
echo "# random seed $seed (T_SEED=$seed replays it)"

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then
	t_skip "interrupted and concurrent builds" "the running kernel has no BTF for vmlinux.h"
	t_done
fi

now_ms() { date +%s%3N; }
# A delay in seconds, uniform in [0, MS] milliseconds.
rand_delay() { local ms=$(($1 > 0 ? $1 : 1)); printf '%d.%03d' $(( (RANDOM * 32768 + RANDOM) % ms / 1000 )) $(( (RANDOM * 32768 + RANDOM) % ms % 1000 )); }
# group_alive PGID: a process of that group runs (zombies do not count: an
# init that reaps slowly must not make the test wait).
group_alive() {
	local f line state pgrp
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		read -r state _ pgrp _ <<<"${line##*) }"
		[ "$pgrp" = "$1" ] && [ "$state" != Z ] && return 0
	done
	return 1
}
# wait_group PGID: until no process of that group is left (a killed
# bpfpack's orphans), at most 60 s.
wait_group() {
	local i
	for ((i = 0; i < 600; i++)); do
		group_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# The project: the default template, built with embedded BTF for a tree of
# four kernels (this kernel's BTF under four names: each is minimized on its
# own). Variant A and B differ in a constant of the header both sides share,
# so switching reruns every step from the BPF object to the embedding.
rel=$(uname -r)
mkdir -p st tree/debian/12/x86_64
for k in 1 2 3 4; do
	cp /sys/kernel/btf/vmlinux "st/$rel-k$k.btf"
	XZ_OPT=-0 tar -C st -cJf "tree/debian/12/x86_64/$rel-k$k.btf.tar.xz" "$rel-k$k.btf"
done
rm -rf st
TREE=$T_TMP/tree
"$BPFPACK" new tp >/dev/null
grep -q '^#define MAX_FILENAME_LEN 256$' tp/tp.h || {
	t_fail "the template's tp.h defines MAX_FILENAME_LEN 256" "$(cat tp/tp.h)"
	t_done
}
variant() { sed -i "s/^#define MAX_FILENAME_LEN .*/#define MAX_FILENAME_LEN $([ "$1" = A ] && echo 256 || echo 200)/" tp/tp.h; }
build() { timeout 300 "$BPFPACK" build -C tp -j 2 --btf "$TREE" "$@"; }
save() { mkdir -p "ref$1" && cp tp/tp tp/.output/tp.btfset tp/.output/tp.bpf.o "ref$1/"; }
# same NAME REFDIR: tp's binary and set are those of REFDIR (on failure, the
# BPF object is compared too, to name the cause).
same() {
	local f why=
	for f in tp .output/tp.btfset; do
		cmp -s "tp/$f" "$2/$(basename "$f")" || why="$why tp/$f differs from $2;"
	done
	if [ -n "$why" ]; then
		cmp -s tp/.output/tp.bpf.o "$2/tp.bpf.o" && why="$why tp.bpf.o is the same" ||
			why="$why tp.bpf.o differs too"
	fi
	if [ -z "$why" ]; then t_ok "$1"; else t_fail "$1" "$why" "${@:3}"; fi
}

build >ref.out 2>&1 || { t_fail "the reference build" "$(tail -20 ref.out)"; t_done; }
save A
variant B
sleep 0.01
t0=$(now_ms)
build >ref.out 2>&1 || { t_fail "the reference build of variant B" "$(tail -20 ref.out)"; t_done; }
t_incr=$(($(now_ms) - t0))
save B

# ---- reproducible builds ----------------------------------------------------------
(cd tp && "$BPFPACK" clean)
t0=$(now_ms)
build >/dev/null 2>&1
t_clean=$(($(now_ms) - t0))
echo "# a clean build takes ${t_clean} ms (its BTF cached), switching variants ${t_incr} ms"
same "reproducible: the same project built again after clean is byte-identical" refB

# From a terminal: coloured diagnostics change what clang 19 emits for BPF
# (its BTF forward declarations follow heap addresses), so a build must not
# ask for them unless a command failed.
if command -v script >/dev/null; then
	(cd tp && "$BPFPACK" clean)
	script -qec "$(printf '%q ' timeout 300 "$BPFPACK" build -C tp -j 2 --btf "$TREE")" /dev/null >tty.out 2>&1 </dev/null
	same "reproducible: a build run on a terminal gives the bytes of a build piped" refB "$(tail -5 tty.out)"
else
	t_skip "reproducible: a build run on a terminal gives the bytes of a build piped" "no script(1) here"
fi

# Another directory, another path length: the same sources must give the same
# binary. Checked in three steps, so a difference names its cause:
# 1. no absolute path of the project gets into the binary (DWARF comp_dir and
#    names, .debug_line, the BPF object's .BTF.ext file names, which the
#    skeleton and .bpfpack.bpfobj carry): bpfpack's job (-ffile-prefix-map);
# 2. the objects are the same, except clang's own BPF object (X.tmp.bpf.o),
#    whose BTF forward declarations clang 19 emits in heap-address order
#    (LLVM's BTFDebug keeps FixupDerivedTypes in a std::map keyed by
#    pointers), and the heap layout moves with the length of the project's
#    path (clang's getcwd, its arguments); those must still be the same types;
# 3. the binary is byte-identical: bpfpack puts those forward declarations in
#    a canonical order in the linked object (btfhub/bpfobj_canon.h). Should
#    only that order still differ (another clang), it is reported as a skip
#    naming the LLVM cause.
mkdir -p elsewhere/a/much/longer/path
cp -r tp elsewhere/a/much/longer/path/tp
(cd elsewhere/a/much/longer/path/tp && "$BPFPACK" clean && rm -f compile_commands.json)
other=$T_TMP/elsewhere/a/much/longer/path/tp
bt=$(command -v bpftool || echo /usr/sbin/bpftool)
# btf_types OBJ: its BTF types, without ids, sorted: the same for two objects
# whose types differ only in order.
btf_types() { "$bt" btf dump file "$1" 2>/dev/null | sed -E 's/^\[[0-9]+\] //; s/(type_id|ret_type_id)=[0-9]+//g' | sort; }
# set_payload SET OBJECT: the checksum of the set's index and BTF, decompressed
# against the object it was compressed against (header: runtime/btfset.h).
# The frame after the 19-byte header is magicless: give zstd its magic back.
set_payload() {
	{ printf '\x28\xb5\x2f\xfd'; tail -c +20 "$1"; } | zstd -q -d -c -D "$2" | cksum
}
if ! timeout 300 "$BPFPACK" build -C "$other" -j 2 --btf "$TREE" >other.out 2>&1; then
	t_fail "reproducible: a copy of the project in another directory builds" "$(tail -20 other.out)"
else
	paths=$(grep -c -aF "$other" "$other/tp")
	if [ "$paths" -eq 0 ]; then
		t_ok "reproducible elsewhere: the binary holds no path of its project"
	else
		t_fail "reproducible elsewhere: the binary holds no path of its project" \
			"the binary holds $other $paths times (DWARF DW_AT_name/comp_dir and .debug_line of the objects," \
			"the BPF object's .BTF.ext file names): cmd/build.c should pass -ffile-prefix-map=<project root>=." \
			"to clang (BPF) and to cc (the project's sources and the runtime)"
	fi
	differ= fwd_only=1
	for f in tp/.output/*.o tp/.output/*.a tp/.output/*.btfset; do
		cmp -s "$f" "$other/.output/${f##*/}" || differ="$differ ${f##*/}"
	done
	for f in $differ; do
		case "$f" in
		tp.tmp.bpf.o | tp.bpf.o) cmp -s <(btf_types "tp/.output/$f") <(btf_types "$other/.output/$f") || fwd_only=0 ;;
		tp.o) ;;	# holds the BPF object (the skeleton)
		tp.btfset)	# compressed against tp.bpf.o: the same kernels and BTF?
			[ "$(set_payload tp/.output/tp.btfset tp/.output/tp.bpf.o)" = \
			  "$(set_payload "$other/.output/tp.btfset" "$other/.output/tp.bpf.o")" ] || fwd_only=0 ;;
		*) fwd_only=0 ;;
		esac
	done
	if [ $fwd_only = 1 ]; then
		t_ok "reproducible elsewhere: the objects are the same (the BPF objects' BTF up to its order)"
	else
		t_fail "reproducible elsewhere: the objects are the same (the BPF objects' BTF up to its order)" \
			"these differ:$differ" "$(diff <(btf_types tp/.output/tp.tmp.bpf.o) <(btf_types "$other/.output/tp.tmp.bpf.o") | head -5)" \
			"sets' contents: $(set_payload tp/.output/tp.btfset tp/.output/tp.bpf.o 2>&1) and $(set_payload "$other/.output/tp.btfset" "$other/.output/tp.bpf.o" 2>&1)"
	fi
	name="reproducible elsewhere: the same project in another directory gives a byte-identical binary"
	if cmp -s tp/tp "$other/tp" && cmp -s tp/.output/tp.btfset "$other/.output/tp.btfset"; then
		t_ok "$name"
	elif [ $fwd_only = 1 ] && [ "$paths" -eq 0 ] &&
	     { diff <("$bt" btf dump file tp/.output/tp.tmp.bpf.o) <("$bt" btf dump file "$other/.output/tp.tmp.bpf.o"); true; } | grep -q ' FWD '; then
		t_skip "$name" "$("$(command -v clang-19 || echo clang)" --version | head -n 1) orders the BPF object's BTF forward declarations by heap address (LLVM BTFDebug FixupDerivedTypes, a std::map keyed by pointers), which moves with the project's path"
	else
		t_fail "$name" "the binaries differ, and not only in the order of BTF forward declarations:$differ"
	fi
fi

# ---- SIGKILLed builds -------------------------------------------------------------
# Each round: A or B in turn (so every round has work: an incremental build
# of the other variant), every fourth one from clean; killed at a random
# moment of the time such a build takes; then the next build runs to the end.
cur=B
for ((i = 1; i <= N_BUILD; i++)); do
	if [ "$cur" = A ]; then cur=B; else cur=A; fi
	variant "$cur"
	kind="switch to $cur"
	span=$t_incr
	if ((i % 4 == 1)); then
		(cd tp && "$BPFPACK" clean) >/dev/null 2>&1
		kind="clean, $cur"
		span=$t_clean
	fi
	delay=$(rand_delay "$span")
	setsid "$BPFPACK" build -C tp -j 2 --btf "$TREE" >kill.out 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# Outputs are only ever renamed into place: right after the kill, the
	# binary is absent or one whole build's.
	whole=
	if [ -e tp/tp ] && ! cmp -s tp/tp refA/tp && ! cmp -s tp/tp refB/tp; then
		whole="right after the kill, tp/tp is neither absent nor a whole binary"
	fi
	if ! build >next.out 2>&1; then
		t_fail "build killed at ${delay}s ($kind): the next build finishes" "$(tail -20 next.out)" ${whole:+"$whole"}
		wait_group "$pid"
		continue
	fi
	left=$(find tp -name '*.bpfpack-tmp.*')
	if [ -n "$whole" ] || [ -n "$left" ]; then
		t_fail "build killed at ${delay}s ($kind): the binary stays whole, the next build finishes byte-identical" \
			"$whole" ${left:+"temp files left: $left"}
	else
		same "build killed at ${delay}s ($kind): the binary stays whole, the next build finishes byte-identical" "ref$cur"
	fi
	wait_group "$pid" || t_fail "build killed at ${delay}s: its orphans end" "processes of group $pid still run after 60 s"
done

# A build killed just as a compiler has truncated its depfile: ui.h is read
# by tp.c only; the fake cc empties tp.o's depfile and kills bpfpack, as a
# SIGKILL between the compiler's open and write of it would leave things.
cat >cc-kill <<EOF
#!/bin/sh
if [ -e "$T_TMP/kill-now" ]; then
	prev=
	for a in "\$@"; do [ "\$prev" = -MF ] && mf=\$a; prev=\$a; done
	case "\$mf" in *tp.o.d) rm -f "$T_TMP/kill-now"; : >"\$mf"; kill -9 \$PPID; exit 1 ;; esac
fi
exec cc "\$@"
EOF
chmod +x cc-kill
echo '#define UI_VARIANT "a"' >tp/ui.h
printf '#include "ui.h"\n__attribute__((used)) const char tp_ui_variant[] = UI_VARIANT;\n' >>tp/tp.c
env CC="$T_TMP/cc-kill" timeout 300 "$BPFPACK" build -C tp -j 2 >/dev/null 2>&1
sleep 0.01
echo '#define UI_VARIANT "b"' >tp/ui.h
touch kill-now
# (Not the subshell's last command, so the shell's "Killed" goes to /dev/null.)
(env CC="$T_TMP/cc-kill" timeout 300 "$BPFPACK" build -C tp -j 2; exit $?) >/dev/null 2>&1
rc=$?
if [ $rc -ne 137 ] || [ -e kill-now ]; then
	t_fail "a build killed while cc rewrites its depfile: the fake cc killed it" "exit $rc"
else
	env CC="$T_TMP/cc-kill" timeout 300 "$BPFPACK" build -C tp -j 2 >next.out 2>&1
	cp tp/tp depfile-kill
	(cd tp && "$BPFPACK" clean >/dev/null && env CC="$T_TMP/cc-kill" "$BPFPACK" build -j 2 >/dev/null 2>&1)
	if cmp -s depfile-kill tp/tp; then
		t_ok "a build killed while cc rewrites its depfile: the next build still sees the header change"
	else
		t_fail "a build killed while cc rewrites its depfile: the next build still sees the header change" \
			"the next build left a binary unlike a clean build's: built from the old ui.h" "$(cat next.out)"
	fi
fi
rm -f tp/ui.h
sed -i '/tp_ui_variant/d; /#include "ui.h"/d' tp/tp.c
variant A
build >/dev/null 2>&1
same "back to variant A after the depfile round" refA

# ---- SIGKILLed btf gen ---------------------------------------------------------------
# From a cold cache each round; the reference is the build's own set.
rm -rf "$BPFPACK_CACHE_DIR"
t0=$(now_ms)
if ! timeout 300 "$BPFPACK" btf gen -C tp -j 2 --btf "$TREE" >gen.out 2>&1; then
	t_fail "btf gen from a cold cache" "$(cat gen.out)"
fi
t_gen=$(($(now_ms) - t0))
echo "# btf gen from a cold cache takes ${t_gen} ms"
cmp -s tp/.output/tp.btfset refA/tp.btfset && t_ok "btf gen writes the set the build embedded" ||
	t_fail "btf gen writes the set the build embedded"
for ((i = 1; i <= N_GEN; i++)); do
	rm -rf "$BPFPACK_CACHE_DIR"
	delay=$(rand_delay "$t_gen")
	setsid "$BPFPACK" btf gen -C tp -j 2 --btf "$TREE" >kill.out 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	name="btf gen killed at ${delay}s: the set stays whole, the next run writes a byte-identical set"
	if ! cmp -s tp/.output/tp.btfset refA/tp.btfset; then
		t_fail "$name" "right after the kill, .output/tp.btfset is not the whole set it was"
	elif ! timeout 300 "$BPFPACK" btf gen -C tp -j 2 --btf "$TREE" >gen.out 2>&1; then
		t_fail "$name" "$(cat gen.out)"
	elif ! cmp -s tp/.output/tp.btfset refA/tp.btfset; then
		t_fail "$name" "$(cat gen.out)"
	else
		t_ok "$name"
	fi
	wait_group "$pid" || t_fail "btf gen killed at ${delay}s: its workers end" "processes of group $pid still run after 60 s"
done
t_no_temps "no temp file is left in .output after the killed btf gen runs" tp/.output
# What the killed runs' workers left in the cache is whole: a run from it
# minimizes nothing and writes the same set.
out=$(timeout 300 "$BPFPACK" btf gen -C tp -j 2 --btf "$TREE" 2>&1)
if grep -q '4 kernels (4 cached, 0 minimized)' <<<"$out" && cmp -s tp/.output/tp.btfset refA/tp.btfset; then
	t_ok "the cache the killed runs left is complete and good"
else
	t_fail "the cache the killed runs left is complete and good" "$out"
fi

# ---- two builds at once ----------------------------------------------------------------
(cd tp && "$BPFPACK" clean) >/dev/null 2>&1
build >one.out 2>&1 &
one=$!
T_BG_PIDS+=("$one")
# The first one holds the lock once it prints its first step.
t_wait_for one.out '^  [A-Z]' 60
build >two.out 2>&1 &
two=$!
T_BG_PIDS+=("$two")
wait "$one"
rc1=$?
wait "$two"
rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]; then t_ok "two builds at once both succeed"
else t_fail "two builds at once both succeed" "exit $rc1 and $rc2" "$(cat one.out)" "$(cat two.out)"; fi
if grep -q 'waiting for another build of this project to finish' two.out; then
	t_ok "the second build says it waits for the first"
else
	t_fail "the second build says it waits for the first" "$(cat two.out)"
fi
same "two builds at once: the outputs are one build's" refA
t_no_temps "two builds at once leave no temp file" tp
t_done
