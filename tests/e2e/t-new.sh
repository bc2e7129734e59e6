#!/usr/bin/env bash
# bpfpack new: scaffolding, listing, refusing to overwrite, help and version.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

out=$("$BPFPACK" new --list)
if grep -qE '^tracepoint +.+\(default\)$' <<<"$out"; then t_ok "new --list shows the default template"
else t_fail "new --list shows the default template" "$out"; fi

"$BPFPACK" new mytool >/dev/null
files=$(cd mytool && find . -type f | sort | tr '\n' ' ')
if [ "$files" = "./.gitignore ./README.md ./bpfpack.ini ./mytool.bpf.c ./mytool.c ./mytool.h " ]; then
	t_ok "new writes NAME.bpf.c NAME.c NAME.h README .gitignore and the manifest"
else
	t_fail "new writes NAME.bpf.c NAME.c NAME.h README .gitignore and the manifest" "$files"
fi
if grep -q 'mytool_bpf__open' mytool/mytool.c && grep -q '__MYTOOL_H' mytool/mytool.h &&
   ! grep -rq '{{' mytool; then
	t_ok "placeholders are rendered"
else
	t_fail "placeholders are rendered"
fi
perm=$(stat -c %a mytool)
if [ "$perm" = "$(printf '%o' $((0777 & ~$(umask))))" ]; then t_ok "project directory has the usual mode"
else t_fail "project directory has the usual mode" "mode $perm"; fi

mkdir -p elsewhere
"$BPFPACK" new other -C elsewhere >/dev/null && [ -f elsewhere/other/other.bpf.c ] &&
	t_ok "new -C DIR creates DIR/NAME" || t_fail "new -C DIR creates DIR/NAME"

echo "keep me" >mytool/notes.txt
t_expect_error "new refuses a non-empty directory" 1 "exists and is not empty" "$BPFPACK" new mytool
[ "$(cat mytool/notes.txt)" = "keep me" ] && t_ok "refused new left the directory alone" ||
	t_fail "refused new left the directory alone"
echo "changed" >>mytool/mytool.c
"$BPFPACK" new mytool --force >/dev/null
if [ "$(cat mytool/notes.txt)" = "keep me" ] && ! grep -q changed mytool/mytool.c; then
	t_ok "new --force rewrites template files and keeps the others"
else
	t_fail "new --force rewrites template files and keeps the others"
fi
mkdir empty_one
"$BPFPACK" new empty_one >/dev/null && [ -f empty_one/empty_one.c ] &&
	t_ok "new fills an existing empty directory" || t_fail "new fills an existing empty directory"
[ -z "$(find . -name '.*bpfpack-tmp*')" ] && t_ok "new leaves no staging directory" ||
	t_fail "new leaves no staging directory" "$(find . -name '.*bpfpack-tmp*')"

for bad in my-tool "my tool" "a/b" "../x" '$(touch pwned)' 1abc int ""; do
	t_expect_error "new rejects the name '$bad'" 2 "invalid name" "$BPFPACK" new "$bad"
done
[ ! -e pwned ] && [ ! -e ../x ] && t_ok "rejected names created nothing" || t_fail "rejected names created nothing"
t_expect_error "new rejects an unknown template" 2 "unknown template 'nosuch'" "$BPFPACK" new x -t nosuch
t_expect_error "new rejects a template path" 2 "unknown template" "$BPFPACK" new x -t ../templates/tracepoint
[ ! -e x ] && t_ok "unknown template created nothing" || t_fail "unknown template created nothing"
t_expect_error "new without NAME is a usage error" 2 "missing NAME" "$BPFPACK" new

"$BPFPACK" --version | grep -qE '^bpfpack [0-9]+\.[0-9]+\.[0-9]+' && t_ok "--version" || t_fail "--version"
help=$("$BPFPACK" help)
ok=1
for c in new vmlinux build clean doctor help; do grep -qE "^  $c " <<<"$help" || ok=0; done
[ $ok = 1 ] && t_ok "help lists every command" || t_fail "help lists every command" "$help"
for c in new vmlinux build clean doctor; do
	h=$("$BPFPACK" help "$c") && h2=$("$BPFPACK" "$c" --help) && [ "$h" = "$h2" ] &&
		grep -q "^usage: bpfpack $c" <<<"$h" || { t_fail "help $c equals $c --help"; continue; }
	t_ok "help $c equals $c --help"
done
t_expect_error "unknown command" 2 "unknown command 'frobnicate'" "$BPFPACK" frobnicate
t_expect_error "help of an unknown command" 2 "unknown command 'nope'" "$BPFPACK" help nope
t_done
