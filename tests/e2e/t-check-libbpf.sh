#!/usr/bin/env bash
# t-check-libbpf: the differential test of `check`'s CO-RE resolver against
# libbpf itself. tests/check/libbpf_diff.c is linked with the static
# libbpf.a (whose bpf_core_calc_relo_insn() is what libbpf runs at load and
# bpftool's min_core_btf uses) and, for every kernel of ../shared/btf-corpus
# and every object (the example tools, every template, the purpose-built
# objects of tests/check/), every relocation's outcome (error, poisoned, or
# the value patched in) must equal libbpf's. Without ../shared the running
# kernel's BTF is the corpus.
. "$(dirname "$0")/lib.sh"

cd "${T_TMP:?lib.sh did not load}" || exit 1

CLANG=$(command -v clang-19 || command -v clang)
LIBBPF_A=$(ls "/usr/lib/$(gcc -dumpmachine 2>/dev/null)/libbpf.a" /usr/lib64/libbpf.a /usr/lib/libbpf.a 2>/dev/null | head -n 1)
if [ -z "$CLANG" ] || [ -z "$LIBBPF_A" ]; then
	t_skip "resolutions equal libbpf's" "needs clang and the static libbpf.a"
	t_done
fi
t_corpus_sources "resolutions equal libbpf's"

if ! t_link_with_driver libbpf_diff "$BPFPACK_ROOT/tests/check/libbpf_diff.c" "$LIBBPF_A"; then
	t_fail "libbpf_diff links with libbpf.a" "$(cat cc.err)"
	t_done
fi
t_ok "libbpf_diff links with libbpf.a"

t_compile_bpf_corpus "${NEWEST:-/sys/kernel/btf/vmlinux}" || t_done
built=("${T_BUILT[@]}")

if nice ./libbpf_diff "${SOURCES[@]}" "${built[@]}" >diff.out 2>diff.err; then
	t_ok "every relocation resolves as libbpf resolves it: $(tail -n 1 diff.out)"
else
	t_fail "every relocation resolves as libbpf resolves it" "$(head -n 30 diff.out)" "$(cat diff.err)"
fi
t_done
