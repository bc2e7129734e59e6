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
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

# Packages the driver, the tools it builds and the tests need.
PACKAGES=(
	make gcc libc6-dev binutils pkg-config file xz-utils
	clang-19 llvm-19 libclang-rt-19-dev
	libbpf-dev bpftool
	libelf-dev zlib1g-dev libzstd-dev liblzma-dev libarchive-dev libxxhash-dev libinih-dev
	dwarves
	qemu-system-x86 busybox-static
	libcmocka-dev python3 iproute2 zstd util-linux bsdutils
	libcap2-bin
)
# Real-world BPF code needs libbpf >= 1.4 and bpftool >= 7.5; bookworm has
# them only in bookworm-backports.
MIN_LIBBPF=1:1.4
MIN_BPFTOOL=7.5

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

installed_version() {
	# dpkg-query exits 1 for a package dpkg has never heard of: not an error here.
	{ dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null || true; } | awk '$1 == "installed" { print $2 }'
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

setup() {
	local missing=() codename v
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for p in "${PACKAGES[@]}"; do
		v=$(installed_version "$p")
		case "$p" in
		libbpf-dev) [ -n "$v" ] && dpkg --compare-versions "$v" ge "$MIN_LIBBPF" || missing+=("$p") ;;
		bpftool) [ -n "$v" ] && dpkg --compare-versions "$v" ge "$MIN_BPFTOOL" || missing+=("$p") ;;
		*) [ -n "$v" ] || missing+=("$p") ;;
		esac
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
		if [ "$codename" = bookworm ]; then
			enable_backports "$codename"
		fi
		log "installing: ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		v=$(installed_version libbpf-dev)
		dpkg --compare-versions "$v" ge "$MIN_LIBBPF" || die "libbpf-dev $v is older than $MIN_LIBBPF"
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
	make_flags
	mk bin/bpfpack
}

demo() {
	local dir tool pid
	mount_tracefs
	dir=$(mktemp -d "${TMPDIR:-/tmp}/bpfpack-demo.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
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
	setup
	build
	demo
	;;
test)
	shift
	if [ "${1:-}" = --sanitize ]; then
		shift
		sanitize_setup
	fi
	setup
	# The arm64 target is part of what the suite covers; without it (e.g. no
	# mirror) its tests skip and say why.
	tests/setup-arm64.sh || log "arm64 set-up failed: the arm64 tests will skip"
	build
	mount_tracefs
	mk unit
	exec tests/run.sh "$@"
	;;
arm64)
	setup
	tests/setup-arm64.sh
	build
	;;
*)
	echo "usage: ./build.sh [demo|test [--sanitize] [PATTERN]|arm64]" >&2
	exit 2
	;;
esac
