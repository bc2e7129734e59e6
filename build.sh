#!/usr/bin/env bash
# build.sh: sets up a Debian machine for bpfpack, builds the driver, and runs
# the main job or the tests.
#
#   ./build.sh          install what is missing, build bin/bpfpack
#   ./build.sh demo     ... then scaffold, build and run a tool for a few seconds
#   ./build.sh test     ... then run every test; the last line is "N passed, N failed"
#   ./build.sh test --sanitize
#                       ... the same with the driver, the runtime and the unit
#                       tests built with ASan + UBSan (LeakSanitizer on); any
#                       report fails the run (reports: build/sanitizer-logs/)
#   ./build.sh arm64    ... and what `bpfpack build --arch arm64` and `vmtest --arch arm64` need
#   ./build.sh deb      build/bpfpack_VERSION_ARCH.deb (make deb; installs only what building needs)
#
# Debian 12 bookworm (libbpf and bpftool from bookworm-backports, which this
# script enables with a pin for those two alone) and Debian 13 trixie
# (everything from trixie itself).
set -eEuo pipefail

# Never die silently: whatever step fails says so in one line, with the
# command, and the exit status is non-zero. Subshells leave the report to the
# main shell (errtrace makes them inherit the trap).
STEP=start
on_error() {
	local rc=$1 cmd=$2
	if [ "$BASH_SUBSHELL" -eq 0 ]; then
		printf 'build.sh: error: step "%s" failed: %s (exit %d)\n' "$STEP" "$cmd" "$rc" >&2
	fi
	exit "$rc"
}
trap 'on_error $? "$BASH_COMMAND"' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

# Packages the driver and the tools it builds need: all `./build.sh demo`
# installs, so a new user's first run stays short.
BUILD_PACKAGES=(
	make gcc libc6-dev binutils pkg-config file xz-utils
	clang-19
	libbpf-dev bpftool
	libelf-dev zlib1g-dev libzstd-dev liblzma-dev libarchive-dev libxxhash-dev libinih-dev
	util-linux bsdutils
)
# The rest of what bpfpack uses (pahole for btf from-debug, qemu and busybox
# for vmtest) and what the tests need: `./build.sh`, `test`, `arm64`.
PACKAGES=(
	"${BUILD_PACKAGES[@]}"
	llvm-19 libclang-rt-19-dev
	dwarves
	qemu-system-x86 busybox-static
	libcmocka-dev python3 iproute2 zstd
	libcap2-bin
	groff-base	# tests/e2e/t-help.sh renders every man page (groff -ww)
)
# ./build.sh deb: dpkg-shlibdeps works out the driver's library dependencies.
DEB_PACKAGES=(dpkg-dev)
# Only the tests need these: mmdebstrap makes the fresh-machine chroots of
# tests/fresh; git clones the tree under test into them; procps' pgrep finds
# a qemu a test left running (t-vmtest, t-arm64); time (/usr/bin/time)
# measures peak memory in bench/scale.sh, bc computes the benchmarks'
# ratios; t-bombs makes an lz4 bomb; t-install builds the .deb.
TEST_PACKAGES=(mmdebstrap git procps time bc lz4 "${DEB_PACKAGES[@]}")
# Real-world BPF code needs libbpf >= 1.4 and bpftool >= 7.5; bookworm has
# them only in bookworm-backports.
MIN_LIBBPF=1:1.4
MIN_BPFTOOL=7.5

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: step "%s": %s\n' "$STEP" "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

installed_version() {
	# dpkg-query exits 1 for a package dpkg has never heard of: not an error here.
	# With multiarch (libbpf-dev:arm64 beside libbpf-dev) it lists one line
	# per architecture: only this machine's (or "all") counts.
	local native
	native=$(dpkg --print-architecture)
	{ dpkg-query -W -f='${db:Status-Status} ${Version} ${Architecture}\n' "$1" 2>/dev/null || true; } |
		awk -v a="$native" '$1 == "installed" && ($3 == a || $3 == "all") { print $2; exit }'
}

# The mirror apt already uses for the release itself (never a host we name).
apt_mirror_uri() {
	local codename=$1
	{
		# deb822 .sources files: a stanza with Suites: CODENAME.
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v c="$codename" '
				/^[[:space:]]*$/ { if (uri != "" && suite) print uri; uri = ""; suite = 0; next }
				tolower($1) == "uris:" { uri = $2 }
				tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == c) suite = 1 }
				END { if (uri != "" && suite) print uri }' "$f"
		done
		# One-line format: deb [opts] URI CODENAME components...
		# Either may be missing (deb822-only systems): not an error.
		{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
			sed -e 's/\[[^]]*\]//' |
			awk -v c="$codename" '$1 == "deb" && $3 == c { print $2 }'
	} | head -n 1
}

enable_backports() {
	local codename=$1 uri list=/etc/apt/sources.list.d/bpfpack-backports.sources
	local pin=/etc/apt/preferences.d/bpfpack-backports
	if [ ! -f "$list" ]; then
		uri=$(apt_mirror_uri "$codename")
		[ -n "$uri" ] || die "cannot find the Debian mirror apt uses for $codename in /etc/apt/sources.list*"
		log "enabling ${codename}-backports from the configured mirror"
		as_root tee "$list" >/dev/null <<EOT
Types: deb
URIs: $uri
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	fi
	if [ ! -f "$pin" ]; then
		# Only these packages come from backports; everything else stays stable.
		as_root tee "$pin" >/dev/null <<EOT
Package: libbpf-dev libbpf1 bpftool
Pin: release n=${codename}-backports
Pin-Priority: 990
EOT
	fi
}

# setup [PACKAGE...]: installs what is missing of PACKAGES (default: all).
setup() {
	local missing=() codename v want=("$@")
	STEP="install packages"
	[ "${#want[@]}" -gt 0 ] || want=("${PACKAGES[@]}")
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for p in "${want[@]}"; do
		v=$(installed_version "$p")
		case "$p" in
		libbpf-dev) [ -n "$v" ] && dpkg --compare-versions "$v" ge "$MIN_LIBBPF" || missing+=("$p") ;;
		bpftool) [ -n "$v" ] && dpkg --compare-versions "$v" ge "$MIN_BPFTOOL" || missing+=("$p") ;;
		*) [ -n "$v" ] || missing+=("$p") ;;
		esac
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
		# bookworm has libbpf 1.1 and bpftool 7.1: the newer ones come from
		# its backports. trixie (libbpf 1.5, bpftool 7.5) and later carry
		# them themselves.
		if [ "$codename" = bookworm ]; then
			enable_backports "$codename"
		fi
		log "installing: ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		v=$(installed_version libbpf-dev)
		dpkg --compare-versions "$v" ge "$MIN_LIBBPF" || die "libbpf-dev ${v:-(none)} is older than $MIN_LIBBPF"
		v=$(installed_version bpftool)
		dpkg --compare-versions "$v" ge "$MIN_BPFTOOL" || die "bpftool ${v:-(none)} is older than $MIN_BPFTOOL"
	fi
}

mount_tracefs() {
	if [ ! -d /sys/kernel/tracing/events ] && [ "$(id -u)" = 0 ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	fi
}

# The sanitizer build: clang (the one bpfpack uses for BPF, so nothing more
# to install) with ASan and UBSan; UBSan findings are fatal, and every report
# goes to a file under build/sanitizer-logs that tests/run.sh counts as one
# check, because tests that capture stderr would otherwise swallow it.
SANITIZE_CC=
SANITIZE=
sanitize_setup() {
	SANITIZE_CC=clang-19
	SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
	export BPFPACK_SANITIZER_LOGS=$ROOT/build/sanitizer-logs
	rm -rf "$BPFPACK_SANITIZER_LOGS"
	mkdir -p "$BPFPACK_SANITIZER_LOGS"
	export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:log_path=$BPFPACK_SANITIZER_LOGS/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$BPFPACK_SANITIZER_LOGS/ubsan"
}

# Objects built with other flags (a sanitizer build, or back) are not reused.
make_flags() {
	local want="$SANITIZE_CC $SANITIZE" have=
	mkdir -p build
	[ -f build/.flags ] && have=$(cat build/.flags)
	if [ "$want" != "$have" ]; then
		rm -rf build/obj build/tests bin
		printf '%s\n' "$want" >build/.flags
	fi
}

mk() {
	make -s -j"$(nproc)" ${SANITIZE_CC:+CC="$SANITIZE_CC"} ${SANITIZE:+SANITIZE="$SANITIZE"} "$@"
}

build() {
	STEP="build bin/bpfpack"
	make_flags
	mk bin/bpfpack
}

# The demo's scratch directory: a global, because the EXIT trap runs after
# demo() has returned and its locals are gone.
DEMO_DIR=
demo_cleanup() {
	if [ -n "$DEMO_DIR" ]; then rm -rf "$DEMO_DIR"; fi
}

demo() {
	local dir tool pid
	STEP=demo
	mount_tracefs
	dir=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-demo.XXXXXX")
	DEMO_DIR=$dir
	trap demo_cleanup EXIT
	echo "== bpfpack new demotool (template: tracepoint) in $dir"
	bin/bpfpack new demotool -C "$dir"
	echo "== bpfpack build"
	(cd "$dir/demotool" && "$ROOT/bin/bpfpack" build)
	tool=$dir/demotool/demotool
	echo "== file demotool"
	file "$tool"
	echo "== running demotool for 4 seconds while a few programs run"
	if [ "$(id -u)" != 0 ]; then
		echo "(not root: the tool needs root to load BPF; run: sudo $tool)"
		return 0
	fi
	"$tool" -d 4 &
	pid=$!
	sleep 1.5
	/bin/true; /bin/uname -r >/dev/null; /bin/ls / >/dev/null
	wait "$pid"
}

case "${1:-}" in
"")
	setup
	build
	;;
demo)
	setup "${BUILD_PACKAGES[@]}"
	build
	demo
	;;
test)
	shift
	if [ "${1:-}" = --sanitize ]; then
		shift
		sanitize_setup
	fi
	setup "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
	# The arm64 target is part of what the suite covers; without it (e.g. no
	# mirror) its tests skip and say why.
	tests/setup-arm64.sh || log "arm64 set-up failed: the arm64 tests will skip"
	build
	mount_tracefs
	STEP="build the unit tests"
	mk unit
	STEP=test
	exec tests/run.sh "$@"
	;;
arm64)
	setup
	STEP="set up arm64"
	tests/setup-arm64.sh
	build
	;;
deb)
	setup "${BUILD_PACKAGES[@]}" "${DEB_PACKAGES[@]}"
	build
	STEP="build the .deb"
	mk deb
	;;
*)
	echo "usage: ./build.sh [demo|test [--sanitize] [PATTERN]|arm64|deb]" >&2
	exit 2
	;;
esac
