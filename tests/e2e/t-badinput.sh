#!/usr/bin/env bash
# t-badinput: bad input, one table. Each row names the input (a setup run in a
# fresh directory), the command, the exit status it must end with and the
# error it must print, and how the error must look:
#   one   one "bpfpack: CMD: ..." line matching the regex (plus "hint:" and
#         "bpfpack: CMD: warning:" lines), as t_expect_error checks it;
#   diag  a program's own diagnostics (a compiler's), then exactly one
#         "bpfpack:" line, the last, matching the regex;
#   tool  a built tool's own message: exactly one line on stderr, "NAME: ...";
#   warn  the exit status, and a "bpfpack: CMD: warning:" line matching.
# After every row: no bpfpack temp file is left, and a failed `-o out.h` wrote
# no out.h; some rows add their own check (the 7th column).
# Rows that need what this machine lacks (root, kernel BTF, /work/shared's
# kernel without BTF, zstd) skip with the reason.
. "$(dirname "$0")/lib.sh"
SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
# Cases run as nobody reach their directories through this one.
chmod 711 "$T_TMP"
cd "$T_TMP" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache
unset CLANG BPFTOOL CC BPFPACK_BTF BPFPACK_BTF_FORCE_EMBEDDED

# The small file systems the full-disk rows mount live under $T_TMP; unmount
# them (deepest first) before lib.sh removes $T_TMP.
bad_cleanup() {
	local m
	for m in $(awk -v p="$T_TMP/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	t_cleanup
}
trap bad_cleanup EXIT

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi

rel=$(uname -r)
. /etc/os-release 2>/dev/null
distro=${ID:-debian}
dver=${VERSION_ID:-0}
case "$(uname -m)" in aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
NOCAPS=(setpriv --inh-caps=-all --bounding-set=-all)
REAL_CLANG=$(command -v clang-19 || command -v clang || true)
# The release as a regex (releases hold '.' and '+').
rel_re=$(printf '%s' "$rel" | sed 's/[][\.*^$+?(){}|]/\\&/g')

# ---- helpers the rows' setups use --------------------------------------------
skip() { echo "$1"; exit 77; }
need_root() { t_is_root || skip "needs root"; }
need_btf() { [ -s "$FX/good.btf" ] || skip "this kernel has no /sys/kernel/btf/vmlinux"; }
need_tool() { [ -x "$FX/tp/tp" ] || skip "the fixture tool did not build (see its failure above)"; }
need_nobody() {
	need_root
	"${NOBODY[@]}" test -x "$BPFPACK" 2>/dev/null || skip "nobody cannot run $BPFPACK (a parent directory is private)"
	"${NOBODY[@]}" test -x "$PWD" 2>/dev/null || skip "nobody cannot reach $PWD (a parent directory is private)"
}

# btf_patch OUT OFFSET VALUE: a copy of the kernel's BTF with the u32 of its
# header at OFFSET (12 type_len, 16 str_off, 20 str_len, 4 hdr_len) set to
# VALUE, an expression of len (the file size) and the header's fields.
btf_patch() {
	python3 - "$FX/good.btf" "$1" "$2" "$3" <<'EOF'
import struct, sys
src, out, off, expr = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
d = bytearray(open(src, 'rb').read())
_, _, _, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from('<HBBIIIII', d, 0)
struct.pack_into('<I', d, off, eval(expr, {}, dict(len=len(d), hdr_len=hdr_len, type_off=type_off,
                                                    type_len=type_len, str_off=str_off, str_len=str_len)) & 0xffffffff)
open(out, 'wb').write(d)
EOF
}

# btf_scramble OUT: the kernel's BTF with its type records overwritten.
btf_scramble() {
	python3 - "$FX/good.btf" "$1" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
for i in range(24 + 100, 24 + 8000, 7):
    d[i] = 0xff
open(sys.argv[2], 'wb').write(d)
EOF
}

# mk_evil_tar OUT KIND: a btfhub-style .btf.tar.xz whose one entry is hostile.
mk_evil_tar() {
	python3 - "$1" "$2" "$rel" <<'EOF'
import io, sys, tarfile
out, kind, rel = sys.argv[1:4]
t = tarfile.open(out, 'w:xz')
data = b'not looked at\n'
ti = tarfile.TarInfo(rel + '.btf')
if kind == 'dotdot':
    ti.name = '../' + rel + '.btf'
elif kind == 'abs':
    ti.name = '/' + rel + '.btf'
elif kind == 'symlink':
    ti.type, ti.linkname, data = tarfile.SYMTYPE, '../../etc/passwd', b''
elif kind == 'hardlink':
    ti.type, ti.linkname, data = tarfile.LNKTYPE, '/etc/shadow', b''
ti.size = len(data)
t.addfile(ti, io.BytesIO(data))
t.close()
EOF
}

# mk_deb OUT KIND: a Debian package made with dpkg-deb's own format (ar of
# debian-binary, control.tar.xz, data.tar.xz): "nokernel" holds documentation
# only; "dotdot" has a data.tar entry that leaves the package.
mk_deb() {
	local out=$1 kind=$2 d
	d=$(mktemp -d "$PWD/deb.XXXXXX")
	mkdir -p "$d/ctl" "$d/data/usr/share/doc/linux-image-9.9.9-1-amd64"
	printf 'Package: linux-image-9.9.9-1-amd64\nVersion: 9.9.9-1\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: not a kernel\n' >"$d/ctl/control"
	echo "just documentation" >"$d/data/usr/share/doc/linux-image-9.9.9-1-amd64/README"
	echo "2.0" >"$d/debian-binary"
	tar -C "$d/ctl" -cJf "$d/control.tar.xz" ./control
	if [ "$kind" = dotdot ]; then
		mkdir -p "$d/data/boot"
		echo "never read" >"$d/data/boot/vmlinuz-9.9.9-1-amd64"
		tar -C "$d/data" -cJf "$d/data.tar.xz" --transform 's|^\./boot|../../boot|' ./usr ./boot
	else
		tar -C "$d/data" -cJf "$d/data.tar.xz" ./usr
	fi
	(cd "$d" && ar rc "$OLDPWD/$out" debian-binary control.tar.xz data.tar.xz)
	rm -rf "$d"
}

# mangle_set TOOL OUT HOW: a copy of TOOL whose embedded BTF set is damaged:
# "header" (a header byte), "payload" (a compressed byte), "truncate" (half of
# the set), "content" (zstd's checksum of the decompressed content, with the
# stored CRC32 fixed, so only zstd's checksum can catch it), "object" (the
# BPF object the set is compressed against, one byte longer), "noobject"
# (that object removed).
mangle_set() {
	local tool=$1 out=$2 how=$3
	case $how in
	object)
		objcopy --dump-section .bpfpack.bpfobj="$out.obj" "$tool" "$out.tmp" || return 1
		printf x >>"$out.obj"
		objcopy --update-section .bpfpack.bpfobj="$out.obj" "$tool" "$out"
		return ;;
	noobject)
		objcopy --remove-section .bpfpack.bpfobj "$tool" "$out"
		return ;;
	esac
	objcopy --dump-section .bpfpack.btf="$out.set" "$tool" "$out.tmp" || return 1
	rm -f "$out.tmp"
	python3 - "$out.set" "$out.bad" "$how" <<'EOF' || return 1
import struct, sys, zlib
src, dst, how = sys.argv[1:4]
H = 19  # header size (runtime/btfset.h); the CRC32 at 15 covers 0..14 and the frame
d = bytearray(open(src, 'rb').read())
def reseal():
    struct.pack_into('<I', d, 15, zlib.crc32(bytes(d[H:]), zlib.crc32(bytes(d[:15]))))
if how == 'header':
    d[10] ^= 0xfe
elif how == 'payload':
    d[H + (len(d) - H) // 2] ^= 0xff
elif how == 'truncate':
    d = d[:H + (len(d) - H) // 2]
elif how == 'content':
    d[-1] ^= 0xff  # the last byte of zstd's checksum of the content
    reseal()
open(dst, 'wb').write(d)
EOF
	objcopy --update-section .bpfpack.btf="$out.bad" "$tool" "$out"
}

# mount_small DIR SIZE: a fresh tmpfs of SIZE at DIR (unmounted at exit).
mount_small() {
	need_root
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=755" tmpfs "$1" || skip "cannot mount a tmpfs here"
}

# A template directory (BPFPACK_HOME) holding a broken copy of the default one.
mk_home() {
	mkdir -p home/templates
	cp -r "$BPFPACK_ROOT/include" "$BPFPACK_ROOT/runtime" home/
	cp -r "$BPFPACK_ROOT/templates/tracepoint" home/templates/broken
}

# mk_proj [NAME [DIR]]: a project with one tool, made by bpfpack new.
mk_proj() { "$BPFPACK" new "${1:-proj}" ${2:+-C "$2"} >/dev/null; }

# mk_old_clang: ./clang-9, a clang that says it is 9.0.0 (too old for BPF
# CO-RE) and otherwise runs the real one, so only a version check stops it.
mk_old_clang() {
	[ -n "$REAL_CLANG" ] || skip "no clang here"
	cat >clang-9 <<EOF
#!/bin/sh
for a in "\$@"; do
	[ "\$a" = --version ] && { echo "clang version 9.0.0"; echo "Target: x86_64-pc-linux-gnu"; exit 0; }
	# -v prints the same banner on stderr (bpfpack's include-dir probe).
	[ "\$a" = -v ] && { "$REAL_CLANG" "\$@" 2>&1 >/dev/null | sed 's/clang version [0-9.]*/clang version 9.0.0/' >&2; exit 0; }
done
exec "$REAL_CLANG" "\$@"
EOF
	chmod +x clang-9
}

# ---- fixtures ----------------------------------------------------------------
FX=$T_TMP/fx
mkdir -p "$FX"
if [ -r /sys/kernel/btf/vmlinux ]; then
	cp /sys/kernel/btf/vmlinux "$FX/good.btf"
	# A tree with this kernel's BTF (the tool matches it) and one keyed as
	# another kernel (nothing matches).
	mkdir -p "$FX/st" "$FX/match/$distro/$dver/$arch" "$FX/nomatch/$distro/$dver/$arch"
	cp "$FX/good.btf" "$FX/st/$rel.btf"
	cp "$FX/good.btf" "$FX/st/4.4.0-1-nomatch.btf"
	XZ_OPT=-0 tar -C "$FX/st" -cJf "$FX/match/$distro/$dver/$arch/$rel.btf.tar.xz" "$rel.btf"
	XZ_OPT=-0 tar -C "$FX/st" -cJf "$FX/nomatch/$distro/$dver/$arch/4.4.0-1-nomatch.btf.tar.xz" 4.4.0-1-nomatch.btf
	rm -rf "$FX/st"
	"$BPFPACK" new tp -C "$FX" >/dev/null
	if "$BPFPACK" build -C "$FX/tp" --btf "$FX/match" >"$FX/build.out" 2>&1; then
		cp "$FX/tp/tp" "$FX/tp_nomatch"
		"$BPFPACK" btf embed "$FX/tp_nomatch" --btf "$FX/nomatch" >>"$FX/build.out" 2>&1 ||
			t_fail "fixture: btf embed of a set for another kernel" "$(cat "$FX/build.out")"
	else
		rm -f "$FX/tp/tp"
		t_fail "fixture: the tool tp builds with embedded BTF" "$(tail -20 "$FX/build.out")"
	fi
	# Control: the intact set loads, so the rows below test the damage only.
	if [ -x "$FX/tp/tp" ] && t_is_root; then
		if out=$(BPFPACK_BTF_FORCE_EMBEDDED=1 "$FX/tp/tp" -d 1 2>&1 >/dev/null); then
			t_ok "control: the intact tool loads with its embedded BTF"
		else
			t_fail "control: the intact tool loads with its embedded BTF" "$out"
		fi
	fi
fi

# ---- the table -----------------------------------------------------------------
R_NAME=() R_SETUP=() R_CMD=() R_EXIT=() R_RE=() R_MODE=() R_AFTER=()
# row NAME SETUP COMMAND EXIT REGEX [MODE [AFTER]]
row() {
	R_NAME+=("$1") R_SETUP+=("$2") R_CMD+=("$3") R_EXIT+=("$4") R_RE+=("$5")
	R_MODE+=("${6:-one}") R_AFTER+=("${7:-}")
}
V='"$BPFPACK" vmlinux -o out.h --btf'

# Kernel BTF, raw.
row "truncated BTF" 'need_btf; head -c 1000 "$FX/good.btf" >x.btf' "$V x.btf" 1 \
	"x.btf: BTF is truncated: header says [0-9]+ bytes, file has 1000$"
row "BTF shorter than its own header" 'need_btf; head -c 10 "$FX/good.btf" >x.btf' "$V x.btf" 1 \
	"x.btf: BTF is truncated: 10 bytes, shorter than its header"
row "empty BTF file" ': >x.btf' "$V x.btf" 1 "x.btf: file is empty"
row "BTF with a wrong magic" 'need_btf; { printf "\x9f\x9f"; tail -c +3 "$FX/good.btf"; } >x.btf' "$V x.btf" 1 \
	"x.btf: not BTF or ELF \(first bytes: 9f 9f 01 00"
row "BTF whose type section runs past the end" 'need_btf; btf_patch x.btf 12 "len"' "$V x.btf" 1 \
	"x.btf: BTF is truncated: header says [0-9]+ bytes, file has [0-9]+"
row "BTF whose strings start past the end" 'need_btf; btf_patch x.btf 16 "len"' "$V x.btf" 1 \
	"x.btf: BTF is truncated: header says [0-9]+ bytes, file has [0-9]+"
row "BTF whose string length runs past the end" 'need_btf; btf_patch x.btf 20 "0xfffffff0"' "$V x.btf" 1 \
	"x.btf: BTF is truncated: header says [0-9]+ bytes, file has [0-9]+"
row "BTF whose header length points past the end" 'need_btf; btf_patch x.btf 4 "len + 16"' "$V x.btf" 1 \
	"x.btf: BTF is truncated: header says [0-9]+ bytes, file has [0-9]+"
row "BTF with overlapping sections" 'need_btf; btf_patch x.btf 12 "type_len + 4096"' "$V x.btf" 1 \
	"x.btf: corrupt BTF: libbpf cannot parse it"
row "BTF with corrupted type records" 'need_btf; btf_scramble x.btf' "$V x.btf" 1 \
	"x.btf: corrupt BTF: libbpf cannot parse it"
row "truncated xz-compressed BTF" 'need_btf; xz -0 -c "$FX/good.btf" >full.xz; head -c 20000 full.xz >x.btf.xz' "$V x.btf.xz" 1 \
	"x.btf.xz: xz-compressed data is truncated or corrupt"

# Kernels and packages without BTF.
row "a kernel image built without BTF" \
	'[ -f "$SHARED/kernels/nobtf-6.1/bzImage" ] || skip "needs /work/shared/kernels/nobtf-6.1 (see kernels/README.md)"' \
	"$V \"\$SHARED/kernels/nobtf-6.1/bzImage\"" 1 \
	"kernel 6\.1\.[0-9]+ has no \.BTF section: the kernel was built without CONFIG_DEBUG_INFO_BTF; use \`bpfpack btf from-debug\`"
row "an ELF file without .BTF" 'cp /bin/true vmlinux' "$V vmlinux" 1 "vmlinux: ELF file has no \.BTF section"
row "a .deb with no kernel" 'mk_deb x.deb nokernel' "$V x.deb" 1 \
	"x.deb: package linux-image-9.9.9-1-amd64 9.9.9-1 holds no kernel"
row "a truncated .deb" 'mk_deb full.deb nokernel; head -c $(( $(stat -c %s full.deb) - 100 )) full.deb >x.deb' "$V x.deb" 1 \
	"x.deb: .*truncated or corrupt"
row "a .deb whose data.tar leaves the package" 'mk_deb x.deb dotdot' "$V x.deb" 1 \
	"x.deb: entry '\.\./\.\./boot/' leaves the archive's directory \('\.\.'\) in data\.tar\.xz; refusing the package"

# Archives in btfhub's packing.
row "tar entry with '..'" 'mk_evil_tar x.btf.tar.xz dotdot' "$V x.btf.tar.xz" 1 \
	"entry '\.\./$rel_re\.btf' leaves the archive's directory \('\.\.'\); refusing the archive"
row "tar entry with an absolute path" 'mk_evil_tar x.btf.tar.xz abs' "$V x.btf.tar.xz" 1 \
	"entry '/$rel_re\.btf' has an absolute path; refusing the archive"
row "tar symlink pointing outside" 'mk_evil_tar x.btf.tar.xz symlink' "$V x.btf.tar.xz" 1 \
	"symlink '$rel_re\.btf' points outside the archive \('\.\./\.\./etc/passwd'\); refusing the archive"
row "tar hardlink pointing outside" 'mk_evil_tar x.btf.tar.xz hardlink' "$V x.btf.tar.xz" 1 \
	"hardlink '$rel_re\.btf' points outside the archive \('/etc/shadow'\); refusing the archive"
row "truncated .btf.tar.xz" \
	'need_btf; cp "$FX/match/$distro/$dver/$arch/$rel.btf.tar.xz" full.tar.xz; head -c 3000 full.tar.xz >x.btf.tar.xz' \
	"$V x.btf.tar.xz" 1 "x.btf.tar.xz: (archive|xz-compressed data) is truncated or corrupt"

# btfhub trees with names that do not fit the layout.
row "btfhub tree of unexpected names only" \
	'need_btf; mkdir -p t/Debian/12/x86_64 t/debian/12/x86_64; cp "$FX/match/$distro/$dver/$arch/$rel.btf.tar.xz" t/Debian/12/x86_64/; cp t/Debian/12/x86_64/* "t/debian/12/x86_64/a b;\$(id).btf.tar.xz"; echo x >t/notes.btf.tar.xz' \
	"$V t" 1 "cannot load kernel BTF from t: the directory holds no kernel BTF \(expected <distro>/<version>/<arch>/<release>\.btf\.tar\.xz\)"
row "btfhub tree: odd names are skipped by name" \
	'need_btf; mkdir -p t/debian/12/x86_64 t/Debian/12/x86_64; cp "$FX/match/$distro/$dver/$arch/$rel.btf.tar.xz" t/debian/12/x86_64/; cp t/debian/12/x86_64/* t/Debian/12/x86_64/; ln -s /etc t/debian/12/etc; mkfifo t/debian/12/x86_64/fifo.btf.tar.xz' \
	"$V t" 0 "skipping .*/t/Debian/12/x86_64/$rel_re\.btf\.tar\.xz: directory 'Debian' is not a distro name" warn \
	'grep -q "skipping .*/t/debian/12/etc: a symlink to a directory (not followed)" "$ERR" && grep -q "fifo.btf.tar.xz: not a regular file" "$ERR" && grep -q "^struct task_struct {" out.h'
row "a filter with shell metacharacters" 'need_btf; mk_proj' \
	'"$BPFPACK" build -C proj --btf "$FX/match" --filter "debian;rm -rf /"' 1 \
	"invalid filter 'debian;rm -rf /': 'debian;rm -rf /' is neither a distro"

# The embedded BTF set of a built tool, damaged: refused, never loaded.
F='env BPFPACK_BTF_FORCE_EMBEDDED=1 ./t -d 1'
row "embedded set: a header byte damaged" 'need_tool; mangle_set "$FX/tp/tp" t header' "$F" 1 \
	"^tp: the BTF embedded in this binary is unusable: checksum mismatch \(stored [0-9a-f]+, computed [0-9a-f]+\): the set is corrupt; refusing to load it" tool
row "embedded set: a payload byte damaged" 'need_tool; mangle_set "$FX/tp/tp" t payload' "$F" 1 \
	"^tp: the BTF embedded in this binary is unusable: checksum mismatch .*; refusing to load it" tool
row "embedded set: truncated" 'need_tool; mangle_set "$FX/tp/tp" t truncate' "$F" 1 \
	"^tp: the BTF embedded in this binary is unusable: truncated: the payload's zstd frame stops at byte [0-9]+; refusing to load it" tool
row "embedded set: its content fails zstd's checksum" 'need_tool; mangle_set "$FX/tp/tp" t content' "$F" 1 \
	"^tp: the BTF embedded in this binary is unusable: cannot decompress the payload \(Restored data doesn't match checksum\): the set is corrupt; refusing to load it" tool
row "embedded set: the BPF object it was made for was replaced" 'need_tool; mangle_set "$FX/tp/tp" t object' "$F" 1 \
	"^tp: the BTF embedded in this binary is unusable: the set was made for another BPF object than this one \(object checksum [0-9a-f]+, the set's [0-9a-f]+\); refusing to load it" tool
row "embedded set: the BPF object it was made for was removed" 'need_tool; mangle_set "$FX/tp/tp" t noobject' "$F" 1 \
	"^tp: the BTF embedded in this binary is unusable: the set is compressed against the tool's BPF object, which is missing; refusing to load it" tool
row "inspect: a damaged set is reported" 'need_tool; mangle_set "$FX/tp/tp" t payload' '"$BPFPACK" inspect t' 1 \
	"inspect: t: its embedded BTF set is damaged: checksum mismatch"
row "inspect: content failing zstd's checksum is reported" 'need_tool; mangle_set "$FX/tp/tp" t content' '"$BPFPACK" inspect t' 1 \
	"inspect: t: its embedded BTF set is damaged: cannot decompress the payload"
row "btf embed into a tool built by an older bpfpack" \
	'need_tool; sed "s/set reader: format version [0-9]/set reader: format version 0/g" "$FX/tp/tp" >t; chmod +x t; cp t t.orig' \
	'"$BPFPACK" btf embed t --btf "$FX/match"' 1 \
	"btf embed: t carries no runtime that reads BTF sets of format version [0-9]+: it opens no BPF object through libbpf's open functions \(e.g. a light skeleton\), or an older bpfpack built it" \
	one 'cmp -s t t.orig'
row "btf embed into a file that is not ELF" 'need_btf; echo "#!/bin/sh" >t' '"$BPFPACK" btf embed t --btf "$FX/match"' 1 \
	"btf embed: t is not an ELF file"

# Tools at run time.
row "a tool for kernels without BTF finds no match for this one" \
	'need_tool; cp "$FX/tp_nomatch" t' "$F" 1 \
	"^tp: no BTF for this kernel: $rel_re on $distro.*: none of the 1 kernel this binary carries BTF for \(.*\) is this one; rebuild it with \`bpfpack build --btf SOURCE\`" tool
row "a tool without embedded BTF, forced to use it" \
	'need_tool; objcopy --remove-section .bpfpack.btf "$FX/tp/tp" t' "$F" 1 \
	"^tp: BPFPACK_BTF_FORCE_EMBEDDED is set, but this binary carries no embedded BTF; rebuild it with \`bpfpack build --btf SOURCE\`" tool
row "a tool run without root" 'need_nobody; need_tool; cp "$FX/tp/tp" t' '"${NOBODY[@]}" ./t -d 1' 1 \
	"^tp: not allowed to load BPF programs: run as root" tool

# Project and template names.
row "a name with '/'" '' '"$BPFPACK" new a/b' 2 \
	"new: invalid name 'a/b': only letters, digits and '_' are allowed" one '[ ! -e a ]'
row "a name with spaces" '' '"$BPFPACK" new "my tool"' 2 "new: invalid name 'my tool'" one '[ ! -e "my tool" ]'
row "a name with shell metacharacters" '' '"$BPFPACK" new "x\$(touch pwned);touch pwned2"' 2 \
	"new: invalid name 'x\\\$\(touch pwned\);touch pwned2'" one '[ ! -e pwned ] && [ ! -e pwned2 ] && [ -z "$(ls -A)" ]'
row "a name of '..'" '' '"$BPFPACK" new ..' 2 "new: invalid name '\.\.'" one '[ -z "$(ls -A)" ]'
row "a tool source named with shell metacharacters" \
	'mk_proj; mv proj/proj.bpf.c "proj/x\$(id).bpf.c"; mv proj/proj.c "proj/x\$(id).c"' '"$BPFPACK" build -C proj' 1 \
	"x\\\$\(id\)\.bpf\.c: 'x\\\$\(id\)' cannot name a tool" one '[ ! -e proj/.output ]'
row "template: an empty template name" '' '"$BPFPACK" new p -t ""' 2 "new: unknown template ''" one '[ ! -e p ]'
row "template: a name leaving templates/" '' '"$BPFPACK" new p -t ../../etc' 2 "new: unknown template '\.\./\.\./etc'" one '[ ! -e p ]'
row "template: missing its user-space source" 'mk_home; rm "home/templates/broken/{{NAME}}.c"' \
	'env BPFPACK_HOME="$PWD/home" "$BPFPACK" new p -t broken' 1 \
	"new: template 'broken' is incomplete: it has no file \{\{NAME\}\}\.c" one '[ ! -e p ]'
row "template: a file that is a dangling link" 'mk_home; ln -s /nonexistent "home/templates/broken/{{NAME}}.txt"' \
	'env BPFPACK_HOME="$PWD/home" "$BPFPACK" new p -t broken' 1 \
	"template file .*/broken/\{\{NAME\}\}\.txt: not a regular file or directory" one '[ ! -e p ] && [ -z "$(ls -A | grep -v "^home$")" ]'
row "template: an unknown placeholder" 'mk_home; echo "{{EVIL}}" >>"home/templates/broken/{{NAME}}.h"' \
	'env BPFPACK_HOME="$PWD/home" "$BPFPACK" new p -t broken' 1 \
	"template file .*/broken/\{\{NAME\}\}\.h: unknown placeholder '\{\{EVIL\}\}'" one '[ ! -e p ]'

# Files bpfpack cannot read.
row "an unreadable bpfpack.ini" 'need_nobody; mk_proj; chmod 600 proj/bpfpack.ini' '"${NOBODY[@]}" "$BPFPACK" build -C proj' 1 \
	"build: cannot read .*/proj/bpfpack\.ini: Permission denied"
row "a bpfpack.ini that is a directory" 'mk_proj; rm proj/bpfpack.ini; mkdir proj/bpfpack.ini' '"$BPFPACK" build -C proj' 1 \
	"build: cannot read .*/proj/bpfpack\.ini: Is a directory"
row "a malformed bpfpack.ini" 'mk_proj; echo "no equals sign here" >>proj/bpfpack.ini' '"$BPFPACK" build -C proj' 1 \
	"build: .*/proj/bpfpack\.ini:[0-9]+: not a valid INI line"
row "an unreadable kernel BTF" 'need_nobody; need_btf; cp "$FX/good.btf" x.btf; chmod 600 x.btf' \
	'"${NOBODY[@]}" "$BPFPACK" vmlinux --btf x.btf -o out.h' 1 "cannot load kernel BTF from x\.btf: Permission denied"
row "an unreadable BPF source" \
	'need_root; need_btf; mk_proj; chmod 000 proj/proj.bpf.c; "${NOCAPS[@]}" true 2>/dev/null || skip "setpriv cannot drop capabilities here"' \
	'"${NOCAPS[@]}" "$BPFPACK" build -C proj' 1 "build: clang[-0-9]* failed \(exit 1\) on proj\.bpf\.c$" diag \
	'grep -q "proj.bpf.c.*Permission denied" "$ERR" && [ ! -e proj/proj ]'

# The toolchain.
row "no clang in PATH" 'mk_proj; mkdir empty' 'env PATH="$PWD/empty" "$BPFPACK" build -C proj' 1 "build: clang not found in PATH"
row "BPFTOOL names a file that is not a program" 'mk_proj; echo text >bpftool' 'env BPFTOOL="$PWD/bpftool" "$BPFPACK" build -C proj' 1 \
	"build: bpftool not found: BPFTOOL=.*/bpftool is not an executable program"
row "CLANG is a command line, not a program" 'mk_proj' 'env CLANG="clang-19 -O0" "$BPFPACK" build -C proj' 1 \
	"build: clang not found: CLANG=clang-19 -O0 is not an executable program"
row "a clang too old for BPF CO-RE" 'mk_proj; mk_old_clang' \
	'env CLANG="$PWD/clang-9" "$BPFPACK" build -C proj' 1 "build: .*clang-9.* (is )?clang 9.*(too old|needs? clang 1[0-9] or newer)" one \
	'[ ! -e proj/proj ]'

# A full disk: a clear line, nothing half-written, and the next run finishes.
row "new on a full disk" 'mount_small mnt 1m; dd if=/dev/zero of=mnt/fill bs=4k 2>/dev/null; true' \
	'"$BPFPACK" new full -C mnt' 1 "new: cannot (write|create) .*: No space left on device" one \
	'[ "$(ls -A mnt)" = fill ]'
row "build on a 2 MB disk" 'need_btf; mount_small mnt 2m; mk_proj proj mnt' '"$BPFPACK" build -C mnt/proj' 1 \
	"build: cannot write .*/mnt/proj/\.output/vmlinux\.h: No space left on device" one \
	'[ ! -e mnt/proj/proj ] && [ ! -e mnt/proj/.output/vmlinux.h ]'
row "build on a disk that fills up during the build" \
	'need_btf; need_tool; mount_small mnt $(( $(stat -c %s "$FX/tp/.output/vmlinux.h") / 1024 + 1200 ))k; mk_proj proj mnt' \
	'"$BPFPACK" build -C mnt/proj' 1 "build: (.* failed \(exit [0-9]+\) on .*|cannot .*: No space left on device)$" diag \
	'[ ! -e mnt/proj/proj ] && mount -o remount,size=256m mnt && "$BPFPACK" build -C mnt/proj >/dev/null 2>&1 && mnt/proj/proj --help >/dev/null'

# ---- the loop ------------------------------------------------------------------
# Each row runs in cases/N/; its logs go beside it (cases/N.out, .err, .log),
# so a row's own checks see only what the command left. AFTER checks read the
# command's stderr as "$ERR".
mkdir -p cases
for i in "${!R_NAME[@]}"; do
	name="bad input: ${R_NAME[$i]}"
	dir=$T_TMP/cases/$i
	ERR=$dir.err
	mkdir -m 755 "$dir"
	started=$SECONDS
	(cd "$dir" && eval "${R_SETUP[$i]}") >"$dir.log" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		t_skip "$name" "$(tail -n 1 "$dir.log")"
		continue
	elif [ $rc -ne 0 ]; then
		t_fail "$name" "setup failed ($rc): ${R_SETUP[$i]}" "$(tail -n 5 "$dir.log")"
		continue
	fi
	(cd "$dir" && eval "timeout 300 ${R_CMD[$i]}") >"$dir.out" 2>"$ERR"
	rc=$?
	want=${R_EXIT[$i]} re=${R_RE[$i]} mode=${R_MODE[$i]}
	errs=$(cat "$ERR")
	# Error lines: what is not a hint or a warning.
	lines=$(grep -v -e '^hint: ' -e '^bpfpack: [a-z ]*: warning: ' "$ERR")
	n=$(grep -c . <<<"$lines")
	why=
	if [ "$rc" -ne "$want" ]; then
		why="want exit $want, got $rc"
	else
		case "$mode" in
		one)
			if [ "$n" -ne 1 ]; then why="want one error line on stderr, got $n"
			elif ! [[ "$lines" =~ ^bpfpack:\ .*$re ]]; then why="stderr does not match /$re/"; fi ;;
		diag)
			bp=$(grep '^bpfpack: ' <<<"$lines")
			if [ "$(grep -c . <<<"$bp")" -ne 1 ]; then why="want exactly one bpfpack: line"
			elif [ "$(tail -n 1 <<<"$lines")" != "$bp" ]; then why="the bpfpack: line is not the last"
			elif ! [[ "$bp" =~ ^bpfpack:\ .*$re ]]; then why="the bpfpack: line does not match /$re/"; fi ;;
		tool)
			if [ "$(grep -c . "$ERR")" -ne 1 ]; then why="want the tool's one line on stderr, got $(grep -c . "$ERR")"
			elif ! [[ "$errs" =~ $re ]]; then why="stderr does not match /$re/"; fi ;;
		warn)
			if ! grep -qE "^bpfpack: [a-z ]+: warning: .*$re" "$ERR"; then why="no warning matching /$re/"
			elif [ "$rc" -eq 0 ] && [ "$n" -ne 0 ]; then why="a successful run printed errors"; fi ;;
		esac
	fi
	left=$(find "$dir" -name '*.bpfpack-tmp.*' 2>/dev/null)
	if [ -z "$why" ] && [ -n "$left" ]; then why="temp files left: $left"; fi
	if [ -z "$why" ] && [ "$rc" -ne 0 ] && [ -e "$dir/out.h" ]; then why="a failed run wrote out.h"; fi
	if [ -z "$why" ] && [ -n "${R_AFTER[$i]}" ] && ! (cd "$dir" && eval "${R_AFTER[$i]}") >"$dir.after" 2>&1; then
		why="afterwards, this does not hold: ${R_AFTER[$i]}"
	fi
	if [ -z "$why" ]; then t_ok "$name"; else t_fail "$name" "$why" "command: ${R_CMD[$i]}" "$errs"; fi
	[ -z "${T_TIMES:-}" ] || echo "# $((SECONDS - started))s: ${R_NAME[$i]}"
	# Free the small disks as soon as their row is done.
	for m in $(awk -v p="$dir/" 'index($2, p) == 1 || $2 == substr(p, 1, length(p) - 1) { print $2 }' /proc/mounts | sort -r); do
		umount "$m"
	done
done
t_done
