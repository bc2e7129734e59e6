# tests/e2e/lib.sh: helpers for the end-to-end scripts. Each check prints one
# TAP-like line: "ok - NAME", "not ok - NAME" or "ok - NAME # SKIP why".
# A script sources this file, runs its checks and ends with `t_done`.
set -uo pipefail

BPFPACK_ROOT=${BPFPACK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BPFPACK=$BPFPACK_ROOT/bin/bpfpack
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-e2e.XXXXXX")
T_BG_PIDS=()

t_cleanup() {
	local p
	for p in "${T_BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

t_ok() { echo "ok - $1"; }
t_fail() {
	echo "not ok - $1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
	T_FAILED=1
}
t_skip() { echo "ok - $1 # SKIP $2"; }
# t_fail_files NAME FILE...: t_fail showing the last lines of each FILE that
# exists (what the command under test said).
t_fail_files() {
	local name=$1 f
	shift
	echo "not ok - $name"
	for f in "$@"; do [ -f "$f" ] && sed 's/^/#   /' "$f" | tail -n 25; done
	T_FAILED=1
}
t_done() { exit "$T_FAILED"; }

# t_check NAME CMD...: passes when CMD exits 0.
t_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then t_ok "$name"; else t_fail "$name" "command: $*" "$out"; fi
}

# t_expect_error NAME STATUS REGEX CMD...: CMD must exit with STATUS, print
# nothing but one "bpfpack: ..." line matching REGEX (and optional "hint:"
# lines) on stderr.
t_expect_error() {
	local name=$1 want=$2 re=$3 rc errf errs first others
	shift 3
	errf=$T_TMP/.stderr
	"$@" >/dev/null 2>"$errf"
	rc=$?
	errs=$(cat "$errf")
	first=$(grep -v '^hint: ' "$errf" | head -n 1)
	others=$(grep -v '^hint: ' "$errf" | wc -l)
	if [ "$rc" -ne "$want" ]; then
		t_fail "$name" "want exit $want, got $rc" "$errs"
	elif [ "$others" -ne 1 ]; then
		t_fail "$name" "want one error line on stderr, got $others" "$errs"
	elif ! [[ "$first" =~ ^bpfpack:\ .*$re ]]; then
		t_fail "$name" "stderr does not match /$re/" "$errs"
	else
		t_ok "$name"
	fi
}

# t_no_temps NAME DIR: no temp file of bpfpack's is left in DIR (recursively).
t_no_temps() {
	local left
	left=$(find "$2" -name '*.bpfpack-tmp.*' 2>/dev/null)
	if [ -z "$left" ]; then t_ok "$1"; else t_fail "$1" "left behind: $left"; fi
}

t_is_root() { [ "$(id -u)" = 0 ]; }

# t_wait_for FILE REGEX SECONDS: waits until FILE has a line matching REGEX.
t_wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# t_link_with_driver OUT SRC [LIBBPF_A]: links the C program SRC against the
# driver's layer archives (in the Makefile's link order) and the Makefile's
# LIBS, -lbpf replaced by LIBBPF_A when given. Fails (returns 1) with the
# compiler's messages in cc.err.
t_link_with_driver() {
	local out=$1 src=$2 libbpf=${3:-} l libs=()
	local archives=("$BPFPACK_ROOT"/build/libbtfhub.a "$BPFPACK_ROOT"/build/libvm.a
		"$BPFPACK_ROOT"/build/libformats.a "$BPFPACK_ROOT"/build/liblib.a "$BPFPACK_ROOT"/build/libruntime.a)
	for l in $(sed -n 's/^LIBS :\?= //p' "$BPFPACK_ROOT/Makefile"); do
		[ -n "$libbpf" ] && [ "$l" = -lbpf ] && l=$libbpf
		libs+=("$l")
	done
	cc -std=gnu11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -I"$BPFPACK_ROOT/include" -o "$out" \
		"$src" "${archives[@]}" "${libs[@]}" 2>cc.err
}

# t_compile_bpf_corpus BTF: every purpose-built object of tests/check/, every
# example tool and every template's program, compiled with $CLANG against a
# vmlinux.h made from BTF, into the current directory. Sets T_BUILT (the
# objects) and reports one check; returns 1 when vmlinux.h cannot be made.
t_compile_bpf_corpus() {
	local btf=$1 src d t name
	if ! "$BPFPACK" vmlinux --btf "$btf" -o vmlinux.h 2>vmlinux.err; then
		t_fail "vmlinux.h" "$(cat vmlinux.err)"
		return 1
	fi
	t__bpf_cc() {	# OUT SRC INCLUDE_DIR
		"$CLANG" -target bpf -g -O2 -D__TARGET_ARCH_x86 -DBPF_NO_KFUNC_PROTOTYPES -I. -I"$3" \
			-I"/usr/include/$(gcc -dumpmachine)" -c "$2" -o "$1" 2>>bpf.err
	}
	T_BUILT=()
	local failed=()
	for src in "$BPFPACK_ROOT"/tests/check/*.bpf.c; do
		name=check-$(basename "$src" .bpf.c).o
		if t__bpf_cc "$name" "$src" "$BPFPACK_ROOT/tests/check"; then T_BUILT+=("$name"); else failed+=("$src"); fi
	done
	for src in "$BPFPACK_ROOT"/examples/tools/*.bpf.c; do
		name=example-$(basename "$src" .bpf.c).o
		if t__bpf_cc "$name" "$src" "$BPFPACK_ROOT/examples/tools"; then T_BUILT+=("$name"); else failed+=("$src"); fi
	done
	mkdir -p tmpl
	for d in "$BPFPACK_ROOT"/templates/*/; do
		t=$(basename "$d")
		name=t_${t//[^a-z0-9]/_}
		if "$BPFPACK" new "$name" -t "$t" -C tmpl >/dev/null 2>>bpf.err &&
			t__bpf_cc "template-$t.o" "tmpl/$name/$name.bpf.c" "tmpl/$name"; then
			T_BUILT+=("template-$t.o")
		else
			failed+=("template $t")
		fi
	done
	if [ ${#failed[@]} -eq 0 ]; then
		t_ok "every example, template and test object compiles (${#T_BUILT[@]})"
	else
		t_fail "every example, template and test object compiles" "failed: ${failed[*]}" "$(tail -n 20 bpf.err)"
	fi
}

# t_corpus_sources WHAT: the kernels to compare over, as SOURCES (--btf
# arguments) and NEWEST (the BTF for vmlinux.h): ../shared/btf-corpus, else
# the running kernel's BTF; without either, skips WHAT and ends the test.
t_corpus_sources() {
	local corpus=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}/btf-corpus
	if [ -d "$corpus" ]; then
		SOURCES=(--btf "$corpus")
		NEWEST=$(ls "$corpus"/debian/13/x86_64/*.btf.tar.xz 2>/dev/null | tail -n 1)
	elif [ -r /sys/kernel/btf/vmlinux ]; then
		SOURCES=(--btf /sys/kernel/btf/vmlinux)
		NEWEST=/sys/kernel/btf/vmlinux
		echo "# no ../shared/btf-corpus: the running kernel's BTF only"
	else
		t_skip "$1" "needs ../shared/btf-corpus or /sys/kernel/btf/vmlinux"
		t_done
	fi
}
