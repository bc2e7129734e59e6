/* libbpf_diff: the differential test of btfhub/core_resolve against libbpf
 * itself. For every kernel of the sources and every CO-RE relocation of the
 * objects, resolves the relocation twice: with core_resolve(), and with
 * libbpf's own bpf_core_add_cands() + bpf_core_calc_relo_insn() (what
 * bpftool's min_core_btf uses; hidden in libbpf.so, so this program links
 * the static libbpf.a), and compares the outcome: the same error / poison /
 * value. Prints one line per disagreement and a summary; exit 1 on any.
 *
 *   libbpf_diff --btf SOURCE... OBJECT...
 *
 * libbpf's internal structs are declared here, as in libbpf 1.4 (relo_core.h,
 * libbpf_internal.h); the result struct is over-allocated so a libbpf with
 * more trailing fields cannot write past it. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "../../btfhub/btf_source.h"
#include "../../btfhub/core_relo.h"
#include "../../btfhub/core_resolve.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"

struct bpf_core_cand {
	const struct btf *btf;
	uint32_t id;
};

struct bpf_core_cand_list {
	struct bpf_core_cand *cands;
	int len;
};

struct bpf_core_relo_res {
	uint64_t orig_val;
	uint64_t new_val;
	bool poison;
	bool validate;
	bool fail_memsz_adjust;
	uint32_t orig_sz;
	uint32_t orig_type_id;
	uint32_t new_sz;
	uint32_t new_type_id;
	uint32_t spare[16];
};

int bpf_core_add_cands(struct bpf_core_cand *local_cand, size_t local_essent_len, const struct btf *targ_btf,
		       const char *targ_btf_name, int targ_start_id, struct bpf_core_cand_list *cands);
int bpf_core_calc_relo_insn(const char *prog_name, const struct bpf_core_relo *relo, int relo_idx,
			    const struct btf *local_btf, struct bpf_core_cand_list *cands, void *specs_scratch,
			    struct bpf_core_relo_res *targ_res);
size_t bpf_core_essential_name_len(const char *name);

/* struct bpf_core_spec is ~1.3 KiB in libbpf 1.4; three of them, with room. */
static char specs_scratch[3 * 8192] __attribute__((aligned(16)));

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l;
	(void)f;
	(void)ap;
	return 0;
}

/* libbpf's candidates of local type ID, cached per type (as libbpf does). */
struct cand_cache {
	struct bpf_core_cand_list *by_id;	/* index: local type id; len -1: not computed */
	size_t n;
};

static struct bpf_core_cand_list *cands_of(struct cand_cache *c, const struct btf *local, uint32_t id,
					   const struct btf *targ)
{
	struct bpf_core_cand_list *l = &c->by_id[id];
	struct bpf_core_cand lc = { local, id };
	const struct btf_type *t = btf__type_by_id(local, id);
	const char *name = btf__name_by_offset(local, t->name_off);

	if (l->len >= 0)
		return l;
	l->len = 0;
	l->cands = NULL;
	if (name && *name)
		bpf_core_add_cands(&lc, bpf_core_essential_name_len(name), targ, "vmlinux", 1, l);
	return l;
}

int main(int argc, char **argv)
{
	struct strv sources = {0}, objects = {0};
	struct btf_source_list kernels = {0};
	struct bpfobj *objs;
	size_t compared = 0, differ = 0, poisoned = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--btf") && i + 1 < argc)
			strv_push(&sources, argv[++i]);
		else
			strv_push(&objects, argv[i]);
	}
	if (!sources.n || !objects.n) {
		fprintf(stderr, "usage: libbpf_diff --btf SOURCE... OBJECT...\n");
		return 2;
	}
	libbpf_set_print(quiet);
	for (size_t i = 0; i < sources.n; i++)
		if (btf_source_expand(sources.v[i], &kernels) < 0)
			return 2;
	objs = calloc(objects.n, sizeof(*objs));
	for (size_t i = 0; i < objects.n; i++) {
		struct buf b = {0};
		char err[256];

		if (fs_read_file(objects.v[i], &b) < 0 ||
		    bpfobj_read(b.data, b.len, fs_basename(objects.v[i]), &objs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", objects.v[i], err);
			return 2;
		}
		buf_free(&b);
	}
	for (size_t k = 0; k < kernels.n; k++) {
		struct buf raw = {0};
		struct btf *targ = NULL;
		struct core_index *ix;

		if (btf_source_read_raw(&kernels.v[k], &raw) < 0 || btf_source_parse(&kernels.v[k], &raw, &targ) < 0)
			return 2;
		buf_free(&raw);
		ix = core_index_new(targ);
		for (size_t o = 0; o < objects.n; o++) {
			const struct bpfobj *ob = &objs[o];
			struct cand_cache cc;

			if (!ob->btf)
				continue;
			cc.n = btf__type_cnt(ob->btf);
			cc.by_id = calloc(cc.n, sizeof(*cc.by_id));
			for (size_t i = 0; i < cc.n; i++)
				cc.by_id[i].len = -1;
			for (size_t s = 0; s < ob->ext.n; s++) {
				const struct core_ext_sec *es = &ob->ext.secs[s];

				for (size_t r = 0; r < es->n_relos; r++) {
					const struct core_relo *cr = &es->relos[r];
					struct bpf_core_relo lr = { cr->insn_off, cr->type_id, cr->access_str_off,
								    (enum bpf_core_relo_kind)cr->kind };
					struct bpf_core_cand_list empty = { NULL, 0 }, *cl;
					struct bpf_core_relo_res lres;
					struct core_res mine;
					int lerr;
					const char *want, *got;
					char wv[64] = "", gv[64] = "";

					cl = cr->kind == BPF_CORE_TYPE_ID_LOCAL ? &empty
										 : cands_of(&cc, ob->btf, cr->type_id, targ);
					/* libbpf prunes the list to the matching candidates; give it a copy. */
					struct bpf_core_cand_list copy = { NULL, cl->len };

					if (cl->len > 0) {
						copy.cands = malloc(cl->len * sizeof(*copy.cands));
						memcpy(copy.cands, cl->cands, cl->len * sizeof(*copy.cands));
					}
					memset(&lres, 0, sizeof(lres));
					lerr = bpf_core_calc_relo_insn("diff", &lr, (int)r, ob->btf, &copy, specs_scratch,
								       &lres);
					free(copy.cands);
					core_resolve(ob->btf, cr, ix, &mine);
					want = lerr ? "error" : lres.poison ? "poison" : "ok";
					got = mine.status == CORE_RES_ERROR ? "error"
					      : mine.status == CORE_RES_POISON ? "poison" : "ok";
					if (!lerr && !lres.poison)
						snprintf(wv, sizeof(wv), " %llu", (unsigned long long)lres.new_val);
					if (mine.status == CORE_RES_OK)
						snprintf(gv, sizeof(gv), " %llu", (unsigned long long)mine.new_val);
					compared++;
					poisoned += lres.poison || lerr;
					if (strcmp(want, got) || strcmp(wv, gv)) {
						differ++;
						printf("DIFFER %s %s %s relo #%zu (%s, %s): libbpf %s%s, bpfpack %s%s\n",
						       kernels.v[k].origin, ob->name, es->name, r, mine.what,
						       core_relo_kind_name(cr->kind), want, wv, got, gv);
					}
				}
			}
			for (size_t i = 0; i < cc.n; i++)
				free(cc.by_id[i].cands);
			free(cc.by_id);
		}
		core_index_free(ix);
		btf__free(targ);
	}
	printf("%zu kernels x %zu objects: %zu relocation resolutions compared with libbpf (%zu unresolved), "
	       "%zu differ\n", kernels.n, objects.n, compared, poisoned, differ);
	return differ ? 1 : 0;
}
