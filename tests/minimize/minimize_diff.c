/* minimize_diff: the differential test of btf gen's native minimizer
 * (btfhub/btf_minimize) against bpftool's `gen min_core_btf`. For every
 * kernel of the sources, minimizes the kernel's BTF for all the objects
 * together with both engines, and for each object alone on every tenth
 * kernel (and the last), and compares an id-independent canonical dump of
 * the two results (btf_canon_dump): they must mean the same. Both refusing
 * the same input counts as agreement. Prints one line per disagreement (with
 * the first differing lines) and a summary; exit 1 on any.
 *
 *   minimize_diff BPFTOOL --btf SOURCE... OBJECT... */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../../btfhub/btf_minimize.h"
#include "../../btfhub/btf_source.h"
#include "../../btfhub/core_relo.h"
#include "../../btfhub/core_resolve.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l;
	(void)f;
	(void)ap;
	return 0;
}

/* bpftool's result for KERNEL_FILE and OBJS as a canonical dump; < 0 when
 * bpftool refused (its message in WHY). */
static int run_bpftool(const char *bpftool, const char *kernel_file, const char *out_file, char **objs,
		       size_t n, struct buf *dump, struct buf *why, size_t *bytes, struct buf *raw_out)
{
	struct strv argv = {0};
	struct buf o = {0}, e = {0};
	struct btf *btf;
	int rc;

	strv_push(&argv, bpftool);
	strv_push(&argv, "gen");
	strv_push(&argv, "min_core_btf");
	strv_push(&argv, kernel_file);
	strv_push(&argv, out_file);
	for (size_t i = 0; i < n; i++)
		strv_push(&argv, objs[i]);
	rc = proc_run_capture(argv.v, &o, &e);
	strv_free(&argv);
	if (rc != 0) {
		buf_printf(why, "bpftool exit %d: %s", rc, e.data ? e.data : "");
		rc = -1;
	} else if (!(btf = btf__parse_raw(out_file))) {
		buf_printf(why, "bpftool's output does not parse");
		rc = -1;
	} else {
		const void *r;
		uint32_t sz;

		btf_canon_dump(btf, dump);
		r = btf__raw_data(btf, &sz);
		*bytes = sz;
		buf_reset(raw_out);
		buf_append(raw_out, r, sz);
		btf__free(btf);
	}
	buf_free(&o);
	buf_free(&e);
	return rc;
}

static void first_difference(const struct buf *a, const struct buf *b)
{
	const char *p = a->data ? a->data : "", *q = b->data ? b->data : "";
	int shown = 0;

	/* Both are sorted line lists: walk them like comm(1). */
	while ((*p || *q) && shown < 6) {
		const char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
		int c = !*p ? 1 : !*q ? -1 : strncmp(p, q, pl < ql ? pl : ql);

		if (c == 0 && pl != ql)
			c = pl < ql ? -1 : 1;
		if (c == 0) {
			p += pl + (pe ? 1 : 0);
			q += ql + (qe ? 1 : 0);
			continue;
		}
		if (c < 0) {
			printf("    native only:  %.*s\n", (int)(pl > 300 ? 300 : pl), p);
			p += pl + (pe ? 1 : 0);
		} else {
			printf("    bpftool only: %.*s\n", (int)(ql > 300 ? 300 : ql), q);
			q += ql + (qe ? 1 : 0);
		}
		shown++;
	}
}

int main(int argc, char **argv)
{
	struct strv sources = {0}, objects = {0};
	struct btf_source_list kernels = {0};
	struct bpfobj *objs;
	const struct bpfobj **all;
	size_t compared = 0, differ = 0, identical = 0, refused = 0;
	char *dir = NULL, *kfile, *ofile;

	if (argc < 4) {
		fprintf(stderr, "usage: minimize_diff BPFTOOL --btf SOURCE... OBJECT...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--btf") && i + 1 < argc)
			strv_push(&sources, argv[++i]);
		else
			strv_push(&objects, argv[i]);
	}
	if (!sources.n || !objects.n || fs_mkdtemp("minimize-diff", &dir) < 0)
		return 2;
	kfile = xasprintf("%s/kernel.btf", dir);
	ofile = xasprintf("%s/min.btf", dir);
	libbpf_set_print(quiet);
	for (size_t i = 0; i < sources.n; i++)
		if (btf_source_expand(sources.v[i], &kernels) < 0)
			return 2;
	objs = calloc(objects.n, sizeof(*objs));
	all = calloc(objects.n, sizeof(*all));
	for (size_t i = 0; i < objects.n; i++) {
		struct buf b = {0};
		char err[256];

		if (fs_read_file(objects.v[i], &b) < 0 ||
		    bpfobj_read(b.data, b.len, fs_basename(objects.v[i]), &objs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", objects.v[i], err);
			return 2;
		}
		all[i] = &objs[i];
		buf_free(&b);
	}
	for (size_t k = 0; k < kernels.n; k++) {
		struct buf raw = {0};
		struct btf *targ = NULL;
		struct core_index *ix;
		bool each = k % 10 == 0 || k + 1 == kernels.n;

		if (btf_source_read_raw(&kernels.v[k], &raw) < 0 || btf_source_parse(&kernels.v[k], &raw, &targ) < 0 ||
		    fs_write_atomic(kfile, raw.data, raw.len, 0644) < 0)
			return 2;
		buf_free(&raw);
		/* What btf gen does: only the kinds the objects look up. */
		ix = core_index_new_kinds(targ, btf_minimize_kinds(all, objects.n));
		/* Run -1: all objects together; then each alone. */
		for (long o = -1; o < (long)objects.n; o++) {
			struct buf nd = {0}, bd = {0}, why = {0}, braw = {0};
			struct btf *mine = NULL;
			char err[512];
			size_t bbytes = 0;
			int nrc, brc;

			if (o >= 0 && !each)
				break;
			nrc = btf_minimize(ix, o < 0 ? all : &all[o], o < 0 ? objects.n : 1, &mine, err, sizeof(err));
			brc = run_bpftool(argv[1], kfile, ofile, o < 0 ? objects.v : &objects.v[o], o < 0 ? objects.n : 1,
					  &bd, &why, &bbytes, &braw);
			compared++;
			if (nrc == 0)
				btf_canon_dump(mine, &nd);
			if (nrc < 0 && brc < 0) {
				refused++;
			} else if (nrc < 0 || brc < 0) {
				differ++;
				printf("DIFFER %s %s: %s\n", kernels.v[k].origin, o < 0 ? "(all objects)" : objects.v[o],
				       nrc < 0 ? err : why.data);
			} else if (nd.len != bd.len || memcmp(nd.data, bd.data, nd.len)) {
				differ++;
				printf("DIFFER %s %s: the canonical dumps differ\n", kernels.v[k].origin,
				       o < 0 ? "(all objects)" : objects.v[o]);
				first_difference(&nd, &bd);
			} else {
				const void *r;
				uint32_t sz;

				r = btf__raw_data(mine, &sz);
				if (sz == braw.len && !memcmp(r, braw.data, sz))
					identical++;
			}
			btf__free(mine);
			buf_free(&nd);
			buf_free(&bd);
			buf_free(&why);
			buf_free(&braw);
		}
		core_index_free(ix);
		btf__free(targ);
	}
	fs_rm_rf(dir);
	printf("%zu kernels, %zu objects: %zu comparisons, %zu differ, %zu refused by both, %zu byte-identical\n",
	       kernels.n, objects.n, compared, differ, refused, identical);
	return differ ? 1 : 0;
}
