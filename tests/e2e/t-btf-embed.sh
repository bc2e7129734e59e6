#!/usr/bin/env bash
# Embedded BTF end to end on this machine: a tool built with BTF for this
# kernel, forced to its embedded set, loads and reports correct CO-RE data;
# matching, BPFPACK_BTF, btf embed, inspect, caching, corrupted sections.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
export BPFPACK_CACHE_DIR=$T_TMP/cache
CORPUS=${T_SHARED:-${BPFPACK_ROOT}/../shared}/btf-corpus
rel=$(uname -r)
. /etc/os-release
distro=${ID:-debian}
dver=${VERSION_ID:-12}

if [ ! -r /sys/kernel/btf/vmlinux ]; then
	t_skip "embedded BTF end to end" "this kernel has no /sys/kernel/btf/vmlinux to minimize"
	t_done
fi

# A btfhub-archive tree holding this kernel's BTF, keyed by this machine.
mk_tree() { # DIR DISTRO VERSION
	mkdir -p "$1/$2/$3/x86_64" "$T_TMP/stage"
	cp /sys/kernel/btf/vmlinux "$T_TMP/stage/$rel.btf"
	tar -C "$T_TMP/stage" -cJf "$1/$2/$3/x86_64/$rel.btf.tar.xz" "$rel.btf"
	rm -rf "$T_TMP/stage"
}
mk_tree tree "$distro" "$dver"
if [ -d "$CORPUS/debian" ]; then cp -r "$CORPUS/debian/11" tree/debian/ 2>/dev/null; fi
nk=$(find tree -name '*.btf.tar.xz' | wc -l)

"$BPFPACK" new tp >/dev/null
if (cd tp && "$BPFPACK" build --btf ../tree >../build.out 2>&1); then t_ok "build --btf TREE"
else t_fail "build --btf TREE" "$(cat build.out)"; fi
grep -q "BTFGEN    tp" build.out && t_ok "the build minimized BTF for the tool" ||
	t_fail "the build minimized BTF for the tool" "$(cat build.out)"

"$BPFPACK" inspect tp/tp >inspect.out 2>&1
if grep -qE "embedded BTF: $nk kernels?," inspect.out && grep -qE " $rel +[0-9]+$" inspect.out &&
   grep -q 'program handle_exec' inspect.out; then
	t_ok "inspect lists the embedded kernels and the programs"
else
	t_fail "inspect lists the embedded kernels and the programs" "$(cat inspect.out)"
fi
"$BPFPACK" inspect --json tp/tp >inspect.json 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["btf"]["kernels"]) == int(sys.argv[2]); assert d["programs"][0]["name"] == "handle_exec"' inspect.json "$nk" &&
	t_ok "inspect --json" || t_fail "inspect --json" "$(cat inspect.json)"

# run_tool NAME ENV...: runs tp/tp with ENV, execs a probe, checks its line and parent.
run_tool() {
	local name=$1 probe tool
	shift
	# The redirections happen in the background child: remove the old files
	# first, or the wait below could see the previous run's lines.
	rm -f run.out run.err
	env "$@" tp/tp -v >run.out 2>run.err &
	tool=$!
	T_BG_PIDS+=("$tool")
	if ! t_wait_for run.err 'Tracing' 20; then
		kill -9 "$tool" 2>/dev/null
		t_fail "$name" "the tool did not start" "$(cat run.err)"
		return 1
	fi
	cp /bin/true "$T_TMP/bpfpack_btf_probe"
	"$T_TMP/bpfpack_btf_probe" &
	probe=$!
	wait "$probe"
	# The parent PID comes from BPF_CORE_READ(task, real_parent, tgid): right
	# only if the CO-RE relocations were resolved against the right BTF.
	if t_wait_for run.out "^[0-9:]+ +$probe +$$ +0 +bpfpack_btf_pro +$T_TMP/bpfpack_btf_probe\$" 10; then
		t_ok "$name"
	else
		t_fail "$name" "$(tail -3 run.out)" "$(cat run.err)"
	fi
	kill -INT "$tool"
	wait "$tool"
}

run_tool "forced to its embedded BTF, the tool reports correct CO-RE data" BPFPACK_BTF_FORCE_EMBEDDED=1
if grep -qi "embedded" run.err && grep -q "$rel" run.err; then t_ok "-v says it used the embedded BTF for this kernel"
else t_fail "-v says it used the embedded BTF for this kernel" "$(cat run.err)"; fi

run_tool "without forcing, the tool uses the kernel's BTF"
grep -q "/sys/kernel/btf/vmlinux" run.err && t_ok "-v names the kernel's own BTF" ||
	t_fail "-v names the kernel's own BTF" "$(cat run.err)"

# BPFPACK_BTF comes after the kernel's own BTF, so it is tested in a VM whose
# kernel has none (tests/e2e/t-vmtest-btf.sh).

# Release-only fallback: the same kernel filed under another distro.
rm -rf tree2 && mk_tree tree2 ubuntu 22.04
(cd tp && "$BPFPACK" build --btf ../tree2 >/dev/null 2>&1)
run_tool "a kernel filed under another distro matches by release" BPFPACK_BTF_FORCE_EMBEDDED=1
grep -qi "release" run.err && t_ok "-v says it matched by release only" ||
	t_fail "-v says it matched by release only" "$(cat run.err)"

# No match at all: one clear error naming the kernel, the distro and the count.
# The kernels of another distro and release: Debian 11's from the corpus, or,
# without it, this kernel's BTF filed under two releases that are not this
# one (the runtime matches by key, so the content does not matter).
mkdir -p tree3/debian
if [ -d "$CORPUS/debian/11" ]; then
	cp -r "$CORPUS/debian/11" tree3/debian/
else
	for other in 5.10.0-98-amd64 5.10.0-99-amd64; do
		mkdir -p tree3/debian/11/x86_64 "$T_TMP/stage"
		cp /sys/kernel/btf/vmlinux "$T_TMP/stage/$other.btf"
		tar -C "$T_TMP/stage" -cJf "tree3/debian/11/x86_64/$other.btf.tar.xz" "$other.btf"
		rm -rf "$T_TMP/stage"
	done
fi
if (cd tp && "$BPFPACK" build --btf ../tree3 >../build3.out 2>&1); then
	n3=$(find tree3 -name '*.btf.tar.xz' | wc -l)
	BPFPACK_BTF_FORCE_EMBEDDED=1 tp/tp -d 1 >/dev/null 2>err.txt
	rc=$?
	if [ $rc -ne 0 ] && [ "$(wc -l <err.txt)" -le 2 ] && grep -q "$rel" err.txt &&
	   grep -qi "$distro" err.txt && grep -q "$n3" err.txt; then
		t_ok "no matching kernel: one clear error naming kernel, distro and count"
	else
		t_fail "no matching kernel: one clear error naming kernel, distro and count" "exit $rc" "$(cat err.txt)"
	fi
else
	t_fail "no matching kernel: build --btf of other kernels" "$(cat build3.out)"
fi

# A binary without embedded BTF, then btf embed into it, without rebuilding.
"$BPFPACK" new plain >/dev/null
(cd plain && "$BPFPACK" build >/dev/null 2>&1)
BPFPACK_BTF_FORCE_EMBEDDED=1 plain/plain -d 1 >/dev/null 2>err.txt
rc=$?
[ $rc -ne 0 ] && grep -qi "carries no" err.txt && t_ok "forced embedded without a set: clear error" ||
	t_fail "forced embedded without a set: clear error" "exit $rc" "$(cat err.txt)"
"$BPFPACK" inspect plain/plain | grep -q "embedded BTF: none" && t_ok "inspect says none" || t_fail "inspect says none"
before=$(stat -c %Y plain/.output/plain.linked)
if "$BPFPACK" btf embed plain/plain --btf tree >embed.out 2>&1 &&
   "$BPFPACK" inspect plain/plain | grep -qE "embedded BTF: $nk kernels?," &&
   [ "$(stat -c %Y plain/.output/plain.linked)" = "$before" ]; then
	t_ok "btf embed adds the set to a built binary without rebuilding"
else
	t_fail "btf embed adds the set to a built binary without rebuilding" "$(cat embed.out)"
fi
out=$(BPFPACK_BTF_FORCE_EMBEDDED=1 plain/plain -d 1 2>&1 >/dev/null)
[ $? -eq 0 ] && t_ok "the embedded-into tool loads with its new set" ||
	t_fail "the embedded-into tool loads with its new set" "$out"
[ "$(stat -c %a plain/plain)" = 755 ] && t_ok "btf embed keeps the binary's mode" || t_fail "btf embed keeps the binary's mode"

# Caching: a re-run minimizes nothing; a user-space change does not re-minimize.
out=$("$BPFPACK" btf gen -C tp --btf tree 2>&1)
grep -qE "$nk kernels? \($nk cached, 0 minimized\)" <<<"$out" && t_ok "btf gen again: everything from the cache" ||
	t_fail "btf gen again: everything from the cache" "$out"
(cd tp && "$BPFPACK" build --btf ../tree >/dev/null 2>&1)
echo '/* user-space change */' >>tp/tp.c
out=$(cd tp && "$BPFPACK" build --btf ../tree 2>&1)
if grep -q "CC        tp.c" <<<"$out" && ! grep -q BTFGEN <<<"$out"; then
	t_ok "a user-space change does not re-minimize"
else
	t_fail "a user-space change does not re-minimize" "$out"
fi
sed -i 's|bpf_get_current_comm(&e->comm, sizeof(e->comm));|bpf_get_current_comm(\&e->comm, sizeof(e->comm)); /* moved */|' tp/tp.bpf.c
out=$(cd tp && "$BPFPACK" build --btf ../tree 2>&1)
if grep -qE "BTFGEN +tp: $nk kernels? \($nk cached, 0 minimized\)" <<<"$out" || ! grep -q BTFGEN <<<"$out"; then
	t_ok "a BPF change that relocates nothing new re-minimizes nothing"
else
	t_fail "a BPF change that relocates nothing new re-minimizes nothing" "$out"
fi

# A corrupted embedded set is refused, never loaded.
cp tp/tp bad_tp
off=$(readelf -SW bad_tp | awk '$2 == ".bpfpack.btf" { print $5 }')
if [ -n "$off" ]; then
	# Flip a byte well inside the compressed payload.
	pos=$((16#$off + 48))
	printf '\xff' | dd of=bad_tp bs=1 seek=$pos conv=notrunc status=none
	BPFPACK_BTF_FORCE_EMBEDDED=1 ./bad_tp -d 1 >/dev/null 2>err.txt
	rc=$?
	[ $rc -ne 0 ] && grep -qiE "checksum|corrupt|damaged" err.txt && t_ok "a corrupted embedded set is refused" ||
		t_fail "a corrupted embedded set is refused" "exit $rc" "$(cat err.txt)"
	"$BPFPACK" inspect bad_tp >/dev/null 2>err.txt
	[ $? -eq 1 ] && grep -qiE "damaged" err.txt && t_ok "inspect reports the damage" ||
		t_fail "inspect reports the damage" "$(cat err.txt)"
else
	t_fail "a corrupted embedded set is refused" "no .bpfpack.btf section in tp/tp"
fi

# Program types embedded BTF cannot help are named at build time.
mkdir fent
cp tp/tp.c fent/fent.c 2>/dev/null
sed -i 's/tp_bpf/fent_bpf/g; s/"tp.h"/"fent.h"/; s/"tp.skel.h"/"fent.skel.h"/' fent/fent.c
cp tp/tp.h fent/fent.h
cat >fent/fent.bpf.c <<'EOT'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "fent.h"
char LICENSE[] SEC("license") = "GPL";
const volatile int targ_pid = 0;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
SEC("fentry/do_unlinkat")
int BPF_PROG(handle_exec, int dfd, struct filename *name) { return 0; }
EOT
out=$("$BPFPACK" build -C fent --btf tree 2>&1)
grep -q "warning: fent.bpf.o: program handle_exec (fentry/do_unlinkat).*kernel's own BTF" <<<"$out" &&
	t_ok "build warns that embedded BTF cannot help an fentry program" ||
	t_fail "build warns that embedded BTF cannot help an fentry program" "$out"

t_expect_error "btf gen with a missing source" 1 "nonexistent" "$BPFPACK" btf gen -C tp --btf /nonexistent
t_expect_error "btf embed into a non-bpfpack binary" 1 "not built by bpfpack" "$BPFPACK" btf embed /bin/true --btf tree
t_expect_error "inspect a non-ELF file" 1 "not an ELF file" "$BPFPACK" inspect tree/"$distro"/"$dver"/x86_64/"$rel".btf.tar.xz
"$BPFPACK" new nobuild >/dev/null
t_expect_error "btf gen before build" 1 "not built yet" "$BPFPACK" btf gen -C nobuild --btf tree
t_done
