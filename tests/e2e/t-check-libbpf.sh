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

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
cd "${T_TMP:?lib.sh did not load}" || exit 1

CLANG=$(command -v clang-19 || command -v clang)
LIBBPF_A=$(ls "/usr/lib/$(gcc -dumpmachine 2>/dev/null)/libbpf.a" /usr/lib64/libbpf.a /usr/lib/libbpf.a 2>/dev/null | head -n 1)
if [ -z "$CLANG" ] || [ -z "$LIBBPF_A" ]; then
	t_skip "resolutions equal libbpf's" "needs clang and the static libbpf.a"
	t_done
fi
if [ -d "$CORPUS" ]; then
	SOURCES=(--btf "$CORPUS")
	NEWEST=$(ls "$CORPUS"/debian/13/x86_64/*.btf.tar.xz 2>/dev/null | tail -n 1)
elif [ -r /sys/kernel/btf/vmlinux ]; then
	SOURCES=(--btf /sys/kernel/btf/vmlinux)
	NEWEST=/sys/kernel/btf/vmlinux
	echo "# no ../shared/btf-corpus: the running kernel's BTF only"
else
	t_skip "resolutions equal libbpf's" "needs ../shared/btf-corpus or /sys/kernel/btf/vmlinux"
	t_done
fi

# The layer archives, in the Makefile's link order.
objs=("$BPFPACK_ROOT"/build/libbtfhub.a "$BPFPACK_ROOT"/build/libvm.a "$BPFPACK_ROOT"/build/libformats.a
      "$BPFPACK_ROOT"/build/liblib.a "$BPFPACK_ROOT"/build/libruntime.a)
# The driver's libraries (the Makefile's LIBS), with libbpf.a for -lbpf.
libs=()
for l in $(sed -n 's/^LIBS :\?= //p' "$BPFPACK_ROOT/Makefile"); do
	[ "$l" = -lbpf ] && l=$LIBBPF_A
	libs+=("$l")
done
if ! cc -std=gnu11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -I"$BPFPACK_ROOT/include" -o libbpf_diff \
	"$BPFPACK_ROOT/tests/check/libbpf_diff.c" "${objs[@]}" "${libs[@]}" 2>cc.err; then
	t_fail "libbpf_diff links with libbpf.a" "$(cat cc.err)"
	t_done
fi
t_ok "libbpf_diff links with libbpf.a"

if ! "$BPFPACK" vmlinux --btf "${NEWEST:-/sys/kernel/btf/vmlinux}" -o vmlinux.h 2>vmlinux.err; then
	t_fail "vmlinux.h" "$(cat vmlinux.err)"
	t_done
fi
bpf_cc() {	# bpf_cc OUT SRC INCLUDE_DIRS...
	local out=$1 src=$2
	shift 2
	local inc=() d
	for d in "$@"; do inc+=(-I"$d"); done
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -DBPF_NO_KFUNC_PROTOTYPES -I. "${inc[@]}" -I"/usr/include/$(gcc -dumpmachine)" \
		-c "$src" -o "$out" 2>>bpf.err
}
built=() failed=()
for src in "$BPFPACK_ROOT"/tests/check/*.bpf.c; do
	n=check-$(basename "$src" .bpf.c).o
	if bpf_cc "$n" "$src" "$BPFPACK_ROOT/tests/check"; then built+=("$n"); else failed+=("$src"); fi
done
for src in "$BPFPACK_ROOT"/examples/tools/*.bpf.c; do
	n=example-$(basename "$src" .bpf.c).o
	if bpf_cc "$n" "$src" "$BPFPACK_ROOT/examples/tools"; then built+=("$n"); else failed+=("$src"); fi
done
mkdir -p tmpl
for d in "$BPFPACK_ROOT"/templates/*/; do
	t=$(basename "$d")
	name=t_${t//[^a-z0-9]/_}
	if "$BPFPACK" new "$name" -t "$t" -C tmpl >/dev/null 2>>bpf.err &&
		bpf_cc "template-$t.o" "tmpl/$name/$name.bpf.c" "tmpl/$name"; then
		built+=("template-$t.o")
	else
		failed+=("template $t")
	fi
done
if [ ${#failed[@]} -eq 0 ]; then
	t_ok "every example, template and test object compiles (${#built[@]})"
else
	t_fail "every example, template and test object compiles" "failed: ${failed[*]}" "$(tail -n 20 bpf.err)"
fi

if nice ./libbpf_diff "${SOURCES[@]}" "${built[@]}" >diff.out 2>diff.err; then
	t_ok "every relocation resolves as libbpf resolves it: $(tail -n 1 diff.out)"
else
	t_fail "every relocation resolves as libbpf resolves it" "$(head -n 30 diff.out)" "$(cat diff.err)"
fi
t_done
