#!/usr/bin/env bash
# bpfpack build end to end: the default template becomes one static binary that
# loads, attaches and reports a real exec; a two-tool project with a shared
# helper; incremental rebuilds; compile_commands.json; an interrupted build.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
# A cache of this test's own: the first project compiles bpfpack's runtime.
export BPFPACK_CACHE_DIR=$T_TMP/cache

# Lines "  STEP      TARGET" of a build, as "STEP TARGET" sorted, one per line.
steps() { grep -E '^  [A-Z-]+ +' | awk '{ print $1, $2 }' | sort | tr '\n' ';'; }

"$BPFPACK" new mytool >/dev/null
if (cd mytool && "$BPFPACK" build >../build.out 2>&1); then t_ok "default template builds"
else t_fail "default template builds" "$(cat build.out)"; fi
if file mytool/mytool | grep -q 'statically linked'; then t_ok "the tool is one statically linked ELF"
else t_fail "the tool is one statically linked ELF" "$(file mytool/mytool)"; fi
t_no_temps "no temp files after a build" mytool

# Run it, trigger its tracepoint with a program of a known name and PID.
if ! t_is_root; then
	t_skip "the tool reports a triggered exec" "needs root to load BPF"
else
	mytool/mytool >run.out 2>run.err &
	tool=$!
	T_BG_PIDS+=("$tool")
	if t_wait_for run.err 'Tracing' 15; then
		cp /bin/true "$T_TMP/bpfpack_probe_exec"
		"$T_TMP/bpfpack_probe_exec" &
		probe=$!
		wait "$probe"
		if t_wait_for run.out "^[0-9:]+ +$probe +[0-9]+ +0 +bpfpack_probe_e +$T_TMP/bpfpack_probe_exec\$" 10; then
			t_ok "the tool reports a triggered exec (pid $probe, comm, path)"
		else
			t_fail "the tool reports a triggered exec" "$(tail -5 run.out)" "$(cat run.err)"
		fi
		# The parent PID comes from a CO-RE read of task->real_parent->tgid.
		if grep -qE "^[0-9:]+ +$probe +$$ " run.out; then t_ok "CO-RE read of the parent PID is right"
		else t_fail "CO-RE read of the parent PID is right" "want ppid $$" "$(grep " $probe " run.out)"; fi
	else
		t_fail "the tool reports a triggered exec" "tool did not start" "$(cat run.err)"
	fi
	kill -INT "$tool"
	wait "$tool"
	rc=$?
	[ $rc -eq 0 ] && t_ok "the tool exits 0 on SIGINT" || t_fail "the tool exits 0 on SIGINT" "exit $rc"
	mytool/mytool -d 1 >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] && t_ok "the tool stops by itself with -d" || t_fail "the tool stops by itself with -d" "exit $rc"
fi

out=$(cd mytool && "$BPFPACK" build 2>&1)
if [ "$out" = "bpfpack: build: note: no work to do" ]; then t_ok "a no-op rebuild runs nothing"
else t_fail "a no-op rebuild runs nothing" "$out"; fi

# A project of two tools and a shared helper.
mkdir multi
"$BPFPACK" new alpha -C "$T_TMP" >/dev/null
"$BPFPACK" new beta -C "$T_TMP" >/dev/null
cp alpha/alpha.* beta/beta.* multi/
cat >multi/helpers.c <<'EOT'
/* A helper linked into every tool of the project. */
int multi_shared_helper(int x) { return x * 2; }
EOT
printf '[project]\nname = multi\n' >multi/bpfpack.ini
mkdir multi/sub
if (cd multi/sub && "$BPFPACK" build -j 2 >../../multi.out 2>&1); then
	t_ok "a two-tool project builds from a subdirectory"
else
	t_fail "a two-tool project builds from a subdirectory" "$(cat multi.out)"
fi
# (bpfpack's runtime comes from the cache: mytool's build put it there.)
want="BPF alpha.bpf.c;BPF beta.bpf.c;CC alpha.c;CC beta.c;CC helpers.c;EMBED alpha;EMBED beta;GEN-OBJ alpha.bpf.o;GEN-OBJ beta.bpf.o;GEN-SKEL alpha.skel.h;GEN-SKEL beta.skel.h;LD alpha;LD beta;RUNTIME libbpfpack.a;VMLINUX vmlinux.h;"
got=$(steps <multi.out)
[ "$got" = "$want" ] && t_ok "every step of both tools ran once" || t_fail "every step of both tools ran once" "$got"
ok=1
for t in alpha beta; do
	file "multi/$t" | grep -q 'statically linked' || ok=0
	nm "multi/$t" >nm.out && grep -q ' T multi_shared_helper$' nm.out || ok=0
done
[ $ok = 1 ] && t_ok "both binaries are static and carry the shared helper" ||
	t_fail "both binaries are static and carry the shared helper" "$(file multi/alpha multi/beta)"

if python3 -c '
import json, sys
db = json.load(open(sys.argv[1]))
files = sorted(e["file"].rsplit("/", 1)[1] for e in db)
assert files == ["alpha.bpf.c", "alpha.c", "beta.bpf.c", "beta.c", "helpers.c"], files
bpf = [e for e in db if e["file"].endswith(".bpf.c")]
assert all("-target" in e["arguments"] and "bpf" in e["arguments"] for e in bpf)
assert all(e["directory"] and e["output"] for e in db)
' multi/compile_commands.json 2>err.txt; then
	t_ok "compile_commands.json covers BPF and user-space sources"
else
	t_fail "compile_commands.json covers BPF and user-space sources" "$(cat err.txt)"
fi

# Incremental: touch one file, only what depends on it runs.
rebuild() { sleep 0.02; touch "$@"; (cd multi && "$BPFPACK" build 2>&1) | steps; }
check_rebuild() {
	local name=$1 want=$2
	shift 2
	local got
	got=$(rebuild "$@")
	[ "$got" = "$want" ] && t_ok "$name" || t_fail "$name" "want: $want" "got:  $got"
}
check_rebuild "touching alpha.h recompiles only alpha's sources" \
	"BPF alpha.bpf.c;CC alpha.c;" multi/alpha.h
check_rebuild "touching beta.bpf.c recompiles only beta.bpf.c" \
	"BPF beta.bpf.c;" multi/beta.bpf.c
check_rebuild "touching the helper recompiles it and relinks both tools" \
	"CC helpers.c;" multi/helpers.c
echo 'int multi_other_helper(void) { return 1; }' >>multi/helpers.c
check_rebuild "changing the helper relinks both tools" \
	"CC helpers.c;EMBED alpha;EMBED beta;LD alpha;LD beta;" multi/helpers.c
sed -i 's/256 \* 1024/512 * 1024/' multi/alpha.bpf.c
check_rebuild "changing alpha's BPF code regenerates its skeleton and relinks alpha only" \
	"BPF alpha.bpf.c;CC alpha.c;EMBED alpha;GEN-OBJ alpha.bpf.o;GEN-SKEL alpha.skel.h;LD alpha;" multi/alpha.bpf.c
printf '[build]\ncflags = -DMULTI_FLAG=1\n' >>multi/bpfpack.ini
check_rebuild "changing the user-space flags recompiles user space only" \
	"CC alpha.c;CC beta.c;CC helpers.c;" multi/bpfpack.ini
got=$( (cd multi && "$BPFPACK" build 2>&1) | steps)
[ -z "$got" ] && t_ok "then nothing" || t_fail "then nothing" "$got"
rm multi/beta
got=$( (cd multi && "$BPFPACK" build 2>&1) | steps)
[ "$got" = "EMBED beta;" ] && t_ok "a deleted binary is made again from its linked object" ||
	t_fail "a deleted binary is made again from its linked object" "$got"

# Interrupted builds never leave a half-written binary and the next build completes.
cp -r multi killed
(cd killed && "$BPFPACK" clean)
ok=1
for delay in 0.3 0.6 0.9; do
	(cd killed && exec "$BPFPACK" build -j 2 >/dev/null 2>&1) &
	b=$!
	sleep "$delay"
	kill -9 "$b" 2>/dev/null
	wait "$b" 2>/dev/null
	for t in alpha beta; do
		if [ -e "killed/$t" ] && ! "killed/$t" --help >/dev/null 2>&1; then ok=0; fi
	done
done
(cd killed && "$BPFPACK" build >/dev/null 2>&1) || ok=0
for t in alpha beta; do "killed/$t" --help >/dev/null 2>&1 || ok=0; done
[ $ok = 1 ] && t_ok "SIGKILLed builds leave no broken binary; the next build finishes" ||
	t_fail "SIGKILLed builds leave no broken binary; the next build finishes"
t_no_temps "the next build swept the temp files of killed builds" killed

(cd killed && "$BPFPACK" clean)
if [ ! -e killed/.output ] && [ ! -e killed/alpha ] && [ ! -e killed/compile_commands.json ] &&
   [ -f killed/alpha.bpf.c ] && [ -f killed/helpers.c ]; then
	t_ok "clean removes outputs and keeps sources"
else
	t_fail "clean removes outputs and keeps sources" "$(ls -A killed)"
fi
# bpfpack's cache: the runtime archive and vmlinux.h a project made serve
# the next project (same bytes, no compile); a changed runtime header makes
# them again. The data dir is a copy, so its files can change.
mkdir home
cp -r "$BPFPACK_ROOT/runtime" "$BPFPACK_ROOT/include" "$BPFPACK_ROOT/templates" home/
for n in one two three; do
	mkdir "proj-$n"
	cp alpha/alpha.* "proj-$n/"
	printf '[project]\nname = %s\n' "$n" >"proj-$n/bpfpack.ini"
done
[ "$n" = three ] && [ -f home/runtime/btfset.h ] || t_fail "a copy of bpfpack's data dir" "$(ls home home/runtime)"
BPFPACK_HOME=$PWD/home "$BPFPACK" build -C proj-one >one.out 2>&1
BPFPACK_HOME=$PWD/home "$BPFPACK" build -C proj-two >two.out 2>&1
if grep -q '^  CC        runtime/btfset.c' one.out && ! grep -q 'runtime/' two.out &&
	grep -q '^  RUNTIME   libbpfpack.a (from bpfpack.s cache)' two.out; then
	t_ok "the second project takes bpfpack's runtime from the cache, compiling none of it"
else
	t_fail "the second project takes bpfpack's runtime from the cache, compiling none of it" \
		"$(cat one.out two.out)"
fi
cmp -s proj-one/.output/libbpfpack.a proj-two/.output/libbpfpack.a &&
	cmp -s proj-one/.output/vmlinux.h proj-two/.output/vmlinux.h &&
	cmp -s proj-one/alpha proj-two/alpha &&
	t_ok "cached runtime and vmlinux.h: the same bytes, the same tool" ||
	t_fail "cached runtime and vmlinux.h: the same bytes, the same tool" "$(cmp proj-one/alpha proj-two/alpha)"
BPFPACK_HOME=$PWD/home "$BPFPACK" build -C proj-two >two-again.out 2>&1
grep -q 'no work to do' two-again.out && t_ok "a project built from the cache is up to date after" ||
	t_fail "a project built from the cache is up to date after" "$(cat two-again.out)"
echo '/* changed */' >>home/runtime/btfset.h
BPFPACK_HOME=$PWD/home "$BPFPACK" build -C proj-three >three.out 2>&1
grep -q '^  CC        runtime/btfset.c' three.out && ! grep -q '^  RUNTIME' three.out &&
	t_ok "a changed runtime header: the runtime is compiled again" ||
	t_fail "a changed runtime header: the runtime is compiled again" "$(cat three.out)"
./proj-two/alpha --help >/dev/null 2>&1 && t_ok "the tool linked with the cached runtime runs" ||
	t_fail "the tool linked with the cached runtime runs" "$(./proj-two/alpha --help 2>&1 | tail -3)"

t_done
