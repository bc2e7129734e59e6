#!/usr/bin/env bash
# t-security: what bpfpack and the tools it builds may and may not do.
# A static audit of the C sources (comments left out):
# - no system(), popen(), tmpnam(), tempnam(), mktemp() or tmpfile();
# - programs start only through lib/proc.c (posix_spawn of an argv array;
#   btfgen forks its workers, which start bpftool through lib/proc.c);
# - a path in /tmp is only ever a mkstemp/mkdtemp template (XXXXXX);
# - the runtime and the tools' own code read no environment variable but
#   BPFPACK_BTF and BPFPACK_BTF_FORCE_EMBEDDED;
# - the driver reads only the variables of the allowlist below, and every
#   BPFPACK_* variable read anywhere is documented in README.md.
# Then, for real: outputs' modes under umask 000 (binaries 0755, other files
# 0644, nothing world-writable); a project and a CLANG path full of shell
# metacharacters build as they are; a tool ignores a hostile environment and
# leaves nothing in /tmp; `bpfpack new` with hostile names, links and
# templates writes nothing outside its target directory.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache
unset CLANG BPFTOOL CC BPFPACK_BTF BPFPACK_BTF_FORCE_EMBEDDED

# ---- static audit ------------------------------------------------------------------
# The driver's environment, derived from the sources as they are: each name
# with the reason it may be read.
#   PATH TMPDIR HOME XDG_CACHE_HOME   the usual meanings (program lookup, temp
#                                     dirs, the BTF cache's default place)
#   CLANG BPFTOOL CC AR OBJCOPY       the programs a build runs (one program
#   CROSS_COMPILE                     each, never a command line) and the
#                                     cross toolchain's prefix
#   BPFPACK_HOME BPFPACK_CACHE_DIR    bpfpack's data and cache directories
#   BPFPACK_KERNEL_CACHE(_MAX)        the decoded-kernel cache: off, its bound
#   BPFPACK_ACCEL QEMU BUSYBOX        vmtest's accelerator, qemu and busybox
#   GLIBC_TUNABLES                    read to extend it for bpftool, never to decide
#   CFLAGS EXTRA_CFLAGS BPF_CFLAGS    make's conventions, added to build's
#   LDFLAGS EXTRA_LDFLAGS LDLIBS      command lines
#   NO_COLOR TERM COLUMNS             lib/report.c: colour or not, the progress
#                                     bar's width when the terminal does not say
# and the places that read a variable whose name is not a literal:
#   lib/toolchain.c find_from_env, report_missing   (names from their callers)
#   runtime/bpfpack_btf.c env_flag                  (names from its callers)
#   cmd/build.c env_words                           (names from its caller)
#   vm/vm.c, cmd/doctor.c: getenv(m->qemu_env)     (QEMU for each VM's machine)
#   vm/vm_rootfs.c vm_rootfs_busybox_source        (BUSYBOX_<ARCH>)
cat >audit.py <<'EOF'
import os, re, sys

root = sys.argv[1]
DRIVER_ALLOW = {'PATH', 'TMPDIR', 'HOME', 'XDG_CACHE_HOME', 'CLANG', 'BPFTOOL', 'CC', 'AR',
                'OBJCOPY', 'CROSS_COMPILE', 'BPFPACK_HOME', 'BPFPACK_CACHE_DIR', 'BPFPACK_ACCEL',
                'BPFPACK_KERNEL_CACHE', 'BPFPACK_KERNEL_CACHE_MAX',
                'QEMU', 'BUSYBOX', 'GLIBC_TUNABLES',
                'CFLAGS', 'EXTRA_CFLAGS', 'BPF_CFLAGS', 'LDFLAGS', 'EXTRA_LDFLAGS', 'LDLIBS',
                'NO_COLOR', 'TERM', 'COLUMNS'}
RUNTIME_ALLOW = {'BPFPACK_BTF', 'BPFPACK_BTF_FORCE_EMBEDDED'}
# (file, function or expression) of getenv calls whose argument is not a literal.
INDIRECT = {('lib/toolchain.c', 'find_from_env'), ('lib/toolchain.c', 'report_missing'),
            ('runtime/bpfpack_btf.c', 'env_flag'), ('vm/vm.c', 'm->qemu_env'),
            ('cmd/doctor.c', 'm->qemu_env'), ('vm/vm_rootfs.c', 'vm_rootfs_busybox_source'),
            ('cmd/build.c', 'env_words')}
WRAPPERS = {'find_from_env', 'report_missing', 'env_flag', 'env_words'}
RUNTIME_DIRS = ('runtime', 'include', 'templates', 'examples')
DRIVER_DIRS = ('lib', 'cmd', 'btfhub')

def strip_comments(text, blank_strings=False):
    """C source without comments (line numbers kept); with BLANK_STRINGS, the
    insides of string and character literals are blanked too."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            lit = text[i:j + 1]
            out.append(c + re.sub(r'[^\n]', ' ', lit[1:-1]) + c if blank_strings and len(lit) > 1 else lit)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)

files, code = {}, {}
for d in DRIVER_DIRS + RUNTIME_DIRS:
    for base, _, names in os.walk(os.path.join(root, d)):
        for name in names:
            if name.endswith(('.c', '.h')):
                path = os.path.join(base, name)
                src = open(path, errors='replace').read()
                files[os.path.relpath(path, root)] = strip_comments(src)
                code[os.path.relpath(path, root)] = strip_comments(src, True)

def where(rel, text, pos):
    return '%s:%d' % (rel, text.count('\n', 0, pos) + 1)

def result(name, problems):
    print('%s\t%s\t%s' % (name, 'FAIL' if problems else 'OK', ' | '.join(problems)))

# 1. calls that run a shell or make predictable temp names
bad = [where(f, t, m.start()) + ' ' + m.group(1) + '()' for f, t in sorted(code.items())
       for m in re.finditer(r'(?<![\w.>])(system|popen|tmpnam|tempnam|mktemp|tmpfile)\s*\(', t)]
result('no system(), popen(), tmpnam(), tempnam(), mktemp() or tmpfile() in the C sources', bad)

# 2. starting programs
spawn_ok = {('lib/proc.c', 'posix_spawnp'), ('lib/proc.c', 'posix_spawn'), ('btfhub/btfgen.c', 'fork')}
bad = [where(f, t, m.start()) + ' ' + m.group(1) + '()' for f, t in sorted(code.items())
       for m in re.finditer(r'(?<![\w.>])(fork|vfork|clone|clone3|execl|execlp|execle|execv|execvp|execvpe|execve|fexecve|posix_spawnp?)\s*\(', t)
       if (f, m.group(1)) not in spawn_ok]
result('programs start only through lib/proc.c (argv arrays)', bad)

# 3. paths in /tmp
bad = [where(f, t, m.start()) + ' ' + m.group(0) for f, t in sorted(files.items())
       for m in re.finditer(r'"/tmp/[^"]*"', t) if not m.group(0).endswith('XXXXXX"')]
result('every /tmp path is a mkstemp/mkdtemp template (nothing predictable in /tmp)', bad)

# 4./5. the environment
def func_at(text, pos):
    """Name of the function whose body holds POS (definitions start at column 0)."""
    name = '?'
    for m in re.finditer(r'^[A-Za-z_][^;{}()]*?\b([A-Za-z_]\w*)\s*\([^;]*$', text[:pos], re.M):
        name = m.group(1)
    return name

reads = {}	# file -> set of names
bad_driver, bad_runtime = [], []
for f, t in sorted(files.items()):
    names = reads.setdefault(f, set())
    for m in re.finditer(r'(?<![\w.>])(secure_getenv|getenv)\s*\(\s*([^)]*)\)', t):
        arg = m.group(2).strip()
        lit = re.fullmatch(r'"([^"]*)"', arg)
        if lit:
            names.add(lit.group(1))
            continue
        fn = func_at(t, m.start())
        if (f, fn) in INDIRECT or (f, arg) in INDIRECT:
            continue
        msg = '%s getenv(%s) in %s(): a name that is not a literal' % (where(f, t, m.start()), arg, fn)
        (bad_runtime if f.startswith(RUNTIME_DIRS) else bad_driver).append(msg)
    for m in re.finditer(r'(?<![\w.>])(%s)\s*\(([^;]*?)\)\s*[;)]' % '|'.join(WRAPPERS), t):
        names.update(re.findall(r'"([A-Z][A-Z0-9_]*)"', m.group(2)))
    if re.search(r'(?<![\w.>])environ\b', code[f]) and f != 'lib/proc.c':
        (bad_runtime if f.startswith(RUNTIME_DIRS) else bad_driver).append(f + ': uses environ')
for f, names in sorted(reads.items()):
    for v in sorted(names):
        if f.startswith(RUNTIME_DIRS) and v not in RUNTIME_ALLOW:
            bad_runtime.append('%s reads %s' % (f, v))
        elif f.startswith(DRIVER_DIRS) and v not in DRIVER_ALLOW:
            bad_driver.append('%s reads %s' % (f, v))
result('the runtime and the tools read only BPFPACK_BTF and BPFPACK_BTF_FORCE_EMBEDDED', bad_runtime)
result('the driver reads only the environment variables of its allowlist', bad_driver)
readme = open(os.path.join(root, 'README.md')).read()
every = set().union(*reads.values())
bad = sorted('%s is read but README.md does not name it' % v for v in every
             if v.startswith('BPFPACK_') and not re.search(r'\b%s\b' % v, readme))
result('every BPFPACK_* variable read is documented in README.md', bad)
undocumented = sorted(v for v in every & DRIVER_ALLOW - {'PATH', 'HOME', 'TMPDIR', 'XDG_CACHE_HOME', 'GLIBC_TUNABLES'}
                      if not re.search(r'\b%s\b' % v, readme))
if undocumented:
    print('note\tNOTE\tread by the driver, not named in README.md: ' + ', '.join(undocumented))
EOF
if ! command -v python3 >/dev/null; then
	t_skip "static audit of the C sources" "needs python3"
else
	python3 audit.py "$BPFPACK_ROOT" >audit.out 2>audit.err || t_fail "the audit script runs" "$(cat audit.err)"
	while IFS=$'\t' read -r name status detail; do
		case "$status" in
		OK) t_ok "audit: $name" ;;
		FAIL) t_fail "audit: $name" "${detail// | /$'\n'}" ;;
		NOTE) echo "# note: $detail" ;;
		esac
	done <audit.out
fi

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi

# ---- modes of what bpfpack writes, under umask 000 -------------------------------------
# The project sits in a directory whose name is full of shell syntax, and
# CLANG is a path with a space and a quote: argv arrays pass them as they are.
rel=$(uname -r)
weird='p; $(touch pwned) `touch pwned2` "q" '"'r'"' & |'
mkdir -p "$weird" "clang dir'x"
clang_real=$(command -v clang-19 || command -v clang || true)
if [ ! -r /sys/kernel/btf/vmlinux ] || [ -z "$clang_real" ]; then
	t_skip "outputs' modes under umask 000" "needs the running kernel's BTF and clang"
else
	ln -s "$clang_real" "clang dir'x/clang"
	mkdir -p st tree/debian/12/x86_64
	cp /sys/kernel/btf/vmlinux "st/$rel.btf"
	XZ_OPT=-0 tar -C st -cJf "tree/debian/12/x86_64/$rel.btf.tar.xz" "$rel.btf"
	(
		umask 000
		"$BPFPACK" new tp -C "$weird" >/dev/null &&
			cd "$weird/tp" &&
			env CLANG="$T_TMP/clang dir'x/clang" "$BPFPACK" build --btf "$T_TMP/tree" &&
			"$BPFPACK" vmlinux -o vmlinux.h &&
			"$BPFPACK" btf gen --btf "$T_TMP/tree" -o set.btfset --tool tp
	) >build.out 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ -x "$weird/tp/tp" ]; then
		t_ok "a project path and CLANG full of shell syntax build as they are"
	else
		t_fail "a project path and CLANG full of shell syntax build as they are" "exit $rc" "$(tail -20 build.out)"
	fi
	left=$(find "$T_TMP" "$BPFPACK_ROOT" -maxdepth 6 -name 'pwned*' 2>/dev/null | head -5)
	[ -z "$left" ] && t_ok "no shell ran the metacharacters" || t_fail "no shell ran the metacharacters" "$left"

	bad=
	while IFS= read -r -d '' f; do
		m=$(stat -c %a "$f")
		case "$f" in
		"$weird/tp/tp" | "$weird/tp/.output/tp.linked") want=755 ;;
		*) want=644 ;;
		esac
		[ -d "$f" ] && want=dir
		if [ "$want" = dir ]; then
			((8#$m & 2)) && bad="$bad"$'\n'"$m $f (a world-writable directory)"
		elif [ "$m" != "$want" ]; then
			bad="$bad"$'\n'"$m $f (want $want)"
		fi
	done < <(find "$weird/tp" "$BPFPACK_CACHE_DIR" -print0)
	if [ -z "$bad" ]; then t_ok "under umask 000: binaries 0755, every other file 0644, no world-writable directory"
	else t_fail "under umask 000: binaries 0755, every other file 0644, no world-writable directory" "$bad"; fi

	# The tool trusts no environment variable but its own two: a hostile
	# environment changes nothing, and it writes nothing to /tmp.
	if ! t_is_root; then
		t_skip "a tool ignores a hostile environment" "needs root to load BPF"
	else
		before=$(ls -A /tmp | grep -c '^bpfpack-btf' || true)
		out=$(env -i PATH=/nonexistent HOME=/nonexistent TMPDIR=/nonexistent LD_PRELOAD=/nonexistent.so \
			LIBBPF_LOG_LEVEL=debug BPFPACK_BTF_FORCE_EMBEDDED=1 "$weird/tp/tp" -v -d 1 2>&1 >/dev/null)
		rc=$?
		after=$(ls -A /tmp | grep -c '^bpfpack-btf' || true)
		if [ $rc -eq 0 ] && grep -q "BTF: embedded, for debian/12/x86_64/$rel" <<<"$out" && [ "$before" = "$after" ]; then
			t_ok "a tool ignores a hostile environment and leaves nothing in /tmp"
		else
			t_fail "a tool ignores a hostile environment and leaves nothing in /tmp" "exit $rc; /tmp bpfpack-btf* $before -> $after" "$out"
		fi
		out=$(env BPFPACK_BTF=/etc/passwd "$weird/tp/tp" -v -d 1 2>&1 >/dev/null)
		if [ $? -eq 0 ] && grep -q "BTF: the kernel's own" <<<"$out"; then
			t_ok "BPFPACK_BTF cannot override a kernel's own BTF"
		else
			t_fail "BPFPACK_BTF cannot override a kernel's own BTF" "$out"
		fi
	fi
fi

# ---- bpfpack new writes nothing outside its target ---------------------------------
# `outside` stands for everything bpfpack new must not touch; its listing and
# contents are compared before and after each attempt.
mkdir -p outside/full work
echo "precious" >outside/full/keep.txt
echo "precious" >outside/file.c
snap() { (cd outside && find . -printf '%p %y %s %m\n' | sort && cat full/keep.txt file.c) | md5sum; }
base=$(snap)
# attempt NAME EXIT CMD...: CMD exits EXIT, and outside/ is as it was.
attempt() {
	local name=$1 want=$2 rc
	shift 2
	(cd work && "$@") >attempt.out 2>&1
	rc=$?
	if [ $rc -ne "$want" ]; then
		t_fail "$name" "want exit $want, got $rc" "$(cat attempt.out)"
	elif [ "$(snap)" != "$base" ]; then
		t_fail "$name" "outside/ changed" "$(cd outside && find . -newer "$T_TMP/audit.py")"
	else
		t_ok "$name"
	fi
}
attempt "new ../outside/x is refused" 2 "$BPFPACK" new ../outside/x
attempt "new with an absolute name is refused" 2 "$BPFPACK" new "$T_TMP/outside/x"
attempt "new a/../../outside is refused" 2 "$BPFPACK" new a/../../outside
attempt "new -t ../../outside is refused" 2 "$BPFPACK" new p -t ../../../outside
ln -s ../outside/full work/linked
attempt "new NAME where NAME is a link to a directory outside is refused" 1 "$BPFPACK" new linked
attempt "new --force NAME where NAME is a link to a directory outside is refused" 1 "$BPFPACK" new linked --force
mkdir -p empty_out
ln -s ../empty_out work/linked2
attempt "new NAME where NAME is a link to an empty directory outside is refused" 1 "$BPFPACK" new linked2
[ -z "$(ls -A empty_out)" ] && t_ok "the empty directory outside stays empty" ||
	t_fail "the empty directory outside stays empty" "$(ls -A empty_out)"
"$BPFPACK" new proj -C work >/dev/null
ln -sf ../../outside/file.c work/proj/proj.c
attempt "new --force over a project whose source is a link outside replaces the link" 0 "$BPFPACK" new proj --force
[ -f work/proj/proj.c ] && [ ! -L work/proj/proj.c ] && t_ok "the link is now the template's file" ||
	t_fail "the link is now the template's file" "$(ls -l work/proj/proj.c)"

# Hostile templates (BPFPACK_HOME): links out of the template are refused.
mkdir -p home/templates
cp -r "$BPFPACK_ROOT/include" "$BPFPACK_ROOT/runtime" home/
for t in filelink dirlink nested; do cp -r "$BPFPACK_ROOT/templates/tracepoint" "home/templates/$t"; done
ln -s "$T_TMP/outside/file.c" "home/templates/filelink/{{NAME}}.extra"
ln -s "$T_TMP/outside/full" "home/templates/dirlink/data"
mkdir -p home/templates/nested/sub
ln -s ../../../../outside/full "home/templates/nested/sub/up"
for t in filelink dirlink nested; do
	attempt "a template holding a link ($t) is refused" 1 env BPFPACK_HOME="$T_TMP/home" "$BPFPACK" new "t_$t" -t "$t"
done
left=$(ls -A work | grep -v -e '^linked2\?$' -e '^proj$')
[ -z "$left" ] && t_ok "refused templates leave nothing in the target directory" ||
	t_fail "refused templates leave nothing in the target directory" "$left"
t_done
