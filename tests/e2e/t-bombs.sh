#!/usr/bin/env bash
# t-bombs: decompression and archive bombs stay bounded. Each bomb is a small
# file that unpacks to more than the whole memory the run may use: gzip, xz,
# zstd and lz4 streams of 520 MiB (a kernel image or raw BTF followed by
# zeros), a btfhub tar and a .deb whose kernel entry is an 8 GiB sparse file.
# Every reader runs under a 512 MB address-space limit (ulimit -v) and must
# end with exit 1 and one clear "bpfpack:" error naming the limit: no OOM, no
# crash, nothing half-written. The bombs are made once into build/bombs/
# (only the generation takes time) and also serve as fuzz seeds
# (tests/fuzz/seeds/btf_source/bomb-*).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache
unset BPFPACK_BTF BPFPACK_BTF_FORCE_EMBEDDED

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi

BOMBS=$BPFPACK_ROOT/build/bombs
mkdir -p "$BOMBS"
MIB=520
LIMIT_KB=$((512 * 1024))

# What starts each stream, so the reader takes it for a kernel: an ELF
# header (a vmlinux: the image cap) or a raw BTF header claiming the whole
# stream (the smaller BTF cap).
elf_head() { printf '\177ELF\002\001\001'; head -c 57 /dev/zero; }
btf_head() {
	python3 -c 'import struct,sys; n='"$MIB"'<<20; sys.stdout.buffer.write(struct.pack("<HBBIIIII",0xeb9f,1,0,24,0,n-24,n-24,0))'
}

# make_bomb FILE HEAD COMPRESSOR...: HEAD's bytes then zeros up to MIB MiB,
# through the compressor; kept for the next run.
make_bomb() {
	local file=$BOMBS/$1 head=$2
	shift 2
	[ -s "$file" ] && return 0
	command -v "$1" >/dev/null || return 1
	{ "$head"; head -c "$((MIB << 20))" /dev/zero; } | nice "$@" >"$file.tmp" && mv "$file.tmp" "$file"
}

# An 8 GiB file that is all hole but for its last byte: tar stores a few KB.
make_sparse() {
	truncate -s 8G "$1" && printf x >>"$1"
}

make_tar_bomb() {
	local file=$BOMBS/bomb-sparse.btf.tar.xz d
	[ -s "$file" ] && return 0
	d=$(mktemp -d "$T_TMP/tar.XXXXXX")
	make_sparse "$d/6.1.0-9-amd64.btf" &&
		tar -C "$d" --sparse -cJf "$file.tmp" 6.1.0-9-amd64.btf && mv "$file.tmp" "$file"
	rm -rf "$d"
}

make_deb_bomb() {
	local file=$BOMBS/bomb-sparse.deb d
	[ -s "$file" ] && return 0
	d=$(mktemp -d "$T_TMP/deb.XXXXXX")
	mkdir -p "$d/data/boot" "$d/control"
	printf 'Package: linux-image-6.1.0-9-amd64\nVersion: 6.1.99-1\nArchitecture: amd64\nMaintainer: Debian Kernel Team <debian-kernel@lists.debian.org>\n' >"$d/control/control"
	printf '2.0\n' >"$d/debian-binary"
	make_sparse "$d/data/boot/vmlinuz-6.1.0-9-amd64" &&
		tar -C "$d/control" -cJf "$d/control.tar.xz" ./control &&
		tar -C "$d/data" --sparse -cJf "$d/data.tar.xz" ./boot &&
		(cd "$d" && ar rcD "$file.tmp" debian-binary control.tar.xz data.tar.xz) &&
		mv "$file.tmp" "$file"
	rm -rf "$d"
}

# bomb_run NAME REGEX CMD...: CMD under the memory limit must exit 1 (not
# killed: a signal shows as 128+N) with one "bpfpack:" error line matching
# REGEX, and leave no out.h.
bomb_run() {
	local name=$1 re=$2 rc errs lines
	shift 2
	rm -f out.h
	(ulimit -v "$LIMIT_KB" && exec "$@") >/dev/null 2>err.txt
	rc=$?
	errs=$(cat err.txt)
	lines=$(grep -vc '^hint: ' err.txt)
	if [ "$rc" -ne 1 ]; then
		t_fail "$name" "want exit 1 under ulimit -v $LIMIT_KB, got $rc" "$errs"
	elif [ "$lines" -ne 1 ] || ! grep -qE "^bpfpack: .*$re" err.txt; then
		t_fail "$name" "want one bpfpack: line matching /$re/" "$errs"
	elif [ -e out.h ]; then
		t_fail "$name" "out.h was written"
	else
		t_ok "$name"
	fi
}

CAP='more than [0-9]+ MiB \(the limit for outside input\)'
for row in "gzip elf gzip -1" "xz btf xz -0 -T1" "zstd elf zstd -q -19" "lz4 btf lz4 -q"; do
	set -- $row
	comp=$1 kind=$2
	shift 2
	file=bomb-$kind.$comp
	if ! make_bomb "$file" "${kind}_head" "$@"; then
		t_skip "a $comp bomb is refused" "no $1 here"
		continue
	fi
	bomb_run "a $comp bomb ($kind, $MIB MiB) is refused under a 512 MB limit" "$comp-compressed data unpacks to $CAP" \
		"$BPFPACK" vmlinux --btf "$BOMBS/$file" -o out.h
done

# The real thing still fits under the same limit: the caps leave room.
if [ -r /sys/kernel/btf/vmlinux ]; then
	rm -f out.h
	if (ulimit -v "$LIMIT_KB" && exec "$BPFPACK" vmlinux -o out.h) 2>err.txt && [ -s out.h ]; then
		t_ok "the running kernel's BTF reads under the same limit"
	else
		t_fail "the running kernel's BTF reads under the same limit" "$(cat err.txt)"
	fi
else
	t_skip "the running kernel's BTF reads under the same limit" "no /sys/kernel/btf/vmlinux"
fi

if make_tar_bomb; then
	bomb_run "a btfhub tar with an 8 GiB sparse entry is refused" "archive entry is larger than 64 MiB" \
		"$BPFPACK" vmlinux --btf "$BOMBS/bomb-sparse.btf.tar.xz" -o out.h
else
	t_fail "a btfhub tar with an 8 GiB sparse entry is made"
fi

if make_deb_bomb; then
	bomb_run "a .deb with an 8 GiB sparse kernel is refused (btfhub/)" "archive entry is larger than 256 MiB" \
		"$BPFPACK" vmlinux --btf "$BOMBS/bomb-sparse.deb" -o out.h
	# The VM engine reads packages through the same reader: it stops
	# before any VM starts.
	bomb_run "a .deb with an 8 GiB sparse kernel is refused (vmtest)" "archive entry is larger than 256 MiB" \
		"$BPFPACK" vmtest --kernel "$BOMBS/bomb-sparse.deb" -- true
else
	t_fail "a .deb with an 8 GiB sparse kernel is made"
fi

t_no_temps "no temp files left" "$T_TMP"
t_done
