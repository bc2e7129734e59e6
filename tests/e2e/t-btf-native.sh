#!/usr/bin/env bash
# t-btf-native: the differential test of btf gen's native minimizer against
# bpftool gen min_core_btf. tests/minimize/minimize_diff.c minimizes every
# kernel of ../shared/btf-corpus for every object (the example tools, every
# template, the purpose-built objects of tests/check/), all together on every
# kernel and each alone on every tenth, with both engines, and compares an
# id-independent canonical dump of the two: they must be equal. Without
# ../shared the running kernel's BTF is the corpus.
. "$(dirname "$0")/lib.sh"

cd "${T_TMP:?lib.sh did not load}" || exit 1

CLANG=$(command -v clang-19 || command -v clang)
BPFTOOL_BIN=${BPFTOOL:-$(command -v bpftool || ls /usr/sbin/bpftool 2>/dev/null)}
if [ -z "$CLANG" ] || [ -z "$BPFTOOL_BIN" ]; then
	t_skip "native minimizer equals bpftool" "needs clang and bpftool"
	t_done
fi
t_corpus_sources "native minimizer equals bpftool"

if ! t_link_with_driver minimize_diff "$BPFPACK_ROOT/tests/minimize/minimize_diff.c"; then
	t_fail "minimize_diff links" "$(cat cc.err)"
	t_done
fi
t_ok "minimize_diff links"

t_compile_bpf_corpus "${NEWEST:-/sys/kernel/btf/vmlinux}" || t_done
built=("${T_BUILT[@]}")

if nice ./minimize_diff "$BPFTOOL_BIN" "${SOURCES[@]}" "${built[@]}" >diff.out 2>diff.err; then
	t_ok "native minimizer means what bpftool min_core_btf means: $(tail -n 1 diff.out)"
else
	t_fail "native minimizer means what bpftool min_core_btf means" "$(head -n 40 diff.out)" "$(cat diff.err)"
fi
t_done
