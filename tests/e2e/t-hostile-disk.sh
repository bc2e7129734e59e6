#!/usr/bin/env bash
# t-hostile-disk: a full or read-only disk loses nothing. `build`, `btf gen`,
# `btf embed`, `vmlinux -o` and `new` on a small tmpfs that fills up midway
# (a filler file leaves a little room, more each round, so the failure lands
# at different steps) and on a read-only one: exit 1, one "bpfpack:" line
# naming the file with "No space left on device" (or "Read-only file
# system"), the previous outputs byte-identical and the old binary still
# running, no temp files left, and the next run after space is freed
# finishes. A full or read-only cache directory only warns: the work
# completes.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

if ! t_is_root; then
	t_skip "a full disk loses nothing" "needs root to mount a tmpfs"
	t_done
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	t_skip "a full disk loses nothing" "this kernel has no /sys/kernel/btf/vmlinux"
	t_done
elif ! command -v fallocate >/dev/null; then
	t_skip "a full disk loses nothing" "needs fallocate (util-linux)"
	t_done
fi

FS=$T_TMP/fs CACHEFS=$T_TMP/cachefs
mkdir -p "$FS" "$CACHEFS"
hostile_cleanup() {
	umount "$FS" 2>/dev/null
	umount "$CACHEFS" 2>/dev/null
	t_cleanup
}
trap hostile_cleanup EXIT
if ! mount -t tmpfs -o size=48m bpfpack-t-hostile-disk "$FS" ||
	! mount -t tmpfs -o size=16m bpfpack-t-hostile-cache "$CACHEFS"; then
	t_skip "a full disk loses nothing" "cannot mount a tmpfs here"
	t_done
fi
export BPFPACK_CACHE_DIR=$T_TMP/cache

# A btfhub tree with this kernel's BTF (outside the small filesystem).
rel=$(uname -r)
distro=$(. /etc/os-release && echo "$ID")
dver=$(. /etc/os-release && echo "${VERSION_ID:-}")
mkdir -p "tree/$distro/$dver/x86_64" stage
cp /sys/kernel/btf/vmlinux "stage/$rel.btf"
tar -C stage -cJf "tree/$distro/$dver/x86_64/$rel.btf.tar.xz" "$rel.btf"
TREE=$T_TMP/tree

# fill KB: leaves about KB kilobytes free on $FS.
fill() {
	local avail
	rm -f "$FS/filler"
	avail=$(df -k --output=avail "$FS" | tail -n 1)
	if [ "$avail" -gt "$1" ]; then fallocate -l $(((avail - $1) * 1024)) "$FS/filler"; fi
}
unfill() { rm -f "$FS/filler"; }

# disk_error NAME RC ERRFILE REGEX: RC is 1 and ERRFILE holds exactly one
# line, "bpfpack: ..." matching REGEX (besides "hint:" lines).
disk_error() {
	local name=$1 rc=$2 errf=$3 re=$4 n
	n=$(grep -vc '^hint: ' "$errf")
	if [ "$rc" -ne 1 ]; then
		t_fail "$name" "want exit 1, got $rc" "$(head -n 20 "$errf")"
	elif [ "$n" -ne 1 ]; then
		t_fail "$name" "want one error line, got $n" "$(head -n 20 "$errf")"
	elif ! grep -qE "^bpfpack: [a-z ]+: .*$re" "$errf"; then
		t_fail "$name" "stderr does not match /$re/" "$(cat "$errf")"
	else
		t_ok "$name"
	fi
}

# The tool runs (as root: loads and attaches for a second).
runs() { [ "$(id -u)" != 0 ] || "$1" -d 1 >/dev/null 2>&1; }

# ---- new --------------------------------------------------------------------
fill 0
(cd "$FS" && "$BPFPACK" new np) >/dev/null 2>new.err
disk_error "new on a full disk: one error naming the file" $? new.err " np/[^ ]+: No space left on device"
if [ ! -e "$FS/np" ]; then t_ok "new on a full disk leaves no half-made project"
else t_fail "new on a full disk leaves no half-made project" "$(find "$FS/np")"; fi
unfill
(cd "$FS" && "$BPFPACK" new tp) >/dev/null 2>&1
md5_new=$(cd "$FS/tp" && md5sum tp.c tp.bpf.c tp.h bpfpack.ini)
echo "/* local edit */" >>"$FS/tp/tp.c"
md5_new=$(cd "$FS/tp" && md5sum tp.c tp.bpf.c tp.h bpfpack.ini)
fill 2
(cd "$FS" && "$BPFPACK" new tp --force -t raw_tp) >/dev/null 2>new2.err
disk_error "new --force on a full disk: one error naming the file" $? new2.err " tp/[^ ]+: No space left on device"
if [ "$(cd "$FS/tp" && md5sum tp.c tp.bpf.c tp.h bpfpack.ini)" = "$md5_new" ]; then
	t_ok "new --force on a full disk leaves the existing project byte-identical"
else
	t_fail "new --force on a full disk leaves the existing project byte-identical"
fi
t_no_temps "new on a full disk leaves no temp files" "$FS"
unfill

# ---- build ------------------------------------------------------------------
if ! (cd "$FS/tp" && nice "$BPFPACK" build --btf "$TREE") >build0.out 2>&1; then
	t_fail "the first build on the small filesystem" "$(cat build0.out)"
	t_done
fi
cp "$FS/tp/tp" good.bin
# Room for the link but not for the final binary: the failure lands at EMBED.
at_embed=$((($(stat -c %s "$FS/tp/.output/tp.linked") + $(stat -c %s "$FS/tp/tp")) / 2048))
i=0
for free in 0 200 800 1300 "$at_embed" 4000; do
	i=$((i + 1))
	echo "static const char bpfpack_marker_$i[] __attribute__((used)) = \"marker-$i\";" >>"$FS/tp/tp.c"
	fill "$free"
	(cd "$FS/tp" && nice "$BPFPACK" build --btf "$TREE") >build.out 2>build.err
	rc=$?
	unfill
	if [ $rc -eq 0 ]; then
		if grep -q "marker-$i" "$FS/tp/tp" && runs "$FS/tp/tp"; then
			t_ok "build with ${free} kB free: finished, and the new binary runs"
			cp "$FS/tp/tp" good.bin
		else
			t_fail "build with ${free} kB free: finished, and the new binary runs" "$(cat build.err)"
		fi
		continue
	fi
	disk_error "build with ${free} kB free: one error naming the file" $rc build.err \
		"/tp[^ ]*: No space left on device"
	if cmp -s good.bin "$FS/tp/tp" && runs "$FS/tp/tp"; then
		t_ok "build with ${free} kB free: the previous binary is byte-identical and runs"
	else
		t_fail "build with ${free} kB free: the previous binary is byte-identical and runs"
	fi
	t_no_temps "build with ${free} kB free: no temp files left" "$FS"
	# Space freed: the next build finishes the work.
	if (cd "$FS/tp" && nice "$BPFPACK" build --btf "$TREE") >build2.out 2>&1 &&
		grep -q "marker-$i" "$FS/tp/tp" && runs "$FS/tp/tp"; then
		t_ok "build with ${free} kB free: once space is freed, the next build finishes"
		cp "$FS/tp/tp" good.bin
	else
		t_fail "build with ${free} kB free: once space is freed, the next build finishes" "$(cat build2.out)"
	fi
done

# A first build of a new project: vmlinux.h, the runtime and the BPF object
# are written by parallel jobs, which run out of room together.
(cd "$FS" && "$BPFPACK" new fresh) >/dev/null 2>&1
for free in 1000 3000; do
	rm -rf "$FS/fresh/.output"
	fill "$free"
	(cd "$FS/fresh" && nice "$BPFPACK" build --btf "$TREE") >fresh.out 2>fresh.err
	rc=$?
	unfill
	disk_error "first build with ${free} kB free: one error naming the file" $rc fresh.err \
		"/fresh/[^ ]*: No space left on device"
	t_no_temps "first build with ${free} kB free: no temp files left" "$FS"
done
if (cd "$FS/fresh" && nice "$BPFPACK" build --btf "$TREE") >fresh2.out 2>&1 && runs "$FS/fresh/fresh"; then
	t_ok "first build once space is freed: finishes, and the binary runs"
else
	t_fail "first build once space is freed: finishes, and the binary runs" "$(cat fresh2.out)"
fi
rm -rf "$FS/fresh"

# ---- btf gen, btf embed -----------------------------------------------------
set_file=$(cd "$FS/tp/.output" && ls ./*.btfset 2>/dev/null | head -n 1)
cp "$FS/tp/.output/$set_file" good.set 2>/dev/null
fill 0
"$BPFPACK" btf gen -C "$FS/tp" --btf "$TREE" -o "$FS/tp/out.btfset" >/dev/null 2>gen.err
disk_error "btf gen -o on a full disk: one error naming the file" $? gen.err "out.btfset: No space left on device"
[ ! -e "$FS/tp/out.btfset" ] && t_ok "btf gen on a full disk writes no partial set" ||
	t_fail "btf gen on a full disk writes no partial set"
unfill
"$BPFPACK" btf gen -C "$FS/tp" --btf "$TREE" -o "$FS/tp/out.btfset" >/dev/null 2>gen2.err &&
	[ -s "$FS/tp/out.btfset" ] && t_ok "btf gen once space is freed writes the set" ||
	t_fail "btf gen once space is freed writes the set" "$(cat gen2.err)"

cp "$FS/tp/tp" good.bin
fill 0
"$BPFPACK" btf embed "$FS/tp/tp" --btf "$TREE" >/dev/null 2>embed.err
disk_error "btf embed on a full disk: one error naming the file" $? embed.err "tp: No space left on device"
if cmp -s good.bin "$FS/tp/tp" && runs "$FS/tp/tp"; then
	t_ok "btf embed on a full disk: the binary is byte-identical and runs"
else
	t_fail "btf embed on a full disk: the binary is byte-identical and runs"
fi
t_no_temps "btf gen and btf embed on a full disk leave no temp files" "$FS"
unfill
"$BPFPACK" btf embed "$FS/tp/tp" --btf "$TREE" >/dev/null 2>embed2.err && runs "$FS/tp/tp" &&
	t_ok "btf embed once space is freed" || t_fail "btf embed once space is freed" "$(cat embed2.err)"

# ---- vmlinux -o ---------------------------------------------------------------
"$BPFPACK" vmlinux -o "$FS/vmlinux.h" >/dev/null 2>&1
cp "$FS/vmlinux.h" good.h
for free in 0 1000; do
	fill "$free"
	"$BPFPACK" vmlinux --btf "stage/$rel.btf" -o "$FS/vmlinux.h" >/dev/null 2>vm.err
	rc=$?
	unfill
	disk_error "vmlinux -o with ${free} kB free: one error naming the file" $rc vm.err \
		"vmlinux.h: No space left on device"
	cmp -s good.h "$FS/vmlinux.h" && t_ok "vmlinux -o with ${free} kB free: the previous file is byte-identical" ||
		t_fail "vmlinux -o with ${free} kB free: the previous file is byte-identical"
	t_no_temps "vmlinux -o with ${free} kB free: no temp files left" "$FS"
done

# ---- a read-only filesystem -------------------------------------------------
echo "static const char bpfpack_marker_ro[] __attribute__((used)) = \"marker-ro\";" >>"$FS/tp/tp.c"
cp "$FS/tp/tp" good.bin
mount -o remount,ro "$FS"
(cd "$FS/tp" && "$BPFPACK" build --btf "$TREE") >/dev/null 2>ro.err
disk_error "build on a read-only filesystem: one error naming the file" $? ro.err "/tp[^ ]*: Read-only file system"
"$BPFPACK" btf embed "$FS/tp/tp" --btf "$TREE" >/dev/null 2>ro2.err
disk_error "btf embed on a read-only filesystem: one error naming the file" $? ro2.err "tp[^ ]*: Read-only file system"
"$BPFPACK" vmlinux -o "$FS/vm2.h" >/dev/null 2>ro3.err
disk_error "vmlinux -o on a read-only filesystem: one error naming the file" $? ro3.err "vm2.h[^ ]*: Read-only file system"
(cd "$FS" && "$BPFPACK" new rop) >/dev/null 2>ro4.err
disk_error "new on a read-only filesystem: one error naming the file" $? ro4.err "rop[^ ]*: Read-only file system"
cmp -s good.bin "$FS/tp/tp" && runs "$FS/tp/tp" && t_ok "read-only: the binary is byte-identical and runs" ||
	t_fail "read-only: the binary is byte-identical and runs"
mount -o remount,rw "$FS"
(cd "$FS/tp" && nice "$BPFPACK" build --btf "$TREE") >ro5.out 2>&1 && grep -q marker-ro "$FS/tp/tp" &&
	t_ok "read-write again: the next build finishes" || t_fail "read-write again: the next build finishes" "$(cat ro5.out)"

# ---- the cache directory full or read-only ----------------------------------
# A fresh cache on its own small filesystem: full, then read-only. Each build
# needs the cache (a new marker in the BPF program changes the object).
export BPFPACK_CACHE_DIR=$CACHEFS/cache
mkdir -p "$BPFPACK_CACHE_DIR"
for how in full read-only; do
	echo "const volatile int bpfpack_marker_${how//-/_} = 1;" >>"$FS/tp/tp.bpf.c"
	if [ "$how" = full ]; then
		avail=$(df -k --output=avail "$CACHEFS" | tail -n 1)
		fallocate -l $((avail * 1024)) "$CACHEFS/filler"
	else
		rm -f "$CACHEFS/filler"
		mount -o remount,ro "$CACHEFS"
	fi
	(cd "$FS/tp" && nice "$BPFPACK" build --btf "$TREE") >cache.out 2>cache.err
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^bpfpack: [a-z ]*: warning: .*cache" cache.err && runs "$FS/tp/tp"; then
		t_ok "a $how cache directory: a warning, and the build completes"
	else
		t_fail "a $how cache directory: a warning, and the build completes" "exit $rc" "$(cat cache.err)"
	fi
	if [ "$(grep -c '^bpfpack: ' cache.err)" -le 2 ]; then t_ok "a $how cache directory: no flood of warnings"
	else t_fail "a $how cache directory: no flood of warnings" "$(cat cache.err)"; fi
	t_no_temps "a $how cache directory: no temp files left" "$CACHEFS"
done
mount -o remount,rw "$CACHEFS"
t_done
