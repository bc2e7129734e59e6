#!/usr/bin/env bash
# tests/fresh/run.sh: the first thing every user meets, proven from nothing.
# For each release (default: bookworm trixie) it makes a minimal Debian with
# mmdebstrap --variant=minbase from the mirror apt already uses, binds /proc,
# /sys and /dev into it (recursively, so /sys/fs/cgroup, /dev/shm and the
# like are there as on a booted machine), puts a clean clone of this
# repository (its committed state) at /src/bpfpack and a copy of ../shared
# beside it, and there, as a new user would:
#   1. `./build.sh demo`: exit 0 and at least one event line;
#   2. `./build.sh test` in the same system (the demo installed part of the
#      packages; the suite installs the rest itself): exit 0, the last line
#      `N passed, 0 failed` with N > 0, and no check skipped but this
#      script's own (the nested suite runs t-fresh too: it sees
#      BPFPACK_FRESH_INNER=1 and says, as its one skip, that this run is the
#      fresh-machine test, instead of making chroots inside the chroot), so
#      the last line may say `, 1 skipped` for that one alone;
#   3. on trixie: `./build.sh deb`, then the .deb installed with apt into a
#      second fresh chroot of that release (so apt resolves its Depends from
#      nothing) and there, outside any source tree,
#      `bpfpack new t && cd t && bpfpack build && ./t -d 2`: events again.
#
#   tests/fresh/run.sh [--no-suite] [-j N] [RELEASE...]
#
#   --no-suite   steps 1 and 3 only (minutes instead of half an hour)
#   -j N         N releases at a time (default FRESH_JOBS, else 2): the
#                nested suites leave CPU idle (VMs under TCG use one core),
#                so two side by side take little longer than one
#   RELEASE      bookworm, trixie (default: both)
# Environment: FRESH_TIMEOUT (seconds, default 1200) bounds each step but the
# suite, FRESH_SUITE_TIMEOUT (default 3000) the nested `./build.sh test`.
#
# Only the base system is cached: $BPFPACK_CACHE_DIR/fresh/minbase-REL-DATE.tar
# (one a day); every package the install needs is downloaded again, because
# the install is what is under test. The last run's full logs stay in
# $BPFPACK_CACHE_DIR/fresh/logs/REL-STEP.log (the TAP lines show their last
# lines on failure). Without root, mmdebstrap, or a reachable mirror it
# skips and says why. Prints `ok - NAME` / `not ok - NAME`; exits 1 if any
# failed.
#
# Safety: a chroot is deleted only once nothing is mounted under it any
# more (its own bind, the binds and everything under them, tracefs, tmpfs and
# netns files the tests mount), and with rm --one-file-system: deleting a
# bound /dev would delete the machine's own.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
CACHE=${BPFPACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack}/fresh
LOGS=$CACHE/logs
# The longest one chroot step may take (the demo downloads clang & co).
STEP_TIMEOUT=${FRESH_TIMEOUT:-1200}
# The nested suite: package installs, the arm64 set-up, every test.
SUITE_TIMEOUT=${FRESH_SUITE_TIMEOUT:-3000}
suite=1
jobs=${FRESH_JOBS:-2}
releases=()
while [ $# -gt 0 ]; do
	case "$1" in
	--no-suite) suite=0 ;;
	-j) [ $# -ge 2 ] || { echo "tests/fresh/run.sh: -j needs a number" >&2; exit 2; }; jobs=$2; shift ;;
	-j*) jobs=${1#-j} ;;
	-h | --help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "usage: tests/fresh/run.sh [--no-suite] [-j N] [RELEASE...]" >&2; exit 2 ;;
	*) releases+=("$1") ;;
	esac
	shift
done
[ "${#releases[@]}" -gt 0 ] || releases=(bookworm trixie)
case "$jobs" in '' | *[!0-9]* | 0) echo "tests/fresh/run.sh: -j takes a number of releases, not '$jobs'" >&2; exit 2 ;; esac

# The one skip a nested suite may print: this script, run by t-fresh inside
# one of its own chroots. It would make chroots inside the chroot, and the
# run around it is the fresh-machine test.
INNER_SKIP="inside tests/fresh: this run is the fresh-machine test"
if [ -n "${BPFPACK_FRESH_INNER:-}" ]; then
	echo "ok - fresh machines # SKIP $INNER_SKIP"
	exit 0
fi

pass() { echo "ok - $1"; }
skip() { echo "ok - $1 # SKIP $2"; }
# fail NAME [FILE...]: a failed check, with the last lines of each FILE.
fail() {
	echo "not ok - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/#   /' "$f" | tail -n 25; done
	return 0
}

# The Debian mirror apt uses for this machine's own release, as apt itself
# resolves its sources (one-line and deb822 alike); never a host named here.
host_mirror() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v c="$codename" '$2 == c { print $1; exit }'
}

# The mount points under DIR and DIR itself (deepest first), from the
# kernel's table.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Unmounts everything under DIR; refuses (returns 1) while anything stays.
unmount_all() {
	local dir=$1 m left tries
	for tries in 1 2 3; do
		left=$(mounts_under "$dir")
		[ -z "$left" ] && return 0
		while IFS= read -r m; do
			umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done <<<"$left"
	done
	left=$(mounts_under "$dir")
	[ -z "$left" ] && return 0
	echo "# still mounted under $dir, not deleting it:" $left
	return 1
}

# Kills what still runs inside the chroot DIR (a tool a step left, a VM):
# such processes hold its mounts busy.
kill_inside() {
	local dir=$1 pid
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$dir" ] && kill -9 "$pid" 2>/dev/null
	done
	return 0
}

# Deletes a chroot: only with nothing mounted under it, and never across
# into another file system.
remove_chroot() {
	local dir=$1
	[ -d "$dir" ] || return 0
	kill_inside "$dir"
	unmount_all "$dir" || return 1
	rm -rf --one-file-system "$dir"
}

WORK=
cleanup() {
	local d p
	# The releases running side by side first: they would make new mounts.
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$WORK" ] || return 0
	for d in "$WORK"/*/; do
		[ -d "$d" ] && [ "${d%/}" != "$WORK/clone" ] && remove_chroot "${d%/}"
	done
	if [ -z "$(mounts_under "$WORK")" ]; then rm -rf --one-file-system "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The base tarball of RELEASE for today, made once (an older one is removed).
base_tarball() {
	local rel=$1 mirror=$2 tar
	tar=$CACHE/minbase-$rel-$(date -u +%Y%m%d).tar
	if [ ! -s "$tar" ]; then
		mkdir -p "$CACHE"
		rm -f "$CACHE/minbase-$rel-"*.tar
		mmdebstrap --variant=minbase --quiet --format=tar "$rel" "$tar.tmp" "$mirror" >&2 || {
			rm -f "$tar.tmp"
			return 1
		}
		mv "$tar.tmp" "$tar"
	fi
	echo "$tar"
}

# Unpacks TAR into DIR, makes DIR a mount point of its own (a machine's / is
# one: `ip netns add` and `unshare -m` change its propagation, which fails
# on a plain directory), and binds /proc, and /sys and /dev with what is
# mounted under them (cgroups, tracefs, bpffs; /dev/pts, /dev/shm), as a
# booted machine has them; each made private, recursively, so nothing
# mounted or unmounted inside reaches the machine's own.
make_chroot() {
	local tar=$1 dir=$2 m
	mkdir -p "$dir" && tar -C "$dir" -xf "$tar" || return 1
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null
	# A booted machine has /etc/hosts (the installer writes it; minbase has
	# none): localhost must resolve (the uprobe template's getaddrinfo test).
	[ -e "$dir/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$dir/etc/hosts"
	mount --bind "$dir" "$dir" && mount --make-private "$dir" || return 1
	mount --bind /proc "$dir/proc" && mount --make-private "$dir/proc" || return 1
	for m in sys dev; do
		mount --rbind "/$m" "$dir/$m" && mount --make-rprivate "$dir/$m" || return 1
	done
}

# Runs a bash script as root in the chroot DIR within SECONDS, with a clean
# environment: a new user's login, plus the mark that tells a nested
# tests/fresh (t-fresh in the suite) where it is.
in_chroot() {
	local dir=$1 seconds=$2 script=$3
	timeout -k 10 "$seconds" chroot "$dir" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root TERM=dumb LANG=C.UTF-8 BPFPACK_FRESH_INNER=1 /bin/bash -c "$script" </dev/null
}

# Event lines of the tracepoint template: "HH:MM:SS PID PPID UID COMM FILE".
count_events() {
	grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9]+ +[0-9]+ +[0-9]+ ' "$1"
}

# What a nested `./build.sh test` (its output in LOG, exit status RC) must
# show: exit 0; the last line "N passed, 0 failed" with N > 0, or
# "N passed, 0 failed, 1 skipped" when that one skip is the nested t-fresh's
# own line. Any other skip is a failure here: the suite is to prove every
# capability on a fresh machine, and a skip hides one. Prints why not.
suite_verdict() {
	local log=$1 rc=$2 last skips others
	last=$(tail -n 1 "$log")
	skips=$(grep -cE '^(not )?ok .*# (SKIP|skip)' "$log")
	others=$(grep -E '^(not )?ok .*# (SKIP|skip)' "$log" | grep -vF "# SKIP $INNER_SKIP")
	if [ "$rc" != 0 ]; then
		echo "exit $rc; last line: $last"
		return 1
	fi
	if ! [[ "$last" =~ ^([0-9]+)\ passed,\ 0\ failed(,\ ([0-9]+)\ skipped)?$ ]] || [ "${BASH_REMATCH[1]}" -eq 0 ]; then
		echo "the last line is not 'N passed, 0 failed' with N > 0: $last"
		return 1
	fi
	if [ -n "$others" ]; then
		echo "checks skipped on the fresh machine (each a capability not proven):"
		printf '%s\n' "$others"
		return 1
	fi
	if [ "${BASH_REMATCH[3]:-0}" != "$skips" ] || [ "$skips" -gt 1 ]; then
		echo "the summary counts ${BASH_REMATCH[3]:-0} skipped, the output shows $skips skip lines"
		return 1
	fi
	echo "${BASH_REMATCH[1]}"
}

# What a failed nested suite said: its failed checks and its last lines.
suite_failures() {
	local log=$1
	{
		grep -E '^not ok ' "$log" | head -n 40
		echo "..."
		tail -n 30 "$log"
	} | sed 's/^/#   /'
}

# One release from nothing: the demo, the suite, on trixie the .deb. Prints
# its TAP lines; returns 1 if any failed.
fresh_release() {
	local rel=$1 tar=$2 log dir start rc demo_rc events deb= n why bad=0 name
	log=$LOGS/$rel-demo.log
	start=$SECONDS
	dir=$WORK/$rel
	if ! make_chroot "$tar" "$dir" >"$log" 2>&1; then
		fail "$rel: unpack the base system and bind /proc /sys /dev" "$log"
		remove_chroot "$dir"
		return 1
	fi
	mkdir -p "$dir/src"
	cp -a "$WORK/clone" "$dir/src/bpfpack"
	[ -d "$SHARED" ] && cp -a "$SHARED" "$dir/src/shared"

	name="$rel: a clean clone on a fresh minbase system: ./build.sh demo exits 0 and prints events"
	in_chroot "$dir" "$STEP_TIMEOUT" 'cd /src/bpfpack && ./build.sh demo' >"$log" 2>&1
	rc=$?
	demo_rc=$rc
	events=$(count_events "$log")
	if [ "$rc" = 0 ] && [ "$events" -ge 1 ]; then
		pass "$name ($events events, $((SECONDS - start)) s)"
	else
		echo "#   exit $rc, $events event lines"
		fail "$name" "$log"
		bad=1
	fi

	if [ "$suite" = 1 ] && [ "$demo_rc" = 0 ]; then
		log=$LOGS/$rel-suite.log
		start=$SECONDS
		name="$rel: then ./build.sh test there (it installs the rest): exit 0, N passed, 0 failed, no check skipped"
		in_chroot "$dir" "$SUITE_TIMEOUT" 'cd /src/bpfpack && ./build.sh test' >"$log" 2>&1
		rc=$?
		[ "$rc" = 124 ] && echo "(timed out after $SUITE_TIMEOUT s: FRESH_SUITE_TIMEOUT)" >>"$log"
		if why=$(suite_verdict "$log" "$rc"); then
			n=$why
			pass "$name ($n passed, $((SECONDS - start)) s)"
		else
			echo "not ok - $name ($((SECONDS - start)) s; full log: $log)"
			printf '%s\n' "$why" | sed 's/^/#   /'
			suite_failures "$log"
			bad=1
		fi
	fi

	if [ "$rel" = trixie ] && [ "$demo_rc" = 0 ]; then
		log=$LOGS/$rel-deb.log
		name="$rel: ./build.sh deb makes build/bpfpack_VERSION_ARCH.deb"
		in_chroot "$dir" "$STEP_TIMEOUT" 'cd /src/bpfpack && ./build.sh deb' >"$log" 2>&1
		rc=$?
		deb=$(ls "$dir"/src/bpfpack/build/bpfpack_*.deb 2>/dev/null | head -n 1)
		if [ "$rc" = 0 ] && [ -n "$deb" ]; then
			cp "$deb" "$WORK/" && deb=$WORK/${deb##*/}
			pass "$name"
		else
			echo "#   exit $rc"
			fail "$name" "$log"
			deb=
			bad=1
		fi
	fi
	remove_chroot "$dir" || { fail "$rel: the chroot is unmounted and deleted"; return 1; }
	[ -n "$deb" ] || return "$bad"

	# A second fresh system of the release: only the .deb and what apt
	# resolves from its Depends (Recommends left out: vmtest's qemu is not
	# what this proves, and it is the biggest download).
	start=$SECONDS
	log=$LOGS/$rel-deb-install.log
	name="$rel: apt installs the .deb on a fresh system; outside any source tree bpfpack new, build and ./t -d 2 print events"
	dir=$WORK/$rel-deb
	if ! make_chroot "$tar" "$dir" >"$log" 2>&1; then
		fail "$name" "$log"
		remove_chroot "$dir"
		return 1
	fi
	cp "$deb" "$dir/tmp/"
	in_chroot "$dir" "$STEP_TIMEOUT" '
		set -e
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/'"${deb##*/}"' >/dev/null
		[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
		mkdir -p /root/w && cd /root/w
		command -v bpfpack
		bpfpack new t && cd t && bpfpack build
		./t -d 2 >/root/events &
		sleep 1; /bin/true; /bin/ls / >/dev/null; /bin/uname -r >/dev/null
		wait $!
		cat /root/events' >"$log" 2>&1
	rc=$?
	events=$(count_events "$log")
	if [ "$rc" = 0 ] && [ "$events" -ge 1 ] && grep -qx /usr/bin/bpfpack "$log"; then
		pass "$name ($events events, $((SECONDS - start)) s)"
	else
		echo "#   exit $rc, $events event lines"
		fail "$name" "$log"
		bad=1
	fi
	remove_chroot "$dir" || { fail "$rel: the chroot is unmounted and deleted"; return 1; }
	return "$bad"
}

if [ "$(id -u)" != 0 ]; then
	skip "fresh machines" "not root (chroot and mount need it)"
	exit 0
fi
if ! command -v mmdebstrap >/dev/null; then
	skip "fresh machines" "no mmdebstrap (./build.sh test installs it)"
	exit 0
fi
mirror=$(host_mirror)
if [ -z "$mirror" ]; then
	skip "fresh machines" "no Debian mirror for this release in apt's sources"
	exit 0
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-fresh.XXXXXX") || exit 1
if ! timeout 30 /usr/lib/apt/apt-helper download-file "${mirror%/}/dists/${releases[0]}/Release" \
	"$WORK/Release" >"$WORK/probe.log" 2>&1; then
	skip "fresh machines" "the mirror $mirror cannot be reached: $(tail -n 1 "$WORK/probe.log")"
	exit 0
fi
mkdir -p "$LOGS" || exit 1

# The tree under test, committed state: a clone, never the working tree.
git clone -q --no-hardlinks "$ROOT" "$WORK/clone" || { fail "git clone of $ROOT"; exit 1; }

failed=0
# Base systems first, one after the other (mmdebstrap is mostly downloads).
declare -A TAR
for rel in "${releases[@]}"; do
	if ! TAR[$rel]=$(base_tarball "$rel" "$mirror" 2>"$LOGS/$rel-mmdebstrap.log"); then
		fail "$rel: mmdebstrap --variant=minbase $rel from $mirror" "$LOGS/$rel-mmdebstrap.log"
		failed=1
		unset "TAR[$rel]"
	fi
done

# Then the releases, JOBS at a time; each one's lines are printed together,
# in the order the releases were named.
todo=()
for rel in "${releases[@]}"; do [ -n "${TAR[$rel]:-}" ] && todo+=("$rel"); done
declare -A PID
i=0
while [ "$i" -lt "${#todo[@]}" ]; do
	batch=("${todo[@]:i:jobs}")
	for rel in "${batch[@]}"; do
		fresh_release "$rel" "${TAR[$rel]}" >"$WORK/$rel.tap" 2>&1 &
		PID[$rel]=$!
	done
	for rel in "${batch[@]}"; do
		wait "${PID[$rel]}" || failed=1
		cat "$WORK/$rel.tap"
	done
	i=$((i + jobs))
done

exit $failed
