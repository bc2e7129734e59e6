#!/usr/bin/env bash
# t-check: `bpfpack check` on a project and on bad input. A fresh project
# (the default template) is checked without building first (one clear error),
# then built and checked against two kernels: its tool gets a verdict per
# kernel, --tool picks it, an unknown tool is an error. Bad input fails with
# one line and no crash: an object without BTF, an object whose .BTF.ext is
# corrupt, a file that is not ELF, a source that is not BTF, flags that
# exclude each other, a bad --require spec. Kernels declared without BTF of
# their own (--no-kernel-btf SPEC, [btf] no_kernel_btf in bpfpack.ini): what
# needs the kernel's BTF is load-fail there, in the table, JSON, markdown and
# the parts of --shard; --filter's release=GLOB term.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
cd "${T_TMP:?lib.sh did not load}" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache

K510=$CORPUS/debian/11/x86_64/5.10.0-32-cloud-amd64.btf.tar.xz
K612=$CORPUS/debian/13/x86_64/6.12.117+deb13-cloud-amd64.btf.tar.xz
if [ -f "$K510" ] && [ -f "$K612" ]; then
	KS=(--btf "$K510" --btf "$K612")
elif [ -r /sys/kernel/btf/vmlinux ]; then
	KS=(--btf /sys/kernel/btf/vmlinux)
	echo "# no ../shared/btf-corpus: checking against the running kernel only"
else
	t_skip "bpfpack check" "needs ../shared/btf-corpus or /sys/kernel/btf/vmlinux"
	t_done
fi
CLANG=$(command -v clang-19 || command -v clang)
LLVM_OBJCOPY=$(command -v llvm-objcopy-19 || command -v llvm-objcopy)

t_expect_error "check before a build says to build" 1 'not built yet' \
	sh -c "'$BPFPACK' new demo -C . >/dev/null && cd demo && exec '$BPFPACK' check ${KS[*]}"

if (cd demo && "$BPFPACK" build -j 2 >build.log 2>&1); then
	if (cd demo && "$BPFPACK" check "${KS[@]}" -j 2 >check.txt 2>check.err) &&
		grep -qE "^demo: $((${#KS[@]} / 2)) kernels?: [0-9]+ ok, " demo/check.txt; then
		t_ok "a built project's tool gets a verdict per kernel"
	else
		t_fail "a built project's tool gets a verdict per kernel" "$(cat demo/check.txt demo/check.err 2>/dev/null)"
	fi
	if (cd demo && "$BPFPACK" check "${KS[@]}" --tool demo --json) | grep -q '"tool":"demo","kernels":\[{"distro"'; then
		t_ok "--tool NAME checks that tool"
	else
		t_fail "--tool NAME checks that tool"
	fi
	t_expect_error "an unknown --tool is an error" 1 "no tool 'nosuch'" \
		sh -c "cd demo && exec '$BPFPACK' check ${KS[*]} --tool nosuch"
else
	t_fail "the default template builds" "$(tail -n 20 demo/build.log)"
fi

if [ -n "$CLANG" ]; then
	printf '%s\n' '#define SEC(n) __attribute__((section(n), used))' \
		'SEC("xdp") int pass(void *ctx) { return 2; }' 'char LICENSE[] SEC("license") = "GPL";' >plain.bpf.c
	"$CLANG" -target bpf -O2 -c plain.bpf.c -o nobtf.bpf.o
	t_expect_error "an object without BTF" 1 'nobtf.bpf.o: it has no .BTF section' \
		"$BPFPACK" check --object nobtf.bpf.o "${KS[@]}"
	"$CLANG" -target bpf -g -O2 -c plain.bpf.c -o good.bpf.o
	if "$BPFPACK" check --object good.bpf.o "${KS[@]}" | grep -q '^good: .* 0 load-fail'; then
		t_ok "an object without CO-RE relocations is checked"
	else
		t_fail "an object without CO-RE relocations is checked"
	fi
	if [ -n "$LLVM_OBJCOPY" ] && "$LLVM_OBJCOPY" --dump-section .BTF.ext=ext.bin good.bpf.o /dev/null 2>/dev/null; then
		printf '\x00\x00' | dd of=ext.bin bs=1 seek=0 conv=notrunc status=none
		"$LLVM_OBJCOPY" --update-section .BTF.ext=ext.bin good.bpf.o badext.bpf.o
		t_expect_error "an object whose .BTF.ext is corrupt" 1 'badext.bpf.o: .BTF.ext has a bad magic' \
			"$BPFPACK" check --object badext.bpf.o "${KS[@]}"
	else
		t_skip "an object whose .BTF.ext is corrupt" "needs llvm-objcopy"
	fi
else
	t_skip "objects without BTF or with corrupt .BTF.ext" "needs clang"
fi
# ---- kernels without BTF of their own: --no-kernel-btf, [btf] no_kernel_btf ----
R510=5.10.0-32-cloud-amd64
if [ -f "$K510" ] && [ -f "$K612" ] && [ -n "$CLANG" ] && "$BPFPACK" vmlinux --btf "$K612" -o vmlinux.h 2>/dev/null &&
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -I. -I"$BPFPACK_ROOT/tests/check" \
		-c "$BPFPACK_ROOT/tests/check/fentry_exists.bpf.c" -o fentry.bpf.o 2>fentry.err; then
	NK=(--object fentry.bpf.o --object good.bpf.o --btf "$K510" --btf "$K612")
	"$BPFPACK" check "${NK[@]}" --no-kernel-btf release=$R510 >nk.txt 2>nk.err
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^fentry: 2 kernels: 1 ok, 0 attach-fail, 1 load-fail$' nk.txt &&
		grep -q "^    debian/11/x86_64: $R510 (no kernel BTF)\$" nk.txt &&
		grep -q '^    - kernel_btf in on_unlink: needs kernel BTF: ' nk.txt &&
		grep -q '^good: 2 kernels: 2 ok, 0 attach-fail, 0 load-fail$' nk.txt && [ ! -s nk.err ]; then
		t_ok "--no-kernel-btf: an fentry tool is load-fail there (needs kernel BTF), an xdp tool ok"
	else
		t_fail "--no-kernel-btf: an fentry tool is load-fail there (needs kernel BTF), an xdp tool ok" "exit $rc" \
			"$(cat nk.txt nk.err)"
	fi
	# JSON: valid, each kernel says whether it has BTF of its own.
	"$BPFPACK" check "${NK[@]}" --no-kernel-btf release=5.10.* --json >nk.json 2>nk.err
	if python3 - nk.json "$R510" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["tool"]: x for x in d["tools"]}
k = {x["release"]: x for x in t["fentry"]["kernels"]}
old = k[sys.argv[2]]
new = [x for r, x in k.items() if r != sys.argv[2]][0]
assert old["kernel_btf"] is False and new["kernel_btf"] is True, k
assert old["verdict"] == "load-fail" and new["verdict"] == "ok", k
r = [x for x in old["reasons"] if x["what"] == "kernel_btf"]
assert r and r[0]["fatal"] is True and r[0]["program"] == "on_unlink" and "needs kernel BTF" in r[0]["detail"], old
assert all(x["verdict"] == "ok" for x in t["good"]["kernels"]), t["good"]
EOF2
	then
		t_ok "--no-kernel-btf --json: \"kernel_btf\": false on that kernel, the reason's what is kernel_btf"
	else
		t_fail "--no-kernel-btf --json: \"kernel_btf\": false on that kernel, the reason's what is kernel_btf" \
			"$(head -c 3000 nk.json)" "$(cat nk.err)"
	fi
	if "$BPFPACK" check "${NK[@]}" --no-kernel-btf release=$R510 --markdown >nk.md 2>nk.err &&
		grep -q '^| fentry | 2 | 1 | 0 | 1 |$' nk.md && grep -q "^debian/11/x86_64: $R510 (no kernel BTF)\$" nk.md &&
		grep -q '^- kernel_btf in `on_unlink` : needs kernel BTF' nk.md; then
		t_ok "--no-kernel-btf --markdown: the kernel marked, the reason listed"
	else
		t_fail "--no-kernel-btf --markdown: the kernel marked, the reason listed" "$(cat nk.md nk.err)"
	fi
	# Shards: the parts carry the declaration; the merge equals a full run.
	"$BPFPACK" check "${NK[@]}" --no-kernel-btf debian:11 --json >nkfull.json 2>/dev/null
	for k in 1 2; do "$BPFPACK" check "${NK[@]}" --no-kernel-btf debian:11 --shard $k/2 -o nk$k.part 2>/dev/null; done
	if "$BPFPACK" check --merge nk1.part nk2.part --json >nkm.json 2>nkm.err && cmp -s nkfull.json nkm.json &&
		grep -q '"kernel_btf":false' nkm.json; then
		t_ok "--no-kernel-btf with --shard/--merge: the merged report equals the full run's"
	else
		t_fail "--no-kernel-btf with --shard/--merge: the merged report equals the full run's" \
			"$(cat nkm.err)" "$(diff <(tr ',' '\n' <nkfull.json) <(tr ',' '\n' <nkm.json) | head)"
	fi
	# The verdict of a kernel declared without BTF is cached apart.
	if "$BPFPACK" check "${NK[@]}" >nk2.txt 2>/dev/null && grep -q '^fentry: 2 kernels: 2 ok' nk2.txt &&
		"$BPFPACK" check "${NK[@]}" --no-kernel-btf release=$R510 | cmp -s - nk.txt; then
		t_ok "the same BTF with and without --no-kernel-btf: each verdict cached apart"
	else
		t_fail "the same BTF with and without --no-kernel-btf: each verdict cached apart" "$(cat nk2.txt)"
	fi
	# The --filter release term, for every filter user.
	if "$BPFPACK" check "${NK[@]}" --filter release=6.12.* >rel.txt 2>rel.err &&
		grep -q '^fentry: 1 kernel: 1 ok' rel.txt && grep -q '6.12.117+deb13-cloud-amd64' rel.txt; then
		t_ok "--filter release=GLOB keeps the kernels of that release"
	else
		t_fail "--filter release=GLOB keeps the kernels of that release" "$(cat rel.txt rel.err)"
	fi
	"$BPFPACK" check "${NK[@]}" --no-kernel-btf release=9.9.9 >/dev/null 2>none.err
	if grep -q "warning: --no-kernel-btf release=9.9.9 matches none of the kernels" none.err; then
		t_ok "a --no-kernel-btf that matches no kernel is warned about"
	else
		t_fail "a --no-kernel-btf that matches no kernel is warned about" "$(cat none.err)"
	fi
	t_expect_error "a bad --no-kernel-btf spec is a usage error" 2 "invalid filter 'release=': " \
		"$BPFPACK" check "${NK[@]}" --no-kernel-btf release=
	t_expect_error "--merge takes no --no-kernel-btf (the parts carry it)" 2 'PART files only' \
		"$BPFPACK" check --merge nk1.part nk2.part --no-kernel-btf debian
	# The manifest's [btf] no_kernel_btf; the option replaces it.
	if [ -f demo/.output/demo.bpf.o ]; then
		printf '\n[btf]\nsources = %s %s\nno_kernel_btf = release=%s\n' "$K510" "$K612" "$R510" >>demo/bpfpack.ini
		(cd demo && "$BPFPACK" check --json) >man.json 2>man.err
		(cd demo && "$BPFPACK" check --json --no-kernel-btf debian:13) >opt.json 2>opt.err
		if python3 - man.json opt.json "$R510" <<'EOF2'
import json, sys
def kbtf(p):
    return {k["release"]: k["kernel_btf"] for k in json.load(open(p))["tools"][0]["kernels"]}
m, o = kbtf(sys.argv[1]), kbtf(sys.argv[2])
assert m[sys.argv[3]] is False and list(m.values()).count(False) == 1, m
assert o[sys.argv[3]] is True and list(o.values()).count(False) == 1, o
EOF2
		then
			t_ok "[btf] no_kernel_btf in bpfpack.ini declares the kernel; --no-kernel-btf replaces it"
		else
			t_fail "[btf] no_kernel_btf in bpfpack.ini declares the kernel; --no-kernel-btf replaces it" \
				"$(cat demo/bpfpack.ini man.err opt.err)" "$(head -c 1500 man.json)"
		fi
	fi
	# The build's CHECK line counts it too (the manifest's declaration goes
	# to btf gen).
	if "$BPFPACK" new fe -t fentry >/dev/null 2>&1; then
		printf '\n[btf]\nsources = %s %s\nno_kernel_btf = release=%s\n' "$K510" "$K612" "$R510" >>fe/bpfpack.ini
		if (cd fe && "$BPFPACK" build -j 2) >fe.out 2>&1 &&
			grep -q '^  CHECK     1 of 2 kernels will not load fe: bpfpack check$' fe.out; then
			t_ok "a build with [btf] no_kernel_btf: the CHECK line counts the kernel without BTF"
		else
			t_fail "a build with [btf] no_kernel_btf: the CHECK line counts the kernel without BTF" "$(tail -n 20 fe.out)"
		fi
	else
		t_fail "bpfpack new fe -t fentry"
	fi
else
	t_skip "check --no-kernel-btf" "needs ../shared/btf-corpus (5.10, 6.12) and clang"
fi

printf 'not an object\n' >junk.bpf.o
t_expect_error "a file that is not ELF" 1 'junk.bpf.o: not an ELF file' \
	"$BPFPACK" check --object junk.bpf.o "${KS[@]}"
printf 'not BTF at all, just text\n' >notbtf.btf
if [ -f good.bpf.o ]; then
	t_expect_error "a source that is not BTF" 1 'notbtf.btf' \
		"$BPFPACK" check --object good.bpf.o --btf notbtf.btf
	t_expect_error "--json and --markdown exclude each other" 2 'exclude each other' \
		"$BPFPACK" check --object good.bpf.o "${KS[@]}" --json --markdown
	t_expect_error "a bad --require spec is a usage error" 2 'filter|require|term' \
		"$BPFPACK" check --object good.bpf.o "${KS[@]}" --require 'debian:'
	t_expect_error "--object needs --btf" 1 'pass --btf' "$BPFPACK" check --object good.bpf.o
	# The cache is an optimization: one that cannot be written (its parent is
	# a file, which stops root too) warns once.
	: >notadir
	if BPFPACK_CACHE_DIR=$PWD/notadir/c "$BPFPACK" check --object good.bpf.o "${KS[@]}" \
		>ro.out 2>ro.err && [ "$(grep -c 'warning: cannot write the cache' ro.err)" = 1 ] &&
		[ "$(wc -l <ro.err)" = 1 ] && grep -q ' ok' ro.out; then
		t_ok "a cache that cannot be written: one warning, the verdicts all the same"
	else
		t_fail "a cache that cannot be written: one warning, the verdicts all the same" "$(cat ro.err ro.out)"
	fi
fi
t_done
