#!/usr/bin/env bash
# t-layers: the build keeps the layers (README, Architecture). Every include
# in the tree runs down the layers (tests/layers.sh); the checker refuses a
# tree where one runs up; and the archives, linked in layer order, leave a
# call from a lower layer into a higher one unresolved.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

if out=$("$BPFPACK_ROOT/tests/layers.sh" 2>&1); then
	t_ok "every include runs down the layers"
else
	t_fail "every include runs down the layers" "$out"
fi

# A tree with wrong-way includes: the kit reaching into btfhub/, the runtime
# into the kit, the VM engine into btfhub/. Each is named.
mkdir -p bad/lib bad/btfhub bad/runtime bad/vm bad/include
echo 'int b(void);' >bad/btfhub/b.h
echo 'int k(void);' >bad/lib/k.h
printf '#include "../btfhub/b.h"\nint k(void) { return b(); }\n' >bad/lib/k.c
printf '#include "../lib/k.h"\n' >bad/runtime/r.c
printf '#include "../btfhub/b.h"\n#include "../lib/k.h"\n' >bad/vm/v.c
printf '#include "../lib/k.h"\n' >bad/btfhub/b.c
out=$("$BPFPACK_ROOT/tests/layers.sh" "$T_TMP/bad" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^lib/k.c: .*lib/ may not include btfhub/' <<<"$out" &&
	grep -q '^runtime/r.c: .*runtime/ may not include lib/' <<<"$out" &&
	grep -q '^vm/v.c: .*vm/ may not include btfhub/' <<<"$out" &&
	[ "$(wc -l <<<"$out")" -eq 3 ]; then
	t_ok "wrong-way includes are refused, each named, and only those"
else
	t_fail "wrong-way includes are refused, each named, and only those" "exit $rc" "$out"
fi

# The link: a kit object calling into btfhub/ finds nothing when the kit's
# archive comes after btfhub's, as the Makefile links them; the same object
# placed above btfhub/ links (so the failure is the order's, not the code's).
B=$BPFPACK_ROOT/build
if [ ! -f "$B/libbtfhub.a" ] || [ ! -f "$B/liblib.a" ]; then
	t_fail "the layer archives are built" "no $B/lib*.a; run make"
	t_done
fi
LIBS=$(sed -n 's/^LIBS := //p' "$BPFPACK_ROOT/Makefile")
printf 'struct btf_filter;\nint btf_filter_parse(const char *, struct btf_filter *);\nint kit_wrong_way(void) { return btf_filter_parse("", 0); }\n' >wrong.c
printf 'int kit_wrong_way(void);\nint main(void) { return kit_wrong_way() ? 0 : 1; }\n' >main.c
cc -c -o wrong.o wrong.c && cc -c -o main.o main.c && ar rcs libwrong.a wrong.o
# shellcheck disable=SC2086
if out=$(cc -o below main.o "$B/libbtfhub.a" "$B/libvm.a" "$B/libformats.a" libwrong.a "$B/liblib.a" \
	"$B/libruntime.a" $LIBS 2>&1); then
	t_fail "a kit object calling into btfhub/ does not link" "it linked"
elif grep -q "undefined reference to .btf_filter_parse" <<<"$out"; then
	t_ok "a kit object calling into btfhub/ does not link"
else
	t_fail "a kit object calling into btfhub/ does not link" "$out"
fi
# shellcheck disable=SC2086
if out=$(cc -o above main.o libwrong.a "$B/libbtfhub.a" "$B/libvm.a" "$B/libformats.a" "$B/liblib.a" \
	"$B/libruntime.a" $LIBS 2>&1); then
	t_ok "the same object above btfhub/ links"
else
	t_fail "the same object above btfhub/ links" "$out"
fi
t_done
