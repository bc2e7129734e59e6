# ci-env.sh: the settings every step of the bpfpack CI recipe shares, from
# the environment (the workflow's `env:`), with defaults. Sourced by the
# other scripts; not run on its own.
#
#   PROJECT_DIR    the bpfpack project (default: the current directory)
#   BPFPACK        the bpfpack driver (default: bpfpack from PATH)
#   CI_OUT         where steps leave what the next steps need (default: ci-out):
#                    parts/NAME.K-of-N.btfpart  partial BTF sets (shard jobs)
#                    parts/check.K-of-N.part     partial check results (shard jobs)
#                    sets/NAME.btfset            the merged sets (merge job)
#                    check.md, check.json        the check report (merge job)
#                    bin/NAME                    the tools with the set embedded
#   BTFHUB_DIR     the btfhub-archive checkout (default: btfhub-archive)
#   BTFHUB_ARCHIVE_URL  what fetch-btfhub.sh clones (no default: the workflow sets it)
#   BTFHUB_PATHS   the archive's DISTRO/VERSION/ARCH directories to check out,
#                  space-separated (default: all of it, which is large)
#   BTF_FILTER     a --filter spec applied on top (optional)
#   SHARDS         the number of shard jobs N (default: 4)
#   CHECK_REQUIRE  the --require spec of the gate (default: every kernel)
#   VMTEST_KERNELS kernel images or Debian kernel .debs to boot, space-separated
#   VMTEST_ARGS    what each tool is run with in the VMs (default: -d 1)
#   JOBS           parallel jobs per step (default: the CPU count)
set -euo pipefail

PROJECT_DIR=${PROJECT_DIR:-.}
BPFPACK=${BPFPACK:-bpfpack}
CI_OUT=${CI_OUT:-ci-out}
BTFHUB_DIR=${BTFHUB_DIR:-btfhub-archive}
BTFHUB_PATHS=${BTFHUB_PATHS:-}
BTF_FILTER=${BTF_FILTER:-}
SHARDS=${SHARDS:-4}
CHECK_REQUIRE=${CHECK_REQUIRE:-}
VMTEST_KERNELS=${VMTEST_KERNELS:-}
VMTEST_ARGS=${VMTEST_ARGS:--d 1}
JOBS=${JOBS:-$(nproc)}

mkdir -p "$CI_OUT"
CI_OUT=$(cd "$CI_OUT" && pwd)
PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd)

ci_filter_args=()
if [ -n "$BTF_FILTER" ]; then ci_filter_args=(--filter "$BTF_FILTER"); fi

# The project's tools: every .output/NAME.bpf.o `bpfpack build` made.
ci_tools() {
	local f name
	for f in "$PROJECT_DIR"/.output/*.bpf.o; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .bpf.o)
		case "$name" in *.tmp) continue ;; esac
		printf '%s\n' "$name"
	done
}

ci_say() { printf '== %s\n' "$*" >&2; }
ci_die() { printf 'ci: %s\n' "$*" >&2; exit 1; }
