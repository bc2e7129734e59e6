/* btf: `bpfpack btf gen|embed|from-debug`, kernel BTF for tools that must run
 * on kernels without it. Sources are read by btfhub/btf_source, minimized by
 * btfhub/btfgen, packed by btfhub/btfset_write and put into binaries by
 * btfhub/embed; this file parses flags and wires them together. */
#include <errno.h>
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
#include "../btfhub/check.h"
#include "../btfhub/btfset_part.h"
#include "../btfhub/btfset_write.h"
#include "../btfhub/embed.h"
#include "../btfhub/kernel_release.h"
#include "../formats/elf_file.h"
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
	struct strv no_kernel_btf;	/* gen --no-kernel-btf SPEC... */
	const char *release;	/* extract: the kernel */
	int engine;		/* enum btfgen_engine */
	bool no_kernel_cache;
	bool no_verdicts;
	struct shard_spec { uint32_t k, n; } shard;	/* --shard K/N; 0/0 without */
	const char *set;		/* embed --set SET: a set made already (btf merge) */
};

static int opt_engine(const char *arg, void *field)
{
	if (btfgen_engine_parse(arg, field) < 0) {
		report_error("--engine takes native or bpftool, not '%s'", arg);
		return -EINVAL;
	}
	return 0;
}

/* --shard K/N (btfhub/shard reports a bad spec). */
static int btf_opt_shard(const char *arg, void *field)
{
	struct shard_spec *s = field;

	return shard_parse(arg, &s->k, &s->n) < 0 ? -EUSAGE : 0;
}

#define BTF_OPT_SOURCES(what)                                                                        \
	OPT_LIST(0, "btf", struct btf_args, sources, "SOURCE", "@file",                               \
		 "kernel BTF: a BTF file, vmlinux, kernel image, .deb, btfhub .btf.tar.xz or "         \
		 "btfhub-archive directory (repeatable" what ")")
#define BTF_OPT_FILTER                                                                               \
	OPT_STRING(0, "filter", struct btf_args, filter, "SPEC", NULL,                                \
		   "keep only these kernels: DISTRO, DISTRO:VERSION, arch or release=R terms")

static const struct opt btf_gen_options[] = {
	BTF_OPT_SOURCES("; default: the manifest's [btf] sources"),
	BTF_OPT_FILTER,
	OPT_STRING(0, "tool", struct btf_args, tool, "NAME", "@tool", "only this tool of the project"),
	OPT_LIST(0, "object", struct btf_args, objects, "OBJ", "@file",
		 "minimize for this BPF object instead of a project's (repeatable)"),
	OPT_STRING('o', "output", struct btf_args, output, "F", "@file", "write the set to F"),
	OPT_JOBS(struct btf_args, parallel, "kernels minimized at once (default: number of CPUs)"),
	OPT_STRING('C', "dir", struct btf_args, dir, "DIR", "@dir", "the project in DIR"),
	OPT_CALLBACK(0, "engine", struct btf_args, engine, "E", "native bpftool", opt_engine,
		     "the minimizer: native (in process, the default) or bpftool (gen min_core_btf per kernel)"),
	OPT_FLAG(0, "no-kernel-cache", struct btf_args, no_kernel_cache,
		 "decode every kernel from its source: keep no decoded kernels in the cache "
		 "(also BPFPACK_KERNEL_CACHE=0; its bound is BPFPACK_KERNEL_CACHE_MAX, default 2G)"),
	OPT_FLAG(0, "no-verdicts", struct btf_args, no_verdicts,
		 "native engine: do not also leave check's verdicts of the objects on each kernel in the cache"),
	OPT_LIST(0, "no-kernel-btf", struct btf_args, no_kernel_btf, "SPEC", NULL,
		 "the kernels SPEC (filter syntax) matches have no BTF of their own: the verdicts left for "
		 "`check` (and the CHECK line) say so (repeatable; default: the manifest's [btf] no_kernel_btf)"),
	OPT_CALLBACK(0, "shard", struct btf_args, shard, "K/N", NULL, btf_opt_shard,
		     "only shard K of N of the kernels (by key; 1 <= K <= N), as a partial set for "
		     "`btf merge` (default: .output/X.K-of-N.btfpart)"),
	OPT_VERBOSE("print more about each kernel"),
	OPT_END(),
};

static const struct opt btf_merge_options[] = {
	OPT_STRING('o', "output", struct btf_args, output, "SET", "@file", "write the merged set to SET"),
	OPT_END(),
};

static const struct opt btf_embed_options[] = {
	BTF_OPT_SOURCES(""),
	BTF_OPT_FILTER,
	OPT_STRING(0, "set", struct btf_args, set, "SET", "@file",
		   "embed this set (from `btf merge`) instead of making one"),
	OPT_JOBS(struct btf_args, parallel, "kernels minimized at once (default: number of CPUs)"),
	OPT_VERBOSE("print more about each kernel"),
	OPT_END(),
};

static const struct opt btf_from_debug_options[] = {
	OPT_STRING('o', "output", struct btf_args, output, "F", "@file", "write the BTF to F"),
	OPT_VERBOSE("print pahole's command line"),
	OPT_END(),
};

static const struct opt btf_extract_options[] = {
	OPT_STRING(0, "release", struct btf_args, release, "R", NULL,
		   "the kernel: its release R, or DISTRO/VERSION/ARCH/R"),
	OPT_STRING('o', "output", struct btf_args, output, "F", "@file", "write its BTF (raw) to F"),
	OPT_LIST(0, "object", struct btf_args, objects, "OBJ", "@file",
		 "the BPF object a set file was minimized for (a tool carries its own)"),
	OPT_VERBOSE("say which kernel was found"),
	OPT_END(),
};

static void btf_args_free(struct btf_args *a)
{
	strv_free(&a->sources);
	strv_free(&a->objects);
	strv_free(&a->no_kernel_btf);
}

/* The kernels of the sources that pass the filter; each must have a
 * release, which names it in the set: one without fails here, naming its
 * file, rather than when the set is written. */
static int btf_collect_kernels(const struct btf_args *a, struct btf_source_list *kernels)
{
	int rc = btfgen_collect_kernels(&a->sources, a->filter, kernels);

	for (size_t i = 0; rc == 0 && i < kernels->n; i++)
		rc = kernel_release_check_known(&kernels->v[i]);
	/* Kernels without BTF of their own: check's verdicts say so. */
	if (rc == 0 && a->no_kernel_btf.n)
		rc = check_mark_no_kernel_btf(kernels, a->no_kernel_btf.v, a->no_kernel_btf.n, "--no-kernel-btf");
	return rc;
}

/* Minimizes KERNELS for OBJECTS and writes the set to OUTPUT atomically.
 * With PART (a --shard run; KERNELS is the shard's), writes a partial set
 * instead: the raw minimized BTF, for `btf merge`. */
static int btf_make_set(const struct btf_source_list *kernels, char *const objects[], size_t n_objects,
			const struct btf_args *a, const char *output, const char *label, struct btfset_part_info *part)
{
	struct btfset_builder set;
	struct btfgen_stats stats;
	struct btfgen_opts opts = { .parallel = a->parallel, .progress = true, .label = label, .engine = a->engine,
				    .no_kernel_cache = a->no_kernel_cache, .no_check = a->no_verdicts };
	struct buf bytes = {0}, dict = {0};
	struct btfset *check = NULL;
	char err[256];
	int rc;

	/* The native engine needs no bpftool. */
	opts.bpftool = opts.engine == BTFGEN_ENGINE_BPFTOOL ? toolchain_find_bpftool() : NULL;
	if (opts.engine == BTFGEN_ENGINE_BPFTOOL && !opts.bpftool) {
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
	part->shard = a->shard.k;
	part->nshards = a->shard.n;
	part->total = (uint32_t)shard_distinct_keys(kernels);	/* what the set will hold */
	shard_selection_key(kernels, part->selection);
	shard_select(kernels, a->shard.k, a->shard.n, NULL);
}

static int btf_gen(int argc, char **argv)
{
	struct btf_args a = { .dir = "." };
	struct btf_source_list kernels = {0};
	struct btfset_part_info part, *partp = NULL;
	struct project p = {0};
	char *out_dir = NULL;
	int n = cmd_parse_options(&command_btf_gen, argc, argv, &a, 0), rc = 0, lock_fd = -1;

	if (n < 0 || n > 0) {
		if (n > 0) {
			report_error("unexpected argument '%s'", argv[1]);
			cmd_usage_hint(&command_btf_gen);
		}
		btf_args_free(&a);
		return n == PARSE_OPT_HELP ? 0 : -EUSAGE;
	}
	/* Explicit objects (what `bpfpack build` passes) need no project. */
	if (a.objects.n) {
		if (!a.output) {
			report_error("--object needs -o FILE");
			cmd_usage_hint(&command_btf_gen);
			btf_args_free(&a);
			return -EUSAGE;
		}
		if (!a.sources.n) {
			report_error("no kernel BTF given: pass --btf SOURCE");
			cmd_usage_hint(&command_btf_gen);
			btf_args_free(&a);
			return -EUSAGE;
		}
		/* Name the set after its (first) object, as the build's steps do. */
		const char *base = fs_basename(a.objects.v[0]);
		char *label = strndup(base, strstr(base, ".bpf.o") ? (size_t)(strstr(base, ".bpf.o") - base)
								    : strlen(base));

		rc = btf_collect_kernels(&a, &kernels);
		if (rc == 0 && a.shard.n) {
			btf_select_shard(&a, &kernels, &part);
			partp = &part;
		}
		if (rc == 0)
			rc = btf_make_set(&kernels, a.objects.v, a.objects.n, &a, a.output, label, partp);
		/* One line more when some kernels will not load the tool (what
		 * `bpfpack check` says in full). The native engine left check's
		 * verdicts in the cache as it decoded each kernel, so this
		 * decodes nothing; other runs would decode the corpus twice. */
		if (rc == 0 && !partp && a.objects.n == 1 && a.engine == BTFGEN_ENGINE_NATIVE &&
		    !a.no_verdicts)
			check_build_summary(a.objects.v[0], label, &kernels, a.parallel);
		free(label);
		goto out;
	}
	bool from_manifest;

	rc = project_open_btf(a.dir, &p, &a.sources, &a.filter, &a.no_kernel_btf, &from_manifest);
	if (rc < 0)
		goto out;
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
	rc = btf_collect_kernels(&a, &kernels);
	if (rc == 0 && a.shard.n) {
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
					      a.shard.k, a.shard.n) :
			    xasprintf("%s/%s/%s.btfset", p.root, PROJECT_OUTPUT_DIR, name);

		if (!fs_exists(obj)) {
			report_error("%s is not built yet", obj);
			report_hint("run `bpfpack build` first");
			rc = -ENOENT;
		} else {
			rc = btf_make_set(&kernels, &obj, 1, &a, out, name, partp);
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
	return rc < 0 ? rc : 0;
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
	struct btf_args a = {0};
	struct btf_source_list kernels = {0};
	struct buf obj = {0};
	struct strv cmd = {0};
	struct buf errs = {0};
	char *tmpdir = NULL, *obj_path = NULL, *set_path = NULL, *tmp_out = NULL, *objcopy = NULL;
	const char *tool;
	struct stat st;
	int n = cmd_parse_options(&command_btf_embed, argc, argv, &a, 0), rc, fd;

	if (n < 0 || n != 1 || !a.sources.n == !a.set) {
		if (n >= 0) {
			report_error(n != 1 ? "embed takes one TOOL binary" :
				     a.set ? "--set and --btf exclude each other" :
					     "no kernel BTF given: pass --btf SOURCE or --set SET");
			cmd_usage_hint(&command_btf_embed);
		}
		btf_args_free(&a);
		return n == PARSE_OPT_HELP ? 0 : -EUSAGE;
	}
	tool = argv[1];
	if (stat(tool, &st) < 0) {
		rc = -errno;
		report_error("cannot read %s: %s", tool, strerror(errno));
		btf_args_free(&a);
		return rc;
	}
	rc = elf_file_read_section(tool, EMBED_SECTION_OBJ, &obj, NULL);
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
		rc = btf_collect_kernels(&a, &kernels);
	if (rc == 0 && !a.set)
		rc = btf_make_set(&kernels, &obj_path, 1, &a, set_path, fs_basename(tool), NULL);
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
	return rc < 0 ? rc : 0;
}

static int btf_from_debug_cmd(int argc, char **argv)
{
	struct btf_args a = {0};
	int n = cmd_parse_options(&command_btf_from_debug, argc, argv, &a, 0), rc;

	if (n < 0 || n != 1 || !a.output) {
		if (n >= 0) {
			report_error(n != 1 ? "from-debug takes one VMLINUX or -dbg package" :
					      "from-debug needs -o OUT.btf");
			cmd_usage_hint(&command_btf_from_debug);
		}
		btf_args_free(&a);
		return n == PARSE_OPT_HELP ? 0 : -EUSAGE;
	}
	rc = btf_from_debug(argv[1], a.output);
	btf_args_free(&a);
	return rc < 0 ? rc : 0;
}

static int btf_extract_cmd(int argc, char **argv)
{
	struct btf_args a = {0};
	int n = cmd_parse_options(&command_btf_extract, argc, argv, &a, 0), rc;

	if (n < 0 || n != 1 || !a.output || !a.release || a.objects.n > 1) {
		if (n >= 0) {
			report_error(n != 1 ? "extract takes one TOOL binary or set file" :
				     !a.release ? "extract needs --release R (or DISTRO/VERSION/ARCH/R)" :
				     !a.output ? "extract needs -o FILE" : "extract takes one --object");
			cmd_usage_hint(&command_btf_extract);
		}
		btf_args_free(&a);
		return n == PARSE_OPT_HELP ? 0 : -EUSAGE;
	}
	rc = btf_extract(argv[1], a.objects.n ? a.objects.v[0] : NULL, a.release, a.output);
	btf_args_free(&a);
	return rc < 0 ? rc : 0;
}

/* `btf merge PART... -o SET`: the parts of a --shard run into the set one
 * full run makes (btfhub/btfset_part checks they belong together). */
static int btf_merge_cmd(int argc, char **argv)
{
	struct btf_args a = {0};
	struct buf bytes = {0};
	size_t nk = 0;
	int n = cmd_parse_options(&command_btf_merge, argc, argv, &a, 0), rc;

	if (n < 0 || n == 0 || !a.output) {
		if (n >= 0) {
			report_error(n == 0 ? "merge takes the PART files of btf gen --shard" : "merge needs -o SET");
			cmd_usage_hint(&command_btf_merge);
		}
		btf_args_free(&a);
		return n == PARSE_OPT_HELP ? 0 : -EUSAGE;
	}
	rc = btfset_merge(argv + 1, (size_t)n, &bytes, &nk);
	if (rc == 0)
		rc = fs_write_atomic(a.output, bytes.data, bytes.len, 0644);
	if (rc == 0)
		printf("  %-9s %s: %zu kernel%s from %d part%s, %zu bytes\n", "MERGE", a.output, nk,
		       nk == 1 ? "" : "s", n, n == 1 ? "" : "s", bytes.len);
	buf_free(&bytes);
	btf_args_free(&a);
	return rc < 0 ? rc : 0;
}

static const char *const btf_gen_synopsis[] = {
	"[--btf SOURCE]... [--filter SPEC] [--no-kernel-btf SPEC]... [--tool NAME] [-o FILE] [-j N] [-C DIR] "
	"[--engine native|bpftool] [--no-kernel-cache] [--no-verdicts]",
	"--object OBJ.bpf.o --btf SOURCE... -o FILE [--filter SPEC] [-j N]",
	"... --shard K/N [-o PART]",
	NULL,
};
static const char *const btf_merge_synopsis[] = { "PART... -o SET", NULL };
static const char *const btf_embed_synopsis[] = {
	"TOOL --btf SOURCE... [--filter SPEC] [-j N]",
	"TOOL --set SET",
	NULL,
};
static const char *const btf_from_debug_synopsis[] = { "VMLINUX_OR_DBG_DEB -o OUT.btf", NULL };
static const char *const btf_extract_synopsis[] = { "TOOL_OR_SET --release R -o FILE [--object OBJ]", NULL };

const struct command command_btf_gen = {
	.name = "gen",
	.path = "btf gen",
	.fn = btf_gen,
	.summary = "minimize kernel BTF for the project's tools into BTF sets",
	.synopsis = btf_gen_synopsis,
	.description =
		"Minimizes each kernel's BTF for the project's BPF objects (.output/X.bpf.o;\n"
		"run `bpfpack build` first) in process, by the rules of bpftool gen min_core_btf\n"
		"(--engine bpftool runs bpftool instead), in parallel and cached (~/.cache/bpfpack,\n"
		"or $BPFPACK_CACHE_DIR), and writes one deduplicated, compressed set per tool:\n"
		".output/X.btfset (or -o FILE with one tool). Decoded kernels are kept in the\n"
		"cache (at most $BPFPACK_KERNEL_CACHE_MAX, default 2G, least recently used out),\n"
		"so a changed BPF object is minimized again without decoding the corpus, and\n"
		"check's verdicts are left for each kernel decoded.\n"
		"--shard K/N minimizes one shard of the kernels (by key, the same on any machine)\n"
		"for a CI matrix and writes a partial set; `btf merge` joins the parts.\n",
	.options = btf_gen_options,
};

const struct command command_btf_merge = {
	.name = "merge",
	.path = "btf merge",
	.fn = btf_merge_cmd,
	.summary = "join the partial sets of `btf gen --shard K/N` into one set",
	.synopsis = btf_merge_synopsis,
	.description = "Joins the partial sets of one `btf gen --shard K/N` run, every K of N, into\n"
		       "the set one full run writes, byte for byte. Parts of other objects or kernels,\n"
		       "of another N, a shard missing or given twice are errors that name them.\n",
	.options = btf_merge_options,
	.operands = "@file",
};

const struct command command_btf_embed = {
	.name = "embed",
	.path = "btf embed",
	.fn = btf_embed,
	.summary = "replace the BTF set inside a built tool",
	.synopsis = btf_embed_synopsis,
	.description = "Minimizes the kernels' BTF for the BPF object TOOL carries and replaces the\n"
		       "BTF set inside the already-built tool binary; with --set, embeds that set\n"
		       "(from `btf merge`), which must be made for TOOL's BPF object.\n",
	.options = btf_embed_options,
	.operands = "@file",
};

const struct command command_btf_from_debug = {
	.name = "from-debug",
	.path = "btf from-debug",
	.fn = btf_from_debug_cmd,
	.summary = "make kernel BTF from a kernel's DWARF (pahole)",
	.synopsis = btf_from_debug_synopsis,
	.description = "Encodes BTF from a kernel's DWARF with pahole: a vmlinux with debug info,\n"
		       ".xz-compressed or not, or a linux-image-*-dbg .deb.\n",
	.options = btf_from_debug_options,
	.operands = "@file",
};

const struct command command_btf_extract = {
	.name = "extract",
	.path = "btf extract",
	.fn = btf_extract_cmd,
	.summary = "write one kernel's minimized BTF out of a tool or a set",
	.synopsis = btf_extract_synopsis,
	.description = "Writes one kernel's minimized BTF (raw BTF) out of a built tool or a set file\n"
		       "(.output/X.btfset), for debugging or for BPFPACK_BTF.\n",
	.options = btf_extract_options,
	.operands = "@file",
};

static const struct command *const btf_subcommands[] = {
	&command_btf_gen, &command_btf_merge, &command_btf_embed, &command_btf_from_debug, &command_btf_extract,
	NULL,
};

const struct command command_btf = {
	.name = "btf",
	.path = "btf",
	.summary = "minimize, embed and make kernel BTF for kernels without BTF",
	.description = "Kernel BTF for tools that must run on kernels without it: gen minimizes it\n"
		       "for the project's tools, embed puts it into a built tool, from-debug makes\n"
		       "it from a kernel's DWARF, extract takes one kernel's back out.\n",
	.subcommands = btf_subcommands,
};
