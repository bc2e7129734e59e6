#!/usr/bin/env bash
# Kernels without BTF, for real: one static binary, built with embedded BTF,
# runs on a Debian kernel whose /sys/kernel/btf is hidden (vmtest --no-btf)
# and on a kernel built without BTF at all (nobtf-6.1, whose BTF comes from
# `bpfpack btf from-debug` of its DWARF). On the no-BTF kernel the runtime's
# other sources are proven too: BPFPACK_BTF and libbpf's usual vmlinux paths.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
export BPFPACK_CACHE_DIR=$T_TMP/cache

# A Debian kernel with BTF (hidden in the guest), and the no-BTF kernel.
kernels=$(bash "$BPFPACK_ROOT/tests/kernels.sh" 2>kernels.err)
deb_name=$(awk '$1 != "nobtf-6.1" { print $1; exit }' <<<"$kernels")
deb_kernel=$(awk -v n="$deb_name" '$1 == n { print $2; exit }' <<<"$kernels")
nobtf_kernel=$(awk '$1 == "nobtf-6.1" { print $2 }' <<<"$kernels")
nobtf_dwarf=${nobtf_kernel:+$(dirname "$nobtf_kernel")/vmlinux.xz}
if [ -z "$deb_kernel" ]; then
	t_skip "embedded BTF in VMs" "no kernel to boot: $(cat kernels.err)"
	t_done
fi

nobtf_rel=
srcs=(--btf "$deb_kernel")
if [ -n "$nobtf_kernel" ] && [ -f "$nobtf_dwarf" ]; then
	nobtf_rel=$(file -b "$nobtf_kernel" | sed -n 's/.*version \([^ ]*\) .*/\1/p')
	mkdir -p nobtf
	if "$BPFPACK" btf from-debug "$nobtf_dwarf" -o "nobtf/$nobtf_rel.btf" >fd.out 2>&1 &&
	   "$BPFPACK" vmlinux --btf "nobtf/$nobtf_rel.btf" -o nobtf.h && grep -q '^struct task_struct {' nobtf.h; then
		t_ok "btf from-debug makes BTF with task_struct for the no-BTF kernel ($nobtf_rel)"
	else
		t_fail "btf from-debug makes BTF with task_struct for the no-BTF kernel" "$(cat fd.out)"
		nobtf_kernel=
	fi
	srcs+=(--btf "$T_TMP/nobtf/$nobtf_rel.btf")
else
	t_skip "the real no-BTF kernel" "needs ../shared/kernels/nobtf-6.1 (building it takes ~20 minutes: see ../shared/kernels/README.md)"
	nobtf_kernel=
fi

# One tool with the BTF of both kernels; one plain tool without any.
"$BPFPACK" new vt >/dev/null && "$BPFPACK" new plain >/dev/null
if (cd vt && "$BPFPACK" build "${srcs[@]}" >../build.out 2>&1) &&
   (cd plain && "$BPFPACK" build >>../build.out 2>&1); then
	t_ok "the tool builds with the BTF of both kernels embedded"
else
	t_fail "the tool builds with the BTF of both kernels embedded" "$(tail -20 build.out)"
	t_done
fi

# The guest script: run a tool until its header is out, exec /bin/true, and
# print what it said between markers.
cat >guest.sh <<'EOT'
run() { # NAME TOOL [ENV...]
	name=$1 tool=$2; shift 2
	: >/tmp/o; : >/tmp/e
	env "$@" "$tool" -v -d 4 >/tmp/o 2>/tmp/e & p=$!
	i=0; until grep -q TIME /tmp/o || ! kill -0 $p 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
	/bin/true
	wait $p; rc=$?
	echo "== $name rc=$rc"
	grep -v '^libbpf: ' /tmp/e | sed 's/^/E: /'
	sed 's/^/O: /' /tmp/o
}
run embedded "$VT"
if [ ! -d /sys/kernel/btf ] && [ -n "$NOBTF" ]; then
	run plain "$PLAIN"
	run env "$PLAIN" BPFPACK_BTF="$NOBTF"
	mkdir -p /boot && cp "$NOBTF" /boot/vmlinux-$(uname -r)
	run usual "$PLAIN"
fi
exit 0
EOT

# exec_seen NAME: the tool, in the guest, reported /bin/true.
section() { awk -v h="== $2 " 'index($0, h) == 1 { on = 1; print; next } /^== / { on = 0 } on' "$1"; }
check_run() { # FILE KERNEL NAME WHY-REGEX
	local s
	s=$(section "$1" "$3")
	if grep -q "rc=0" <<<"$s" && grep -qE '^O: [0-9:]+ +[0-9]+ +[0-9]+ +0 +true +/bin/true$' <<<"$s" &&
	   grep -qE "$4" <<<"$s"; then
		t_ok "$2: $3: the tool loads and reports the exec"
	else
		t_fail "$2: $3: the tool loads and reports the exec" "$s"
	fi
}

args=(--kernel "$deb_kernel")
[ -n "$nobtf_kernel" ] && args+=(--kernel "$nobtf_kernel")
add=(--add "$T_TMP/vt/vt" --add "$T_TMP/plain/plain" --add "$T_TMP/guest.sh")
[ -n "$nobtf_kernel" ] && add+=(--add "$T_TMP/nobtf/$nobtf_rel.btf")
"$BPFPACK" vmtest -j 2 --no-btf --json "${args[@]}" "${add[@]}" -- \
	env VT="$T_TMP/vt/vt" PLAIN="$T_TMP/plain/plain" \
	NOBTF="${nobtf_kernel:+$T_TMP/nobtf/$nobtf_rel.btf}" sh "$T_TMP/guest.sh" \
	>vm.json 2>vm.err
rc=$?
[ $rc -eq 0 ] && t_ok "vmtest ran on every kernel" || t_fail "vmtest ran on every kernel" "exit $rc" "$(tail -20 vm.err)"
python3 - vm.json <<'EOT' || t_fail "vmtest --json is readable" "$(head -c 2000 vm.json)"
import json, sys
d = json.load(open(sys.argv[1]))
runs = d["kernels"] if isinstance(d, dict) and "kernels" in d else d
for i, k in enumerate(runs):
    open("guest.%d.out" % i, "w").write((k.get("stdout") or "") + (k.get("stderr") or ""))
    open("guest.%d.name" % i, "w").write(str(k.get("release") or k.get("kernel")))
EOT

i=0
while [ -f "guest.$i.out" ]; do
	name=$(cat "guest.$i.name")
	out=guest.$i.out
	# The guest has no os-release: the Debian kernel (keyed debian/N) is
	# found by its release alone; the no-BTF kernel's BTF has no distro key.
	if grep -qE "E: vt: BTF: embedded, for .*/$name \((release only|exact)" "$out"; then
		t_ok "$name: no BTF in the guest: the tool picks the embedded BTF of this release"
	else
		t_fail "$name: no BTF in the guest: the tool picks the embedded BTF of this release" "$(cat "$out")"
	fi
	check_run "$out" "$name" embedded "BTF: embedded"
	if [[ $name == *"$nobtf_rel"* ]] && [ -n "$nobtf_kernel" ]; then
		s=$(section "$out" plain)
		if grep -q "rc=1" <<<"$s" && [ "$(grep -c '^E: ' <<<"$s")" -le 2 ] && grep -qi "no BTF" <<<"$s"; then
			t_ok "$name: a tool without embedded BTF fails with one clear line"
		else
			t_fail "$name: a tool without embedded BTF fails with one clear line" "$s"
		fi
		check_run "$out" "$name" env "BTF: .*$nobtf_rel.btf"
		check_run "$out" "$name" usual "BTF: .*/boot/vmlinux-$nobtf_rel"
	fi
	i=$((i + 1))
done
[ $i -ge 1 ] || t_fail "the guests reported" "$(cat vm.err)"
t_done
