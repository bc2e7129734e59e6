#!/usr/bin/env bash
# tests/layers.sh [ROOT]: checks that every #include "..." in the sources
# runs down the layers (Makefile, LAYERS), never up:
#   lib/      may include lib/
#   formats/  lib/, formats/
#   vm/       lib/, formats/, vm/
#   runtime/  runtime/ only (every built tool links it alone)
#   btfhub/   lib/, formats/, runtime/, btfhub/
#   cmd/      anything
# include/ (the public headers) is allowed everywhere. Prints one line per
# wrong include and exits 1 if there is any. `make check-layers` runs it;
# tests/e2e/t-layers.sh runs it in the suite.
set -uo pipefail
ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT" || exit 2

allowed() {
	case $1 in
	lib) echo "lib include" ;;
	formats) echo "lib formats include" ;;
	vm) echo "lib formats vm include" ;;
	runtime) echo "runtime include" ;;
	btfhub) echo "lib formats runtime btfhub include" ;;
	cmd) echo "lib formats vm runtime btfhub cmd include" ;;
	esac
}

bad=0
for layer in lib formats vm runtime btfhub cmd; do
	[ -d "$layer" ] || continue
	ok=" $(allowed "$layer") "
	for f in "$layer"/*.c "$layer"/*.h; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			inc=${line#*\"}
			inc=${inc%%\"*}
			# Resolve the path relative to the including file's folder;
			# a bare name that is not there comes from -Iinclude.
			if [ -e "$layer/$inc" ]; then
				target=$(realpath -m --relative-to=. "$layer/$inc")
			elif [ -e "include/$inc" ]; then
				target=include/$inc
			else
				echo "$f: #include \"$inc\": no such header beside it or in include/"
				bad=1
				continue
			fi
			to=${target%%/*}
			[ "$to" = "$target" ] && to=$layer
			if [[ "$ok" != *" $to "* ]]; then
				echo "$f: #include \"$inc\": $layer/ may not include $to/ (allowed: $(allowed "$layer"))"
				bad=1
			fi
		done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	done
done
exit $bad
