#!/usr/bin/env bash
# t-help: every command and subcommand has help, a man page and completion,
# and every option its parser accepts appears in all three.
#
# The list of commands and options comes from the driver's own tables
# (`bpfpack __options`), the same tables its parser reads: cmd/X.c declares
# each option once and lib/parse_options accepts nothing else, so a command
# cannot accept an option its table lacks -- a test for that could never fail
# and there is none. What can drift is the other way round, and the rest:
# each listed option is probed on the real parser (accepted, needs its
# argument), and looked for in `help`, `--help`, `-h`, the man page and the
# bash completion script.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP" || exit 1

if [ ! -x "$BPFPACK" ]; then
	t_fail "bpfpack is built" "$BPFPACK is missing; run make"
	t_done
fi

# The man pages and the completion as `make man completion` makes them.
"$BPFPACK" __man man >man.log 2>&1 || t_fail "bpfpack __man writes the man pages" "$(cat man.log)"
"$BPFPACK" __completion >completion.bash 2>comp.log ||
	t_fail "bpfpack __completion prints the script" "$(cat comp.log)"
bash -n completion.bash 2>comp.log && t_ok "the completion script is valid bash" ||
	t_fail "the completion script is valid bash" "$(cat comp.log)"

mapfile -t cmds < <("$BPFPACK" __options --commands)
"$BPFPACK" __options >options.tsv
# The list must have every command (a table dropped from main.c would hide
# one from everything below).
want="new vmlinux build btf btf gen btf embed btf from-debug check inspect vmtest clean doctor help"
for c in new vmlinux build btf "btf gen" "btf embed" "btf from-debug" "btf extract" check inspect vmtest clean doctor help; do
	grep -qxF "$c" <<<"$(printf '%s\n' "${cmds[@]}")" || t_fail "__options lists command '$c'" "${cmds[*]}"
done
[ "${#cmds[@]}" -ge 13 ] && t_ok "the command list has every command ($want)" ||
	t_fail "the command list has every command" "${cmds[*]}"
[ "$(wc -l <options.tsv)" -ge 40 ] && t_ok "__options lists the options" ||
	t_fail "__options lists the options" "$(cat options.tsv)"

# Completion, asked as bash asks it: the words so far, then _bpfpack.
complete_words() {
	bash -c '. ./completion.bash
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_bpfpack; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

have_groff=0
command -v groff >/dev/null && have_groff=1

for c in "" "${cmds[@]}"; do
	# shellcheck disable=SC2206
	words=($c)
	label=${c:-bpfpack}
	page=man/bpfpack${c:+-${c// /-}}.1
	h=$("$BPFPACK" help "${words[@]}" 2>&1)
	rc=$?
	h2=$("$BPFPACK" "${words[@]}" --help 2>&1)
	h3=$("$BPFPACK" "${words[@]}" -h 2>&1)
	if [ $rc -eq 0 ] && [ "$h" = "$h2" ] && [ "$h" = "$h3" ] &&
		grep -q "^usage: bpfpack${c:+ $c}" <<<"$h"; then
		t_ok "$label: help, --help and -h print the same usage"
	else
		t_fail "$label: help, --help and -h print the same usage" "help: $h" "--help: $h2" "-h: $h3"
	fi
	# Every option the synopsis names is one the table has (a command with
	# subcommands shows theirs: they are checked on their own).
	bad=
	grep -q '^subcommands:' <<<"$h" && h_syn= || h_syn=$h
	for o in $(sed -n 's/^\(usage:\|      \) bpfpack//p' <<<"$h" | grep -oE -- '(^| |\[)--?[a-zA-Z][-a-zA-Z]*' |
		tr -d ' [' | sort -u | grep -v '^$' || true); do
		[ -n "$h_syn" ] || continue
		grep -qE -- "^  (-., )?$o( |,|$)|^      $o( |$)" <<<"$h" || bad="$bad $o"
	done
	[ -z "$bad" ] && t_ok "$label: every option in the synopsis is in the option list" ||
		t_fail "$label: every option in the synopsis is in the option list" "missing:$bad" "$h"
	# The man page: there, and it renders without a warning.
	if [ ! -s "$page" ]; then
		t_fail "$label: man page $page" "not written"
		continue
	fi
	if [ $have_groff = 1 ]; then
		warn=$(groff -ww -z -man "$page" 2>&1)
		[ -z "$warn" ] && groff -man -Tutf8 -P-cbou "$page" 2>/dev/null | grep -q "^NAME" &&
			t_ok "$label: $(basename "$page") renders without warnings" ||
			t_fail "$label: $(basename "$page") renders without warnings" "$warn"
	else
		t_skip "$label: $(basename "$page") renders without warnings" "groff is not installed"
	fi
	comp=$(complete_words bpfpack "${words[@]}" -)
	compfile=$T_TMP/comp.out
	printf '%s\n' "$comp" >"$compfile"
	# Where options are listed: help's option lines, the man page's OPTIONS.
	optlines=$(grep -E '^  (-|    --)' <<<"$h")
	manfile=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" | sed 's/\\-/-/g; s/\\f[BIR]//g')
	n=0 bad=
	while IFS=$'\t' read -r path short long argh; do
		[ "$path" = "${c:--}" ] || continue
		n=$((n + 1))
		for o in $short $long; do
			[ "$o" = "--" ] || [ "$o" = "-" ] && continue
			# In the help: "  -j, --jobs N" or "      --btf SOURCE".
			grep -qE -- "^ +(-., )?$o([ ,]|$)" <<<"$optlines" || bad="$bad help:$o"
			grep -qE -- "^(-., )?$o([ ,]|$)" <<<"$manfile" || bad="$bad man:$o"
			grep -qxF -- "$o" "$compfile" || bad="$bad completion:$o"
			# The parser: an option with an argument wants it; a flag is
			# taken, and --help after it still prints the help.
			if [ "$argh" != "-" ]; then
				err=$("$BPFPACK" "${words[@]}" "$o" 2>&1 >/dev/null)
				prc=$?
				{ [ $prc -eq 2 ] && grep -qF "option '$o' needs an argument" <<<"$err"; } ||
					bad="$bad parser:$o($prc:$err)"
			else
				out=$("$BPFPACK" "${words[@]}" "$o" --help 2>&1)
				prc=$?
				{ [ $prc -eq 0 ] && [ "$out" = "$h" ]; } || bad="$bad parser:$o($prc)"
			fi
		done
	done <options.tsv
	[ -z "$bad" ] && t_ok "$label: its $n options are accepted and in its help, man page and completion" ||
		t_fail "$label: its $n options are accepted and in its help, man page and completion" "$bad"
	# And an option no table has is refused, naming just that option.
	err=$("$BPFPACK" "${words[@]}" --no-such-option 2>&1 >/dev/null)
	[ $? -eq 2 ] && grep -q "^bpfpack: .*unknown option '--no-such-option'$" <<<"$err" &&
		t_ok "$label: an unknown option is a usage error naming it" ||
		t_fail "$label: an unknown option is a usage error naming it" "$err"
done

# Subcommands and commands complete where they are expected.
[ "$(complete_words bpfpack btf '' | sort | tr '\n' ' ')" = "embed extract from-debug gen merge " ] &&
	t_ok "completion: btf's subcommands" || t_fail "completion: btf's subcommands" "$(complete_words bpfpack btf '')"
# (Each answer is kept first: grep -q closing a pipe early would fail it
# under pipefail.)
top=$(complete_words bpfpack '')
grep -qx vmtest <<<"$top" && ! grep -q '^__' <<<"$top" &&
	t_ok "completion: the commands, not the hidden ones" || t_fail "completion: the commands, not the hidden ones" "$top"
tmpl=$(PATH=$(dirname "$BPFPACK"):$PATH complete_words bpfpack new x -t '')
grep -qx tracepoint <<<"$tmpl" && t_ok "completion: -t completes template names" ||
	t_fail "completion: -t completes template names" "$tmpl"
# Without a bpfpack to ask, the names baked in when the script was made.
tmpl=$(PATH=/usr/bin:/bin complete_words /nonexistent/bpfpack new x -t kp)
[ "$tmpl" = kprobe ] && t_ok "completion: -t falls back to the template names baked in" ||
	t_fail "completion: -t falls back to the template names baked in" "$tmpl"
hb=$(complete_words bpfpack help btf '' | sort | tr '\n' ' ')
[ "$hb" = "embed extract from-debug gen merge " ] && t_ok "completion: help btf completes btf's subcommands" ||
	t_fail "completion: help btf completes btf's subcommands" "$hb"
mkdir -p somedir && touch somedir/afile
[ "$(complete_words bpfpack build -C som)" = "somedir" ] && t_ok "completion: -C completes directories" ||
	t_fail "completion: -C completes directories" "$(complete_words bpfpack build -C som)"
[ "$(complete_words bpfpack inspect somedir/a)" = "somedir/afile" ] && t_ok "completion: inspect completes files" ||
	t_fail "completion: inspect completes files" "$(complete_words bpfpack inspect somedir/a)"
[ "$(complete_words bpfpack build --arch a)" = "arm64" ] && t_ok "completion: --arch completes the arches" ||
	t_fail "completion: --arch completes the arches" "$(complete_words bpfpack build --arch a)"
t_done
