#!/usr/bin/env bash
# t-btf-kcache: btf gen's decoded-kernel cache and its engines. A cold run
# decodes every kernel and keeps each decoded; a run for a changed object
# (new relocations) over the same kernels decodes none and makes the same set
# as a run without the cache; the verdicts btf gen leaves for check are the
# ones check finds alone; the cache stays under its bound (least recently
# used files go first); a cache that cannot be written warns once and the run
# goes on; BPFPACK_KERNEL_CACHE=0 and --no-kernel-cache keep it off;
# --no-verdicts leaves check's verdicts out; both
# engines make the same set; a bad --engine is a usage error.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
cd "${T_TMP:?lib.sh did not load}" || exit 1

CLANG=$(command -v clang-19 || command -v clang)
if [ -d "$CORPUS/debian/12" ]; then
	SRC=(--btf "$CORPUS" --filter debian:12)
	N=$(find "$CORPUS/debian/12" -name '*.btf.tar.xz' | wc -l)
	NEWEST=$(ls "$CORPUS"/debian/12/x86_64/*.btf.tar.xz | tail -n 1)
elif [ -r /sys/kernel/btf/vmlinux ]; then
	# A btfhub tree of the running kernel alone.
	mkdir -p hub/x/1/x86_64 && cp /sys/kernel/btf/vmlinux "hub/x/1/x86_64/$(uname -r).btf" &&
		tar cJf "hub/x/1/x86_64/$(uname -r).btf.tar.xz" -C hub/x/1/x86_64 "$(uname -r).btf" &&
		rm "hub/x/1/x86_64/$(uname -r).btf"
	SRC=(--btf "$T_TMP/hub")
	N=1
	NEWEST=/sys/kernel/btf/vmlinux
	echo "# no ../shared/btf-corpus: the running kernel's BTF only"
else
	t_skip "decoded-kernel cache" "needs ../shared/btf-corpus or /sys/kernel/btf/vmlinux"
	t_done
fi
if [ -z "$CLANG" ]; then
	t_skip "decoded-kernel cache" "needs clang"
	t_done
fi

"$BPFPACK" vmlinux --btf "$NEWEST" -o vmlinux.h 2>vmlinux.err || { t_fail "vmlinux.h" "$(cat vmlinux.err)"; t_done; }
bpf_cc() {	# bpf_cc OUT SRC
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -DBPF_NO_KFUNC_PROTOTYPES -I. -I"$BPFPACK_ROOT/tests/check" \
		-I"/usr/include/$(gcc -dumpmachine)" -c "$2" -o "$1" 2>>bpf.err
}
# The "edit": the guarded field read, then the unguarded one (a different
# relocation set: a different relocation key).
if ! bpf_cc a.o "$BPFPACK_ROOT/tests/check/field_guarded.bpf.c" ||
	! bpf_cc b.o "$BPFPACK_ROOT/tests/check/field_unguarded.bpf.c"; then
	t_fail "the test objects compile" "$(cat bpf.err)"
	t_done
fi

decoded() { sed -n 's/.*minimized: \([0-9]*\) decoded from.*/\1/p' "$1" | tail -n 1; }

export BPFPACK_CACHE_DIR=$T_TMP/cache
"$BPFPACK" btf gen -v --object a.o "${SRC[@]}" -o a.set -j 2 >a.out 2>a.err
files=$(find cache/kernels -name '*.btf' 2>/dev/null | wc -l)
if [ "$(decoded a.err)" = "$N" ] && [ "$files" -eq "$N" ]; then
	t_ok "a cold run decodes each of the $N kernels and keeps it decoded"
else
	t_fail "a cold run decodes each of the $N kernels and keeps it decoded" "decoded: $(decoded a.err), files: $files" "$(tail -n 5 a.err)"
fi

"$BPFPACK" btf gen -v --object b.o "${SRC[@]}" -o b.set -j 2 >b.out 2>b.err
if [ "$(decoded b.err)" = 0 ] && grep -q "($N minimized" <(sed 's/0 cached, //' b.out); then
	t_ok "a changed object is minimized again on every kernel without decoding one"
else
	t_fail "a changed object is minimized again on every kernel without decoding one" "$(cat b.out)" "$(tail -n 5 b.err)"
fi
BPFPACK_CACHE_DIR=$T_TMP/cache-off "$BPFPACK" btf gen --no-kernel-cache --object b.o "${SRC[@]}" -o b-off.set -j 2 \
	>/dev/null 2>off.err
if cmp -s b.set b-off.set && [ ! -e cache-off/kernels ]; then
	t_ok "--no-kernel-cache decodes from the sources and makes the same set"
else
	t_fail "--no-kernel-cache decodes from the sources and makes the same set" "$(ls cache-off 2>&1)" "$(cat off.err)"
fi
BPFPACK_KERNEL_CACHE=0 BPFPACK_CACHE_DIR=$T_TMP/cache-env "$BPFPACK" btf gen --object a.o "${SRC[@]}" -o a-env.set \
	-j 2 >/dev/null 2>env.err
if cmp -s a.set a-env.set && [ ! -e cache-env/kernels ]; then
	t_ok "BPFPACK_KERNEL_CACHE=0 turns the cache off"
else
	t_fail "BPFPACK_KERNEL_CACHE=0 turns the cache off" "$(ls cache-env 2>&1)" "$(cat env.err)"
fi

# The verdicts btf gen left (it decoded b's kernels for both) are check's own.
"$BPFPACK" check --object b.o "${SRC[@]}" --json -j 2 >after-gen.json 2>check1.err
BPFPACK_CACHE_DIR=$T_TMP/cache-alone "$BPFPACK" check --no-kernel-cache --object b.o "${SRC[@]}" --json -j 2 \
	>alone.json 2>check2.err
if [ -s alone.json ] && cmp -s after-gen.json alone.json && [ -d cache/check ]; then
	t_ok "the verdicts btf gen leaves for check equal check's own"
else
	t_fail "the verdicts btf gen leaves for check equal check's own" "$(diff after-gen.json alone.json | head -n 5)" \
		"$(cat check1.err check2.err)"
fi

BPFPACK_CACHE_DIR=$T_TMP/cache-nov "$BPFPACK" btf gen --no-verdicts --object b.o "${SRC[@]}" -o b-nov.set -j 2 \
	>/dev/null 2>nov.err
if cmp -s b.set b-nov.set && [ ! -e cache-nov/check ] && [ -d cache-nov/kernels ]; then
	t_ok "--no-verdicts leaves no verdicts, the same set"
else
	t_fail "--no-verdicts leaves no verdicts, the same set" "$(ls cache-nov 2>&1)" "$(cat nov.err)"
fi

# Bounded: a limit below the corpus keeps the newest files only.
if [ "$N" -gt 2 ]; then
	one=$(find cache/kernels -name '*.btf' -printf '%s\n' | sort -n | tail -n 1)
	limit=$((one * 2 + one / 2))
	BPFPACK_KERNEL_CACHE_MAX=$limit BPFPACK_CACHE_DIR=$T_TMP/cache-small "$BPFPACK" btf gen --object a.o "${SRC[@]}" \
		-o a-small.set -j 2 >/dev/null 2>small.err
	total=$(find cache-small/kernels -name '*.btf' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	kept=$(find cache-small/kernels -name '*.btf' | wc -l)
	if cmp -s a.set a-small.set && [ "$total" -le "$limit" ] && [ "$kept" -ge 1 ] && [ "$kept" -lt "$N" ]; then
		t_ok "the cache stays under BPFPACK_KERNEL_CACHE_MAX ($kept of $N kernels, $total <= $limit bytes)"
	else
		t_fail "the cache stays under BPFPACK_KERNEL_CACHE_MAX" "kept $kept, $total bytes, limit $limit" "$(cat small.err)"
	fi
fi
# Least recently used first: every kernel of debian 12 made old but one, then
# a run that decodes the debian 11 kernels under a bound that fits those and
# one more: the one recently used stays, the others go.
if [ "$N" -gt 2 ] && [ -d "$CORPUS/debian/11" ] && bpf_cc c.o "$BPFPACK_ROOT/tests/check/baseline.bpf.c"; then
	BPFPACK_CACHE_DIR=$T_TMP/cache-measure "$BPFPACK" btf gen --object c.o --btf "$CORPUS" --filter debian:11 \
		-o measure.set -j 2 >/dev/null 2>measure.err
	t11=$(find cache-measure/kernels -name '*.btf' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	find cache/kernels -name '*.btf' -exec touch -d '2020-01-01 00:00' {} +
	recent=$(find cache/kernels -name '*.btf' | sort | head -n 1)
	touch "$recent"
	rsize=$(stat -c %s "$recent")
	smallest=$(find cache/kernels -name '*.btf' -printf '%s\n' | sort -n | head -n 1)
	limit=$((t11 + rsize + smallest / 2))
	BPFPACK_KERNEL_CACHE_MAX=$limit "$BPFPACK" btf gen --object c.o --btf "$CORPUS" --filter debian:11 -o c.set \
		-j 2 >/dev/null 2>lru.err
	old_left=$(find cache/kernels -name '*.btf' ! -newermt '2021-01-01' | wc -l)
	total=$(find cache/kernels -name '*.btf' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	if [ -e "$recent" ] && [ "$old_left" -eq 0 ] && [ "$total" -le "$limit" ]; then
		t_ok "eviction takes the least recently used kernels first"
	else
		t_fail "eviction takes the least recently used kernels first" \
			"recent kept: $([ -e "$recent" ] && echo yes || echo no), old left: $old_left, $total > $limit?" \
			"$(cat measure.err lru.err)"
	fi
fi

# A cache that cannot be written: one warning, the same set.
mkdir -p cache-ro && : >cache-ro/kernels
BPFPACK_CACHE_DIR=$T_TMP/cache-ro "$BPFPACK" btf gen --object a.o "${SRC[@]}" -o a-ro.set -j 2 >/dev/null 2>ro.err
rc=$?
if [ $rc -eq 0 ] && cmp -s a.set a-ro.set && [ "$(grep -c 'decoded-kernel cache' ro.err)" -eq 1 ]; then
	t_ok "a cache that cannot be written warns once and btf gen goes on"
else
	t_fail "a cache that cannot be written warns once and btf gen goes on" "exit $rc" "$(cat ro.err)"
fi

# Both engines, the same set.
BPFPACK_CACHE_DIR=$T_TMP/cache-bpftool "$BPFPACK" btf gen --engine bpftool --object b.o "${SRC[@]}" -o b-bpftool.set \
	-j 2 >/dev/null 2>bpftool.err
if cmp -s b.set b-bpftool.set; then
	t_ok "--engine bpftool and the native engine make the same set"
else
	t_fail "--engine bpftool and the native engine make the same set" "$(cat bpftool.err)"
fi
t_expect_error "a bad --engine is a usage error" 2 "--engine takes native or bpftool" \
	"$BPFPACK" btf gen --engine fast --object a.o "${SRC[@]}" -o x.set
t_no_temps "no temp files are left in the cache" cache
# The minimized-BTF cache is keyed by content: the same bytes filed under
# another distro, version and release are not minimized again.
one=$NEWEST
[ -d "$CORPUS/debian/12" ] || one=$T_TMP/hub/x/1/x86_64/$(uname -r).btf.tar.xz
mkdir -p same1/debian/12/x86_64 same2/other/7/x86_64
cp "$one" same1/debian/12/x86_64/ && cp "$one" same2/other/7/x86_64/9.9.9-renamed.btf.tar.xz
BPFPACK_CACHE_DIR=$T_TMP/cache-same "$BPFPACK" btf gen --object a.o --btf same1 -o same1.set >same1.out 2>&1
BPFPACK_CACHE_DIR=$T_TMP/cache-same "$BPFPACK" btf gen --object a.o --btf same2 -o same2.set >same2.out 2>&1
if grep -q '(0 cached, 1 minimized)' same1.out && grep -q '(1 cached, 0 minimized)' same2.out; then
	t_ok "the same kernel bytes under another name are not minimized again"
else
	t_fail "the same kernel bytes under another name are not minimized again" "$(cat same1.out same2.out)"
fi
t_done
