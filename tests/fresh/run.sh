#!/usr/bin/env bash
# tests/fresh/run.sh: the first thing every user meets, proven from nothing.
# For each release (default: bookworm trixie) it makes a minimal Debian with
# mmdebstrap --variant=minbase from the mirror apt already uses, binds /proc,
# /sys and /dev into it, puts a clean clone of this repository (its committed
# state) at /src/bpfpack and a copy of ../shared beside it, and runs
# `./build.sh demo` there as a new user would: exit 0 and at least one event
# line. On trixie it then builds the .deb (./build.sh deb), installs it with
# apt into a second fresh chroot of that release (so apt resolves its
# Depends from nothing) and there, outside any source tree, runs
# `bpfpack new t && cd t && bpfpack build && ./t -d 2`: events again.
#
#   tests/fresh/run.sh [RELEASE...]
#
# Only the base system is cached: $BPFPACK_CACHE_DIR/fresh/minbase-REL-DATE.tar
# (one a day); every package the install needs is downloaded again, because
# the install is what is under test. Without root, mmdebstrap, or a reachable
# mirror it skips and says why. Prints `ok - NAME` / `not ok - NAME`; exits
# 1 if any failed.
#
# Safety: a chroot is deleted only once nothing is mounted under it any
# more (the binds, tracefs the demo mounts, netns files under /run), and
# with rm --one-file-system: deleting a bound /dev would delete the
# machine's own.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
CACHE=${BPFPACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfpack}/fresh
# The longest one chroot step may take (the demo downloads clang & co).
STEP_TIMEOUT=${FRESH_TIMEOUT:-1200}
releases=("$@")
[ "${#releases[@]}" -gt 0 ] || releases=(bookworm trixie)

failed=0
pass() { echo "ok - $1"; }
skip() { echo "ok - $1 # SKIP $2"; }
fail() {
	echo "not ok - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/#   /' "$f" | tail -n 25; done
	failed=1
}

# The Debian mirror apt uses for this machine's own release, as apt itself
# resolves its sources (one-line and deb822 alike); never a host named here.
host_mirror() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v c="$codename" '$2 == c { print $1; exit }'
}

# The mount points under DIR (deepest first), from the kernel's table.
mounts_under() {
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
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

# Deletes a chroot: only with nothing mounted under it, and never across
# into another file system.
remove_chroot() {
	local dir=$1
	[ -d "$dir" ] || return 0
	# Processes a step left running inside (a demo tool) hold mounts busy.
	local pid
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$dir" ] && kill -9 "$pid" 2>/dev/null
	done
	unmount_all "$dir" || return 1
	rm -rf --one-file-system "$dir"
}

WORK=
cleanup() {
	local d
	[ -n "$WORK" ] || return 0
	for d in "$WORK"/*/; do
		[ -d "$d" ] && remove_chroot "${d%/}"
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

# Unpacks TAR into DIR and binds /proc, /sys, /dev and /dev/pts (apt logs
# through a pty) (each made private, so nothing mounted or unmounted inside
# reaches the machine's own).
make_chroot() {
	local tar=$1 dir=$2 m
	mkdir -p "$dir" && tar -C "$dir" -xf "$tar" || return 1
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null
	for m in proc sys dev dev/pts; do
		mount --bind "/$m" "$dir/$m" && mount --make-private "$dir/$m" || return 1
	done
}

# Runs a bash script as root in the chroot DIR, with a clean environment.
in_chroot() {
	local dir=$1 script=$2
	timeout -k 10 "$STEP_TIMEOUT" chroot "$dir" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root TERM=dumb LANG=C.UTF-8 BPFPACK_FRESH=1 /bin/bash -c "$script"
}

# Event lines of the tracepoint template: "HH:MM:SS PID PPID UID COMM FILE".
count_events() {
	grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9]+ +[0-9]+ +[0-9]+ ' "$1"
}

if [ "$(id -u)" != 0 ]; then
	skip "fresh machines" "not root (chroot and mount need it)"
	exit 0
fi
if [ -n "${BPFPACK_FRESH:-}" ]; then
	skip "fresh machines" "already inside a fresh-machine chroot"
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

# The tree under test, committed state: a clone, never the working tree.
git clone -q --no-hardlinks "$ROOT" "$WORK/clone" || { fail "git clone of $ROOT"; exit 1; }

for rel in "${releases[@]}"; do
	log=$WORK/$rel.log
	start=$SECONDS
	if ! tar=$(base_tarball "$rel" "$mirror" 2>"$log"); then
		fail "$rel: mmdebstrap --variant=minbase $rel from $mirror" "$log"
		continue
	fi
	dir=$WORK/$rel
	if ! make_chroot "$tar" "$dir" >>"$log" 2>&1; then
		fail "$rel: unpack the base system and bind /proc /sys /dev" "$log"
		remove_chroot "$dir"
		continue
	fi
	mkdir -p "$dir/src"
	cp -a "$WORK/clone" "$dir/src/bpfpack"
	[ -d "$SHARED" ] && cp -a "$SHARED" "$dir/src/shared"

	name="$rel: a clean clone on a fresh minbase system: ./build.sh demo exits 0 and prints events"
	in_chroot "$dir" 'cd /src/bpfpack && ./build.sh demo' >"$log" 2>&1
	rc=$?
	events=$(count_events "$log")
	if [ "$rc" = 0 ] && [ "$events" -ge 1 ]; then
		pass "$name ($events events, $((SECONDS - start)) s)"
	else
		echo "#   exit $rc, $events event lines"
		fail "$name" "$log"
	fi

	deb=
	if [ "$rel" = trixie ] && [ "$rc" = 0 ]; then
		name="$rel: ./build.sh deb makes build/bpfpack_VERSION_ARCH.deb"
		in_chroot "$dir" 'cd /src/bpfpack && ./build.sh deb' >"$log" 2>&1
		rc=$?
		deb=$(ls "$dir"/src/bpfpack/build/bpfpack_*.deb 2>/dev/null | head -n 1)
		if [ "$rc" = 0 ] && [ -n "$deb" ]; then
			cp "$deb" "$WORK/" && deb=$WORK/${deb##*/}
			pass "$name"
		else
			echo "#   exit $rc"
			fail "$name" "$log"
			deb=
		fi
	fi
	remove_chroot "$dir" || { fail "$rel: the chroot is unmounted and deleted"; continue; }
	[ -n "$deb" ] || continue

	# A second fresh system of the release: only the .deb and what apt
	# resolves from its Depends (Recommends left out: vmtest's qemu is not
	# what this proves, and it is the biggest download).
	start=$SECONDS
	name="$rel: apt installs the .deb on a fresh system; outside any source tree bpfpack new, build and ./t -d 2 print events"
	dir=$WORK/$rel-deb
	if ! make_chroot "$tar" "$dir" >"$log" 2>&1; then
		fail "$name" "$log"
		remove_chroot "$dir"
		continue
	fi
	cp "$deb" "$dir/tmp/"
	in_chroot "$dir" '
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
	fi
	remove_chroot "$dir" || fail "$rel: the chroot is unmounted and deleted"
done

exit $failed
