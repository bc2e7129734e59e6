#!/usr/bin/env bash
# tests/vm/check.sh: `bpfpack check`'s predictions against real loads. The
# purpose-built objects of tests/check/ (and, with --all, the example tools
# and every template) are checked against each kernel's BTF from the corpus,
# then loaded and attached for real on that kernel with `bpfpack vmtest`
# (tests/check/load.c: libbpf open, load, attach every program). Prints one
# check per (object, kernel), "ok - agree: OBJECT on KERNEL: VERDICT" or
# "not ok - ... predicted X, got Y", the agreement matrix, and
# "N passed, N failed".
#
#   tests/vm/check.sh [--all] [-j N] [KERNEL_IMAGE...]
#
# Kernels: the images given, else every vmlinuz-* of ../shared/kernels (their
# release names their BTF in ../shared/btf-corpus). The no-BTF 6.1 build and
# arm64 kernels are not in this matrix yet. Exit 1 when a prediction differs;
# skips (exit 0) without ../shared or clang.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BPFPACK=${BPFPACK_ROOT:-$ROOT}/bin/bpfpack
SHARED=${T_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
all=0 jobs=2 images=()
while [ $# -gt 0 ]; do
	case "$1" in
	--all) all=1; shift ;;
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	*) images+=("$1"); shift ;;
	esac
done
[ ${#images[@]} -gt 0 ] || images=("$SHARED"/kernels/vmlinuz-*)

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; shift; printf '%s\n' "$@" | sed 's/^/#   /'; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

CLANG=$(command -v clang-19 || command -v clang)
LIBBPF_A=$(ls "/usr/lib/$(gcc -dumpmachine 2>/dev/null)/libbpf.a" 2>/dev/null | head -n 1)
if [ ! -d "$CORPUS" ] || [ ! -f "${images[0]}" ] || [ -z "$CLANG" ] || [ -z "$LIBBPF_A" ]; then
	echo "ok - check agrees with real loads # SKIP needs ../shared (kernels, btf-corpus), clang and libbpf.a"
	exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-vm-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# The objects, and the static loader.
newest=$(find "$CORPUS" -name '*.btf.tar.xz' | sort -V | tail -n 1)
"$BPFPACK" vmlinux --btf "$newest" -o vmlinux.h || { not_ok "vmlinux.h"; finish; }
bpf_cc() {	# bpf_cc OUT SRC INCLUDE_DIRS...
	local out=$1 src=$2 d inc=()
	shift 2
	for d in "$@"; do inc+=(-I"$d"); done
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -DBPF_NO_KFUNC_PROTOTYPES -I. "${inc[@]}" \
		-I"/usr/include/$(gcc -dumpmachine)" -c "$src" -o "$out" 2>>bpf.err
}
mkdir -p objs
for src in "$ROOT"/tests/check/*.bpf.c; do
	bpf_cc "objs/$(basename "$src" .c).o" "$src" "$ROOT/tests/check" || not_ok "compile $src" "$(tail -n 5 bpf.err)"
done
if [ $all -eq 1 ]; then
	for src in "$ROOT"/examples/tools/*.bpf.c; do
		bpf_cc "objs/ex_$(basename "$src" .c).o" "$src" "$ROOT/examples/tools" || not_ok "compile $src"
	done
	mkdir -p tmpl
	for d in "$ROOT"/templates/*/; do
		t=$(basename "$d") n=tmpl_$(basename "$d")
		"$BPFPACK" new "$n" -t "$t" -C tmpl >/dev/null 2>&1 &&
			bpf_cc "objs/$n.bpf.o" "tmpl/$n/$n.bpf.c" "tmpl/$n" || not_ok "compile template $t"
	done
fi
cc -static -O2 -o load "$ROOT/tests/check/load.c" "$LIBBPF_A" -lelf -lz -lzstd 2>cc.err ||
	{ not_ok "the static loader links" "$(cat cc.err)"; finish; }
objs=(objs/*.o)
names=()
for o in "${objs[@]}"; do n=$(basename "$o"); names+=("${n%.bpf.o}"); done

# Predictions: one table per kernel, from its BTF in the corpus.
btfs=() rels=()
for img in "${images[@]}"; do
	rel=${img##*/vmlinuz-}
	btf=$(find "$CORPUS" -name "$rel.btf.tar.xz" | head -n 1)
	if [ -z "$btf" ]; then
		not_ok "BTF of $rel in the corpus" "no $rel.btf.tar.xz under $CORPUS"
		continue
	fi
	btfs+=(--btf "$btf")
	rels+=("$rel")
done
"$BPFPACK" check $(printf -- '--object %s ' "${objs[@]}") "${btfs[@]}" -j "$jobs" >predicted.txt 2>check.err ||
	{ not_ok "bpfpack check runs" "$(cat check.err)"; finish; }
predicted() {	# predicted TOOL RELEASE
	awk -v tool="$1" -v rel="$2" '
		/^[^ ]/ { cur = $1; sub(/:$/, "", cur); next }
		cur != tool { next }
		/^  [a-z]/ { v = $1; next }
		/^    [a-z0-9?]+\/[^ ]*:/ { for (i = 2; i <= NF; i++) if ($i == rel) print v }
	' predicted.txt
}

# Reality: every object loaded in one VM per kernel.
adds=()
for o in "${objs[@]}"; do adds+=(--add "$TMP/$o"); done
"$BPFPACK" vmtest $(printf -- '--kernel %s ' "${images[@]}") -j "$jobs" --timeout 180 "${adds[@]}" --add "$TMP/load" \
	-- "$TMP/load" $(printf -- "$TMP/%s " "${objs[@]}") >actual.txt 2>&1
actual() {	# actual TOOL RELEASE: the loader's line under the kernel's "== ... ==" header
	awk -v tool="$1" -v rel="$2" '
		/^== .* ==$/ { cur = $2; next }
		cur == "vmlinuz-" rel && $1 == tool { print $2 }
	' actual.txt
}

matrix=$(printf '%-24s' OBJECT; for r in "${rels[@]}"; do printf ' %-26s' "$r"; done; echo)
for n in "${names[@]}"; do
	row=$(printf '%-24s' "$n")
	for r in "${rels[@]}"; do
		p=$(predicted "$n" "$r") a=$(actual "$n" "$r")
		if [ -n "$p" ] && [ "$p" = "$a" ]; then
			ok "agree: $n on $r: $p"
			row+=$(printf ' %-26s' "= $p")
		else
			not_ok "agree: $n on $r" "predicted ${p:-nothing}, got ${a:-nothing}" \
				"$(awk -v r="vmlinuz-$r" -v n="$n" '/^== / { c = $2 } c == r && ($1 == n || p) { print; p = ($1 == n) }' actual.txt | head -n 2)"
			row+=$(printf ' %-26s' "≠ ${p:-?}/${a:-?}")
		fi
	done
	matrix+=$'\n'"$row"
done
echo "# agreement matrix (= prediction equals the real load; ≠ predicted/actual):"
sed 's/^/#   /' <<<"$matrix"
finish
