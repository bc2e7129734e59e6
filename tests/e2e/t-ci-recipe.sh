#!/usr/bin/env bash
# t-ci-recipe: runs the CI recipe's scripts (examples/ci/scripts) locally in
# the order the workflow runs them: install, build (a fresh project), a
# sparse checkout of a btfhub-archive git repository made from
# ../shared/btf-corpus (two of its directories), the shard jobs as parallel
# processes, merge, the check gate, embed and vmtest. Then checks the merged
# results against one full run over the same checkout: the sets byte for
# byte, the check reports (JSON and markdown) equal; and that the embedded
# tool finds its kernel with /sys/kernel/btf hidden in a VM.
. "$(dirname "$0")/lib.sh"

SHARED=${T_SHARED:-$(cd "$BPFPACK_ROOT/.." && pwd)/shared}
CORPUS=$SHARED/btf-corpus
SCRIPTS=$BPFPACK_ROOT/examples/ci/scripts
cd "${T_TMP:?lib.sh did not load}" || exit 1
export BPFPACK_CACHE_DIR=$T_TMP/cache

if [ ! -d "$CORPUS/debian/11/x86_64" ] || [ ! -d "$CORPUS/debian/13/x86_64" ]; then
	t_skip "the CI recipe's scripts" "needs ../shared/btf-corpus (debian/11 and debian/13)"
	t_done
fi

# The archive the recipe clones: a git repository of the corpus.
mkdir archive
cp -r "$CORPUS/debian" archive/
git -C archive init -q
git -C archive add -A
git -C archive -c user.name=t -c user.email=t@t.invalid commit -qm corpus
git -C archive config uploadpack.allowFilter true

export BPFPACK PROJECT_DIR=$T_TMP/demo CI_OUT=$T_TMP/ci-out BTFHUB_DIR=$T_TMP/btfhub-archive
export BTFHUB_ARCHIVE_URL=file://$T_TMP/archive BTFHUB_PATHS="debian/11/x86_64 debian/13/x86_64"
export SHARDS=3 JOBS=1 CHECK_REQUIRE=debian
"$BPFPACK" new demo -C . >/dev/null

step() {
	local name=$1
	shift
	if "$@" >"$T_TMP/$name.log" 2>&1; then
		t_ok "$name"
	else
		t_fail "$name" "$(tail -n 20 "$T_TMP/$name.log")"
		t_done
	fi
}

step "install.sh finds bpfpack" "$SCRIPTS/install.sh"
step "build.sh builds the project" "$SCRIPTS/build.sh"
step "fetch-btfhub.sh makes a sparse checkout" "$SCRIPTS/fetch-btfhub.sh"
n11=$(ls "$BTFHUB_DIR/debian/11/x86_64" | wc -l)
n13=$(ls "$BTFHUB_DIR/debian/13/x86_64" | wc -l)
if [ "$n11" -gt 0 ] && [ "$n13" -gt 0 ] && [ ! -e "$BTFHUB_DIR/debian/12" ]; then
	t_ok "the checkout holds only BTFHUB_PATHS ($n11 + $n13 kernels, no debian/12)"
else
	t_fail "the checkout holds only BTFHUB_PATHS" "$(find "$BTFHUB_DIR" -maxdepth 3 -not -path '*/.git*')"
fi

# The shard jobs, at the same time, as on N runners.
pids=()
for k in $(seq 1 "$SHARDS"); do
	"$SCRIPTS/shard.sh" "$k" >"$T_TMP/shard$k.log" 2>&1 &
	pids+=($!)
done
bad=0
for k in $(seq 1 "$SHARDS"); do wait "${pids[$((k - 1))]}" || bad=$k; done
if [ "$bad" = 0 ]; then
	t_ok "shard.sh 1..$SHARDS ran in parallel"
else
	t_fail "shard.sh 1..$SHARDS ran in parallel" "shard $bad: $(tail -n 20 "$T_TMP/shard$bad.log")"
	t_done
fi
step "merge.sh joins the parts" "$SCRIPTS/merge.sh"
step "gate.sh passes (check --require debian)" "$SCRIPTS/gate.sh"
step "embed.sh embeds the merged set" "$SCRIPTS/embed.sh"

# One full run over the same checkout, as a single job would make it.
"$BPFPACK" btf gen -C demo --btf "$BTFHUB_DIR" -j 2 -o full.btfset >full.log 2>&1
if cmp -s full.btfset ci-out/sets/demo.btfset; then
	t_ok "the merged set is byte-identical to a full run's"
else
	t_fail "the merged set is byte-identical to a full run's" "$(cat full.log; ls -l full.btfset ci-out/sets/)"
fi
"$BPFPACK" check -C demo --btf "$BTFHUB_DIR" -j 2 --json >full.json 2>/dev/null
"$BPFPACK" check -C demo --btf "$BTFHUB_DIR" -j 2 --markdown >full.md 2>/dev/null
if [ -s full.json ] && cmp -s full.json ci-out/check.json && cmp -s full.md ci-out/check.md; then
	t_ok "the merged check report equals a full run's (JSON and markdown)"
else
	t_fail "the merged check report equals a full run's" "$(diff full.json ci-out/check.json | head -n 5)"
fi
kernels=$((n11 + n13))
if grep -q "^| demo | $kernels |" ci-out/check.md; then
	t_ok "the report counts every kernel of the checkout ($kernels)"
else
	t_fail "the report counts every kernel of the checkout" "$(head -n 6 ci-out/check.md)"
fi
if "$BPFPACK" inspect ci-out/bin/demo | grep -q "$kernels kernels\?"; then
	t_ok "the embedded tool carries the merged set"
else
	t_fail "the embedded tool carries the merged set" "$("$BPFPACK" inspect ci-out/bin/demo 2>&1 | head)"
fi

# A merge job that lost a shard fails and names it.
rm ci-out/parts/demo.2-of-3.btfpart
if ! "$SCRIPTS/merge.sh" >merge-missing.log 2>&1 && grep -q "shard 2 of 3 missing" merge-missing.log; then
	t_ok "merge.sh fails on a missing shard, naming it"
else
	t_fail "merge.sh fails on a missing shard, naming it" "$(cat merge-missing.log)"
fi

K=$SHARED/kernels/vmlinuz-5.10.0-32-cloud-amd64
if [ -f "$K" ] && command -v qemu-system-x86_64 >/dev/null; then
	if VMTEST_KERNELS=$K "$SCRIPTS/vmtest.sh" >vmtest.log 2>&1; then
		t_ok "vmtest.sh: the embedded tool runs on 5.10 with /sys/kernel/btf hidden"
	else
		t_fail "vmtest.sh: the embedded tool runs on 5.10 with /sys/kernel/btf hidden" "$(tail -n 20 vmtest.log)"
	fi
else
	t_skip "vmtest.sh" "needs ../shared/kernels and qemu-system-x86_64"
fi
t_done
