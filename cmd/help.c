/* help: everything printed from the command tables (cmd.h): dispatch to a
 * subcommand, `help`, usage hints, the man pages (`bpfpack __man DIR`), the
 * bash completion (`bpfpack __completion`) and the option list the tests
 * check against (`bpfpack __options`). Nothing here knows a command by name:
 * a new command or option shows up in all of them by being in its table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/report.h"
#include "../lib/template.h"
#include "../lib/toolchain.h"

extern const struct command command_bpfpack;

static const struct opt no_options[] = { OPT_END() };

static const struct opt *cmd_options(const struct command *cmd)
{
	return cmd->options ? cmd->options : no_options;
}

/* "bpfpack" for the root, else "bpfpack PATH". */
static void cmd_full_name(const struct command *cmd, char *out, size_t size)
{
	if (cmd->path && *cmd->path)
		snprintf(out, size, "bpfpack %s", cmd->path);
	else
		snprintf(out, size, "bpfpack");
}

void cmd_usage_hint(const struct command *cmd)
{
	const char *syn = cmd->synopsis && cmd->synopsis[0] ? cmd->synopsis[0] : NULL;
	struct buf subs = {0};
	char name[128];

	/* A command with subcommands and no synopsis of its own: "gen|embed ...". */
	if (!syn) {
		for (size_t i = 0; cmd->subcommands && cmd->subcommands[i]; i++)
			if (!cmd->subcommands[i]->hidden)
				buf_printf(&subs, "%s%s", subs.len ? "|" : "", cmd->subcommands[i]->name);
		buf_append_str(&subs, subs.len ? " [ARGS]" : "COMMAND [ARGS]");
		buf_append(&subs, "", 1);
		syn = subs.data;
	}
	cmd_full_name(cmd, name, sizeof(name));
	report_hint("usage: %s%s%s (see `bpfpack help%s%s`)", name, *syn ? " " : "", syn,
		    *cmd->path ? " " : "", cmd->path);
	buf_free(&subs);
}

int cmd_parse_options(const struct command *cmd, int argc, char **argv, void *args, unsigned flags)
{
	struct opt_usage u = { cmd->path, cmd->synopsis };
	int n = parse_options(argc, argv, cmd_options(cmd), args, &u, flags);

	if (n == PARSE_OPT_HELP)
		cmd_print_help(cmd, stdout);
	return n;
}

static void print_synopsis(const struct command *cmd, FILE *f, bool *first)
{
	char name[128];

	cmd_full_name(cmd, name, sizeof(name));
	for (size_t i = 0; cmd->synopsis && cmd->synopsis[i]; i++) {
		fprintf(f, "%s%s%s%s\n", *first ? "usage: " : "       ", name, *cmd->synopsis[i] ? " " : "",
			cmd->synopsis[i]);
		*first = false;
	}
	if (!cmd->synopsis && cmd->subcommands)
		for (size_t i = 0; cmd->subcommands[i]; i++)
			if (!cmd->subcommands[i]->hidden)
				print_synopsis(cmd->subcommands[i], f, first);
}

void cmd_print_help(const struct command *cmd, FILE *f)
{
	bool first = true;

	print_synopsis(cmd, f, &first);
	if (cmd->description)
		fprintf(f, "\n%s", cmd->description);
	if (cmd->subcommands) {
		fprintf(f, "\n%s:\n", cmd == &command_bpfpack ? "commands" : "subcommands");
		for (size_t i = 0; cmd->subcommands[i]; i++) {
			const struct command *s = cmd->subcommands[i];

			if (!s->hidden)
				fprintf(f, "  %-11s %s\n", s->name, s->summary);
		}
	}
	if (cmd_options(cmd)[0].kind != OPT_KIND_END || !cmd->subcommands) {
		fprintf(f, "\noptions:\n");
		parse_options_print_help(f, cmd_options(cmd));
	}
	if (cmd->subcommands)
		fprintf(f, "\nRun `bpfpack help %s%s%sCOMMAND` for a %scommand's options.\n", cmd->path,
			*cmd->path ? " " : "", cmd == &command_bpfpack ? "" : "SUB",
			cmd == &command_bpfpack ? "" : "sub");
}

/* Legacy entry for code that names a command by its path. */
void cmd_usage(const char *path, int to_stderr)
{
	const struct command *c = cmd_find(path);

	if (!c)
		return;
	if (to_stderr)
		cmd_usage_hint(c);
	else
		cmd_print_help(c, stdout);
}

static const struct command *find_sub(const struct command *parent, const char *name)
{
	for (size_t i = 0; parent->subcommands && parent->subcommands[i]; i++)
		if (!strcmp(parent->subcommands[i]->name, name))
			return parent->subcommands[i];
	return NULL;
}

const struct command *cmd_find(const char *path)
{
	const struct command *c = &command_bpfpack;
	char *copy = xstrdup(path), *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w && c; w = strtok_r(NULL, " ", &save))
		c = find_sub(c, w);
	free(copy);
	return c;
}

static void suggest_sub(const struct command *parent, const char *word)
{
	struct strv names = {0};
	const char *s;

	for (size_t i = 0; parent->subcommands[i]; i++)
		if (!parent->subcommands[i]->hidden)
			strv_push(&names, parent->subcommands[i]->name);
	s = parse_options_suggest(word, (const char *const *)names.v);
	if (s)
		report_hint("did you mean `bpfpack %s%s%s`?", parent->path, *parent->path ? " " : "", s);
	strv_free(&names);
}

int cmd_select(const struct command *cmd, int argc, char **argv)
{
	const struct command *sub;

	if (argc < 2) {
		report_error("missing %scommand", cmd == &command_bpfpack ? "" : "sub");
		cmd_usage_hint(cmd);
		return -EUSAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_print_help(cmd, stdout);
		return 0;
	}
	if (argv[1][0] == '-') {
		report_error("unknown option '%s'", argv[1]);
		cmd_usage_hint(cmd);
		return -EUSAGE;
	}
	sub = find_sub(cmd, argv[1]);
	if (!sub) {
		report_error("unknown %scommand '%s'", cmd == &command_bpfpack ? "" : "sub", argv[1]);
		suggest_sub(cmd, argv[1]);
		report_hint("run `bpfpack help%s%s` for the list of %scommands", *cmd->path ? " " : "",
			    cmd->path, cmd == &command_bpfpack ? "" : "sub");
		return -EUSAGE;
	}
	report_set_command(sub->path);
	if (sub->fn)
		return sub->fn(argc - 1, argv + 1);
	return cmd_select(sub, argc - 1, argv + 1);
}

int cmd_opt_arch(const char *arg, void *field)
{
	const struct toolchain_arch **arch = field;

	*arch = toolchain_arch_find(arg);
	if (!*arch) {
		report_error("unknown --arch '%s': bpfpack builds for %s", arg, toolchain_arch_list());
		return -EINVAL;
	}
	return 0;
}

/* ---- help ------------------------------------------------------------------ */

struct help_args {
	char unused;	/* help has no options of its own, but a table all the same */
};

static const char *const help_synopsis[] = { "[COMMAND [SUBCOMMAND]]", NULL };

int cmd_help(int argc, char **argv)
{
	struct help_args a = {0};
	const struct command *c = &command_bpfpack;
	int n = cmd_parse_options(&command_help, argc, argv, &a, 0);

	if (n < 0)
		return n == PARSE_OPT_HELP ? 0 : n;
	for (int i = 1; i <= n; i++) {
		const struct command *sub = c->subcommands ? find_sub(c, argv[i]) : NULL;

		if (!sub && !c->subcommands) {
			report_error("`bpfpack %s` has no subcommands", c->path);
			cmd_usage_hint(c);
			return -EUSAGE;
		}
		if (!sub) {
			report_error("unknown %scommand '%s'", c == &command_bpfpack ? "" : "sub", argv[i]);
			suggest_sub(c, argv[i]);
			report_hint("run `bpfpack help%s%s` for the list of %scommands", *c->path ? " " : "",
				    c->path, c == &command_bpfpack ? "" : "sub");
			return -EUSAGE;
		}
		c = sub;
	}
	cmd_print_help(c, stdout);
	return 0;
}

const struct command command_help = {
	.name = "help",
	.path = "help",
	.fn = cmd_help,
	.summary = "show the help of a command",
	.synopsis = help_synopsis,
	.description = "Prints the help of COMMAND (or of one of its subcommands, e.g. `bpfpack help btf\n"
		       "gen`), the same text as `bpfpack COMMAND --help`; without one, the list of\n"
		       "commands.\n",
	.operands = "@commands",
};

/* ---- man pages ------------------------------------------------------------- */

/* TEXT for roff: backslashes and hyphens escaped, a line never starting with
 * a control character. */
static void roff_text(FILE *f, const char *text)
{
	bool bol = true;

	for (const char *p = text; *p; p++) {
		if (bol && (*p == '.' || *p == '\''))
			fputs("\\&", f);
		bol = *p == '\n';
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else
			fputc(*p, f);
	}
}

static void roff_description(FILE *f, const char *text)
{
	const char *p = text;

	/* Paragraphs are separated by blank lines; an indented line (a list
	 * or an example) is kept as it is. */
	fputs(".PP\n", f);
	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len);

		if (!len) {
			fputs(".PP\n", f);
		} else if (line[0] == ' ') {
			fputs(".br\n", f);
			roff_text(f, line);
			fputc('\n', f);
		} else {
			roff_text(f, line);
			fputc('\n', f);
		}
		free(line);
		p += len;
		if (*p)
			p++;
	}
}

static void roff_option(FILE *f, const struct opt *o)
{
	fputs(".TP\n", f);
	if (o->short_name)
		fprintf(f, "\\fB\\-%c\\fR%s", o->short_name, o->long_name ? ", " : "");
	if (o->long_name) {
		fputs("\\fB\\-\\-", f);
		roff_text(f, o->long_name);
		fputs("\\fR", f);
	}
	if (o->argh) {
		fputs(" \\fI", f);
		roff_text(f, o->argh);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	roff_text(f, o->help);
	fputc('\n', f);
}

static void man_page_name(const struct command *cmd, char *out, size_t size)
{
	cmd_full_name(cmd, out, size);
	for (char *p = out; *p; p++)
		if (*p == ' ')
			*p = '-';
}

static void man_upper(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s == '-' ? '-' : *s, f);
}

static void man_write_synopsis(FILE *f, const struct command *cmd)
{
	char name[128];

	cmd_full_name(cmd, name, sizeof(name));
	for (size_t i = 0; cmd->synopsis && cmd->synopsis[i]; i++) {
		if (i)
			fputs(".br\n", f);
		fputs(".B ", f);
		roff_text(f, name);
		fputc('\n', f);
		if (*cmd->synopsis[i]) {
			roff_text(f, cmd->synopsis[i]);
			fputc('\n', f);
		}
	}
	if (!cmd->synopsis && cmd->subcommands) {
		bool first = true;

		for (size_t i = 0; cmd->subcommands[i]; i++) {
			if (cmd->subcommands[i]->hidden)
				continue;
			if (!first)
				fputs(".br\n", f);
			first = false;
			man_write_synopsis(f, cmd->subcommands[i]);
		}
	}
}

static const char man_exit_status[] =
	"0 success; 1 the operation failed (bad input, a compiler failed, a check\n"
	"failed); 2 usage error (unknown option, invalid name, unknown template);\n"
	"130 interrupted. Every failure is one line on standard error,\n"
	"\"bpfpack: COMMAND: what failed: why\", sometimes followed by a \"hint:\" line.\n";

static const char man_environment[] =
	"CLANG, BPFTOOL, CC, AR, OBJCOPY: the programs a build runs (a path, or a\n"
	"name looked up in PATH). CROSS_COMPILE: the cross tools' prefix for --arch.\n"
	"BPFPACK_HOME: bpfpack's templates, headers and runtime. BPFPACK_CACHE_DIR:\n"
	"the cache (default $XDG_CACHE_HOME/bpfpack, else ~/.cache/bpfpack).\n"
	"NO_COLOR: no colour on a terminal either.\n";

static int man_write_page(const struct command *cmd, const char *dir)
{
	char page[160], file[200];
	struct buf text = {0};
	char *path;
	FILE *f;
	int rc;

	man_page_name(cmd, page, sizeof(page));
	snprintf(file, sizeof(file), "%s.1", page);
	f = open_memstream(&text.data, &text.len);
	if (!f)
		return -errno;
	fputs(".TH ", f);
	man_upper(f, page);
	fprintf(f, " 1 \"\" \"bpfpack %s\" \"bpfpack manual\"\n", BPFPACK_VERSION);
	/* No hyphenation, ragged right: option names must stay whole. */
	fputs(".nh\n.ad l\n", f);
	fputs(".SH NAME\n", f);
	roff_text(f, page);
	fputs(" \\- ", f);
	roff_text(f, cmd->summary);
	fputs("\n.SH SYNOPSIS\n", f);
	man_write_synopsis(f, cmd);
	if (cmd->description) {
		fputs(".SH DESCRIPTION\n", f);
		roff_description(f, cmd->description);
	}
	if (cmd->subcommands) {
		fputs(cmd == &command_bpfpack ? ".SH COMMANDS\n" : ".SH SUBCOMMANDS\n", f);
		for (size_t i = 0; cmd->subcommands[i]; i++) {
			const struct command *s = cmd->subcommands[i];
			char sub_page[160];

			if (s->hidden)
				continue;
			man_page_name(s, sub_page, sizeof(sub_page));
			fputs(".TP\n.B ", f);
			roff_text(f, s->name);
			fputc('\n', f);
			roff_text(f, s->summary);
			fputs(" (see\n.BR ", f);
			roff_text(f, sub_page);
			fputs(" (1))\n", f);
		}
	}
	fputs(".SH OPTIONS\n", f);
	for (const struct opt *o = cmd_options(cmd); o->kind != OPT_KIND_END; o++)
		roff_option(f, o);
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow this help\n", f);
	if (cmd == &command_bpfpack) {
		fputs(".SH EXIT STATUS\n", f);
		roff_text(f, man_exit_status);
		fputs(".SH ENVIRONMENT\n", f);
		roff_text(f, man_environment);
	}
	fputs(".SH SEE ALSO\n", f);
	if (cmd == &command_bpfpack) {
		bool first = true;

		for (size_t i = 0; cmd->subcommands[i]; i++) {
			char sub_page[160];

			if (cmd->subcommands[i]->hidden)
				continue;
			man_page_name(cmd->subcommands[i], sub_page, sizeof(sub_page));
			fprintf(f, "%s.BR ", first ? "" : ",\n");
			roff_text(f, sub_page);
			fputs(" (1)", f);
			first = false;
		}
		fputc('\n', f);
	} else {
		fputs(".BR bpfpack (1)\n", f);
	}
	if (fclose(f) != 0)
		return -EIO;
	path = fs_path_join(dir, file);
	rc = fs_write_atomic(path, text.data, text.len, 0644);
	free(path);
	free(text.data);
	return rc;
}

static int man_write_tree(const struct command *cmd, const char *dir)
{
	int rc = man_write_page(cmd, dir);

	for (size_t i = 0; rc == 0 && cmd->subcommands && cmd->subcommands[i]; i++)
		if (!cmd->subcommands[i]->hidden)
			rc = man_write_tree(cmd->subcommands[i], dir);
	return rc;
}

static int cmd_man(int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		report_error("want one OUTDIR");
		return -EUSAGE;
	}
	rc = fs_mkdir_p(argv[1], 0755);
	if (rc < 0) {
		report_error("cannot create %s: %s", argv[1], strerror(-rc));
		return rc;
	}
	return man_write_tree(&command_bpfpack, argv[1]);
}

static const char *const man_synopsis[] = { "OUTDIR", NULL };
const struct command command_man = {
	.name = "__man",
	.path = "__man",
	.fn = cmd_man,
	.summary = "write the man pages into OUTDIR",
	.synopsis = man_synopsis,
	.hidden = 1,
};

/* ---- bash completion ------------------------------------------------------- */

static void sh_case_label(FILE *f, const struct command *cmd)
{
	fprintf(f, "\t\"%s\")", cmd == &command_bpfpack ? "" : cmd->path);
}

static void comp_words(const struct command *cmd, FILE *f, int what)
{
	if (cmd->hidden)
		return;
	switch (what) {
	case 0: /* options */
		sh_case_label(f, cmd);
		fputs(" echo '", f);
		for (const struct opt *o = cmd_options(cmd); o->kind != OPT_KIND_END; o++) {
			if (o->short_name)
				fprintf(f, "-%c ", o->short_name);
			fprintf(f, "--%s ", o->long_name);
		}
		fputs("-h --help' ;;\n", f);
		break;
	case 1: /* options that take an argument */
		sh_case_label(f, cmd);
		fputs(" echo '", f);
		for (const struct opt *o = cmd_options(cmd); o->kind != OPT_KIND_END; o++) {
			if (!o->argh)
				continue;
			if (o->short_name)
				fprintf(f, "-%c ", o->short_name);
			fprintf(f, "--%s ", o->long_name);
		}
		fputs("' ;;\n", f);
		break;
	case 2: /* subcommands */
		if (!cmd->subcommands)
			break;
		sh_case_label(f, cmd);
		fputs(" echo '", f);
		for (size_t i = 0; cmd->subcommands[i]; i++)
			if (!cmd->subcommands[i]->hidden)
				fprintf(f, "%s%s", i ? " " : "", cmd->subcommands[i]->name);
		fputs("' ;;\n", f);
		break;
	case 3: /* what an option's argument is */
		for (const struct opt *o = cmd_options(cmd); o->kind != OPT_KIND_END; o++) {
			const char *c = o->complete;

			if (!o->argh || !c)
				continue;
			fputs("\t", f);
			if (o->short_name)
				fprintf(f, "\"%s%s-%c\"|", cmd->path, *cmd->path ? " " : "", o->short_name);
			fprintf(f, "\"%s%s--%s\") echo '%s' ;;\n", cmd->path, *cmd->path ? " " : "", o->long_name, c);
		}
		break;
	case 4: /* operands */
		if (!cmd->operands)
			break;
		sh_case_label(f, cmd);
		fprintf(f, " echo '%s' ;;\n", cmd->operands);
		break;
	}
	for (size_t i = 0; cmd->subcommands && cmd->subcommands[i]; i++)
		comp_words(cmd->subcommands[i], f, what);
}

static void comp_function(FILE *f, const char *name, int what)
{
	fprintf(f, "%s() {\n\tcase $1 in\n", name);
	comp_words(&command_bpfpack, f, what);
	fputs("\tesac\n}\n", f);
}

/* The template names now, for when the completing shell cannot ask bpfpack. */
static char *baked_templates(void)
{
	char *dir = fs_path_join(toolchain_data_dir(), "templates");
	struct strv names = {0};
	struct buf b = {0};

	if (template_list(dir, &names) == 0)
		for (size_t i = 0; i < names.n; i++)
			buf_printf(&b, "%s%s", i ? " " : "", names.v[i]);
	strv_free(&names);
	free(dir);
	buf_append(&b, "", 1);
	return b.data;
}

static int cmd_completion(int argc, char **argv)
{
	char *templates;

	(void)argv;
	if (argc != 1) {
		report_error("takes no arguments");
		return -EUSAGE;
	}
	templates = baked_templates();
	printf("# bash completion for bpfpack, generated by `bpfpack __completion` from its\n"
	       "# command and option tables: do not edit.\n\n");
	comp_function(stdout, "_bpfpack_opts", 0);
	comp_function(stdout, "_bpfpack_argopts", 1);
	comp_function(stdout, "_bpfpack_subs", 2);
	comp_function(stdout, "_bpfpack_optarg", 3);
	comp_function(stdout, "_bpfpack_operands", 4);
	printf("_bpfpack_complete_kind() {\n"
	       "\tlocal cur=$2 t\n"
	       "\tcase $1 in\n"
	       "\t@file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	       "\t@dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	       "\t@command) COMPREPLY=($(compgen -c -- \"$cur\")) ;;\n"
	       "\t@commands) COMPREPLY=($(compgen -W \"$(_bpfpack_subs \"$hpath\")\" -- \"$cur\")) ;;\n"
	       "\t@tool) COMPREPLY=($(compgen -W \"$(ls *.bpf.c 2>/dev/null | sed 's/\\.bpf\\.c$//')\" -- \"$cur\")) ;;\n"
	       "\t@template)\n"
	       "\t\tt=$(\"${COMP_WORDS[0]}\" new --list 2>/dev/null | awk '{print $1}')\n"
	       "\t\t[ -n \"$t\" ] || t='%s'\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$t\" -- \"$cur\")) ;;\n"
	       "\t@*|'') ;;\n"
	       "\t*) COMPREPLY=($(compgen -W \"$1\" -- \"$cur\")) ;;\n"
	       "\tesac\n"
	       "}\n\n",
	       templates);
	printf("_bpfpack() {\n"
	       "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	       "\tlocal path='' hpath='' w i skip=0 dashdash=0 subs\n"
	       "\tCOMPREPLY=()\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tw=${COMP_WORDS[i]}\n"
	       "\t\tif ((skip)); then skip=0; continue; fi\n"
	       "\t\tif [[ $w == -- ]]; then dashdash=1; break; fi\n"
	       "\t\tif [[ $w == -* ]]; then\n"
	       "\t\t\t[[ \" $(_bpfpack_argopts \"$path\") \" == *\" $w \"* ]] && skip=1\n"
	       "\t\t\tcontinue\n"
	       "\t\tfi\n"
	       "\t\tsubs=$(_bpfpack_subs \"$path\")\n"
	       "\t\tif [[ \" $subs \" == *\" $w \"* ]]; then path=${path:+$path }$w\n"
	       "\t\telif [ \"$path\" = help ] && [[ \" $(_bpfpack_subs \"$hpath\") \" == *\" $w \"* ]]; then\n"
	       "\t\t\thpath=${hpath:+$hpath }$w  # help's operands: a command path\n"
	       "\t\tfi\n"
	       "\tdone\n"
	       "\tif ((dashdash)); then COMPREPLY=($(compgen -c -- \"$cur\")); return; fi\n"
	       "\tif ((skip)); then\n"
	       "\t\t_bpfpack_complete_kind \"$(_bpfpack_optarg \"${path:+$path }$prev\")\" \"$cur\"\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tif [[ $cur == -* ]]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$(_bpfpack_opts \"$path\")\" -- \"$cur\"))\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tsubs=$(_bpfpack_subs \"$path\")\n"
	       "\tif [ -n \"$subs\" ]; then COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\")); return; fi\n"
	       "\t_bpfpack_complete_kind \"$(_bpfpack_operands \"$path\")\" \"$cur\"\n"
	       "}\n"
	       "complete -F _bpfpack bpfpack\n");
	free(templates);
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static const char *const completion_synopsis[] = { "", NULL };
const struct command command_completion = {
	.name = "__completion",
	.path = "__completion",
	.fn = cmd_completion,
	.summary = "print the bash completion script",
	.synopsis = completion_synopsis,
	.hidden = 1,
};

/* ---- the option list, for tests -------------------------------------------- */

static void options_dump(const struct command *cmd)
{
	if (cmd->hidden)
		return;
	for (const struct opt *o = cmd_options(cmd); o->kind != OPT_KIND_END; o++)
		printf("%s\t%s%c\t--%s\t%s\n", *cmd->path ? cmd->path : "-", o->short_name ? "-" : "",
		       o->short_name ? o->short_name : '-', o->long_name, o->argh ? o->argh : "-");
	for (size_t i = 0; cmd->subcommands && cmd->subcommands[i]; i++)
		options_dump(cmd->subcommands[i]);
}

static void commands_dump(const struct command *cmd)
{
	if (cmd->hidden)
		return;
	if (cmd != &command_bpfpack)
		printf("%s\n", cmd->path);
	for (size_t i = 0; cmd->subcommands && cmd->subcommands[i]; i++)
		commands_dump(cmd->subcommands[i]);
}

/* `bpfpack __options`: "PATH\t-S\t--LONG\tARG" per option ("-" for none; the
 * root's PATH is "-"); `bpfpack __options --commands`: every command path. */
static int cmd_options_list(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--commands"))
		commands_dump(&command_bpfpack);
	else if (argc == 1)
		options_dump(&command_bpfpack);
	else
		return -EUSAGE;
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static const char *const options_synopsis[] = { "[--commands]", NULL };
const struct command command_options_list = {
	.name = "__options",
	.path = "__options",
	.fn = cmd_options_list,
	.summary = "list every command's options",
	.synopsis = options_synopsis,
	.hidden = 1,
};
