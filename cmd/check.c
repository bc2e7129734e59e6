/* check: `bpfpack check`, on which kernels each tool will load and attach,
 * predicted from each kernel's BTF. Sources and filters as `btf gen`; the
 * engine is btfhub/check; this file parses flags, finds the objects and
 * prints the verdicts (a table grouped by outcome, markdown or JSON). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "../btfhub/btf_source.h"
#include "../btfhub/btfgen.h"
#include "../btfhub/btfset_part.h"
#include "../btfhub/check.h"
#include "../btfhub/check_part.h"
#include "../btfhub/shard.h"
#include "../lib/fs.h"
#include "../lib/project.h"
#include "../lib/report.h"

enum check_format { FMT_TABLE, FMT_JSON, FMT_MARKDOWN };

struct check_args {
	struct strv sources;
	const char *filter;
	const char *require;
	const char *dir;
	struct strv tools;
	struct strv objects;
	struct strv no_kernel_btf;	/* --no-kernel-btf SPEC... */
	int parallel;
	bool json, markdown;
	int format;
	bool no_kernel_cache;
	struct shard_spec { uint32_t k, n; } shard;	/* --shard K/N; 0/0 without */
	const char *output;		/* -o: the partial result of --shard */
	bool merge;			/* --merge: the operands are partial results */
	struct strv parts;
};

/* --shard K/N (btfhub/shard reports a bad spec). */
static int check_opt_shard(const char *arg, void *field)
{
	struct shard_spec *s = field;

	return shard_parse(arg, &s->k, &s->n) < 0 ? -EUSAGE : 0;
}

static const struct opt check_options[] = {
	OPT_LIST(0, "btf", struct check_args, sources, "SOURCE", "@file",
		 "kernel BTF, as for `btf gen` (repeatable; default: the manifest's [btf] sources)"),
	OPT_STRING(0, "filter", struct check_args, filter, "SPEC", NULL,
		   "keep only these kernels: DISTRO, DISTRO:VERSION, arch or release=R terms"),
	OPT_LIST(0, "no-kernel-btf", struct check_args, no_kernel_btf, "SPEC", NULL,
		 "the kernels SPEC (filter syntax, e.g. release=6.1.192) matches have no BTF of their own: "
		 "what needs it is load-fail there (repeatable; default: the manifest's [btf] no_kernel_btf)"),
	OPT_LIST(0, "tool", struct check_args, tools, "NAME", "@tool",
		 "only this tool of the project (repeatable)"),
	OPT_LIST(0, "object", struct check_args, objects, "OBJ", "@file",
		 "check this BPF object instead of a project's (repeatable)"),
	OPT_FLAG(0, "json", struct check_args, json, "the verdicts as JSON"),
	OPT_FLAG(0, "markdown", struct check_args, markdown,
		 "the verdicts as markdown (CI job summaries, PR comments)"),
	OPT_STRING(0, "require", struct check_args, require, "SPEC", NULL,
		   "exit 1 when a kernel matching SPEC (filter syntax) is not ok"),
	OPT_JOBS(struct check_args, parallel, "kernels checked at once (default: number of CPUs)"),
	OPT_STRING('C', "dir", struct check_args, dir, "DIR", "@dir", "the project in DIR"),
	OPT_FLAG(0, "no-kernel-cache", struct check_args, no_kernel_cache,
		 "decode every kernel from its source, not from the kernels `btf gen` keeps decoded"),
	OPT_CALLBACK(0, "shard", struct check_args, shard, "K/N", NULL, check_opt_shard,
		     "only shard K of N of the kernels (as `btf gen --shard`); writes a partial result to "
		     "-o PART for `check --merge`"),
	OPT_STRING('o', "output", struct check_args, output, "PART", "@file", "the partial result of --shard"),
	OPT_FLAG(0, "merge", struct check_args, merge,
		 "the operands are the partial results of one --shard run: print the report (and apply "
		 "--require) one full run would"),
	OPT_VERBOSE("print more about each kernel"),
	OPT_END(),
};

static const char *const check_synopsis[] = {
	"[-C DIR] [--btf SOURCE]... [--filter SPEC] [--no-kernel-btf SPEC]... [--tool NAME]... [--object OBJ]... "
	"[--json | --markdown] [--require SPEC] [-j N] [--no-kernel-cache]",
	"... --shard K/N -o PART",
	"--merge PART... [--json | --markdown] [--require SPEC]",
	NULL,
};

const struct command command_check = {
	.name = "check",
	.path = "check",
	.fn = cmd_check,
	.summary = "predict on which kernels each tool loads and attaches",
	.synopsis = check_synopsis,
	.description =
		"Checks each tool's BPF object (.output/X.bpf.o; run `bpfpack build` first) against\n"
		"each kernel's BTF: CO-RE relocations as libbpf resolves them (an unresolved one is\n"
		"fatal only where the verifier reaches it, with the kernel's exists-checks folded),\n"
		"helpers, map / program / attach types, kfuncs and typed ksyms, attach targets.\n"
		"One verdict per tool and kernel: ok, load-fail or attach-fail, with every reason.\n"
		"Kernels with the same verdict and reasons are shown together.\n"
		"A kernel without BTF of its own (declared with --no-kernel-btf; its BTF from btfhub\n"
		"or `btf from-debug` stands in, as embedded BTF does) is load-fail for what needs the\n"
		"kernel's own BTF: fentry/fexit, tp_btf, LSM, struct_ops, iterators, kfuncs, typed\n"
		"ksyms, helpers returning BTF-typed pointers (\"needs kernel BTF\").\n"
		"--shard K/N checks one shard of the kernels for a CI matrix; --merge prints the\n"
		"report of all the shards' partial results, the same as one full run's.\n",
	.options = check_options,
	.operands = "@file",
};

/* Parses the flags: 0, PARSE_OPT_HELP, or -EUSAGE after a usage error. */
static int check_parse_args(int argc, char **argv, struct check_args *a)
{
	int n = cmd_parse_options(&command_check, argc, argv, a, 0);

	if (n < 0)
		return n;
	if (a->json && a->markdown) {
		report_error("--json and --markdown exclude each other");
		cmd_usage_hint(&command_check);
		return -EUSAGE;
	}
	a->format = a->json ? FMT_JSON : a->markdown ? FMT_MARKDOWN : FMT_TABLE;
	if (a->merge) {
		for (int i = 1; i <= n; i++)
			strv_push(&a->parts, argv[i]);
		if (!a->parts.n) {
			report_error("--merge takes the PART files of check --shard K/N");
			cmd_usage_hint(&command_check);
			return -EUSAGE;
		}
		if (a->sources.n || a->filter || a->tools.n || a->objects.n || a->shard.n || a->output ||
		    a->no_kernel_btf.n) {
			report_error("--merge takes PART files only (with --json, --markdown, --require)");
			cmd_usage_hint(&command_check);
			return -EUSAGE;
		}
		return 0;
	}
	if (n > 0) {
		report_error("unexpected argument '%s'", argv[1]);
		cmd_usage_hint(&command_check);
		return -EUSAGE;
	}
	if (a->shard.n && (!a->output || a->format != FMT_TABLE || a->require)) {
		report_error(!a->output ? "--shard needs -o PART (the partial result for check --merge)" :
			     "--json, --markdown and --require apply to the whole report: give them to check --merge");
		cmd_usage_hint(&command_check);
		return -EUSAGE;
	}
	if (a->output && !a->shard.n) {
		report_error("-o is for the partial result of --shard K/N");
		cmd_usage_hint(&command_check);
		return -EUSAGE;
	}
	return 0;
}

/* ---- grouping ----------------------------------------------------------- */

/* The signature of a result: kernels with equal ones are shown together. */
static char *result_signature(const struct check_result *r)
{
	struct buf b = {0};
	char *s;

	buf_printf(&b, "%d|%d", r->verdict, r->approximate);
	for (size_t i = 0; i < r->n; i++)
		buf_printf(&b, "\n%d|%d|%s|%s|%s", r->v[i].verdict, r->v[i].what, r->v[i].program, r->v[i].detail,
			   r->v[i].line);
	s = xstrdup(b.data);
	buf_free(&b);
	return s;
}

struct group {
	char *sig;
	const struct check_result *r;	/* the first kernel's */
	size_t *kernels;
	size_t n;
};

static size_t group_results(const struct check_result *res, size_t n_kernels, struct group **out)
{
	struct group *g = NULL;
	size_t n = 0;

	for (size_t k = 0; k < n_kernels; k++) {
		char *sig = result_signature(&res[k]);
		size_t i;

		for (i = 0; i < n && strcmp(g[i].sig, sig); i++)
			;
		if (i == n) {
			g = xrealloc(g, (n + 1) * sizeof(*g));
			g[n] = (struct group){ sig, &res[k], NULL, 0 };
			n++;
		} else {
			free(sig);
		}
		g[i].kernels = xrealloc(g[i].kernels, (g[i].n + 1) * sizeof(size_t));
		g[i].kernels[g[i].n++] = k;
	}
	/* ok first, then attach-fail, then load-fail; larger groups first. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			struct group *x = &g[j - 1], *y = &g[j];

			if (x->r->verdict < y->r->verdict || (x->r->verdict == y->r->verdict && x->n >= y->n))
				break;
			struct group tmp = *x;

			*x = *y;
			*y = tmp;
		}
	*out = g;
	return n;
}

static void groups_free(struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].sig);
		free(g[i].kernels);
	}
	free(g);
}

/* Kernels of a group, by distro/version/arch: "debian/11/x86_64: 5.10.0-30-amd64 5.10.0-32-amd64". */
static void print_kernel_list(FILE *f, const struct btf_source_list *ks, const struct group *g,
			      const char *indent)
{
	bool *done = xcalloc(g->n, 1);

	for (size_t i = 0; i < g->n; i++) {
		const struct btf_key *a = &ks->v[g->kernels[i]].key;

		if (done[i])
			continue;
		fprintf(f, "%s%s/%s/%s:", indent, *a->distro ? a->distro : "?", *a->version ? a->version : "?",
			*a->arch ? a->arch : "?");
		for (size_t j = i; j < g->n; j++) {
			const struct btf_key *b = &ks->v[g->kernels[j]].key;

			if (done[j] || strcmp(a->distro, b->distro) || strcmp(a->version, b->version) ||
			    strcmp(a->arch, b->arch))
				continue;
			done[j] = true;
			fprintf(f, " %s%s", *b->release ? b->release : ks->v[g->kernels[j]].origin,
				ks->v[g->kernels[j]].no_kernel_btf ? " (no kernel BTF)" : "");
		}
		fputc('\n', f);
	}
	free(done);
}

static void count_verdicts(const struct check_result *res, size_t n, size_t c[3])
{
	c[0] = c[1] = c[2] = 0;
	for (size_t k = 0; k < n; k++)
		c[res[k].verdict]++;
}

static void print_table(FILE *f, const struct check_tool *tools, size_t n_tools, const struct btf_source_list *ks,
			const struct check_result *results)
{
	for (size_t t = 0; t < n_tools; t++) {
		const struct check_result *res = &results[t * ks->n];
		struct group *g;
		size_t n = group_results(res, ks->n, &g), c[3];

		count_verdicts(res, ks->n, c);
		fprintf(f, "%s: %zu kernel%s: %zu ok, %zu attach-fail, %zu load-fail\n", tools[t].name, ks->n,
			ks->n == 1 ? "" : "s", c[CHECK_OK], c[CHECK_ATTACH_FAIL], c[CHECK_LOAD_FAIL]);
		for (size_t i = 0; i < n; i++) {
			const struct check_result *r = g[i].r;

			fprintf(f, "  %s%s on %zu kernel%s\n", check_verdict_name(r->verdict),
				r->approximate ? " (approximate)" : "", g[i].n, g[i].n == 1 ? "" : "s");
			print_kernel_list(f, ks, &g[i], "    ");
			for (size_t j = 0; j < r->n; j++) {
				const struct check_reason *x = &r->v[j];

				fprintf(f, "    %s %s%s%s: %s%s%s\n", x->verdict == CHECK_OK ? "note" : "-",
					check_what_name(x->what), *x->program ? " in " : "", x->program, x->detail,
					*x->line ? "\n        at " : "", x->line);
			}
		}
		groups_free(g, n);
	}
}

static void md_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '`' || *s == '*' || *s == '_' || *s == '<' || *s == '>')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void print_markdown(FILE *f, const struct check_tool *tools, size_t n_tools,
			   const struct btf_source_list *ks, const struct check_result *results)
{
	fprintf(f, "## bpfpack check\n\n| tool | kernels | ok | attach-fail | load-fail |\n|---|---:|---:|---:|---:|\n");
	for (size_t t = 0; t < n_tools; t++) {
		size_t c[3];

		count_verdicts(&results[t * ks->n], ks->n, c);
		fprintf(f, "| ");
		md_escape(f, tools[t].name);
		fprintf(f, " | %zu | %zu | %zu | %zu |\n", ks->n, c[0], c[1], c[2]);
	}
	for (size_t t = 0; t < n_tools; t++) {
		const struct check_result *res = &results[t * ks->n];
		struct group *g;
		size_t n = group_results(res, ks->n, &g);

		fprintf(f, "\n### ");
		md_escape(f, tools[t].name);
		fprintf(f, "\n");
		for (size_t i = 0; i < n; i++) {
			const struct check_result *r = g[i].r;

			fprintf(f, "\n**%s**%s on %zu kernel%s:\n\n```\n", check_verdict_name(r->verdict),
				r->approximate ? " (approximate)" : "", g[i].n, g[i].n == 1 ? "" : "s");
			print_kernel_list(f, ks, &g[i], "");
			fprintf(f, "```\n");
			for (size_t j = 0; j < r->n; j++) {
				const struct check_reason *x = &r->v[j];

				fprintf(f, "- %s%s ", x->verdict == CHECK_OK ? "note: " : "", check_what_name(x->what));
				if (*x->program) {
					fprintf(f, "in `%s` ", x->program);
				}
				fprintf(f, ": ");
				md_escape(f, x->detail);
				if (*x->line) {
					fprintf(f, " (");
					md_escape(f, x->line);
					fprintf(f, ")");
				}
				fprintf(f, "\n");
			}
		}
		groups_free(g, n);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void print_json(FILE *f, const struct check_tool *tools, size_t n_tools, const struct btf_source_list *ks,
		       const struct check_result *results)
{
	fprintf(f, "{\"tools\":[");
	for (size_t t = 0; t < n_tools; t++) {
		fprintf(f, "%s{\"tool\":", t ? "," : "");
		json_str(f, tools[t].name);
		fprintf(f, ",\"kernels\":[");
		for (size_t k = 0; k < ks->n; k++) {
			const struct check_result *r = &results[t * ks->n + k];
			const struct btf_key *key = &ks->v[k].key;

			fprintf(f, "%s{\"distro\":", k ? "," : "");
			json_str(f, key->distro);
			fprintf(f, ",\"version\":");
			json_str(f, key->version);
			fprintf(f, ",\"arch\":");
			json_str(f, key->arch);
			fprintf(f, ",\"release\":");
			json_str(f, key->release);
			fprintf(f, ",\"origin\":");
			json_str(f, ks->v[k].origin);
			fprintf(f, ",\"kernel_btf\":%s", ks->v[k].no_kernel_btf ? "false" : "true");
			fprintf(f, ",\"verdict\":\"%s\",\"approximate\":%s,\"reasons\":[", check_verdict_name(r->verdict),
				r->approximate ? "true" : "false");
			for (size_t j = 0; j < r->n; j++) {
				const struct check_reason *x = &r->v[j];

				fprintf(f, "%s{\"program\":", j ? "," : "");
				json_str(f, x->program);
				fprintf(f, ",\"what\":\"%s\",\"fatal\":%s,\"approximate\":%s,\"detail\":",
					check_what_name(x->what), x->verdict != CHECK_OK ? "true" : "false",
					x->approximate ? "true" : "false");
				json_str(f, x->detail);
				fprintf(f, ",\"line\":");
				json_str(f, x->line);
				fputc('}', f);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

/* ---- the command -------------------------------------------------------------- */

static void check_args_free(struct check_args *a)
{
	strv_free(&a->sources);
	strv_free(&a->tools);
	strv_free(&a->objects);
	strv_free(&a->no_kernel_btf);
	strv_free(&a->parts);
}

/* The tool name of an object path: X of X.bpf.o (or of X.o). */
static char *object_tool_name(const char *path)
{
	const char *base = fs_basename(path);
	const char *dot = strstr(base, ".bpf.o");

	if (!dot)
		dot = strrchr(base, '.');
	return strndup(base, dot && dot > base ? (size_t)(dot - base) : strlen(base));
}

/* Prints the report in A's format and applies --require: 0, or -ENOENT
 * (--require matches no kernel) or -EINVAL (not met), reported. */
static int check_report(const struct check_args *a, const struct check_tool *tools, size_t n_tools,
			const struct btf_source_list *kernels, const struct check_result *results)
{
	int exit_code = 0;

	if (a->format == FMT_JSON)
		print_json(stdout, tools, n_tools, kernels, results);
	else if (a->format == FMT_MARKDOWN)
		print_markdown(stdout, tools, n_tools, kernels, results);
	else
		print_table(stdout, tools, n_tools, kernels, results);
	if (a->require) {
		struct btf_filter f;
		size_t bad = 0, matched = 0;

		btf_filter_parse(a->require, &f);
		for (size_t t = 0; t < n_tools; t++)
			for (size_t k = 0; k < kernels->n; k++) {
				if (!btf_filter_match(&f, &kernels->v[k].key))
					continue;
				matched++;
				if (results[t * kernels->n + k].verdict != CHECK_OK)
					bad++;
			}
		btf_filter_free(&f);
		if (!matched) {
			report_error("--require %s matches none of the kernels checked", a->require);
			exit_code = -ENOENT;
		} else if (bad) {
			report_error("%zu of %zu required (tool, kernel) pairs are not ok (--require %s)", bad, matched,
				     a->require);
			exit_code = -EINVAL;	/* not met: exit 1 */
		}
	}
	return exit_code;
}

/* --shard: writes the shard's results as a partial result (btfhub/check_part). */
static int check_write_part(const struct check_args *a, struct check_part_info *part, char *const paths[],
			    const struct check_tool *tools, size_t n_tools, const struct btf_source_list *kernels,
			    const size_t *pos, const struct check_result *results)
{
	struct buf out = {0};
	int rc = btfset_part_objects_key(paths, n_tools, part->objects);

	if (rc < 0) {
		report_error("cannot read the objects again: %s", strerror(-rc));
		return rc;
	}
	check_part_write(&out, part, tools, n_tools, kernels, pos, results);
	rc = fs_write_atomic(a->output, out.data, out.len, 0644);
	if (rc == 0)
		fprintf(stderr, "  %-9s shard %u/%u: %zu of %u kernels, %zu tool%s -> %s\n", "CHECK", part->shard,
			part->nshards, kernels->n, part->total, n_tools, n_tools == 1 ? "" : "s", a->output);
	buf_free(&out);
	return rc;
}

/* --merge: the report of the partial results, as one full run prints it. */
static int check_merge(const struct check_args *a)
{
	struct btf_source_list kernels = {0};
	struct strv names = {0};
	struct check_result *results = NULL;
	struct check_tool *tools;
	int rc;

	rc = check_part_merge(a->parts.v, a->parts.n, &names, &kernels, &results);
	if (rc < 0)
		return rc;
	tools = xcalloc(names.n, sizeof(*tools));
	for (size_t i = 0; i < names.n; i++)
		tools[i].name = names.v[i];	/* the printers need the names only */
	rc = check_report(a, tools, names.n, &kernels, results);
	for (size_t i = 0; i < names.n * kernels.n; i++)
		check_result_free(&results[i]);
	free(results);
	free(tools);
	strv_free(&names);
	btf_source_list_free(&kernels);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	struct check_args a = { .dir = "." };
	struct btf_source_list kernels = {0};
	struct check_tool *tools = NULL;
	struct check_result *results = NULL;
	struct project p = {0};
	struct strv paths = {0}, names = {0};
	struct check_part_info part;
	size_t n_tools = 0, *pos = NULL;
	const char *no_kbtf_what = "--no-kernel-btf";
	int rc = check_parse_args(argc, argv, &a), exit_code = 0;

	if (rc < 0) {
		check_args_free(&a);
		return rc == PARSE_OPT_HELP ? 0 : rc;
	}
	/* A --require spec that does not parse is a usage error, found before the work. */
	if (a.require) {
		struct btf_filter f;

		if (btf_filter_parse(a.require, &f) < 0) {
			check_args_free(&a);
			return -EUSAGE;
		}
		btf_filter_free(&f);
	}
	for (size_t i = 0; i < a.no_kernel_btf.n; i++) {
		struct btf_filter f;

		if (btf_filter_parse(a.no_kernel_btf.v[i], &f) < 0) {
			check_args_free(&a);
			return -EUSAGE;
		}
		btf_filter_free(&f);
	}
	if (a.merge) {
		rc = check_merge(&a);
		check_args_free(&a);
		return rc;
	}
	if (a.objects.n) {
		if (a.tools.n) {
			report_error("--tool picks tools of a project; with --object there is none");
			cmd_usage_hint(&command_check);
			check_args_free(&a);
			return -EUSAGE;
		}
		for (size_t i = 0; i < a.objects.n; i++) {
			char *n = object_tool_name(a.objects.v[i]);

			strv_push(&paths, a.objects.v[i]);
			strv_push(&names, n);
			free(n);
		}
		if (!a.sources.n) {
			report_error("no kernel BTF given: pass --btf SOURCE");
			rc = -EINVAL;
			goto out;
		}
	} else {
		bool from_manifest;

		rc = project_open_btf(a.dir, &p, &a.sources, &a.filter, &a.no_kernel_btf, &from_manifest);
		if (rc < 0)
			goto out;
		if (from_manifest)
			no_kbtf_what = "[btf] no_kernel_btf =";
		for (size_t i = 0; i < a.tools.n; i++)
			if (!strv_contains(&p.tools, a.tools.v[i])) {
				report_error("no tool '%s' in %s", a.tools.v[i], p.root);
				rc = -ENOENT;
				goto out;
			}
		for (size_t i = 0; i < p.tools.n; i++) {
			char *obj;

			if (a.tools.n && !strv_contains(&a.tools, p.tools.v[i]))
				continue;
			obj = xasprintf("%s/%s/%s.bpf.o", p.root, PROJECT_OUTPUT_DIR, p.tools.v[i]);
			if (!fs_exists(obj)) {
				report_error("%s is not built yet", obj);
				report_hint("run `bpfpack build` first");
				free(obj);
				rc = -ENOENT;
				goto out;
			}
			strv_push(&paths, obj);
			strv_push(&names, p.tools.v[i]);
			free(obj);
		}
	}
	tools = xcalloc(paths.n, sizeof(*tools));
	for (size_t i = 0; i < paths.n; i++, n_tools++) {
		rc = check_tool_open(paths.v[i], names.v[i], &tools[i]);
		if (rc < 0)
			goto out;
	}
	rc = btfgen_collect_kernels(&a.sources, a.filter, &kernels);
	if (rc == 0)
		rc = check_mark_no_kernel_btf(&kernels, a.no_kernel_btf.v, a.no_kernel_btf.n, no_kbtf_what);
	if (rc < 0)
		goto out;
	if (a.shard.n) {
		memset(&part, 0, sizeof(part));
		part.shard = a.shard.k;
		part.nshards = a.shard.n;
		part.total = (uint32_t)kernels.n;
		shard_selection_key(&kernels, part.selection);
		shard_select(&kernels, a.shard.k, a.shard.n, &pos);
	}
	results = xcalloc(n_tools * kernels.n + 1, sizeof(*results));
	{
		struct check_opts o = { .parallel = a.parallel, .progress = a.format == FMT_TABLE,
					.no_kernel_cache = a.no_kernel_cache };

		rc = kernels.n ? check_run(&kernels, tools, n_tools, &o, results) : 0;
	}
	if (rc < 0)
		goto out;
	if (a.shard.n)
		rc = check_write_part(&a, &part, paths.v, tools, n_tools, &kernels, pos, results);
	else
		exit_code = check_report(&a, tools, n_tools, &kernels, results);
out:
	if (results)
		for (size_t i = 0; i < n_tools * kernels.n; i++)
			check_result_free(&results[i]);
	free(results);
	for (size_t i = 0; i < n_tools; i++)
		check_tool_free(&tools[i]);
	free(tools);
	free(pos);
	strv_free(&paths);
	strv_free(&names);
	btf_source_list_free(&kernels);
	project_free(&p);
	check_args_free(&a);
	/* exit_code: -EUSAGE for a bad --require, another -errno when it is not met. */
	return rc < 0 ? rc : exit_code;
}
