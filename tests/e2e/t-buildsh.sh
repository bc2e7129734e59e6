#!/usr/bin/env bash
# t-buildsh: build.sh never dies silently and exits 0 when it succeeds. It
# runs a copy of build.sh in a scratch tree whose Makefile and bin/bpfpack
# are stand-ins (the packages are those this machine has, so nothing is
# installed): a failing build step prints one line naming the step and the
# command and exits non-zero; `demo` exits 0 and leaves no scratch directory
# (its EXIT trap once named a local that was gone); an unknown command is a
# usage error.
. "$(dirname "$0")/lib.sh"
tmp=$T_TMP

# setup() would install what is missing; only run where nothing is.
. <(sed -n '/^BUILD_PACKAGES=(/,/^)/p; /^PACKAGES=(/,/^)/p' "$BPFPACK_ROOT/build.sh")
missing=
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || missing="$missing $p"
done
if [ -n "$missing" ]; then
	t_skip "build.sh's failure and success paths" "not installed here:$missing"
	t_done
fi

tree=$tmp/tree
mkdir -p "$tree"
cp "$BPFPACK_ROOT/build.sh" "$tree/"

# 1. A failing step.
cat >"$tree/Makefile" <<'EOT'
bin/bpfpack:
	@echo "cc: error: simulated" >&2; exit 1
EOT
name="a failing build step: one line naming the step and the command, exit non-zero"
(cd "$tmp" && TMPDIR=$tmp bash "$tree/build.sh" >"$tmp/out" 2>"$tmp/err")
rc=$?
last=$(tail -n 1 "$tmp/err")
if [ "$rc" -ne 0 ] &&
   [[ "$last" =~ ^build\.sh:\ error:\ step\ \"build\ bin/bpfpack\"\ failed:\ make\ -s\ .*\(exit\ [1-9][0-9]*\)$ ]] &&
   [ "$(grep -c '^build.sh: error:' "$tmp/err")" = 1 ]; then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 2. demo succeeds: a stand-in bpfpack whose tool prints one event.
cat >"$tree/Makefile" <<'EOT'
bin/bpfpack: bpfpack.in
	mkdir -p bin && cp bpfpack.in bin/bpfpack && chmod +x bin/bpfpack
EOT
cat >"$tree/bpfpack.in" <<'EOT'
#!/bin/sh
# new NAME -C DIR: a project whose build makes NAME, a tool printing an event.
case "$1" in
new) mkdir -p "$4/$2" ;;
build)
	printf '#!/bin/sh\necho "00:00:00 1 0 0 demo /bin/true"\n' >"$(basename "$PWD")"
	chmod +x "$(basename "$PWD")" ;;
esac
EOT
name="./build.sh demo exits 0, prints the tool's output and removes its scratch directory"
(cd "$tmp" && TMPDIR=$tmp bash "$tree/build.sh" demo >"$tmp/out" 2>"$tmp/err")
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^00:00:00 1 0 0 demo' "$tmp/out" && ! grep -q 'unbound variable' "$tmp/err" &&
   [ -z "$(find "$tmp" -maxdepth 1 -name 'bpfpack-demo.*')" ]; then
	t_ok "$name"
elif [ "$(id -u)" -ne 0 ] && [ "$rc" -eq 0 ]; then
	echo "ok - $name # SKIP not root: the demo does not run the tool"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

# 3. An unknown command.
name="./build.sh bogus: usage on stderr, exit 2"
(cd "$tmp" && bash "$tree/build.sh" bogus >"$tmp/out" 2>"$tmp/err")
rc=$?
if [ "$rc" -eq 2 ] && grep -q '^usage: ./build.sh \[demo|test' "$tmp/err"; then
	t_ok "$name"
else
	echo "#   exit $rc"
	t_fail_files "$name" "$tmp/out" "$tmp/err"
fi

t_done
