#!/usr/bin/env bash
# t-btf-native: the differential test of btf gen's native minimizer against
# bpftool gen min_core_btf. tests/minimize/minimize_diff.c minimizes every
# kernel of ../shared/btf-corpus for every object (the example tools, every
# template, the purpose-built objects of tests/check/), all together on every
# kernel and each alone on every tenth, with both engines, and compares an
# id-independent canonical dump of the two: they must be equal. Without
# ../shared the running kernel's BTF is the corpus.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
cd "${T_TMP:?lib.sh did not load}" || exit 1

CLANG=$(command -v clang-19 || command -v clang)
BPFTOOL_BIN=${BPFTOOL:-$(command -v bpftool || ls /usr/sbin/bpftool 2>/dev/null)}
if [ -z "$CLANG" ] || [ -z "$BPFTOOL_BIN" ]; then
	t_skip "native minimizer equals bpftool" "needs clang and bpftool"
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
	t_skip "native minimizer equals bpftool" "needs ../shared/btf-corpus or /sys/kernel/btf/vmlinux"
	t_done
fi

# The driver's archives, in layer order.
objs=("$BPFPACK_ROOT"/build/libbtfhub.a "$BPFPACK_ROOT"/build/libvm.a "$BPFPACK_ROOT"/build/libformats.a
      "$BPFPACK_ROOT"/build/liblib.a "$BPFPACK_ROOT"/build/libruntime.a)
libs=($(sed -n 's/^LIBS :\?= //p' "$BPFPACK_ROOT/Makefile"))
if ! cc -std=gnu11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -I"$BPFPACK_ROOT/include" -o minimize_diff \
	"$BPFPACK_ROOT/tests/minimize/minimize_diff.c" "${objs[@]}" "${libs[@]}" 2>cc.err; then
	t_fail "minimize_diff links" "$(cat cc.err)"
	t_done
fi
t_ok "minimize_diff links"

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

if nice ./minimize_diff "$BPFTOOL_BIN" "${SOURCES[@]}" "${built[@]}" >diff.out 2>diff.err; then
	t_ok "native minimizer means what bpftool min_core_btf means: $(tail -n 1 diff.out)"
else
	t_fail "native minimizer means what bpftool min_core_btf means" "$(head -n 40 diff.out)" "$(cat diff.err)"
fi
t_done
