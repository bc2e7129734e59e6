/* main: the command table, global options and dispatch of the bpfpack driver,
 * and the one place that turns a command's result into the exit status. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "../lib/report.h"

#ifndef BPFPACK_VERSION
#define BPFPACK_VERSION "0.0.0-dev"
#endif

/* The top-level commands, in the order help lists them. */
static const struct command *const commands[] = {
	&command_new, &command_vmlinux, &command_build, &command_btf, &command_check, &command_inspect,
	&command_vmtest, &command_clean, &command_doctor, &command_help,
	&command_man, &command_completion, &command_options_list, NULL,
};

struct global_args {
	bool version;
};

static const struct opt global_options[] = {
	OPT_VERBOSE("print more: every command as it runs, debug lines"),
	OPT_FLAG(0, "version", struct global_args, version, "print bpfpack's version and exit"),
	OPT_END(),
};

static const char *const global_synopsis[] = { "[-v] [--version] COMMAND [ARGS]", NULL };

const struct command command_bpfpack = {
	.name = "bpfpack",
	.path = "",
	.summary = "scaffold, build and package portable eBPF CO-RE tools",
	.synopsis = global_synopsis,
	.description =
		"Scaffold, build and package portable eBPF CO-RE tools: `bpfpack new` makes a\n"
		"project from a template, `bpfpack build` turns it into one static binary per\n"
		"tool, carrying minimized kernel BTF for kernels without BTF when asked to,\n"
		"and `bpfpack vmtest` runs it on other kernels in VMs.\n",
	.options = global_options,
	.subcommands = commands,
};

/* Commands return 0 or a negative errno; this is the only place that maps
 * them to the documented exit codes (README "Exit codes"). */
static int exit_status(int rc)
{
	if (rc == 0)
		return EXIT_OK;
	if (rc == -EUSAGE)
		return EXIT_USAGE;
	if (rc == -EINTR) {
		report_error("interrupted");
		return EXIT_INTERRUPTED;
	}
	return EXIT_FAIL;
}

int main(int argc, char **argv)
{
	struct global_args g = {0};
	int n, rc;

	/* Global options come before the command. */
	n = parse_options(argc, argv, global_options, &g, &(struct opt_usage){ "", global_synopsis },
			  PARSE_OPT_STOP_AT_NON_OPTION);
	if (n == PARSE_OPT_HELP) {
		cmd_print_help(&command_bpfpack, stdout);
		return EXIT_OK;
	}
	if (n < 0)
		return exit_status(n);
	if (g.version) {
		printf("bpfpack %s\n", BPFPACK_VERSION);
		return EXIT_OK;
	}
	if (n == 0) {
		cmd_print_help(&command_bpfpack, stderr);
		return EXIT_USAGE;
	}
	/* parse_options left the command and its arguments in argv[1..n]. */
	rc = cmd_select(&command_bpfpack, n + 1, argv);
	return exit_status(rc);
}
