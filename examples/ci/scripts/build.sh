#!/usr/bin/env bash
# build.sh: builds the project's tools and BPF objects (.output/NAME.bpf.o),
# without kernel BTF: the shard jobs make the sets and the merge job embeds
# them. The project's [btf] sources, if any, are not needed here.
. "$(dirname "$0")/ci-env.sh"

ci_say "bpfpack build in $PROJECT_DIR"
"$BPFPACK" build -C "$PROJECT_DIR" -j "$JOBS"
[ -n "$(ci_tools)" ] || ci_die "the build made no .output/NAME.bpf.o"
# The tools, unembedded, for the merge job (artifacts keep no file modes:
# embed.sh and vmtest.sh set them again).
mkdir -p "$CI_OUT/tools"
for t in $(ci_tools); do cp "$PROJECT_DIR/$t" "$CI_OUT/tools/$t"; done
ci_say "tools: $(ci_tools | tr '\n' ' ')"
