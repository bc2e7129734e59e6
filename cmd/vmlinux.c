/* vmlinux: `bpfpack vmlinux [--btf SOURCE] [-o FILE]` writes vmlinux.h from a
 * kernel's BTF. Opening the source and writing the header live in btfhub/;
 * this file only parses flags and decides where the text goes. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cmd.h"
#include "../btfhub/btf_source.h"
#include "../btfhub/vmlinux_header.h"
#include "../lib/fs.h"
#include "../lib/report.h"

int cmd_vmlinux(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "btf", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *btf_path = NULL, *output = NULL;
	struct btf *btf;
	int opt, err;

	optind = 1;
	opterr = 0;	/* getopt's own messages would not have our one-line format */
	while ((opt = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			btf_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			cmd_usage("vmlinux", 0);
			return EXIT_OK;
		case ':':
			report_error("option '%s' needs an argument", argv[optind - 1]);
			cmd_usage("vmlinux", 1);
			return EXIT_USAGE;
		default:
			if (optopt)
				report_error("unknown option '-%c'", optopt);
			else
				report_error("unknown option '%s'", argv[optind - 1]);
			cmd_usage("vmlinux", 1);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		report_error("unexpected argument '%s'", argv[optind]);
		cmd_usage("vmlinux", 1);
		return EXIT_USAGE;
	}
	if (output && !*output) {
		report_error("option '-o' needs a file name");
		cmd_usage("vmlinux", 1);
		return EXIT_USAGE;
	}

	/* Checked before the work so the error names the real problem, rather
	 * than the temp file that could not be created beside the target. */
	if (output) {
		char *dir = fs_dirname(output);
		bool ok = fs_is_dir(dir);

		if (!ok)
			report_error("cannot write %s: directory %s %s", output, dir,
				     fs_exists(dir) ? "is not a directory" : "does not exist");
		free(dir);
		if (!ok)
			return EXIT_FAIL;
	}

	err = btf_source_load(btf_path, &btf);
	if (err)
		return EXIT_FAIL;
	if (output)
		err = vmlinux_header_write_file(btf, output);
	else
		err = vmlinux_header_write(btf, stdout, "stdout");
	btf__free(btf);
	return err ? EXIT_FAIL : EXIT_OK;
}
