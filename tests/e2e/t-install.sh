#!/usr/bin/env bash
# t-install: bpfpack installed as a program. `make install PREFIX=DIR` gives a
# bpfpack that finds its data from any directory and builds a tool there;
# DESTDIR stages the same tree; `make uninstall` leaves no file behind; a
# binary copied without its data directory says so in one line with the fix;
# the .deb holds exactly what `make install PREFIX=/usr` installs.
. "$(dirname "$0")/lib.sh"
tmp=$T_TMP

if [ ! -x "$BPFPACK_ROOT/bin/bpfpack" ]; then
	t_fail "$BPFPACK_ROOT/bin/bpfpack is built"
	t_done
fi
mk() { make -s -C "$BPFPACK_ROOT" "$@"; }

# 1. make install PREFIX=DIR: the binary, the data directory, and from a
# directory outside the source tree, `new` and `build` make a static tool.
prefix=$tmp/prefix
name="make install PREFIX=DIR: bin/bpfpack and share/bpfpack/{templates,include,runtime}"
if mk install PREFIX="$prefix" >"$tmp/install.out" 2>&1 &&
   [ -x "$prefix/bin/bpfpack" ] && [ -f "$prefix/share/bpfpack/include/bpfpack.h" ] &&
   [ -f "$prefix/share/bpfpack/templates/tracepoint/{{NAME}}.bpf.c" ] &&
   [ -f "$prefix/share/bpfpack/runtime/btfset.c" ]; then
	t_ok "$name"
else
	t_fail_files "$name" "$tmp/install.out"
fi

name="installed bpfpack works from another directory: new, build, a static ELF"
mkdir -p "$tmp/elsewhere"
if (cd "$tmp/elsewhere" && "$prefix/bin/bpfpack" new itool >"$tmp/new.out" 2>&1 &&
    cd itool && "$prefix/bin/bpfpack" build >"$tmp/build.out" 2>&1) &&
   file "$tmp/elsewhere/itool/itool" | grep -q 'statically linked'; then
	t_ok "$name"
else
	t_fail_files "$name" "$tmp/new.out" "$tmp/build.out"
fi

name="the installed bpfpack lists the installed templates"
if "$prefix/bin/bpfpack" new --list >"$tmp/list.out" 2>&1 && grep -q '^tracepoint ' "$tmp/list.out"; then
	t_ok "$name"
else
	t_fail_files "$name" "$tmp/list.out"
fi

name="make install installs the man pages and the bash completion"
if [ -f "$prefix/share/man/man1/bpfpack.1" ] && ls "$prefix"/share/man/man1/bpfpack-*.1 >/dev/null 2>&1 &&
     [ -f "$prefix/share/bash-completion/completions/bpfpack" ]; then
	t_ok "$name"
else
	find "$prefix/share" -maxdepth 3 >"$tmp/share.out"
	t_fail_files "$name" "$tmp/share.out"
fi

# 2. uninstall removes every file install made.
name="make uninstall PREFIX=DIR leaves no file behind"
if mk uninstall PREFIX="$prefix" >"$tmp/uninstall.out" 2>&1 &&
   [ -z "$(find "$prefix" ! -type d)" ] && [ ! -e "$prefix/share/bpfpack" ]; then
	t_ok "$name"
else
	find "$prefix" ! -type d >>"$tmp/uninstall.out"
	t_fail_files "$name" "$tmp/uninstall.out"
fi

# 3. DESTDIR: the tree lands under DESTDIR/PREFIX; the staged binary finds
# its data beside itself; uninstall with the same DESTDIR empties it.
stage=$tmp/stage
name="make install DESTDIR=D PREFIX=/usr stages D/usr/bin and D/usr/share/bpfpack"
if mk install DESTDIR="$stage" PREFIX=/usr >"$tmp/stage.out" 2>&1 &&
   [ -x "$stage/usr/bin/bpfpack" ] && [ -d "$stage/usr/share/bpfpack/templates/tracepoint" ] &&
   "$stage/usr/bin/bpfpack" new --list >/dev/null 2>&1 &&
   mk uninstall DESTDIR="$stage" PREFIX=/usr >>"$tmp/stage.out" 2>&1 &&
   [ -z "$(find "$stage" ! -type d)" ]; then
	t_ok "$name"
else
	t_fail_files "$name" "$tmp/stage.out"
fi

# 4. A binary copied alone: each command that needs the data says so in one
# line, with the fix, and fails; nothing else is printed.
alone=$tmp/alone
mkdir -p "$alone/bin" "$tmp/proj"
cp "$BPFPACK_ROOT/bin/bpfpack" "$alone/bin/bpfpack"
(cd "$tmp/proj" && "$BPFPACK_ROOT/bin/bpfpack" new ptool >/dev/null 2>&1)
for cmd in "new x" "new --list" "build"; do
	name="copied-alone binary: '$cmd' fails with one line naming the data directory and the fix"
	dir=$tmp/alone
	[ "$cmd" = build ] && dir=$tmp/proj/ptool
	# shellcheck disable=SC2086
	(cd "$dir" && env -u BPFPACK_HOME "$alone/bin/bpfpack" $cmd >"$tmp/alone.out" 2>"$tmp/alone.err")
	rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/alone.err")" = 1 ] && [ ! -s "$tmp/alone.out" ] &&
	   grep -q "data directory .*missing: looked in $alone and $alone/share/bpfpack; install bpfpack with \`make install\` or its .deb, or set BPFPACK_HOME" "$tmp/alone.err"; then
		t_ok "$name"
	else
		echo "#   exit $rc"
		t_fail_files "$name" "$tmp/alone.out" "$tmp/alone.err"
	fi
done

name="copied-alone binary with BPFPACK_HOME set to the data works"
if BPFPACK_HOME=$BPFPACK_ROOT "$alone/bin/bpfpack" new --list >"$tmp/home.out" 2>&1 &&
   grep -q '^tracepoint ' "$tmp/home.out"; then
	t_ok "$name"
else
	t_fail_files "$name" "$tmp/home.out"
fi

# 5. The .deb: the same files as make install PREFIX=/usr, and the Depends a
# build needs.
name="make deb: bpfpack_VERSION_ARCH.deb with the files of make install PREFIX=/usr"
version=$(cat "$BPFPACK_ROOT/VERSION")
deb=$BPFPACK_ROOT/build/bpfpack_${version}_$(dpkg --print-architecture).deb
if ! command -v dpkg-shlibdeps >/dev/null; then
	t_skip "$name" "no dpkg-shlibdeps (dpkg-dev; ./build.sh deb installs it)"
else
	mk install DESTDIR="$tmp/ref" PREFIX=/usr >"$tmp/deb.out" 2>&1
	(cd "$tmp/ref" && find . ! -type d | sort) >"$tmp/ref.list"
	if mk deb >>"$tmp/deb.out" 2>&1 && [ -f "$deb" ]; then
		dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort >"$tmp/deb.list"
		if cmp -s "$tmp/ref.list" "$tmp/deb.list" && [ -s "$tmp/deb.list" ]; then
			t_ok "$name"
		else
			diff "$tmp/ref.list" "$tmp/deb.list" >"$tmp/diff.out"
			t_fail_files "$name" "$tmp/diff.out"
		fi
		name="the .deb depends on clang, bpftool >= 7.5, libbpf-dev >= 1.4 and the static libraries"
		dpkg-deb -f "$deb" Depends >"$tmp/depends"
		dpkg-deb -f "$deb" Recommends >>"$tmp/depends"
		ok=1
		for want in 'clang-19 | clang' 'bpftool (>= 7.5)' 'libbpf-dev (>= 1:1.4)' libelf-dev zlib1g-dev \
			    libzstd-dev libc6-dev binutils 'gcc,' libbpf1 qemu-system-x86 busybox-static dwarves; do
			grep -qF "$want" "$tmp/depends" || { echo "#   missing: $want"; ok=0; }
		done
		if [ "$ok" = 1 ]; then t_ok "$name"; else t_fail_files "$name" "$tmp/depends"; fi
	else
		t_fail_files "$name" "$tmp/deb.out"
	fi
fi

t_done
