#!/usr/bin/env bash
# t-vmtest-modules: `bpfpack vmtest --modules` on this Debian release's own
# cloud kernel package (tests/kernels.sh fetches it with apt-get download and
# caches it): the named modules and what they depend on are loaded in the
# guest before the command; the tc template (clsact is the module sch_ingress
# there) attaches and sees traffic on lo with it and fails in one line without
# it; a second run takes the modules from the cache; a boot image gets a
# warning; an unknown module and a bad list get one clear error.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

VMTMP=$T_TMP/vmtmp
mkdir -p "$VMTMP"
vmtest() { TMPDIR=$VMTMP "$BPFPACK" vmtest "$@"; }

t_expect_error "a bad --modules list" 2 "invalid --modules 'sch_ingress,,x'" \
	vmtest --kernel /nonexistent --modules sch_ingress,,x -- true
t_expect_error "a module name with a slash" 2 "invalid --modules '../x'" \
	vmtest --kernel /nonexistent --modules ../x -- true

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
line=$(bash "$BPFPACK_ROOT/tests/kernels.sh" --download "${codename:-none}" 2>kernels.err | head -n 1)
DEB=${line#* }
if [ -z "$line" ] || [ ! -f "$DEB" ]; then
	t_skip "modules in a VM" "no kernel package: $(tr '\n' ' ' <kernels.err)"
	t_done
fi
echo "# kernel package: $DEB"
config=$(dpkg-deb --fsys-tarfile "$DEB" 2>/dev/null | tar -xO --wildcards './boot/config-*' 2>/dev/null)
if ! grep -q '^CONFIG_NET_SCH_INGRESS=m' <<<"$config"; then
	t_skip "modules in a VM" "$(basename "$DEB") has sch_ingress built in or not at all"
	t_done
fi

t_expect_error "a module the package does not have" 1 \
	"kernel package .* has no module no_such_module \(in lib/modules/" \
	vmtest --kernel "$DEB" --modules no_such_module -- true

# The tc template, built here, and a guest script: the tool on lo (attached
# once it says "Hit Ctrl-C"), a TCP connection attempt through lo (busybox nc;
# refused), the tool stopped.
if ! "$BPFPACK" new vtc -t tc >build.log 2>&1 || ! "$BPFPACK" build -C vtc >>build.log 2>&1; then
	t_fail "the tc template builds" "$(tail -n 20 build.log)"
	t_done
fi
cat >guest.sh <<'EOF'
ip link set lo up
echo "@modules $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
"$1" -i lo >/tmp/tc.out 2>/tmp/tc.err &
p=$!
i=0
until grep -q 'Hit Ctrl-C' /tmp/tc.err || ! kill -0 $p 2>/dev/null || [ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
nc -w1 127.0.0.1 4242 </dev/null 2>/dev/null
sleep 1
kill -INT $p 2>/dev/null
wait $p
echo "@rc $?"
sed 's/^/tc| /' /tmp/tc.out
sed 's/^/tc! /' /tmp/tc.err
EOF

vmtest --kernel "$DEB" --add "$T_TMP/vtc/vtc" --add guest.sh --modules sch-ingress,cls_bpf \
	--modules nf_conntrack \
	-- sh guest.sh "$T_TMP/vtc/vtc" >with.out 2>with.err
rc=$?
mods=$(grep '^@modules' with.out)
if [ "$rc" -eq 0 ] && [[ " $mods " == *" cls_bpf "* && " $mods " == *" sch_ingress "* ]] &&
	[[ " $mods " == *" nf_conntrack "* && " $mods " == *" nf_defrag_ipv4 "* ]] &&
	[[ " $mods " == *" libcrc32c "* ]]; then
	t_ok "--modules: the modules and what they depend on are loaded ('-' is '_')"
else
	t_fail "--modules: the modules and what they depend on are loaded ('-' is '_')" "exit $rc" \
		"$(cat with.out with.err | tail -n 30)"
fi
if grep -q '^@rc 0' with.out &&
	grep -qE '^tc\| [0-9:]+ +ingress +TCP +127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4242 ' with.out; then
	t_ok "with them, the tc template attaches to lo and sees the connection attempt"
else
	t_fail "with them, the tc template attaches to lo and sees the connection attempt" \
		"$(cat with.out with.err | tail -n 30)"
fi

# The same modules, named in another order and spelling: from the cache.
vmtest -v --kernel "$DEB" --modules nf_conntrack,cls-bpf,sch_ingress \
	-- sh -c 'cut -d" " -f1 /proc/modules | sort | tr "\n" " "' >again.out 2>again.err
mods=" $(cat again.out) "
if grep -q "the modules archive made by an earlier run" again.err && [[ "$mods" == *" libcrc32c "* ]] &&
	[[ "$mods" == *" sch_ingress "* ]]; then
	t_ok "the same modules again: the archive made by the first run, from the cache"
else
	t_fail "the same modules again: the archive made by the first run, from the cache" \
		"$(cat again.out again.err | grep -v '^bpfpack: vmtest: running' | tail -n 20)"
fi
rm -rf "$VMTMP"/bpfpack-vmtest.*	# the logs -v keeps

# Without --modules, on the package and on its image (a boot image: warned).
vmtest --kernel "$DEB" --add "$T_TMP/vtc/vtc" --add guest.sh \
	-- sh guest.sh "$T_TMP/vtc/vtc" >without.out 2>without.err
if grep -q '^@rc 1' without.out && [ "$(grep -c '^tc! ' without.out)" = 1 ] &&
	! grep -q 'sch_ingress' <(grep '^@modules' without.out); then
	t_ok "without them, the tc template fails in one line"
else
	t_fail "without them, the tc template fails in one line" "$(cat without.out without.err | tail -n 30)"
fi
mkdir -p img/boot
dpkg-deb --fsys-tarfile "$DEB" | tar -xO --wildcards './boot/vmlinuz-*' >img/vmlinuz 2>/dev/null
if [ -s img/vmlinuz ]; then
	vmtest --kernel img/vmlinuz --modules sch_ingress -- true >img.out 2>img.err
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "^bpfpack: vmtest: warning: .*vmlinuz: not a kernel package, so --modules loads nothing there" img.err; then
		t_ok "a boot image with --modules: a warning, and the command runs"
	else
		t_fail "a boot image with --modules: a warning, and the command runs" "exit $rc" "$(cat img.err)"
	fi
else
	t_fail "the package's image extracts" "no boot/vmlinuz-* in $DEB"
fi
left=$(ls -A "$VMTMP")
[ -z "$left" ] && t_ok "no temp files left" || t_fail "no temp files left" "$left"
t_done
