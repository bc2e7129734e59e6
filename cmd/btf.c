/* btf: `bpfpack btf gen|embed|from-debug`, kernel BTF for tools that must run
 * on kernels without it. Sources are read by btfhub/btf_source, minimized by
 * btfhub/btfgen, packed by btfhub/btfset_write and put into binaries by
 * btfhub/embed; this file parses flags and wires them together. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "build.h"
#include "../btfhub/btf_source.h"
#include "../btfhub/btf_extract.h"
#include "../btfhub/btfgen.h"
#include "../btfhub/btfset_part.h"
#include "../btfhub/btfset_write.h"
#include "../btfhub/embed.h"
#include "../btfhub/pahole.h"
#include "../btfhub/shard.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/project.h"
#include "../lib/report.h"
#include "../lib/toolchain.h"
#include "../runtime/btfset.h"

struct btf_args {
	struct strv sources;
	const char *filter;
	int parallel;
	const char *output;
	const char *dir;
	const char *tool;
	struct strv objects;
	uint32_t shard, nshards;	/* --shard K/N; 0/0 without */
	const char *set;		/* embed --set SET: a set made already (btf merge) */
	const char *release;	/* extract: the kernel */
};

static int parse_jobs(const char *arg, int *out)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end || n < 1 || n > 1024) {
		report_error("-j takes a number of jobs from 1 to 1024, not '%s'", arg);
		return -EINVAL;
	}
	*out = (int)n;
	return 0;
}

/* Parses the flags shared by gen and embed; returns the index of the first
 * operand, or -1 after a usage error (reported), or -2 for --help. */
static int btf_parse_args(int argc, char **argv, struct btf_args *a, const char *usage_name)
{
	static const struct option opts[] = {
		{ "btf", required_argument, NULL, 'b' },
		{ "filter", required_argument, NULL, 'F' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'C' },
		{ "tool", required_argument, NULL, 't' },
		{ "object", required_argument, NULL, 'O' },
		{ "shard", required_argument, NULL, 'S' },
		{ "set", required_argument, NULL, 'E' },
		{ "release", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:F:j:o:C:t:r:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			strv_push(&a->sources, optarg);
			break;
		case 'F':
			a->filter = optarg;
			break;
		case 'j':
			if (parse_jobs(optarg, &a->parallel) < 0)
				return -1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'C':
			a->dir = optarg;
			break;
		case 't':
			a->tool = optarg;
			break;
		case 'O':
			strv_push(&a->objects, optarg);
			break;
		case 'S':
			if (shard_parse(optarg, &a->shard, &a->nshards) < 0)
				return -1;
			break;
		case 'E':
			a->set = optarg;
			break;
		case 'r':
			a->release = optarg;
			break;
		case 'v':
			report_set_verbose(report_verbose() + 1);
			break;
		case 'h':
			return -2;
		default:
			report_error("unknown option '%s'", argv[optind - 1]);
			cmd_usage(usage_name, 1);
			return -1;
		}
	}
	return optind;
}

static void btf_args_free(struct btf_args *a)
{
	strv_free(&a->sources);
	strv_free(&a->objects);
}

/* Minimizes KERNELS for OBJECTS and writes the set to OUTPUT atomically.
 * With PART (a --shard run; KERNELS is the shard's), writes a partial set
 * instead: the raw minimized BTF, for `btf merge`. */
static int btf_make_set(const struct btf_source_list *kernels, char *const objects[], size_t n_objects,
			int parallel, const char *output, const char *label, struct btfset_part_info *part)
{
	struct btfset_builder set;
	struct btfgen_stats stats;
	struct btfgen_opts opts = { .parallel = parallel, .progress = true };
	struct buf bytes = {0}, dict = {0};
	struct btfset *check = NULL;
	char err[256];
	int rc;

	opts.bpftool = toolchain_find_bpftool();
	if (!opts.bpftool) {
		report_error("bpftool not found");
		report_hint("install bpftool (./build.sh does), or set BPFTOOL to its path");
		return -ENOENT;
	}
	for (size_t i = 0; i < n_objects; i++)
		btfgen_check_programs(objects[i]);
	btfset_builder_init(&set);
	if (part) {
		/* The minimizer's output as it is: the merge adds exactly what a
		 * full run adds. Level 3: the part only travels to the merge. */
		set.canonical = 0;
		set.level = 3;
	}
	memset(&stats, 0, sizeof(stats));
	rc = kernels->n ? btfgen_run(kernels, objects, n_objects, &opts, &set, &stats) : 0;
	/* A set for one object (every tool's) compresses against that object,
	 * which the tool carries as .bpfpack.bpfobj. */
	if (rc == 0 && n_objects == 1) {
		rc = fs_read_file(objects[0], &dict);
		if (rc == 0 && !part)
			btfset_builder_set_dict(&set, dict.data, dict.len);
	}
	if (rc == 0 && part) {
		rc = btfset_part_objects_key(objects, n_objects, part->objects);
		if (rc == 0)
			rc = btfset_part_write(part, dict.data, dict.len, &set, &bytes);
		if (rc == 0)
			rc = fs_write_atomic(output, bytes.data, bytes.len, 0644);
		if (rc == 0)
			printf("  %-9s %s shard %u/%u: %zu of %u kernels (%zu cached, %zu minimized), %zu bytes\n",
			       "BTFGEN", label, part->shard, part->nshards, stats.kernels, part->total,
			       stats.cached, stats.minimized, bytes.len);
		goto done;
	}
	if (rc == 0)
		rc = btfset_builder_write(&set, &bytes);
	if (rc == 0)
		rc = fs_write_atomic(output, bytes.data, bytes.len, 0644);
	/* Read back what was written: the same reader the tools use. */
	if (rc == 0 && btfset_open_dict(bytes.data, bytes.len, dict.data, dict.len, &check, err,
					sizeof(err)) < 0) {
		report_error("internal: the BTF set just written does not read back: %s", err);
		rc = -EIO;
	}
	if (rc == 0)
		printf("  %-9s %s: %zu kernel%s (%zu cached, %zu minimized), %u distinct, %zu bytes\n",
		       "BTFGEN", label, stats.kernels, stats.kernels == 1 ? "" : "s", stats.cached,
		       stats.minimized, btfset_blob_count(check), bytes.len);
done:
	btfset_close(check);
	btfset_builder_free(&set);
	buf_free(&bytes);
	buf_free(&dict);
	free((char *)opts.bpftool);
	return rc;
}

/* For --shard K/N: keeps shard K of KERNELS (the whole selection) and
 * fills PART with what identifies it. */
static void btf_select_shard(const struct btf_args *a, struct btf_source_list *kernels,
			     struct btfset_part_info *part)
{
	memset(part, 0, sizeof(*part));
	part->shard = a->shard;
	part->nshards = a->nshards;
	part->total = (uint32_t)kernels->n;
	shard_selection_key(kernels, part->selection);
	shard_select(kernels, a->shard, a->nshards, NULL);
}

static int btf_gen(int argc, char **argv)
{
	struct btf_args a = { .parallel = (int)sysconf(_SC_NPROCESSORS_ONLN), .dir = "." };
	struct btf_source_list kernels = {0};
	struct btfset_part_info part, *partp = NULL;
	struct project p = {0};
	char *out_dir = NULL;
	int first = btf_parse_args(argc, argv, &a, "btf"), rc = 0, lock_fd = -1;

	if (first == -2) {
		cmd_usage("btf", 0);
		btf_args_free(&a);
		return EXIT_OK;
	}
	if (first < 0 || first < argc) {
		if (first >= 0) {
			report_error("unexpected argument '%s'", argv[first]);
			cmd_usage("btf", 1);
		}
		btf_args_free(&a);
		return EXIT_USAGE;
	}
	if (a.parallel < 1)
		a.parallel = 1;
	/* Explicit objects (what `bpfpack build` passes) need no project. */
	if (a.objects.n) {
		if (!a.output) {
			report_error("--object needs -o FILE");
			btf_args_free(&a);
			return EXIT_USAGE;
		}
		if (!a.sources.n) {
			report_error("no kernel BTF given: pass --btf SOURCE");
			btf_args_free(&a);
			return EXIT_USAGE;
		}
		/* Name the set after its (first) object, as the build's steps do. */
		const char *base = fs_basename(a.objects.v[0]);
		char *label = strndup(base, strstr(base, ".bpf.o") ? (size_t)(strstr(base, ".bpf.o") - base)
								    : strlen(base));

		rc = btfgen_collect_kernels(&a.sources, a.filter, &kernels);
		if (rc == 0 && a.nshards) {
			btf_select_shard(&a, &kernels, &part);
			partp = &part;
		}
		if (rc == 0)
			rc = btf_make_set(&kernels, a.objects.v, a.objects.n, a.parallel, a.output, label, partp);
		free(label);
		goto out;
	}
	rc = project_discover(a.dir, &p);
	if (rc == 0)
		rc = project_scan(&p);
	if (rc == 0)
		rc = project_require_tools(&p);
	if (rc < 0)
		goto out;
	if (!a.sources.n) {
		for (size_t i = 0; i < p.btf_sources.n; i++)
			strv_push(&a.sources, p.btf_sources.v[i]);
		if (!a.filter)
			a.filter = p.btf_filter;
	}
	if (!a.sources.n) {
		report_error("no kernel BTF sources: pass --btf SOURCE or set [btf] sources in %s",
			     PROJECT_MANIFEST);
		rc = -EINVAL;
		goto out;
	}
	if (a.tool && !strv_contains(&p.tools, a.tool)) {
		report_error("no tool '%s' in %s", a.tool, p.root);
		rc = -ENOENT;
		goto out;
	}
	if (a.output && !a.tool && p.tools.n > 1) {
		report_error("-o needs --tool NAME: the project has %zu tools", p.tools.n);
		rc = -EINVAL;
		goto out;
	}
	/* The build's lock: a build replacing .output/X.bpf.o, or another
	 * `btf gen` writing the same set, is waited for; the workers inherit
	 * it, so after a SIGKILL the next run also waits for them. */
	out_dir = fs_path_join(p.root, PROJECT_OUTPUT_DIR);
	if (fs_is_dir(out_dir)) {
		struct strv sets = { 0 };

		lock_fd = build_lock(out_dir);
		if (lock_fd < 0) {
			rc = lock_fd;
			goto out;
		}
		/* What a `btf gen` killed while writing a set left: NAME.btfset
		 * temps only, the build's own files are the build's business. */
		for (size_t i = 0; i < p.tools.n; i++)
			strv_pushf(&sets, "%s.btfset", p.tools.v[i]);
		fs_sweep_temps(out_dir, &sets);
		strv_free(&sets);
	}
	rc = btfgen_collect_kernels(&a.sources, a.filter, &kernels);
	if (rc == 0 && a.nshards) {
		btf_select_shard(&a, &kernels, &part);
		partp = &part;
	}
	for (size_t i = 0; i < p.tools.n && rc == 0; i++) {
		const char *name = p.tools.v[i];

		if (a.tool && strcmp(a.tool, name))
			continue;
		char *obj = xasprintf("%s/%s/%s.bpf.o", p.root, PROJECT_OUTPUT_DIR, name);
		char *out = a.output ? xstrdup(a.output) :
			    partp ? xasprintf("%s/%s/%s.%u-of-%u.btfpart", p.root, PROJECT_OUTPUT_DIR, name,
					      a.shard, a.nshards) :
			    xasprintf("%s/%s/%s.btfset", p.root, PROJECT_OUTPUT_DIR, name);

		if (!fs_exists(obj)) {
			report_error("%s is not built yet", obj);
			report_hint("run `bpfpack build` first");
			rc = -ENOENT;
		} else {
			rc = btf_make_set(&kernels, &obj, 1, a.parallel, out, name, partp);
		}
		free(obj);
		free(out);
	}
out:
	if (lock_fd >= 0)
		close(lock_fd);
	free(out_dir);
	btf_source_list_free(&kernels);
	project_free(&p);
	btf_args_free(&a);
	if (rc == -EINTR)
		return EXIT_INTERRUPTED;
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* The objcopy that can rewrite TOOL: the host's for a native binary, the
 * cross binutils' for another arch's (the host's cannot read aarch64 ELF). */
static char *embed_objcopy_for(const char *tool)
{
	const struct toolchain_arch *arch = NULL;
	unsigned char h[20];
	FILE *f = fopen(tool, "rb");
	char *p, *name = NULL;

	if (f && fread(h, 1, sizeof(h), f) == sizeof(h) && !memcmp(h, "\177ELF", 4))
		arch = toolchain_arch_by_elf_machine((unsigned)(h[18] | h[19] << 8));
	if (f)
		fclose(f);
	if (arch && toolchain_arch_is_cross(arch)) {
		p = toolchain_find_cross(arch, "objcopy", &name);
		if (!p) {
			report_error("%s not found: %s is an %s binary", name, tool, arch->name);
			report_hint("install %s's binutils (./build.sh arm64 does)", arch->name);
		}
		free(name);
		return p;
	}
	p = embed_find_objcopy();
	if (!p) {
		report_error("objcopy not found");
		report_hint("install binutils, or set OBJCOPY to its path");
	}
	return p;
}

/* A tool whose runtime reads another set format than the one bpfpack writes
 * would refuse the new set at every start: refuse to embed instead. The
 * reader's tag is in every runtime that reads this format (fs_read_file
 * reports its own errors). */
static int btf_embed_check_reader(const char *tool)
{
	static const char tag[] = BTFSET_READER_TAG;
	struct buf file = {0};
	int rc = fs_read_file(tool, &file);

	if (rc == 0 && !memmem(file.data, file.len, tag, sizeof(tag) - 1)) {
		/* Every tool bpfpack links now carries the runtime when it opens
		 * its object through libbpf; without it, nothing reads a set. */
		report_error("%s carries no runtime that reads BTF sets of format version %d: it "
			     "opens no BPF object through libbpf's open functions (e.g. a light "
			     "skeleton), or an older bpfpack built it", tool, BTFSET_VERSION);
		report_hint("rebuild it with this bpfpack (`bpfpack build --btf SOURCE`); a light "
			    "skeleton needs the kernel's own BTF");
		rc = -EPROTONOSUPPORT;
	}
	buf_free(&file);
	return rc;
}

/* embed --set: the set must read back with the tool's object as its
 * dictionary, as the tool's runtime will read it (a part, or a set made for
 * another object, is refused here rather than at the tool's start). */
static int btf_embed_check_set(const char *path, const struct buf *obj, const char *tool)
{
	struct buf data = {0};
	struct btfset *s = NULL;
	char err[256];
	int rc = fs_read_file(path, &data);

	if (rc == 0 && btfset_open_dict(data.data, data.len, obj->data, obj->len, &s, err, sizeof(err)) < 0) {
		report_error("%s cannot go into %s: %s", path, tool, err);
		rc = -EINVAL;
	}
	btfset_close(s);
	buf_free(&data);
	return rc;
}

static int btf_embed(int argc, char **argv)
{
	struct btf_args a = { .parallel = (int)sysconf(_SC_NPROCESSORS_ONLN) };
	struct btf_source_list kernels = {0};
	struct buf obj = {0};
	struct strv cmd = {0};
	struct buf errs = {0};
	char *tmpdir = NULL, *obj_path = NULL, *set_path = NULL, *tmp_out = NULL, *objcopy = NULL;
	const char *tool;
	struct stat st;
	int first = btf_parse_args(argc, argv, &a, "btf"), rc, fd;

	if (first == -2) {
		cmd_usage("btf", 0);
		btf_args_free(&a);
		return EXIT_OK;
	}
	if (first < 0 || argc - first != 1 || !a.sources.n == !a.set) {
		if (first >= 0) {
			report_error(argc - first != 1 ? "embed takes one TOOL binary" :
				     a.set ? "--set and --btf exclude each other" :
					     "no kernel BTF given: pass --btf SOURCE or --set SET");
			cmd_usage("btf", 1);
		}
		btf_args_free(&a);
		return EXIT_USAGE;
	}
	tool = argv[first];
	if (a.nshards) {
		report_error("embed makes a whole set: --shard is for btf gen (join the parts with btf merge)");
		btf_args_free(&a);
		return EXIT_USAGE;
	}
	if (stat(tool, &st) < 0) {
		report_error("cannot read %s: %s", tool, strerror(errno));
		btf_args_free(&a);
		return EXIT_FAIL;
	}
	rc = embed_section_read(tool, EMBED_SECTION_OBJ, &obj);
	if (rc == -ENOENT) {
		report_error("%s carries no BPF object (section %s): it was not built by bpfpack",
			     tool, EMBED_SECTION_OBJ);
		report_hint("rebuild it with `bpfpack build --btf SOURCE`");
	}
	if (rc < 0)
		goto out;
	rc = btf_embed_check_reader(tool);
	if (rc < 0)
		goto out;
	objcopy = embed_objcopy_for(tool);
	if (!objcopy) {
		rc = -ENOENT;
		goto out;
	}
	rc = fs_mkdtemp("bpfpack-embed", &tmpdir);
	if (rc < 0)
		goto out;
	obj_path = fs_path_join(tmpdir, "tool.bpf.o");
	set_path = a.set ? xstrdup(a.set) : fs_path_join(tmpdir, "tool.btfset");
	rc = fs_write_atomic(obj_path, obj.data, obj.len, 0644);
	if (rc == 0 && a.set)
		rc = btf_embed_check_set(a.set, &obj, tool);
	else if (rc == 0)
		rc = btfgen_collect_kernels(&a.sources, a.filter, &kernels);
	if (rc == 0 && !a.set)
		rc = btf_make_set(&kernels, &obj_path, 1, a.parallel, set_path, fs_basename(tool), NULL);
	if (rc < 0)
		goto out;
	/* objcopy writes a temp file beside the tool; rename makes it atomic. */
	fd = fs_temp_beside(tool, &tmp_out);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	close(fd);
	embed_objcopy_argv(&cmd, objcopy, tool, tmp_out, set_path, NULL);
	rc = proc_run_capture(cmd.v, NULL, &errs);
	if (rc != 0) {
		/* A full disk: one line naming the tool, not objcopy's dozen. */
		if (errs.data && strstr(errs.data, strerror(ENOSPC))) {
			report_error("cannot write %s: %s", tool, strerror(ENOSPC));
		} else {
			if (errs.len)
				fprintf(stderr, "%s", errs.data);
			report_error("%s failed (exit %d) on %s", objcopy, rc, tool);
		}
		unlink(tmp_out);
		rc = -EIO;
		goto out;
	}
	rc = fs_commit_temp(tmp_out, tool, st.st_mode & 07777);
	if (rc == 0)
		printf("  %-9s %s\n", "EMBED", tool);
out:
	if (tmpdir)
		fs_rm_rf(tmpdir);
	free(tmpdir);
	free(obj_path);
	free(set_path);
	free(tmp_out);
	free(objcopy);
	strv_free(&cmd);
	buf_free(&obj);
	buf_free(&errs);
	btf_source_list_free(&kernels);
	btf_args_free(&a);
	if (rc == -EINTR)
		return EXIT_INTERRUPTED;
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static int btf_from_debug_cmd(int argc, char **argv)
{
	struct btf_args a = {0};
	int first = btf_parse_args(argc, argv, &a, "btf"), rc;

	if (first == -2) {
		cmd_usage("btf", 0);
		btf_args_free(&a);
		return EXIT_OK;
	}
	if (first < 0 || argc - first != 1 || !a.output) {
		if (first >= 0) {
			report_error(argc - first != 1 ? "from-debug takes one VMLINUX or -dbg package" :
							 "from-debug needs -o OUT.btf");
			cmd_usage("btf", 1);
		}
		btf_args_free(&a);
		return EXIT_USAGE;
	}
	rc = btf_from_debug(argv[first], a.output);
	btf_args_free(&a);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* `btf merge PART... -o SET`: the parts of a --shard run into the set one
 * full run makes (btfhub/btfset_part checks they belong together). */
static int btf_merge_cmd(int argc, char **argv)
{
	struct btf_args a = {0};
	struct buf bytes = {0};
	size_t n = 0;
	int first = btf_parse_args(argc, argv, &a, "btf"), rc;

	if (first == -2) {
		cmd_usage("btf", 0);
		btf_args_free(&a);
		return EXIT_OK;
	}
	if (first < 0 || first == argc || !a.output || a.sources.n || a.objects.n || a.nshards || a.filter) {
		if (first >= 0)
			report_error(first == argc ? "merge takes the PART files of btf gen --shard" :
				     !a.output ? "merge needs -o SET" : "merge takes PART files and -o SET only");
		if (first >= 0)
			cmd_usage("btf", 1);
		btf_args_free(&a);
		return EXIT_USAGE;
	}
	rc = btfset_merge(argv + first, (size_t)(argc - first), &bytes, &n);
	if (rc == 0)
		rc = fs_write_atomic(a.output, bytes.data, bytes.len, 0644);
	if (rc == 0)
		printf("  %-9s %s: %zu kernel%s from %d part%s, %zu bytes\n", "MERGE", a.output, n,
		       n == 1 ? "" : "s", argc - first, argc - first == 1 ? "" : "s", bytes.len);
	buf_free(&bytes);
	btf_args_free(&a);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static int btf_extract_cmd(int argc, char **argv)
{
	struct btf_args a = {0};
	int first = btf_parse_args(argc, argv, &a, "btf"), rc;

	if (first == -2) {
		cmd_usage("btf", 0);
		btf_args_free(&a);
		return EXIT_OK;
	}
	if (first < 0 || argc - first != 1 || !a.output || !a.release || a.objects.n > 1) {
		if (first >= 0) {
			report_error(argc - first != 1 ? "extract takes one TOOL binary or set file" :
				     !a.release ? "extract needs --release R (or DISTRO/VERSION/ARCH/R)" :
				     !a.output ? "extract needs -o FILE" : "extract takes one --object");
			cmd_usage("btf", 1);
		}
		btf_args_free(&a);
		return EXIT_USAGE;
	}
	rc = btf_extract(argv[first], a.objects.n ? a.objects.v[0] : NULL, a.release, a.output);
	btf_args_free(&a);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_btf(int argc, char **argv)
{
	if (argc < 2) {
		report_error("missing subcommand: gen, merge, embed, from-debug or extract");
		cmd_usage("btf", 1);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_usage("btf", 0);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "gen")) {
		report_set_command("btf gen");
		return btf_gen(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "embed")) {
		report_set_command("btf embed");
		return btf_embed(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "merge")) {
		report_set_command("btf merge");
		return btf_merge_cmd(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "from-debug")) {
		report_set_command("btf from-debug");
		return btf_from_debug_cmd(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "extract")) {
		report_set_command("btf extract");
		return btf_extract_cmd(argc - 1, argv + 1);
	}
	report_error("unknown subcommand '%s': gen, merge, embed, from-debug or extract", argv[1]);
	cmd_usage("btf", 1);
	return EXIT_USAGE;
}
