#!/usr/bin/env bash
# t-btf-sources: `bpfpack vmlinux --btf SOURCE` reads every kind of kernel BTF
# source by content: a raw .btf, a btfhub <release>.btf.tar.xz, a compressed
# kernel image (bzImage), a Debian kernel .deb, and the same kernel's BTF gives
# the same header whichever way it came; a btfhub tree of several kernels, a
# kernel built without BTF, and broken or hostile archives fail with one clear
# line.
#
# The .deb is bookworm's current linux-image-*-cloud-amd64, downloaded once
# with `apt-get download` into tests/.cache/ (skipped with a reason when apt
# cannot download it). Its vmlinuz stands in for ../shared's images on a
# machine without them; only the kernel built without BTF then skips.
. "$(dirname "$0")/lib.sh"

# T_SHARED: another fixtures directory (a nonexistent one shows a fresh machine).
SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CACHE=$BPFPACK_ROOT/tests/.cache
cd "${T_TMP:?lib.sh did not load}" || exit 1

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi

# vmlinux_h NAME SOURCE OUT: writes the header of SOURCE to OUT, checks it
# worked and looks like a kernel's.
vmlinux_h() {
	local name=$1 src=$2 out=$3
	if ! "$BPFPACK" vmlinux --btf "$src" -o "$out" 2>"$out.err"; then
		t_fail "$name" "bpfpack vmlinux --btf $src failed" "$(cat "$out.err")"
		return 1
	elif ! grep -q '^struct task_struct {' "$out"; then
		t_fail "$name" "no 'struct task_struct {' in the header of $src"
		return 1
	elif [ -s "$out.err" ]; then
		t_fail "$name" "printed on stderr: $(cat "$out.err")"
		return 1
	fi
	t_ok "$name"
}

# same_header NAME A B: the two headers are byte for byte equal.
same_header() {
	if cmp -s "$2" "$3"; then t_ok "$1"; else t_fail "$1" "$(diff "$2" "$3" | head -10)"; fi
}

# ---- a kernel's BTF, raw and in btfhub's packing ----
mkdir -p out raw hub
if [ -d "$SHARED/btf-corpus/debian/12/x86_64" ]; then
	corpus=$SHARED/btf-corpus/debian/12/x86_64/6.1.0-50-cloud-amd64.btf.tar.xz
	rel=6.1.0-50-cloud-amd64
	cp "$corpus" hub/
	tar -C raw -xJf "$corpus"
elif [ -r /sys/kernel/btf/vmlinux ]; then
	# No corpus here: pack the running kernel's BTF the way btfhub does.
	rel=$(uname -r)
	cp /sys/kernel/btf/vmlinux "raw/$rel.btf"
	XZ_OPT=-1 tar -C raw -cJf "hub/$rel.btf.tar.xz" "$rel.btf"
	corpus=
else
	rel=
fi

if [ -z "$rel" ]; then
	t_skip "--btf reads a raw .btf file" "neither ../shared/btf-corpus nor /sys/kernel/btf/vmlinux is here"
	t_skip "--btf reads a btfhub .btf.tar.xz" "no kernel BTF to pack"
else
	vmlinux_h "--btf reads a raw .btf file" "raw/$rel.btf" out/raw.h
	vmlinux_h "--btf reads a btfhub .btf.tar.xz" "hub/$rel.btf.tar.xz" out/hub.h &&
		same_header "the .btf.tar.xz gives the header of the raw BTF inside it" out/raw.h out/hub.h
	if command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ]; then
		BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
		"$BPFTOOL" btf dump file "raw/$rel.btf" format c >out/bpftool.h 2>/dev/null &&
			same_header "the header equals bpftool's for the same BTF" out/raw.h out/bpftool.h
	fi
	t_no_temps "no temp files are left beside the outputs" out
fi

# ---- the kernel .deb (downloaded once) ----
deb=$(ls "$CACHE"/linux-image-*-cloud-amd64_*_amd64.deb 2>/dev/null | tail -n 1)
why_no_deb=
if [ -z "$deb" ]; then
	pkg=$(apt-cache show --no-all-versions linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		why_no_deb="apt knows no linux-image-cloud-amd64 (not Debian, or no package lists)"
	else
		mkdir -p "$CACHE" dl
		# apt-get download writes into the current directory; the cache only
		# ever sees a whole file.
		if (cd dl && apt-get download "$pkg" >../apt.out 2>&1) && deb=$(ls dl/*.deb 2>/dev/null) &&
		   mv "$deb" "$CACHE/"; then
			deb=$CACHE/$(basename "$deb")
		else
			deb=
			why_no_deb="apt-get download $pkg failed: $(grep -E '^(E|W):' apt.out | head -n 1)"
		fi
	fi
fi
if [ -z "$deb" ]; then
	t_skip "--btf reads a kernel .deb" "$why_no_deb"
else
	debrel=$(basename "$deb" | sed 's/^linux-image-\([^_]*\)_.*/\1/')
	vmlinux_h "--btf reads a kernel .deb ($debrel)" "$deb" out/deb.h
	same=$SHARED/btf-corpus/debian/12/x86_64/$debrel.btf.tar.xz
	if [ -f "$same" ] && [ -f out/deb.h ]; then
		vmlinux_h "--btf reads the corpus archive of the .deb's kernel" "$same" out/deb-corpus.h &&
			same_header "the .deb gives the header of btfhub's BTF of the same kernel" out/deb.h out/deb-corpus.h
	fi
fi

# ---- a compressed kernel image ----
if [ -f "$SHARED/kernels/vmlinuz-6.1.0-50-cloud-amd64" ]; then
	vmlinux_h "--btf reads a kernel image (LZ4 bzImage)" "$SHARED/kernels/vmlinuz-6.1.0-50-cloud-amd64" out/image.h
	if [ -n "$corpus" ] && [ -f out/image.h ]; then
		same_header "the image gives the header of btfhub's BTF of the same kernel" out/image.h out/hub.h
	fi
	vmlinux_h "--btf reads a kernel image (zstd bzImage)" "$SHARED/kernels/vmlinuz-6.12.117+deb13-cloud-amd64" out/image-zstd.h
elif [ -n "$deb" ] && mkdir -p debx &&
     (cd debx && ar x "$deb" data.tar.xz &&
      tar -xJf data.tar.xz --occurrence=1 "./boot/vmlinuz-$debrel") 2>/dev/null; then
	# The .deb's own vmlinuz stands in for ../shared's images.
	vmlinux_h "--btf reads a kernel image (the .deb's vmlinuz)" "debx/boot/vmlinuz-$debrel" out/image.h &&
		same_header "the image gives the header of its .deb" out/image.h out/deb.h
else
	t_skip "--btf reads a kernel image" "no image in ../shared/kernels and no .deb to take one from"
fi

# ---- failures: one line each, nothing written ----
mkdir -p fail
if [ -d "$SHARED/btf-corpus/debian" ]; then
	t_expect_error "a btfhub tree of several kernels is refused with a count" 1 \
		"btf-corpus: it holds 40 kernels; one is needed here" \
		"$BPFPACK" vmlinux --btf "$SHARED/btf-corpus" -o fail/tree.h
elif [ -n "$rel" ]; then
	mkdir -p tree/debian/12/x86_64 tree/debian/11/x86_64
	cp "hub/$rel.btf.tar.xz" tree/debian/12/x86_64/
	cp "hub/$rel.btf.tar.xz" tree/debian/11/x86_64/
	t_expect_error "a btfhub tree of several kernels is refused with a count" 1 \
		"tree: it holds 2 kernels; one is needed here" \
		"$BPFPACK" vmlinux --btf tree -o fail/tree.h
else
	t_skip "a btfhub tree of several kernels is refused with a count" "no kernel BTF to build a tree from"
fi

if [ -f "$SHARED/kernels/nobtf-6.1/bzImage" ]; then
	t_expect_error "a kernel image without BTF says so and points at btf from-debug" 1 \
		"kernel 6.1.192 has no .BTF section: the kernel was built without CONFIG_DEBUG_INFO_BTF; use \`bpfpack btf from-debug\`" \
		"$BPFPACK" vmlinux --btf "$SHARED/kernels/nobtf-6.1/bzImage" -o fail/nobtf.h
else
	t_skip "a kernel image without BTF says so and points at btf from-debug" \
		"needs ../shared/kernels/nobtf-6.1 (a kernel built without BTF; see kernels/README.md to build one)"
fi

if [ -n "$rel" ]; then
	size=$(stat -c %s "hub/$rel.btf.tar.xz")
	head -c $((size / 2)) "hub/$rel.btf.tar.xz" >fail/half.btf.tar.xz
	t_expect_error "a truncated .btf.tar.xz is refused" 1 "half.btf.tar.xz: archive is truncated or corrupt" \
		"$BPFPACK" vmlinux --btf fail/half.btf.tar.xz -o fail/half.h
	# An archive with an entry that leaves its directory.
	mkdir -p evil/sub
	printf 'not looked at\n' >"evil/sub/$rel.btf"
	tar -C evil/sub -cJf fail/evil.btf.tar.xz --transform 's|^|../|' "$rel.btf"
	t_expect_error "an archive entry with '..' is refused" 1 "entry '\.\./$rel.btf' leaves the archive's directory" \
		"$BPFPACK" vmlinux --btf fail/evil.btf.tar.xz -o fail/evil.h
else
	t_skip "a truncated .btf.tar.xz is refused" "no kernel BTF to pack"
fi

printf 'not a kernel\n' >fail/notes.deb
t_expect_error "a text file named .deb says what it is" 1 "not BTF or ELF, it is a text file" \
	"$BPFPACK" vmlinux --btf fail/notes.deb -o fail/notes.h

if [ -z "$(ls fail | grep '\.h$')" ]; then t_ok "failed runs wrote no header"
else t_fail "failed runs wrote no header" "$(ls fail)"; fi
t_no_temps "failed runs left no temp files" fail

t_done
