#!/usr/bin/env bash
# Bad input to `bpfpack build`: one clear line, a non-zero exit, nothing half-written.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

"$BPFPACK" new good >/dev/null
t_expect_error "CLANG=/nonexistent fails clearly" 1 "clang not found: CLANG=/nonexistent" \
	env CLANG=/nonexistent "$BPFPACK" build -C good
t_expect_error "BPFTOOL=/nonexistent fails clearly" 1 "bpftool not found: BPFTOOL=/nonexistent" \
	env BPFTOOL=/nonexistent "$BPFPACK" build -C good
[ ! -e good/good ] && t_ok "no binary after a missing toolchain" || t_fail "no binary after a missing toolchain"

mkdir nothing
t_expect_error "a project with no sources" 1 "no tools in .*nothing" "$BPFPACK" build -C nothing
echo 'int x;' >nothing/lonely.bpf.c
t_expect_error "a lone X.bpf.c is not a tool" 1 "no tools in" "$BPFPACK" build -C nothing
t_expect_error "build of a missing directory" 1 "cannot use directory" "$BPFPACK" build -C /nonexistent/dir

"$BPFPACK" new broken >/dev/null
sed -i 's/return 0;$/return 0 +;/' broken/broken.bpf.c
"$BPFPACK" build -C broken >out.txt 2>err.txt
rc=$?
if [ $rc -eq 1 ] && grep -qE 'broken\.bpf\.c:[0-9]+:[0-9]+: error:' err.txt &&
   [ "$(grep -c '^bpfpack: ' err.txt)" = 1 ] && grep -q '^bpfpack: build: clang.* failed (exit 1) on broken.bpf.c' err.txt; then
	t_ok "a BPF syntax error: clang's diagnostic passed through and one bpfpack line"
else
	t_fail "a BPF syntax error: clang's diagnostic passed through and one bpfpack line" "exit $rc" "$(cat err.txt)"
fi
[ ! -e broken/broken ] && [ ! -e broken/.output/broken.tmp.bpf.o ] &&
	t_ok "no binary or object after a compile error" || t_fail "no binary or object after a compile error"
t_no_temps "no temp files after a compile error" broken

"$BPFPACK" new ubroken >/dev/null
echo 'this is not C' >>ubroken/ubroken.c
"$BPFPACK" build -C ubroken >/dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && grep -q 'ubroken.c:.*error' err.txt && [ ! -e ubroken/ubroken ] &&
	t_ok "a user-space error fails the build, no binary" || t_fail "a user-space error fails the build, no binary" "$(cat err.txt)"

t_expect_error "build -j 0" 2 "-j takes a number" "$BPFPACK" build -j 0
t_expect_error "build --bogus" 2 "unknown option '--bogus'" "$BPFPACK" build --bogus
t_expect_error "build with an argument that cannot name a tool" 2 "'1bad' cannot name a tool" "$BPFPACK" build 1bad

"$BPFPACK" new badini >/dev/null
printf '[build]\nfrobs = 1\n' >>badini/bpfpack.ini
t_expect_error "an unknown manifest setting" 1 "unknown setting 'frobs'" "$BPFPACK" build -C badini

mkdir -p 'with space/and "quote"'
"$BPFPACK" new spaced -C 'with space/and "quote"' >/dev/null
t_check "a project path with spaces and quotes builds" "$BPFPACK" build -C 'with space/and "quote"/spaced'
t_done
