#!/usr/bin/env bash
# t-check-truth: `bpfpack check` predicts the exact verdict of each
# purpose-built object of tests/check/ on the three kernels of
# ../shared/kernels (Debian 5.10, 6.1, 6.12; their BTF from ../shared/btf-corpus):
# each object uses one feature whose availability differs between them (a
# helper newer than 5.10, a map type newer than 5.10, task_struct.__state
# (state before 5.14) read with and without a bpf_core_field_exists guard,
# kfuncs of 6.2 (plain, __weak behind bpf_ksym_exists, __weak unguarded), a tracepoint of 6.5, an fentry target no kernel has,
# one every kernel has). The reasons must name what is missing and, for the
# renamed field, what the kernel has instead. The same objects on 6.1
# declared a kernel without BTF (--no-kernel-btf): "needs kernel BTF" for
# what needs it, nothing else changes. Then --json, --markdown and --require.
# Skips (saying so) on a machine without ../shared.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
SRC=$BPFPACK_ROOT/tests/check
cd "${T_TMP:?lib.sh did not load}" || exit 1

K510=$CORPUS/debian/11/x86_64/5.10.0-32-cloud-amd64.btf.tar.xz
K61=$CORPUS/debian/12/x86_64/6.1.0-50-cloud-amd64.btf.tar.xz
K612=$CORPUS/debian/13/x86_64/6.12.117+deb13-cloud-amd64.btf.tar.xz
R510=5.10.0-32-cloud-amd64 R61=6.1.0-50-cloud-amd64 R612=6.12.117+deb13-cloud-amd64

if [ ! -f "$K510" ] || [ ! -f "$K61" ] || [ ! -f "$K612" ]; then
	t_skip "check predicts the purpose-built objects" "needs ../shared/btf-corpus (5.10, 6.1, 6.12 cloud kernels)"
	t_done
fi
CLANG=$(command -v clang-19 || command -v clang)
if [ -z "$CLANG" ]; then
	t_skip "check predicts the purpose-built objects" "needs clang"
	t_done
fi

# The header from the newest kernel: it declares everything the objects use.
if ! "$BPFPACK" vmlinux --btf "$K612" -o vmlinux.h 2>vmlinux.err; then
	t_fail "vmlinux.h of 6.12" "$(cat vmlinux.err)"
	t_done
fi
objs=()
for src in "$SRC"/*.bpf.c; do
	n=$(basename "$src" .c)
	if ! "$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -DBPF_NO_KFUNC_PROTOTYPES -I. -I"$SRC" \
		-c "$src" -o "$n.o" 2>"$n.err"; then
		t_fail "compile $n" "$(cat "$n.err")"
		continue
	fi
	objs+=(--object "$n.o")
done

if ! "$BPFPACK" check "${objs[@]}" --btf "$K510" --btf "$K61" --btf "$K612" -j 2 >table.txt 2>table.err; then
	t_fail "check runs" "$(cat table.err)"
	t_done
fi

# verdict TOOL RELEASE [TABLE]: the verdict the table gives TOOL on RELEASE.
verdict() {
	awk -v tool="$1" -v rel="$2" '
		/^[^ ]/ { cur = $1; sub(/:$/, "", cur); next }
		cur != tool { next }
		/^  [a-z]/ { v = $1; next }
		/^    [a-z0-9]+\/[^ ]*:/ { for (i = 2; i <= NF; i++) if ($i == rel) print v }
	' "${3:-table.txt}"
}

# expect TOOL V510 V61 V612
expect() {
	local tool=$1 got510 got61 got612
	got510=$(verdict "$tool" $R510)
	got61=$(verdict "$tool" $R61)
	got612=$(verdict "$tool" $R612)
	if [ "$got510 $got61 $got612" = "$2 $3 $4" ]; then
		t_ok "check: $tool is $2 on 5.10, $3 on 6.1, $4 on 6.12"
	else
		t_fail "check: $tool is $2 on 5.10, $3 on 6.1, $4 on 6.12" \
			"got: ${got510:-none} on 5.10, ${got61:-none} on 6.1, ${got612:-none} on 6.12" "$(cat table.txt)"
	fi
}

expect baseline ok ok ok
expect helper_new load-fail ok ok
expect map_new load-fail ok ok
expect field_unguarded load-fail ok ok
expect field_guarded ok ok ok
expect kfunc load-fail load-fail ok
expect tp_new attach-fail attach-fail ok
expect fentry_missing load-fail load-fail load-fail
expect core_kinds ok ok ok
expect kfunc_weak ok ok ok
expect kfunc_weak_unguarded load-fail load-fail ok
expect fentry_exists ok ok ok

# A kernel without BTF of its own (6.1 declared so; its BTF stands in, as
# embedded BTF does): what needs the kernel's own BTF is load-fail, "needs
# kernel BTF", and nothing else changes (CO-RE relocations still resolve
# against the BTF, tp programs still load).
if "$BPFPACK" check "${objs[@]}" --btf "$K61" --btf "$K612" --no-kernel-btf release=$R61 -j 2 >nokbtf.txt 2>nokbtf.err; then
	nokbtf() {	# nokbtf TOOL VERDICT_NO_BTF VERDICT_612
		local got got612
		got=$(verdict "$1" $R61 nokbtf.txt)
		got612=$(verdict "$1" $R612 nokbtf.txt)
		if [ "$got $got612" = "$2 $3" ]; then
			t_ok "check --no-kernel-btf: $1 is $2 on 6.1 without BTF, $3 on 6.12"
		else
			t_fail "check --no-kernel-btf: $1 is $2 on 6.1 without BTF, $3 on 6.12" \
				"got: ${got:-none}, ${got612:-none}" "$(cat nokbtf.txt)"
		fi
	}
	nokbtf baseline ok ok
	nokbtf map_new ok ok
	nokbtf field_unguarded ok ok
	nokbtf field_guarded ok ok
	nokbtf core_kinds ok ok
	nokbtf tp_new attach-fail ok
	nokbtf helper_new load-fail ok
	nokbtf fentry_exists load-fail ok
	nokbtf fentry_missing load-fail load-fail
	nokbtf kfunc load-fail ok
	nokbtf kfunc_weak load-fail ok
	nokbtf kfunc_weak_unguarded load-fail ok
	if grep -q "^    debian/12/x86_64: $R61 (no kernel BTF)\$" nokbtf.txt &&
		grep -qE '^    - kernel_btf in on_unlink: needs kernel BTF: fentry/fexit/fmod_ret/tp_btf/iterator programs \(section fentry/do_unlinkat\)' nokbtf.txt &&
		grep -qE '^    - kernel_btf: needs kernel BTF: kfunc bpf_task_acquire ' nokbtf.txt &&
		grep -qE '^    - kernel_btf in on_exec: needs kernel BTF: helper bpf_get_current_task_btf \(#158\) returns' nokbtf.txt; then
		t_ok "check --no-kernel-btf: the kernel is marked, each reason says needs kernel BTF and why"
	else
		t_fail "check --no-kernel-btf: the kernel is marked, each reason says needs kernel BTF and why" "$(cat nokbtf.txt)"
	fi
else
	t_fail "check --no-kernel-btf runs" "$(cat nokbtf.err)"
fi

# has_reason NAME REGEX: the table says REGEX.
has_reason() {
	if grep -qE "$2" table.txt; then t_ok "$1"; else t_fail "$1" "no /$2/ in:" "$(cat table.txt)"; fi
}
has_reason "the renamed field: what is missing and what the kernel has instead" \
	'relocation in on_exec: struct task_struct\.__state .*: struct task_struct has no field __state; it has state'
has_reason "the reason carries the source line from .BTF.ext line info" 'at field_unguarded\.bpf\.c:[0-9]+'
has_reason "the helper by name and id" 'helper bpf_get_current_task_btf \(#158\) is not in the kernel'
has_reason "the map type by name" 'map seen: BPF_MAP_TYPE_BLOOM_FILTER .* not in the kernel'
has_reason "the kfunc by name" 'kfunc bpf_task_acquire is not in the kernel'
has_reason "the tracepoint verdict says it is approximate and why" 'attach-fail \(approximate\)'
has_reason "the fentry target by name" 'function bpfpack_no_such_function is not in the kernel'

# JSON: parses (when python3 is here), has the documented fields.
if "$BPFPACK" check "${objs[@]}" --btf "$K510" --btf "$K61" --json >out.json 2>json.err; then
	if command -v python3 >/dev/null; then
		if python3 - out.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["tool"]: x for x in d["tools"]}
k = t["field_unguarded"]["kernels"]
assert [x["verdict"] for x in k] == ["load-fail", "ok"], k
assert k[0]["release"] == "5.10.0-32-cloud-amd64" and k[0]["distro"] == "debian" and k[0]["arch"] == "x86_64"
r = k[0]["reasons"][0]
assert r["what"] == "relocation" and "it has state" in r["detail"] and r["line"], r
assert t["tp_new"]["kernels"][0]["approximate"] is True
EOF
		then t_ok "--json has the verdicts, reasons and kernel keys"; else t_fail "--json has the verdicts, reasons and kernel keys" "$(head -c 2000 out.json)"; fi
	else
		t_skip "--json has the verdicts, reasons and kernel keys" "needs python3 to parse JSON"
	fi
else
	t_fail "--json runs" "$(cat json.err)"
fi

if "$BPFPACK" check --object field_unguarded.bpf.o --btf "$K510" --btf "$K612" --markdown >out.md 2>md.err &&
	grep -q '^| field\\_unguarded | 2 | 1 | 0 | 1 |$' out.md && grep -q '^\*\*load-fail\*\* on 1 kernel' out.md; then
	t_ok "--markdown: a summary table and the groups"
else
	t_fail "--markdown: a summary table and the groups" "$(cat out.md md.err 2>/dev/null)"
fi

# --require: a gate over the kernels the spec matches.
"$BPFPACK" check --object field_guarded.bpf.o --btf "$K510" --btf "$K612" --require debian >/dev/null 2>req.err
rc=$?
if [ $rc -eq 0 ]; then t_ok "--require passes when every required kernel is ok"; else t_fail "--require passes when every required kernel is ok" "exit $rc" "$(cat req.err)"; fi
t_expect_error "--require fails when a required kernel is not ok" 1 '1 of 2 required .* not ok' \
	"$BPFPACK" check --object field_unguarded.bpf.o --btf "$K510" --btf "$K612" --require debian
"$BPFPACK" check --object field_unguarded.bpf.o --btf "$K510" --btf "$K612" --require debian:13 >/dev/null 2>req.err
rc=$?
if [ $rc -eq 0 ]; then t_ok "--require only gates the kernels it matches"; else t_fail "--require only gates the kernels it matches" "exit $rc" "$(cat req.err)"; fi
# btf gen (and so build --btf) says in one line when some kernels will not
# load the tool, from the verdicts it left while minimizing; silent when all
# load.
"$BPFPACK" btf gen --object field_unguarded.bpf.o --btf "$K510" --btf "$K612" -o ungu.btfset >gen.out 2>gen.err
if grep -q '^  CHECK     1 of 2 kernels will not load field_unguarded: bpfpack check$' gen.out; then
	t_ok "btf gen: one line when some kernels will not load the tool"
else
	t_fail "btf gen: one line when some kernels will not load the tool" "$(cat gen.out gen.err)"
fi
# ... and counts a kernel declared without BTF where the tool needs it (a
# cache of its own: the verdicts are left by the minimizing).
BPFPACK_CACHE_DIR=$T_TMP/gen-cache "$BPFPACK" btf gen --object fentry_exists.bpf.o --btf "$K510" --btf "$K612" --no-kernel-btf release=$R510 \
	-o fe.btfset >gen3.out 2>gen3.err
if grep -q '^  CHECK     1 of 2 kernels will not load fentry_exists: bpfpack check$' gen3.out; then
	t_ok "btf gen --no-kernel-btf: the line counts the kernel without BTF"
else
	t_fail "btf gen --no-kernel-btf: the line counts the kernel without BTF" "$(cat gen3.out gen3.err)"
fi
"$BPFPACK" btf gen --object field_guarded.bpf.o --btf "$K510" --btf "$K612" -o gu.btfset >gen2.out 2>gen2.err
if [ -s gu.btfset ] && ! grep -q 'CHECK' gen2.out; then
	t_ok "btf gen: no such line when every kernel loads the tool"
else
	t_fail "btf gen: no such line when every kernel loads the tool" "$(cat gen2.out gen2.err)"
fi
t_done
