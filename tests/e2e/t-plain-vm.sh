#!/usr/bin/env bash
# Unmodified plain-libbpf code on kernels without BTF: examples/plain (its own
# main opening a skeleton; a loader with bpf_object__open_file on a .bpf.o;
# no bpfpack API anywhere), built with --btf for the no-BTF 6.1 kernel and
# for Debian's 5.10, runs in VMs on the no-BTF kernel and on 5.10 with its
# BTF hidden (vmtest --no-btf), and reports the right events: the runtime,
# linked in through the wrapped libbpf open functions, hands libbpf the
# embedded BTF. One boot per kernel.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
export BPFPACK_CACHE_DIR=$T_TMP/cache

kernels=$(bash "$BPFPACK_ROOT/tests/kernels.sh" 2>kernels.err)
k510=$(awk '$1 == "5.10" { print $2 }' <<<"$kernels")
nobtf_kernel=$(awk '$1 == "nobtf-6.1" { print $2 }' <<<"$kernels")
nobtf_dwarf=${nobtf_kernel:+$(dirname "$nobtf_kernel")/vmlinux.xz}
if [ -z "$k510" ] && [ -z "$nobtf_kernel" ]; then
	t_skip "plain libbpf tools in VMs" "neither the 5.10 nor the no-BTF kernel is here: $(cat kernels.err)"
	t_done
fi

srcs=() args=()
if [ -n "$k510" ]; then
	srcs+=(--btf "$k510")
	args+=(--kernel "$k510")
else
	t_skip "Debian 5.10 with its BTF hidden" "needs ../shared/kernels (5.10)"
fi
nobtf_rel=
if [ -n "$nobtf_kernel" ] && [ -f "$nobtf_dwarf" ]; then
	nobtf_rel=$(file -b "$nobtf_kernel" | sed -n 's/.*version \([^ ]*\) .*/\1/p')
	mkdir -p nobtf
	if "$BPFPACK" btf from-debug "$nobtf_dwarf" -o "nobtf/$nobtf_rel.btf" >fd.out 2>&1; then
		srcs+=(--btf "$T_TMP/nobtf/$nobtf_rel.btf")
		args+=(--kernel "$nobtf_kernel")
	else
		t_fail "btf from-debug for the no-BTF kernel" "$(cat fd.out)"
	fi
else
	t_skip "the real no-BTF kernel" "needs ../shared/kernels/nobtf-6.1 (building it takes ~20 minutes: see ../shared/kernels/README.md)"
fi
[ ${#args[@]} -gt 0 ] || t_done

cp -r "$BPFPACK_ROOT/examples/plain" plain
rm -rf plain/.output plain/execlog plain/exitlog
if grep -rqE 'bpfpack\.h|bpfpack_|BPFPACK_' plain/*.c plain/*.h; then
	t_fail "examples/plain uses no bpfpack API" "$(grep -rnE 'bpfpack\.h|bpfpack_|BPFPACK_' plain/*.c plain/*.h)"
else
	t_ok "examples/plain uses no bpfpack API"
fi
if (cd plain && "$BPFPACK" build -j 2 "${srcs[@]}" >../build.out 2>&1) &&
   [ -x plain/execlog ] && [ -x plain/exitlog ]; then
	t_ok "examples/plain builds with the BTF of the kernels embedded"
else
	t_fail "examples/plain builds with the BTF of the kernels embedded" "$(tail -20 build.out)"
	t_done
fi

cat >guest.sh <<'EOT'
run() { # NAME TRIGGER TOOL ARGS...
	name=$1 trig=$2; shift 2
	: >/tmp/o; : >/tmp/e
	"$@" -v -d 4 >/tmp/o 2>/tmp/e & p=$!
	i=0; until grep -q EVT /tmp/o || ! kill -0 $p 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
	sh -c "$trig"
	wait $p; rc=$?
	echo "== $name rc=$rc"
	grep -E 'BTF|rror|ail' /tmp/e | sed 's/^/E: /'
	sed 's/^/O: /' /tmp/o
}
run execlog /bin/true "$P/execlog"
run exitlog 'exit 7' "$P/exitlog"
exit 0
EOT
"$BPFPACK" vmtest -j 2 --no-btf --json "${args[@]}" \
	--add "$T_TMP/plain/execlog" --add "$T_TMP/plain/exitlog" \
	--add "$T_TMP/plain/.output/exitlog.bpf.o" --add "$T_TMP/guest.sh" -- \
	env P="$T_TMP/plain" sh "$T_TMP/guest.sh" >vm.json 2>vm.err
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

section() { awk -v h="== $2 " 'index($0, h) == 1 { on = 1; print; next } /^== / { on = 0 } on' "$1"; }
i=0
while [ -f "guest.$i.out" ]; do
	name=$(cat "guest.$i.name")
	s=$(section "guest.$i.out" execlog)
	if grep -q "rc=0" <<<"$s" && grep -qE "^E: execlog: BTF: embedded, for .*/$name " <<<"$s" &&
	   grep -qE '^O: EXEC +[0-9]+ +[0-9]+ +true +/bin/true$' <<<"$s"; then
		t_ok "$name, no BTF: execlog (skeleton, no bpfpack call) uses the embedded BTF and reports the exec"
	else
		t_fail "$name, no BTF: execlog (skeleton, no bpfpack call) uses the embedded BTF and reports the exec" "$(cat "guest.$i.out")"
	fi
	s=$(section "guest.$i.out" exitlog)
	if grep -q "rc=0" <<<"$s" && grep -qE "^E: exitlog: BTF: embedded, for .*/$name " <<<"$s" &&
	   grep -qE '^O: EXIT +[0-9]+ +sh +7$' <<<"$s"; then
		t_ok "$name, no BTF: exitlog (bpf_object__open_file) uses the embedded BTF and reports exit 7"
	else
		t_fail "$name, no BTF: exitlog (bpf_object__open_file) uses the embedded BTF and reports exit 7" "$(cat "guest.$i.out")"
	fi
	i=$((i + 1))
done
[ $i -gt 0 ] || t_fail "vmtest reported the kernels" "$(tail -20 vm.err)"
t_done
