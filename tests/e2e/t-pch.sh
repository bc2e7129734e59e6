#!/usr/bin/env bash
# The precompiled vmlinux.h: a collection (examples/tools, six tools) builds
# its BPF sources against one PCH of vmlinux.h, and every BPF object and
# every tool comes out byte for byte the same as without it (--no-pch).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
export BPFPACK_CACHE_DIR=$T_TMP/cache

cp -r "$BPFPACK_ROOT/examples/tools" p
rm -rf p/.output
tools=$(cd p && for f in *.bpf.c; do echo "${f%.bpf.c}"; done)
if (cd p && "$BPFPACK" build -j 2 >../pch.out 2>&1) && grep -qE '^  PCH +vmlinux.h$' pch.out &&
   grep -qx -- '-include-pch' p/.output/execsnoop.tmp.bpf.o.cmd; then
	t_ok "a collection's BPF compiles share one precompiled vmlinux.h"
else
	t_fail "a collection's BPF compiles share one precompiled vmlinux.h" "$(tail -20 pch.out)"
fi
mkdir with
for t in $tools; do cp "p/.output/$t.bpf.o" "with/$t.bpf.o"; cp "p/$t" "with/$t"; done
"$BPFPACK" clean -C p >/dev/null
if (cd p && "$BPFPACK" build -j 2 --no-pch >../nopch.out 2>&1) && ! grep -q 'PCH' nopch.out &&
   ! grep -q -- '-include-pch' p/.output/execsnoop.tmp.bpf.o.cmd; then
	t_ok "--no-pch compiles every BPF source on its own"
else
	t_fail "--no-pch compiles every BPF source on its own" "$(tail -20 nopch.out)"
fi
diffs=
for t in $tools; do
	cmp -s "with/$t.bpf.o" "p/.output/$t.bpf.o" || diffs+=" $t.bpf.o"
	cmp -s "with/$t" "p/$t" || diffs+=" $t"
done
if [ -z "$diffs" ]; then
	t_ok "BPF objects and tools are byte-identical with and without the PCH ($(echo $tools | wc -w) tools)"
else
	t_fail "BPF objects and tools are byte-identical with and without the PCH" "differ:$diffs"
fi
t_done
