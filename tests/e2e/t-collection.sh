#!/usr/bin/env bash
# Tool collections built the way make users expect: `build TOOL...` builds
# only those, -k keeps going past a broken tool and names it at the end,
# [tool NAME] sections and [build] exclude in bpfpack.ini, make's environment
# flags (CFLAGS, EXTRA_CFLAGS, BPF_CFLAGS, LDFLAGS, EXTRA_LDFLAGS, LDLIBS)
# as part of each command's signature, `bpfpack new` inside a project adding
# a tool, `btf extract`, and the embedded-BTF fallback of a tool in plain
# libbpf style that never calls bpfpack (libbpf's open functions wrapped).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
export BPFPACK_CACHE_DIR=$T_TMP/cache

# A small tool NAME: a tracepoint program with a CO-RE read, and a main in
# plain libbpf style (skeleton opened with NAME_bpf__open(), no bpfpack API).
mktool() { # NAME [BPF-PRELUDE] [C-PRELUDE]
	cat >"proj/$1.bpf.c" <<EOF
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
$2
char LICENSE[] SEC("license") = "GPL";
int seen_ppid;
SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	seen_ppid = BPF_CORE_READ(t, real_parent, tgid);
	return 0;
}
EOF
	cat >"proj/$1.c" <<EOF
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "$1.skel.h"
$3
static int print(enum libbpf_print_level l, const char *f, va_list ap)
{
	return (l == LIBBPF_DEBUG && !getenv("VERBOSE")) ? 0 : vfprintf(stderr, f, ap);
}
int main(int argc, char **argv)
{
	struct $1_bpf *s;
	int err;

	libbpf_set_print(print);
	s = $1_bpf__open();
	if (!s)
		return 1;
	err = $1_bpf__load(s);
	if (!err)
		printf("loaded %s\n", argv[0]);
	$1_bpf__destroy(s);
	return err ? 1 : 0;
}
EOF
}
# Lines "STEP TARGET" of a build's output.
steps() { grep -E '^  [A-Z-]+ +' "$1" | awk '{ print $1, $2 }'; }

mkdir proj
printf '[project]\nname = proj\n' >proj/bpfpack.ini
mktool alpha '' '#include <stdlib.h>
#ifdef NEED_M
#include <math.h>
volatile double cube = 27;
double use_m(void) { return cbrt(cube); }
#endif
#ifdef ENV_FLAG
const char env_marker[] = "env-flag-is-on";
#endif'
mktool broken '#include "no_such_outside_header.h"' '#include <stdlib.h>'
mktool gamma '#ifndef FROM_TOOL_BPF
#error "[tool gamma] bpf_cflags not applied"
#endif' '#include <stdlib.h>
#include <math.h>
#ifndef FROM_TOOL_SECTION
#error "[tool gamma] cflags not applied"
#endif
volatile double sq = 27;
double use_m(void) { return cbrt(sq); }'
cat >>proj/bpfpack.ini <<'EOF'
[tool gamma]
cflags = -DFROM_TOOL_SECTION
bpf_cflags = -DFROM_TOOL_BPF
ldlibs = -lm
EOF

# Without -k a broken tool fails the build.
(cd proj && "$BPFPACK" build -j 2 >../b0.out 2>&1)
rc=$?
[ $rc -eq 1 ] && t_ok "a broken tool fails the build (exit 1)" ||
	t_fail "a broken tool fails the build (exit 1)" "exit $rc" "$(tail -5 b0.out)"

# -k: every other tool is built; one line names the broken one, exit 1.
(cd proj && "$BPFPACK" build -k -j 2 >../b1.out 2>../b1.err)
rc=$?
if [ $rc -eq 1 ] && [ -x proj/alpha ] && [ -x proj/gamma ] && [ ! -e proj/broken ]; then
	t_ok "build -k: the broken tool fails, every other tool is built (exit 1)"
else
	t_fail "build -k: the broken tool fails, every other tool is built (exit 1)" "exit $rc" \
		"$(ls proj)" "$(tail -8 b1.err)"
fi
if [ "$(grep -c ': not built: ' b1.err)" = 1 ] &&
   grep -qE '^bpfpack: build: broken: not built: clang[-0-9]* failed on broken\.bpf\.c$' b1.err; then
	t_ok "build -k: one line at the end names the broken tool and its failed step"
else
	t_fail "build -k: one line at the end names the broken tool and its failed step" "$(cat b1.err)"
fi
# [tool gamma]: its cflags, bpf_cflags and ldlibs (-lm for cbrt) reached its commands only.
if [ -x proj/gamma ] && grep -q -- '-DFROM_TOOL_SECTION' proj/.output/gamma.o.cmd &&
   grep -q -- '-DFROM_TOOL_BPF' proj/.output/gamma.tmp.bpf.o.cmd &&
   grep -qx -- '-lm' proj/.output/gamma.linked.cmd && ! grep -q -- '-DFROM_TOOL' proj/.output/alpha.o.cmd; then
	t_ok "[tool NAME] cflags, bpf_cflags and ldlibs apply to that tool only"
else
	t_fail "[tool NAME] cflags, bpf_cflags and ldlibs apply to that tool only" "$(cat b1.err)"
fi

# [build] exclude: the broken tool is left out, the build succeeds.
sed -i 's/^name = proj$/name = proj\n[build]\nexclude = broken/' proj/bpfpack.ini
if (cd proj && "$BPFPACK" build -j 2 >../b2.out 2>&1) && ! grep -q broken b2.out; then
	t_ok "[build] exclude leaves a tool out"
else
	t_fail "[build] exclude leaves a tool out" "$(cat b2.out)"
fi

# build TOOL: only that tool (and what it needs).
"$BPFPACK" clean -C proj >/dev/null
if (cd proj && "$BPFPACK" build alpha >../b3.out 2>&1) && [ -x proj/alpha ] && [ ! -e proj/gamma ] &&
   ! grep -q 'gamma' b3.out; then
	t_ok "build TOOL builds only that tool"
else
	t_fail "build TOOL builds only that tool" "$(ls proj)" "$(cat b3.out)"
fi
t_expect_error "build NOSUCH: names the unknown tool" 1 "no tool 'nosuch'" "$BPFPACK" build -C proj nosuch
if (cd proj && "$BPFPACK" build broken >../b4.out 2>&1); then
	t_fail "an excluded tool named on the command line is built" "it built?" "$(cat b4.out)"
elif grep -q 'no_such_outside_header.h' b4.out; then
	t_ok "an excluded tool named on the command line is built"
else
	t_fail "an excluded tool named on the command line is built" "$(cat b4.out)"
fi

# Environment flags: part of the commands, so changing them rebuilds.
if (cd proj && EXTRA_CFLAGS=-DENV_FLAG "$BPFPACK" build alpha >../e1.out 2>&1) &&
   grep -q 'CC *alpha.c' e1.out && grep -aq env-flag-is-on proj/alpha; then
	t_ok "EXTRA_CFLAGS reaches the compile and a change rebuilds"
else
	t_fail "EXTRA_CFLAGS reaches the compile and a change rebuilds" "$(cat e1.out)"
fi
if (cd proj && "$BPFPACK" build alpha >../e2.out 2>&1) && grep -q 'CC *alpha.c' e2.out &&
   ! grep -aq env-flag-is-on proj/alpha; then
	t_ok "dropping the environment flag rebuilds without it"
else
	t_fail "dropping the environment flag rebuilds without it" "$(cat e2.out)"
fi
# LDLIBS: alpha needs -lm once NEED_M is defined (CFLAGS); without LDLIBS it fails.
if (cd proj && CFLAGS=-DNEED_M "$BPFPACK" build alpha >../e3.out 2>&1); then
	t_fail "CFLAGS=-DNEED_M without LDLIBS=-lm fails to link" "$(cat e3.out)"
else
	t_ok "CFLAGS=-DNEED_M without LDLIBS=-lm fails to link"
fi
if (cd proj && CFLAGS=-DNEED_M LDLIBS=-lm LDFLAGS="-Wl,-Map,$T_TMP/alpha.map" "$BPFPACK" build alpha >../e4.out 2>&1) &&
   [ -s alpha.map ] && grep -q 'cbrt' alpha.map; then
	t_ok "LDLIBS and LDFLAGS reach the link"
else
	t_fail "LDLIBS and LDFLAGS reach the link" "$(cat e4.out)"
fi
if (cd proj && BPF_CFLAGS=-DBPF_ENV_FLAG "$BPFPACK" build alpha >../e5.out 2>&1) &&
   grep -q 'BPF *alpha.bpf.c' e5.out && grep -q -- '-DBPF_ENV_FLAG' proj/.output/alpha.tmp.bpf.o.cmd; then
	t_ok "BPF_CFLAGS reaches the BPF compile and a change rebuilds"
else
	t_fail "BPF_CFLAGS reaches the BPF compile and a change rebuilds" "$(cat e5.out)"
fi

# bpfpack new inside a project (and with -C PROJECT) adds a tool.
mkdir proj/sub
if (cd proj/sub && "$BPFPACK" new delta >../../n1.out 2>&1) && [ -f proj/delta.bpf.c ] && [ -f proj/delta.c ] &&
   [ -f proj/delta.h ] && [ ! -e proj/sub/delta ] && grep -qx '/delta' proj/.gitignore; then
	t_ok "new NAME inside a project adds NAME.bpf.c, NAME.c, NAME.h and a .gitignore line"
else
	t_fail "new NAME inside a project adds NAME.bpf.c, NAME.c, NAME.h and a .gitignore line" "$(cat n1.out)" "$(ls -R proj | head -30)"
fi
if "$BPFPACK" new epsilon -t raw_tp -C proj >n2.out 2>&1 && [ -f proj/epsilon.bpf.c ] && [ ! -e proj/epsilon/bpfpack.ini ] &&
   grep -qx '/epsilon' proj/.gitignore && [ "$(grep -c '^/delta$' proj/.gitignore)" = 1 ]; then
	t_ok "new NAME -C PROJECT adds a tool to that project"
else
	t_fail "new NAME -C PROJECT adds a tool to that project" "$(cat n2.out)"
fi
t_expect_error "new NAME of an existing tool refuses" 1 "exists" "$BPFPACK" new delta -C proj
if (cd proj && "$BPFPACK" build delta >../n3.out 2>&1) && [ -x proj/delta ]; then
	t_ok "the added tool builds"
else
	t_fail "the added tool builds" "$(tail -20 n3.out)"
fi

# Embedded BTF for a tool that never calls bpfpack: built with this kernel's
# BTF, forced to the embedded set, libbpf is handed it (said at debug level).
if (cd proj && "$BPFPACK" build --btf /sys/kernel/btf/vmlinux alpha delta >../w1.out 2>&1); then
	t_ok "a plain libbpf tool builds with embedded BTF"
else
	t_fail "a plain libbpf tool builds with embedded BTF" "$(cat w1.out)"
fi
if ! t_is_root; then
	t_skip "a plain libbpf tool uses its embedded BTF" "needs root to load BPF"
else
	BPFPACK_BTF_FORCE_EMBEDDED=1 VERBOSE=1 proj/alpha >w2.out 2>w2.err
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^loaded' w2.out && grep -q '^alpha: BTF: embedded, for .*forced by BPFPACK_BTF_FORCE_EMBEDDED' w2.err; then
		t_ok "a plain libbpf tool (skeleton, no bpfpack call) loads with its embedded BTF"
	else
		t_fail "a plain libbpf tool (skeleton, no bpfpack call) loads with its embedded BTF" "exit $rc" "$(grep -v '^libbpf' w2.err | head)"
	fi
	BPFPACK_BTF_FORCE_EMBEDDED=1 proj/alpha >w3.out 2>w3.err
	if [ $? -eq 0 ] && [ ! -s w3.err ]; then
		t_ok "without the tool's verbose log the runtime says nothing"
	else
		t_fail "without the tool's verbose log the runtime says nothing" "$(cat w3.err)"
	fi
	# A template tool calls bpfpack_btf_setup itself: one decision, one -v line.
	BPFPACK_BTF_FORCE_EMBEDDED=1 timeout 20 proj/delta -v -d 1 >w4.out 2>w4.err
	n=$(grep -c 'BTF: embedded' w4.err)
	if [ "$n" = 1 ]; then
		t_ok "an explicit bpfpack_btf_setup keeps its -v line, once (no double work)"
	else
		t_fail "an explicit bpfpack_btf_setup keeps its -v line, once (no double work)" "$n lines" "$(grep -v '^libbpf' w4.err | head)"
	fi
fi

# btf extract: the kernel's minimized BTF back out of the binary and the set.
rel=$(uname -r)
if "$BPFPACK" btf extract proj/alpha --release "$rel" -o x1.btf >x.out 2>&1 &&
   "$BPFPACK" btf extract proj/.output/alpha.btfset --release "$rel" -o x2.btf >>x.out 2>&1 &&
   cmp -s x1.btf x2.btf && "$BPFPACK" vmlinux --btf x1.btf -o x1.h >>x.out 2>&1 &&
   grep -q '^struct task_struct {' x1.h; then
	t_ok "btf extract writes the kernel's minimized BTF (from the binary and from the set)"
else
	t_fail "btf extract writes the kernel's minimized BTF (from the binary and from the set)" "$(cat x.out)"
fi
t_expect_error "btf extract of a kernel the binary lacks" 1 "no BTF for kernel 0.0.1" \
	"$BPFPACK" btf extract proj/alpha --release 0.0.1 -o x3.btf

# A tool that opens nothing through libbpf (as a light skeleton does): a
# build-time warning when BTF is embedded; `btf embed` says why it refuses.
cat >proj/lite.bpf.c <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx) { return 0; }
EOF
printf '#include <stdio.h>\nint main(void) { puts("no libbpf open here"); return 0; }\n' >proj/lite.c
if (cd proj && "$BPFPACK" build --btf /sys/kernel/btf/vmlinux lite >../l1.out 2>&1) &&
   grep -q 'warning: lite never opens its BPF object through libbpf' l1.out; then
	t_ok "a tool that opens no object through libbpf gets a build-time warning with embedded BTF"
else
	t_fail "a tool that opens no object through libbpf gets a build-time warning with embedded BTF" "$(cat l1.out)"
fi
t_expect_error "btf embed on such a tool says it carries no runtime (not 'older bpfpack')" 1 \
	"carries no runtime that reads BTF sets" "$BPFPACK" btf embed proj/lite --btf /sys/kernel/btf/vmlinux
t_done
