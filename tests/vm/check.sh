#!/usr/bin/env bash
# tests/vm/check.sh: `bpfpack check`'s predictions against real loads. The
# purpose-built objects of tests/check/ (and, with --all, the example tools
# and every template) are checked against each kernel's BTF, then loaded and
# attached for real on that kernel with `bpfpack vmtest` (tests/check/load.c:
# libbpf open, load, attach every program). Prints one check per (object,
# kernel), "ok - agree: OBJECT on KERNEL: VERDICT" or "not ok - ... predicted
# X, got Y", the agreement matrix, and "N passed, N failed".
#
#   tests/vm/check.sh [--all] [-j N] [KERNEL...]
#
# A KERNEL is one of:
#   arm64                 the arm64 6.1 Debian cloud kernel of tests/kernels.sh
#                         --arch arm64 (below), or a skip saying why;
#   .../vmlinuz-RELEASE   a kernel with BTF; its BTF is RELEASE.btf.tar.xz of
#                         ../shared/btf-corpus;
#   .../IMAGE with a vmlinux.xz beside it (../shared/kernels/nobtf-6.1/bzImage):
#                         a kernel without BTF; its BTF is made from the
#                         vmlinux's DWARF with `bpfpack btf from-debug` and the
#                         kernel is declared `check --no-kernel-btf
#                         release=RELEASE`; in the VM the loader hands libbpf
#                         that BTF as btf_custom_path (what a tool with
#                         embedded BTF does), so CO-RE relocations resolve and
#                         what needs the kernel's own BTF fails;
#   a Debian kernel .deb  its BTF from the package; an arm64 one
#                         (linux-image-*_arm64.deb) is booted with `vmtest
#                         --arch arm64` under TCG, the objects compiled with
#                         -D__TARGET_ARCH_arm64 and a vmlinux.h of that kernel,
#                         the loader cross-built with aarch64-linux-gnu-gcc
#                         against the arm64 libbpf.a.
# Default: every vmlinuz-* of ../shared/kernels (5.10, 6.1, 6.12), the no-BTF
# 6.1 build (nobtf-6.1/bzImage) and the arm64 6.1 Debian cloud kernel
# (tests/kernels.sh --arch arm64 CODENAME-arm64; needs tests/setup-arm64.sh:
# skipped, saying why, only without it). Exit 1 when a prediction differs;
# skips (exit 0) without ../shared or clang.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BPFPACK=${BPFPACK_ROOT:-$ROOT}/bin/bpfpack
SHARED=${T_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
all=0 jobs=2 images=() want_arm64=0
while [ $# -gt 0 ]; do
	case "$1" in
	--all) all=1; shift ;;
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	arm64) want_arm64=1; shift ;;
	*) images+=("$(realpath -- "$1")"); shift ;;
	esac
done

passed=0 failed=0 skipped=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
skip() { echo "ok - $1 # SKIP $2"; skipped=$((skipped + 1)); }
not_ok() { echo "not ok - $1"; shift; printf '%s\n' "$@" | sed 's/^/#   /'; failed=$((failed + 1)); }
finish() {
	local s=
	[ "$skipped" -gt 0 ] && s=", $skipped skipped"
	echo "$passed passed, $failed failed$s"
	[ "$failed" -eq 0 ]
	exit $?
}

# The arm64 guest's busybox (vmtest and tests/setup-arm64.sh look in
# bpfpack's cache; this script may run with a cache of its own).
if [ -z "${BUSYBOX_ARM64:-}" ]; then
	for d in "${BPFPACK_CACHE_DIR:-}" "${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack" "$HOME/.cache/bpfpack"; do
		[ -n "$d" ] || continue
		b=$(ls "$d"/busybox-static_*_arm64.deb 2>/dev/null | sort -V | tail -n 1)
		[ -n "$b" ] && { export BUSYBOX_ARM64=$b; break; }
	done
fi
# The arm64 set-up (cross compiler, :arm64 libraries, busybox, the kernel).
arm64_kernel() {	# prints the arm64 kernel package, or the reason on stderr
	local why kline cache=${BPFPACK_CACHE_DIR:-}
	[[ ${BUSYBOX_ARM64:-} == *.deb ]] && cache=$(dirname "$BUSYBOX_ARM64")
	if ! why=$(BPFPACK_CACHE_DIR=$cache bash "$ROOT/tests/setup-arm64.sh" --check 2>&1); then
		echo "arm64 not set up (run tests/setup-arm64.sh): $(echo "$why" | tr '\n' ' ')" >&2
		return 1
	fi
	kline=$(bash "$ROOT/tests/kernels.sh" --arch arm64 2>/dev/null | head -n 1)
	[ -n "$kline" ] && [ -f "${kline#* }" ] || { echo "no arm64 kernel package (tests/kernels.sh --arch arm64)" >&2; return 1; }
	echo "${kline#* }"
}
if [ ${#images[@]} -eq 0 ] && [ $want_arm64 = 0 ]; then
	images=("$SHARED"/kernels/vmlinuz-*)
	[ -f "$SHARED/kernels/nobtf-6.1/vmlinux.xz" ] && images+=("$SHARED/kernels/nobtf-6.1/bzImage")
	want_arm64=1
fi
if [ $want_arm64 = 1 ]; then
	if a64=$(arm64_kernel 2>"${TMPDIR:-/tmp}/bpfpack-vm-check-arm64.$$"); then
		images+=("$a64")
	else
		skip "check agrees with real loads on arm64 6.1" "$(cat "${TMPDIR:-/tmp}/bpfpack-vm-check-arm64.$$")"
	fi
	rm -f "${TMPDIR:-/tmp}/bpfpack-vm-check-arm64.$$"
fi

CLANG=$(command -v clang-19 || command -v clang)
LIBBPF_A=$(ls "/usr/lib/$(gcc -dumpmachine 2>/dev/null)/libbpf.a" 2>/dev/null | head -n 1)
[ ${#images[@]} -gt 0 ] || finish
if [ ! -d "$CORPUS" ] || [ ! -f "${images[0]}" ] || [ -z "$CLANG" ] || [ -z "$LIBBPF_A" ]; then
	echo "ok - check agrees with real loads # SKIP needs ../shared (kernels, btf-corpus), clang and libbpf.a"
	exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-vm-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# The kernels: label (its release), image, BTF source, declared without BTF, arch.
labels=() kimgs=() kbtfs=() knobtf=() karch=()
for img in "${images[@]}"; do
	case "$img" in
	*.deb)
		rel=$(basename "$img" | sed -n 's/^linux-image-\(.*\)_[^_]*_[^_]*\.deb$/\1/p')
		arch=x86_64
		[[ $img == *_arm64.deb ]] && arch=arm64
		btf=$img nobtf=0
		;;
	*)
		if [ -f "$(dirname "$img")/vmlinux.xz" ]; then
			rel=$(file -b "$img" | sed -n 's/.*, version \([^ ]*\) .*/\1/p')
			btf=$TMP/$rel.btf nobtf=1 arch=x86_64
			if [ -z "$rel" ] || ! "$BPFPACK" btf from-debug "$(dirname "$img")/vmlinux.xz" -o "$btf" >from-debug.log 2>&1; then
				not_ok "BTF of the no-BTF kernel $img with btf from-debug" "release '${rel}'" "$(tail -n 5 from-debug.log)"
				continue
			fi
		else
			rel=${img##*/vmlinuz-}
			btf=$(find "$CORPUS" -name "$rel.btf.tar.xz" | head -n 1) nobtf=0 arch=x86_64
			if [ -z "$btf" ]; then
				not_ok "BTF of $rel in the corpus" "no $rel.btf.tar.xz under $CORPUS"
				continue
			fi
		fi
		;;
	esac
	[ -n "$rel" ] || { not_ok "the release of $img"; continue; }
	labels+=("$rel") kimgs+=("$img") kbtfs+=("$btf") knobtf+=("$nobtf") karch+=("$arch")
done
[ ${#labels[@]} -gt 0 ] || finish

# The objects, per arch: vmlinux.h of a kernel of that arch, the static loader.
bpf_cc() {	# bpf_cc ARCH OUT SRC INCLUDE_DIRS...
	local arch=$1 out=$2 src=$3 d inc=() tgt=x86 multi
	shift 3
	for d in "$@"; do inc+=(-I"$d"); done
	multi=$(gcc -dumpmachine)
	[ "$arch" = arm64 ] && tgt=arm64 multi=aarch64-linux-gnu
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_$tgt -DBPF_NO_KFUNC_PROTOTYPES -I"$arch" "${inc[@]}" \
		-I"/usr/include/$multi" -c "$src" -o "$out" 2>>bpf.err
}
build_arch() {	# build_arch ARCH VMLINUX_BTF: $ARCH/objs/*.o and $ARCH/load
	local arch=$1 vbtf=$2 src d t n cc=cc lib=$LIBBPF_A ar
	mkdir -p "$arch/objs" "$arch/tmpl"
	"$BPFPACK" vmlinux --btf "$vbtf" -o "$arch/vmlinux.h" >/dev/null 2>vmlinux.err ||
		{ not_ok "vmlinux.h for $arch" "$(cat vmlinux.err)"; return 1; }
	for src in "$ROOT"/tests/check/*.bpf.c; do
		bpf_cc "$arch" "$arch/objs/$(basename "$src" .c).o" "$src" "$ROOT/tests/check" ||
			not_ok "compile $src for $arch" "$(tail -n 5 bpf.err)"
	done
	if [ $all -eq 1 ]; then
		for src in "$ROOT"/examples/tools/*.bpf.c; do
			bpf_cc "$arch" "$arch/objs/ex_$(basename "$src" .c).o" "$src" "$ROOT/examples/tools" ||
				not_ok "compile $src for $arch" "$(tail -n 5 bpf.err)"
		done
		for d in "$ROOT"/templates/*/; do
			t=$(basename "$d") n=tmpl_$(basename "$d")
			"$BPFPACK" new "$n" -t "$t" -C "$arch/tmpl" >/dev/null 2>&1 &&
				bpf_cc "$arch" "$arch/objs/$n.bpf.o" "$arch/tmpl/$n/$n.bpf.c" "$arch/tmpl/$n" ||
				not_ok "compile template $t for $arch" "$(tail -n 5 bpf.err)"
		done
	fi
	ar=ar
	if [ "$arch" = arm64 ]; then
		cc=aarch64-linux-gnu-gcc lib=/usr/lib/aarch64-linux-gnu/libbpf.a ar=aarch64-linux-gnu-ar
	fi
	# As bpfpack's build links: the runtime's elf_compat in an archive after
	# -lelf supplies what trixie's libelf.a (elfutils 0.192) lacks, and only then.
	"$cc" -O2 -c -o "$arch/elf_compat.o" "$ROOT/runtime/elf_compat.c" 2>cc.err &&
		"$ar" rcs "$arch/elf_compat.a" "$arch/elf_compat.o" 2>>cc.err &&
		"$cc" -static -O2 -o "$arch/load" "$ROOT/tests/check/load.c" "$lib" -lelf -lz -lzstd \
			"$arch/elf_compat.a" 2>>cc.err ||
		{ not_ok "the static loader links for $arch" "$(cat cc.err)"; return 1; }
}

# Predictions: one check run per arch over its kernels, the kernels without
# BTF declared so; reality: one vmtest run per arch.
predicted() {	# predicted ARCH TOOL RELEASE
	awk -v tool="$2" -v rel="$3" '
		/^[^ ]/ { cur = $1; sub(/:$/, "", cur); next }
		cur != tool { next }
		/^  [a-z]/ { v = $1; next }
		/^    [a-z0-9?]+\/[^ ]*:/ { for (i = 2; i <= NF; i++) if ($i == rel) print v }
	' "$1/predicted.txt"
}
actual() {	# actual ARCH TOOL RELEASE: the loader's line under the kernel's "== RELEASE ==" header
	awk -v tool="$2" -v rel="$3" '
		/^== .* ==$/ { cur = $2; next }
		cur == rel && $1 == tool { print $2 }
	' "$1/actual.txt"
}
arches=()
for arch in x86_64 arm64; do
	ks=() btfargs=() nob=() vbtf=
	for i in "${!labels[@]}"; do
		[ "${karch[$i]}" = "$arch" ] || continue
		ks+=("$i")
		btfargs+=(--btf "${kbtfs[$i]}")
		[ "${knobtf[$i]}" = 1 ] && nob+=(--no-kernel-btf "release=${labels[$i]}")
		[ -n "$vbtf" ] || vbtf=${kbtfs[$i]}
	done
	[ ${#ks[@]} -gt 0 ] || continue
	# vmlinux.h from the newest kernel of the corpus for x86_64 (as before),
	# from the kernel itself for arm64.
	[ "$arch" = x86_64 ] && vbtf=$(find "$CORPUS" -name '*.btf.tar.xz' | sort -V | tail -n 1)
	build_arch "$arch" "$vbtf" || continue
	objs=("$arch"/objs/*.o)
	"$BPFPACK" check $(printf -- '--object %s ' "${objs[@]}") "${btfargs[@]}" "${nob[@]}" -j "$jobs" \
		>"$arch/predicted.txt" 2>"$arch/check.err" ||
		{ not_ok "bpfpack check runs ($arch)" "$(cat "$arch/check.err")"; continue; }
	: >"$arch/kernels"
	loadargs=()
	for i in "${ks[@]}"; do
		echo "${labels[$i]} ${kimgs[$i]}" >>"$arch/kernels"
		[ "${knobtf[$i]}" = 1 ] && loadargs=(--btf "${kbtfs[$i]}")
	done
	adds=()
	for o in "${objs[@]}"; do adds+=(--add "$TMP/$o"); done
	[ ${#loadargs[@]} -gt 0 ] && adds+=(--add "${loadargs[1]}")
	# One kernel: vmtest prints no "== NAME ==" header; add it.
	{ [ ${#ks[@]} -eq 1 ] && echo "== ${labels[${ks[0]}]} =="
	  "$BPFPACK" vmtest --arch "$arch" --kernels "$arch/kernels" -j "$jobs" --timeout 300 "${adds[@]}" \
		--add "$TMP/$arch/load" -- "$TMP/$arch/load" "${loadargs[@]}" $(printf -- "$TMP/%s " "${objs[@]}") 2>&1
	} >"$arch/actual.txt"
	arches+=("$arch")
done

names=()
shopt -s nullglob
for o in "$TMP"/*/objs/*.o; do
	n=$(basename "$o")
	n=${n%.bpf.o}
	[[ " ${names[*]} " == *" $n "* ]] || names+=("$n")
done
matrix=$(printf '%-24s' OBJECT; for r in "${labels[@]}"; do printf ' %-26s' "$r"; done; echo)
total=0 equal=0
for n in "${names[@]}"; do
	row=$(printf '%-24s' "$n")
	for i in "${!labels[@]}"; do
		r=${labels[$i]} arch=${karch[$i]}
		if [[ " ${arches[*]} " != *" $arch "* ]]; then
			row+=$(printf ' %-26s' "-")
			continue
		fi
		p=$(predicted "$arch" "$n" "$r") a=$(actual "$arch" "$n" "$r")
		total=$((total + 1))
		if [ -n "$p" ] && [ "$p" = "$a" ]; then
			ok "agree: $n on $r: $p"
			equal=$((equal + 1))
			row+=$(printf ' %-26s' "= $p")
		else
			not_ok "agree: $n on $r" "predicted ${p:-nothing}, got ${a:-nothing}" \
				"$(awk -v r="$r" -v n="$n" '/^== / { c = $2 } c == r && ($1 == n || p) { print; p = ($1 == n) }' "$arch/actual.txt" | head -n 2)"
			row+=$(printf ' %-26s' "≠ ${p:-?}/${a:-?}")
		fi
	done
	matrix+=$'\n'"$row"
done
echo "# agreement matrix (= prediction equals the real load; ≠ predicted/actual): $equal of $total pairs equal"
sed 's/^/#   /' <<<"$matrix"
finish
