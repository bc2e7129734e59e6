/* main: the command table, global options and dispatch of the bpfpack driver. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "../lib/report.h"

#ifndef BPFPACK_VERSION
#define BPFPACK_VERSION "0.0.0-dev"
#endif

static const struct cmd commands[] = {
	{ "new", cmd_new, "create a project from a template",
	  "usage: bpfpack new NAME [-t TEMPLATE] [-C DIR] [--force]\n"
	  "       bpfpack new --list\n"
	  "\n"
	  "Creates DIR/NAME/ (DIR defaults to .) from templates/TEMPLATE: NAME.bpf.c,\n"
	  "NAME.c, NAME.h, bpfpack.ini, README.md and .gitignore. NAME must be a C\n"
	  "identifier: it names the tool and its libbpf skeleton.\n"
	  "Inside a project (a bpfpack.ini in DIR or above it), adds the tool to that\n"
	  "project instead: NAME.bpf.c, NAME.c and NAME.h in its root, /NAME in its\n"
	  ".gitignore.\n"
	  "\n"
	  "  -t, --template T  template to use (default: tracepoint)\n"
	  "  -C, --dir DIR     create the project inside DIR\n"
	  "  -f, --force       write into an existing non-empty NAME/ (template files are replaced)\n"
	  "  -l, --list        list the templates, one line each\n" },
	{ "vmlinux", cmd_vmlinux, "write vmlinux.h from kernel BTF",
	  "usage: bpfpack vmlinux [--btf SOURCE] [-o FILE]\n"
	  "\n"
	  "Writes the C declarations of a kernel's BTF types (vmlinux.h), the same\n"
	  "declarations as `bpftool btf dump file SOURCE format c`.\n"
	  "\n"
	  "  --btf SOURCE   kernel BTF to read: a raw BTF file, a vmlinux, a kernel image\n"
	  "                 (bzImage, vmlinuz, Image.gz), a compressed file, a btfhub\n"
	  "                 <release>.btf.tar.xz or a kernel .deb holding exactly one kernel\n"
	  "                 (default: the running kernel's /sys/kernel/btf/vmlinux)\n"
	  "  -o, --output F write to F (atomically) instead of stdout\n" },
	{ "build", cmd_build, "build every tool of the project into a static binary",
	  "usage: bpfpack build [-C DIR] [-j N] [-k] [-v] [--debug] [--btf SOURCE]... [--filter SPEC]\n"
	  "                     [--arch ARCH] [--vmlinux SOURCE] [TOOL...]\n"
	  "\n"
	  "Builds the project that holds the current directory (the nearest directory\n"
	  "upwards with a bpfpack.ini, else the current directory). Every X.bpf.c with a\n"
	  "matching X.c is a tool X; every other .c file is a helper linked into every\n"
	  "tool. Intermediate files go to .output/, binaries to the project directory.\n"
	  "With kernel BTF sources (--btf, or [btf] sources in bpfpack.ini) each tool\n"
	  "carries BTF minimized for each of those kernels, for kernels without BTF.\n"
	  "TOOL...: build only those tools (default: every tool but [build] exclude).\n"
	  "CFLAGS, EXTRA_CFLAGS, BPF_CFLAGS, LDFLAGS, EXTRA_LDFLAGS and LDLIBS from the\n"
	  "environment are added to the commands (a change rebuilds what they touch).\n"
	  "\n"
	  "  -C, --dir DIR       build the project in DIR\n"
	  "  -j, --jobs N        run up to N compilers at once (default: number of CPUs)\n"
	  "  -k, --keep-going    a failing tool does not stop the others; at the end one\n"
	  "                      line per tool not built, exit 1\n"
	  "  -v, --verbose       print every command as it runs\n"
	  "      --debug         build user space with -O0 -g (the BPF side is always -O2 -g)\n"
	  "      --btf SOURCE    kernel BTF to embed: a BTF file, vmlinux, kernel image, .deb,\n"
	  "                      btfhub .btf.tar.xz or btfhub-archive directory (repeatable;\n"
	  "                      replaces the manifest's [btf] sources)\n"
	  "      --filter SPEC   keep only these kernels: comma-separated DISTRO, DISTRO:VERSION\n"
	  "                      or arch terms, e.g. debian:12,ubuntu,x86_64\n"
	  "      --arch ARCH     build for ARCH (x86_64, arm64; default: this machine's). Another\n"
	  "                      arch is a cross build: <triplet>-gcc/-ar/-objcopy and the\n"
	  "                      :arm64 static libraries (./build.sh arm64 installs them);\n"
	  "                      files in .output/ARCH/, tools in ARCH/; only ARCH's kernels'\n"
	  "                      BTF is embedded\n"
	  "      --vmlinux SOURCE  kernel BTF for vmlinux.h (default: the running kernel; for\n"
	  "                      another arch, its first kernel among the --btf sources, else\n"
	  "                      the vmlinux.h an earlier build made)\n" },
	{ "btf", cmd_btf, "minimize, embed and make kernel BTF for kernels without BTF",
	  "usage: bpfpack btf gen [--btf SOURCE]... [--filter SPEC] [--tool NAME] [-o FILE] [-j N] [-C DIR]\n"
	  "       bpfpack btf gen --object OBJ.bpf.o --btf SOURCE... -o FILE [--filter SPEC] [-j N]\n"
	  "       bpfpack btf gen ... --shard K/N [-o PART]\n"
	  "       bpfpack btf merge PART... -o SET\n"
	  "       bpfpack btf embed TOOL --btf SOURCE... [--filter SPEC] [-j N]\n"
	  "       bpfpack btf embed TOOL --set SET\n"
	  "       bpfpack btf from-debug VMLINUX_OR_DBG_DEB -o OUT.btf\n"
	  "       bpfpack btf extract TOOL_OR_SET --release R -o FILE [--object OBJ]\n"
	  "\n"
	  "gen: minimizes each kernel's BTF for the project's BPF objects (.output/X.bpf.o;\n"
	  "run `bpfpack build` first) with bpftool gen min_core_btf, in parallel and cached\n"
	  "(~/.cache/bpfpack, or $BPFPACK_CACHE_DIR), and writes one deduplicated,\n"
	  "compressed set per tool: .output/X.btfset (or -o FILE with one tool).\n"
	  "merge: joins the partial sets of `btf gen --shard K/N` (every K of one run)\n"
	  "into the set one full run writes, byte for byte.\n"
	  "embed: replaces the BTF set inside an already-built tool binary.\n"
	  "from-debug: encodes BTF from a kernel's DWARF with pahole (a vmlinux with debug\n"
	  "info, .xz-compressed or not, or a linux-image-*-dbg .deb).\n"
	  "extract: writes one kernel's minimized BTF (raw BTF) out of a built tool or a\n"
	  "set file (.output/X.btfset), for debugging or for BPFPACK_BTF.\n"
	  "\n"
	  "  --btf SOURCE     kernel BTF: a BTF file, vmlinux, kernel image, .deb, btfhub\n"
	  "                   .btf.tar.xz or btfhub-archive directory (repeatable; default:\n"
	  "                   the manifest's [btf] sources)\n"
	  "  --filter SPEC    keep only these kernels: DISTRO, DISTRO:VERSION or arch terms\n"
	  "  --tool NAME      only this tool of the project\n"
	  "  --object OBJ     minimize for this BPF object instead of a project's (repeatable)\n"
	  "  -o, --output F   write the set (or, for from-debug, the BTF) to F\n"
	  "  --shard K/N      only shard K of N of the kernels (by key; 1 <= K <= N), as a\n"
	  "                   partial set for `btf merge` (default: .output/X.K-of-N.btfpart)\n"
	  "  --set SET        embed: this set (from `btf merge`) instead of making one\n"
	  "  -j, --jobs N     kernels minimized at once (default: number of CPUs)\n"
	  "  -C, --dir DIR    the project in DIR\n"
	  "  --release R      extract: the kernel, R or DISTRO/VERSION/ARCH/R\n" },
	{ "check", cmd_check, "predict on which kernels each tool loads and attaches",
	  "usage: bpfpack check [-C DIR] [--btf SOURCE]... [--filter SPEC] [--tool NAME]...\n"
	  "                     [--object OBJ]... [--json | --markdown] [--require SPEC] [-j N]\n"
	  "       bpfpack check ... --shard K/N -o PART\n"
	  "       bpfpack check --merge PART... [--json | --markdown] [--require SPEC]\n"
	  "\n"
	  "Checks each tool's BPF object (.output/X.bpf.o; run `bpfpack build` first) against\n"
	  "each kernel's BTF: CO-RE relocations as libbpf resolves them (an unresolved one is\n"
	  "fatal only where the verifier reaches it, with the kernel's exists-checks folded),\n"
	  "helpers, map / program / attach types, kfuncs and typed ksyms, attach targets.\n"
	  "One verdict per tool and kernel: ok, load-fail or attach-fail, with every reason.\n"
	  "Kernels with the same verdict and reasons are shown together.\n"
	  "\n"
	  "  --btf SOURCE     kernel BTF, as for `btf gen` (repeatable; default: the manifest's\n"
	  "                   [btf] sources)\n"
	  "  --filter SPEC    keep only these kernels: DISTRO, DISTRO:VERSION or arch terms\n"
	  "  --tool NAME      only this tool of the project (repeatable)\n"
	  "  --object OBJ     check this BPF object instead of a project's (repeatable)\n"
	  "  --json           the verdicts as JSON\n"
	  "  --markdown       the verdicts as markdown (CI job summaries, PR comments)\n"
	  "  --require SPEC   exit 1 when a kernel matching SPEC (filter syntax) is not ok\n"
	  "  -j, --jobs N     kernels checked at once (default: number of CPUs)\n"
	  "  --shard K/N      only shard K of N of the kernels (as `btf gen --shard`); writes\n"
	  "                   a partial result to -o PART for `check --merge`\n"
	  "  -o, --output F   the partial result of --shard\n"
	  "  --merge          the operands are the N partial results of one --shard run: print\n"
	  "                   the report (and apply --require) one full run would\n"
	  "  -C, --dir DIR    the project in DIR\n" },
	{ "inspect", cmd_inspect, "show what a built tool carries (programs, embedded BTF)",
	  "usage: bpfpack inspect TOOL [--json]\n"
	  "\n"
	  "Lists, without running TOOL, its BPF programs and the kernels of its embedded\n"
	  "BTF set: distro, version, arch, release, which distinct blob each uses, and\n"
	  "the sizes.\n"
	  "\n"
	  "  --json   the same as JSON\n" },
	{ "vmtest", cmd_vmtest, "run a command in VMs on other kernels (qemu)",
	  "usage: bpfpack vmtest --kernel K [--kernel K2 ...] [--kernels FILE]\n"
	  "                      [--add F[:PATH]] [--no-btf] [--lsm LIST] [--modules LIST]\n"
	  "                      [--mem M] [--timeout S] [-j N] [--arch ARCH] [--json] [-v]\n"
	  "                      -- CMD [ARGS]\n"
	  "\n"
	  "Runs CMD as root in a qemu VM of the kernels' arch on each kernel (KVM when usable,\n"
	  "else TCG) and reports per kernel: its release, whether it has BTF, CMD's exit\n"
	  "status and the seconds it took. The guest boots an initramfs made on the fly:\n"
	  "busybox (static), CMD's program and the --add files; it mounts proc, sys,\n"
	  "devtmpfs, tracefs, debugfs and bpffs, runs CMD and powers off. CMD's stdout\n"
	  "and stderr come back to ours, the kernel's console does not. The summary\n"
	  "goes to stderr. Exit status 1 if CMD failed, timed out or did not finish on\n"
	  "any kernel.\n"
	  "\n"
	  "Files keep their host paths in the guest, and CMD starts in the current\n"
	  "directory's path. CMD is a busybox applet (sh, ls, ...), a file added with\n"
	  "--add (by path, or by name), or a static program of this machine, copied in;\n"
	  "dynamically linked programs are refused.\n"
	  "\n"
	  "  -k, --kernel K    a boot image (bzImage, vmlinuz, arm64 Image or Image.gz) or\n"
	  "                    a Debian kernel .deb\n"
	  "      --arch ARCH   the machine: x86_64 (qemu-system-x86_64) or arm64\n"
	  "                    (qemu-system-aarch64 -machine virt); default: the kernels'\n"
	  "                    arch. An arm64 guest needs an arm64 busybox (BUSYBOX_ARM64,\n"
	  "                    or busybox-static_*_arm64.deb in ~/.cache/bpfpack)\n"
	  "      --kernels F   more kernels, one a line: PATH or NAME PATH\n"
	  "  -a, --add F[:P]   put file or directory F in the guest at P (default: F's\n"
	  "                    own path)\n"
	  "      --no-btf      hide /sys/kernel/btf in the guest before CMD runs\n"
	  "      --lsm LIST    boot with lsm=LIST, e.g. --lsm bpf for the BPF LSM\n"	  "      --modules LIST\n"
	  "                    load these kernel modules (comma-separated, with the ones\n"
	  "                    they depend on) before CMD, e.g. sch_ingress for tc's\n"
	  "                    clsact; taken from the kernel's package, so only for a\n"
	  "                    kernel given as a .deb (others get a warning)\n"
	  "      --mem M       guest memory: MiB, or with G (default: 512)\n"
	  "      --timeout S   kill a VM after S seconds, reported so (default: 60)\n"
	  "  -j, --jobs N      up to N VMs at once (default: number of CPUs); output\n"
	  "                    comes as it is made with one VM at a time, else per kernel\n"
	  "      --json        the results as JSON on stdout, CMD's output included\n"
	  "  -v, --verbose     print qemu's command line; keep the console logs\n" },
	{ "clean", cmd_clean, "remove the project's build outputs",
	  "usage: bpfpack clean [-C DIR]\n"
	  "\n"
	  "Removes .output/, compile_commands.json and the tool binaries of the project\n"
	  "(also those cross-built into ARCH/, and ARCH/ itself when that leaves it empty).\n"
	  "\n"
	  "  -C, --dir DIR  clean the project in DIR\n" },
	{ "doctor", cmd_doctor, "check the toolchain and the kernel",
	  "usage: bpfpack doctor [--arch ARCH] [--json]\n"
	  "\n"
	  "Checks bpfpack's data directory, clang and its BPF target, bpftool, libbpf\n"
	  "headers and static libraries, the C compiler, the running kernel's BTF and\n"
	  "the permission to load BPF; for vmtest qemu, KVM or TCG and a static busybox,\n"
	  "for btf from-debug pahole (those are warnings: builds work without them).\n"
	  "With --arch for another arch: the BPF compile for it, the cross compiler and\n"
	  "binutils, the :arm64 static libraries, qemu-system-aarch64 and an arm64\n"
	  "busybox (the running kernel's checks are left out).\n"
	  "Each failing check says how to fix it; a summary line ends the report; the\n"
	  "exit status is 1 if any failed.\n"
	  "\n"
	  "  --arch ARCH   check the toolchain for ARCH (x86_64, arm64)\n"
	  "  --json        one JSON document: each check's name, status (ok, warn, fail),\n"
	  "                message and fix, and the counts\n" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void cmd_usage(const char *name, int to_stderr)
{
	const struct cmd *c = cmd_find(name);

	if (!c)
		return;
	if (!to_stderr) {
		fputs(c->usage, stdout);
		return;
	}
	/* After a usage error: the synopsis as a hint, not the whole page. */
	report_hint("%.*s (see `bpfpack help %s`)", (int)strcspn(c->usage, "\n"), c->usage, name);
}

static void print_overview(FILE *f)
{
	fprintf(f, "usage: bpfpack [-v] [--version] COMMAND [ARGS]\n\n"
		   "Scaffold, build and package portable eBPF CO-RE tools.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-9s %s\n", "help", "show help for a command");
	fprintf(f, "\nRun `bpfpack help COMMAND` for a command's flags.\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	if (!cmd_find(argv[1])) {
		report_error("unknown command '%s'", argv[1]);
		report_hint("run `bpfpack help` for the list of commands");
		return EXIT_USAGE;
	}
	cmd_usage(argv[1], 0);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	int i = 1;

	/* Global options come before the command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("bpfpack %s\n", BPFPACK_VERSION);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_overview(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			report_set_verbose(report_verbose() + 1);
		} else {
			report_error("unknown option '%s'", argv[i]);
			report_hint("run `bpfpack help`");
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		report_set_command("help");
		return cmd_help(argc - i, argv + i);
	}
	const struct cmd *c = cmd_find(argv[i]);

	if (!c) {
		report_error("unknown command '%s'", argv[i]);
		report_hint("run `bpfpack help` for the list of commands");
		return EXIT_USAGE;
	}
	report_set_command(c->name);
	return c->fn(argc - i, argv + i);
}
