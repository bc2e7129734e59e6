/* cmd: the commands of the driver, one table type for the top level and for
 * a command's subcommands (`btf gen`, bpftool's cmd_select is the model).
 *
 * Each cmd/X.c defines its `const struct command command_X` next to its
 * option table (lib/parse_options.h): name, summary, synopsis lines,
 * description, options. main.c lists them; `bpfpack help`, `X --help`, the
 * man pages (`bpfpack __man DIR`) and the bash completion (`bpfpack
 * __completion`) are all printed from these structs, never written twice.
 *
 * A command's fn gets argv[0] = its name and returns 0 or a negative errno
 * (-EUSAGE for a usage error, -EINTR when interrupted); main alone turns that
 * into the exit status (lib/report.h). */
#ifndef BPFPACK_CMD_H
#define BPFPACK_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "../lib/parse_options.h"

struct command {
	const char *name;	/* "build"; a subcommand: "gen" */
	const char *path;	/* how help names it: "build", "btf gen" */
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for the list of commands */
	/* Synopsis lines without "bpfpack PATH ", NULL-terminated; the first is
	 * the hint after a usage error. */
	const char *const *synopsis;
	/* Paragraphs, separated by blank lines; lines within one are joined. */
	const char *description;
	const struct opt *options;	/* NULL: none but --help */
	/* What the shell completes for operands: "@file", "@dir", "@command",
	 * "@tool" (the project's tools), NULL for nothing. */
	const char *operands;
	/* Subcommands: the command dispatches to them through cmd_select. */
	const struct command *const *subcommands;	/* NULL-terminated */
	int hidden;		/* not listed, not completed (__man, __completion) */
};

extern const struct command command_new, command_vmlinux, command_build, command_btf,
	command_btf_gen, command_btf_merge, command_btf_embed, command_btf_from_debug, command_btf_extract, command_check, command_inspect, command_vmtest,
	command_clean, command_doctor, command_help, command_man, command_completion,
	command_options_list;
/* The root: the global options, the top-level commands as subcommands. */
extern const struct command command_bpfpack;

/* The command at PATH ("build", "btf gen"), or NULL. */
const struct command *cmd_find(const char *path);
/* CMD's help on stdout (TO_STDERR 0), or its synopsis as a hint (after a
 * usage error). */
void cmd_usage(const char *path, int to_stderr);

int cmd_new(int argc, char **argv);
int cmd_vmlinux(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_vmtest(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Runs the subcommand of TABLE named by argv[1] (argv[0] is the parent
 * CMD's): "did you mean" for a typo, help for -h/--help, a usage error
 * without one. Returns what the subcommand returns. */
int cmd_select(const struct command *cmd, int argc, char **argv);

/* Parses CMD's options (CMD's table into ARGS): the number of operands left
 * in argv[1..], -EUSAGE after a usage error, or PARSE_OPT_HELP after -h
 * (CMD's help is printed to stdout then). */
int cmd_parse_options(const struct command *cmd, int argc, char **argv, void *args, unsigned flags);

/* An OPT_CALLBACK for --arch ARCH: FIELD is a const struct toolchain_arch *,
 * set to ARCH's (an unknown arch is a usage error). */
int cmd_opt_arch(const char *arg, void *field);

/* Prints CMD's full help (usage, description, options). */
void cmd_print_help(const struct command *cmd, FILE *f);
/* After a usage error: CMD's first synopsis line as a hint. */
void cmd_usage_hint(const struct command *cmd);

#endif
