#!/usr/bin/env bash
# t-check: `bpfpack check` on a project and on bad input. A fresh project
# (the default template) is checked without building first (one clear error),
# then built and checked against two kernels: its tool gets a verdict per
# kernel, --tool picks it, an unknown tool is an error. Bad input fails with
# one line and no crash: an object without BTF, an object whose .BTF.ext is
# corrupt, a file that is not ELF, a source that is not BTF, flags that
# exclude each other, a bad --require spec.
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
