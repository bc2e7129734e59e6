#!/usr/bin/env bash
# t-shard: `btf gen --shard K/N` + `btf merge`, and `check --shard K/N` +
# `check --merge`. The merged set is byte-identical to a full run's (also
# with empty shards and with N = 1); a part does not depend on how the
# sources are given (a directory, or its files one by one in another order);
# the merged check report (table, JSON, markdown, the --require exit status)
# equals a full run's, with the parts in any order; merging parts that do not
# belong together, or not all of them, fails with one line naming the
# problem; a part is refused where a whole set is expected.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
SRC=$BPFPACK_ROOT/tests/check
cd "${T_TMP:?lib.sh did not load}" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache

K612=$CORPUS/debian/13/x86_64/6.12.117+deb13-cloud-amd64.btf.tar.xz
CLANG=$(command -v clang-19 || command -v clang)
if [ ! -f "$K612" ] || [ -z "$CLANG" ]; then
	t_skip "shards and merge" "needs ../shared/btf-corpus and clang"
	t_done
fi
"$BPFPACK" vmlinux --btf "$K612" -o vmlinux.h 2>/dev/null
for n in baseline field_unguarded helper_new; do
	"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -DBPF_NO_KFUNC_PROTOTYPES -I. -I"$SRC" \
		-c "$SRC/$n.bpf.c" -o "$n.bpf.o" || { t_fail "compile $n"; t_done; }
done
OBJ=field_unguarded.bpf.o
S=(--btf "$CORPUS" --filter debian:11,debian:13)

# ---- btf gen --shard / btf merge ----
"$BPFPACK" btf gen --object $OBJ "${S[@]}" -j 2 -o full.btfset >/dev/null
for k in 1 2 3; do "$BPFPACK" btf gen --object $OBJ "${S[@]}" -j 2 --shard $k/3 -o p$k.part >/dev/null; done
"$BPFPACK" btf merge p3.part p1.part p2.part -o merged.btfset >/dev/null
if [ -s full.btfset ] && cmp -s full.btfset merged.btfset; then
	t_ok "btf merge of 3 shards is byte-identical to the full run"
else
	t_fail "btf merge of 3 shards is byte-identical to the full run" "$(ls -l full.btfset merged.btfset 2>&1)"
fi
"$BPFPACK" btf gen --object $OBJ "${S[@]}" -j 2 --shard 1/1 -o one.part >/dev/null
"$BPFPACK" btf merge one.part -o one.btfset >/dev/null
if cmp -s full.btfset one.btfset; then t_ok "--shard 1/1 merges to the full set"; else t_fail "--shard 1/1 merges to the full set"; fi

# 4 kernels over 6 shards: some shards are empty.
"$BPFPACK" btf gen --object $OBJ --btf "$CORPUS" --filter debian:13 -j 2 -o d13.btfset >/dev/null
parts=() empty=0
for k in 1 2 3 4 5 6; do
	"$BPFPACK" btf gen --object $OBJ --btf "$CORPUS" --filter debian:13 -j 2 --shard $k/6 -o e$k.part >e$k.log
	grep -q ': 0 of 4 kernels' e$k.log && empty=$((empty + 1))
	parts+=(e$k.part)
done
"$BPFPACK" btf merge "${parts[@]}" -o e.btfset >/dev/null
if [ "$empty" -gt 0 ] && cmp -s d13.btfset e.btfset; then
	t_ok "empty shards ($empty of 6) merge too, byte-identically"
else
	t_fail "empty shards merge too, byte-identically" "empty: $empty"
fi

# The same shard from the directory and from its files, reversed.
files=()
while IFS= read -r f; do files+=(--btf "$f"); done < <(find "$CORPUS/debian/11" "$CORPUS/debian/13" -name '*.btf.tar.xz' | sort -r)
"$BPFPACK" btf gen --object $OBJ "${files[@]}" -j 2 --shard 2/3 -o p2-files.part >/dev/null
if cmp -s p2.part p2-files.part; then
	t_ok "a shard depends on the kernels' keys, not on how the sources are given"
else
	t_fail "a shard depends on the kernels' keys, not on how the sources are given"
fi

# A kernel given by two sources is one kernel of the set, sharded or not.
"$BPFPACK" btf gen --object $OBJ --btf "$CORPUS" --filter debian:13 --btf "$K612" -j 2 -o dup.btfset >/dev/null
for k in 1 2; do
	"$BPFPACK" btf gen --object $OBJ --btf "$CORPUS" --filter debian:13 --btf "$K612" -j 2 --shard $k/2 \
		-o dup$k.part >/dev/null
done
if "$BPFPACK" btf merge dup1.part dup2.part -o dup-m.btfset >dup.log 2>&1 && cmp -s dup.btfset dup-m.btfset; then
	t_ok "a kernel given twice merges as the full run keeps it: once"
else
	t_fail "a kernel given twice merges as the full run keeps it: once" "$(cat dup.log)"
fi

t_expect_error "merge: a missing shard is named" 1 'shard 2 of 3 missing' \
	"$BPFPACK" btf merge p1.part p3.part -o x.btfset
t_expect_error "merge: a shard given twice is named" 1 'shard 1/3 is given twice' \
	"$BPFPACK" btf merge p1.part p2.part p3.part p1.part -o x.btfset
"$BPFPACK" btf gen --object baseline.bpf.o "${S[@]}" -j 2 --shard 2/3 -o other-obj.part >/dev/null
t_expect_error "merge: parts of another object" 1 'parts of sets for different BPF objects' \
	"$BPFPACK" btf merge p1.part other-obj.part p3.part -o x.btfset
"$BPFPACK" btf gen --object $OBJ "${S[@]}" -j 2 --shard 2/4 -o n4.part >/dev/null
t_expect_error "merge: parts of another split" 1 'different splits: shard 1/3 and 2/4' \
	"$BPFPACK" btf merge p1.part n4.part p3.part -o x.btfset
"$BPFPACK" btf gen --object $OBJ --btf "$CORPUS" --filter debian:11 -j 2 --shard 2/3 -o other-sel.part >/dev/null
t_expect_error "merge: parts over other kernels" 1 'parts of sets over different kernels' \
	"$BPFPACK" btf merge p1.part other-sel.part p3.part -o x.btfset
t_expect_error "merge: a whole set is not a part" 1 'full.btfset is a whole BTF set, not a part' \
	"$BPFPACK" btf merge full.btfset -o x.btfset
cp p1.part bad.part
printf 'X' | dd of=bad.part bs=1 seek=20 conv=notrunc 2>/dev/null
t_expect_error "merge: a corrupt part" 1 'bad.part: checksum mismatch' \
	"$BPFPACK" btf merge bad.part p2.part p3.part -o x.btfset
if [ ! -e x.btfset ]; then t_ok "a failed merge writes nothing"; else t_fail "a failed merge writes nothing"; fi
t_expect_error "--shard takes K/N" 2 "--shard takes K/N" \
	"$BPFPACK" btf gen --object $OBJ "${S[@]}" --shard 4/3 -o x.part

# A part cannot pass for a set: embed --set refuses it as the runtime would.
"$BPFPACK" new tool -C . >/dev/null
if (cd tool && "$BPFPACK" build -j 2 >build.log 2>&1); then
	"$BPFPACK" btf gen -C tool --btf "$CORPUS" --filter debian:13 -j 2 --shard 1/1 >/dev/null
	t_expect_error "embed --set refuses a partial set" 1 'a partial BTF set .*btf merge' \
		"$BPFPACK" btf embed tool/tool --set tool/.output/tool.1-of-1.btfpart
	"$BPFPACK" btf merge tool/.output/tool.1-of-1.btfpart -o tool.btfset >/dev/null
	if "$BPFPACK" btf embed tool/tool --set tool.btfset >/dev/null && "$BPFPACK" inspect tool/tool | grep -q '4 kernels'; then
		t_ok "embed --set puts a merged set into the tool"
	else
		t_fail "embed --set puts a merged set into the tool" "$("$BPFPACK" inspect tool/tool 2>&1 | head)"
	fi
	t_expect_error "embed --set refuses a set of another object" 1 'made for another BPF object' \
		"$BPFPACK" btf embed tool/tool --set full.btfset
else
	t_fail "the default template builds" "$(tail -n 20 tool/build.log)"
fi

# ---- check --shard / check --merge ----
O=(--object baseline.bpf.o --object field_unguarded.bpf.o --object helper_new.bpf.o --btf "$CORPUS")
"$BPFPACK" check "${O[@]}" -j 2 >full.txt 2>/dev/null
"$BPFPACK" check "${O[@]}" -j 2 --json >full.json 2>/dev/null
"$BPFPACK" check "${O[@]}" -j 2 --markdown >full.md 2>/dev/null
"$BPFPACK" check "${O[@]}" -j 2 --require debian:11 >/dev/null 2>&1
full_req=$?
for k in 1 2 3 4; do "$BPFPACK" check "${O[@]}" -j 2 --shard $k/4 -o c$k.part 2>/dev/null; done
"$BPFPACK" check --merge c4.part c2.part c1.part c3.part >m.txt
"$BPFPACK" check --merge c1.part c2.part c3.part c4.part --json >m.json
"$BPFPACK" check --merge c1.part c2.part c3.part c4.part --markdown >m.md
"$BPFPACK" check --merge c1.part c2.part c3.part c4.part --require debian:11 >/dev/null 2>&1
m_req=$?
if grep -q 'load-fail' full.txt && cmp -s full.txt m.txt && cmp -s full.json m.json && cmp -s full.md m.md; then
	t_ok "check --merge prints the full run's report (table, JSON, markdown)"
else
	t_fail "check --merge prints the full run's report" "$(diff full.txt m.txt | head)"
fi
if [ "$full_req" = 1 ] && [ "$m_req" = 1 ] &&
	"$BPFPACK" check --merge c1.part c2.part c3.part c4.part --require debian:13 >/dev/null 2>&1; then
	t_ok "check --merge --require exits as the full run does"
else
	t_fail "check --merge --require exits as the full run does" "full $full_req, merged $m_req"
fi
t_expect_error "check --merge: a missing shard is named" 1 'shards 2, 4 of 4 missing' \
	"$BPFPACK" check --merge c1.part c3.part
t_expect_error "check --merge: a shard given twice" 1 'shard 3/4 is given twice' \
	"$BPFPACK" check --merge c1.part c2.part c3.part c3.part c4.part
"$BPFPACK" check --object baseline.bpf.o --btf "$CORPUS" -j 2 --shard 2/4 -o o2.part 2>/dev/null
t_expect_error "check --merge: results of other objects" 1 'results for different BPF objects' \
	"$BPFPACK" check --merge c1.part o2.part c3.part c4.part
head -n 5 c2.part >cut.part
t_expect_error "check --merge: a truncated part" 1 'cut.part: truncated: no end line' \
	"$BPFPACK" check --merge c1.part cut.part c3.part c4.part
t_expect_error "check --shard needs -o" 2 '--shard needs -o PART' \
	"$BPFPACK" check "${O[@]}" --shard 1/4
t_done
