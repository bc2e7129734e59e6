/* cmd: the subcommands of the driver. Each cmd_X parses its own flags (argv[0]
 * is the subcommand's name) and calls library code; it returns an exit code
 * from report.h. The table in main.c lists them and drives `bpfpack help`. */
#ifndef BPFPACK_CMD_H
#define BPFPACK_CMD_H

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for `bpfpack help` */
	const char *usage;	/* full help text for `bpfpack help CMD` and CMD --help */
};

int cmd_new(int argc, char **argv);
int cmd_vmlinux(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_btf(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_vmtest(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Looks a command up in the table (for help texts). */
const struct cmd *cmd_find(const char *name);
/* Prints the usage of CMD to stdout (for --help), or its synopsis as a hint
 * line on stderr (after a usage error). */
void cmd_usage(const char *name, int to_stderr);

#endif
