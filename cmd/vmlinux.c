/* vmlinux: `bpfpack vmlinux [--btf SOURCE] [-o FILE]` writes vmlinux.h from a
 * kernel's BTF. Opening the source and writing the header live in btfhub/;
 * this file only parses flags and decides where the text goes. */
#include <errno.h>
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

struct vmlinux_args {
	const char *btf, *output;
};

static const struct opt vmlinux_options[] = {
	OPT_STRING(0, "btf", struct vmlinux_args, btf, "SOURCE", "@file",
		   "kernel BTF to read: a raw BTF file, a vmlinux, a kernel image (bzImage, vmlinuz, "
		   "Image.gz), a compressed file, a btfhub <release>.btf.tar.xz or a kernel .deb holding "
		   "exactly one kernel (default: the running kernel's /sys/kernel/btf/vmlinux)"),
	OPT_STRING('o', "output", struct vmlinux_args, output, "F", "@file",
		   "write to F (atomically) instead of stdout"),
	OPT_END(),
};

static const char *const vmlinux_synopsis[] = { "[--btf SOURCE] [-o FILE]", NULL };

const struct command command_vmlinux = {
	.name = "vmlinux",
	.path = "vmlinux",
	.fn = cmd_vmlinux,
	.summary = "write vmlinux.h from kernel BTF",
	.synopsis = vmlinux_synopsis,
	.description = "Writes the C declarations of a kernel's BTF types (vmlinux.h), the same\n"
		       "declarations as `bpftool btf dump file SOURCE format c`.\n",
	.options = vmlinux_options,
};

int cmd_vmlinux(int argc, char **argv)
{
	struct vmlinux_args a = {0};
	const char *btf_path, *output;
	struct btf *btf;
	int n, err;

	n = cmd_parse_options(&command_vmlinux, argc, argv, &a, 0);
	if (n < 0)
		return n == PARSE_OPT_HELP ? 0 : n;
	if (n > 0) {
		report_error("unexpected argument '%s'", argv[1]);
		cmd_usage_hint(&command_vmlinux);
		return -EUSAGE;
	}
	btf_path = a.btf;
	output = a.output;
	if (output && !*output) {
		report_error("option '-o' needs a file name");
		cmd_usage_hint(&command_vmlinux);
		return -EUSAGE;
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
			return -ENOENT;
	}

	err = btf_source_load(btf_path, &btf);
	if (err)
		return err < 0 ? err : -EIO;
	if (output)
		err = vmlinux_header_write_file(btf, output);
	else
		err = vmlinux_header_write(btf, stdout, "stdout");
	btf__free(btf);
	return err < 0 ? err : err ? -EIO : 0;
}
