/* core_resolve: CO-RE relocations resolved against a kernel's BTF with
 * libbpf's rules (see core_resolve.h). The rules are libbpf's; the code is
 * this project's, and tests/unit/test_core_libbpf.c compares its outcome with
 * libbpf's own bpf_core_calc_relo_insn() over a whole corpus. */
#include "core_resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include "core_relo.h"
#include "../lib/buf.h"

#define SPEC_MAX CORE_SPEC_MAX

/* ---- the candidate index ------------------------------------------------ */

struct core_index {
	const struct btf *btf;
	uint32_t *heads;	/* hash bucket -> first id + 1 (0: empty) */
	uint32_t *next;		/* id -> next id + 1 in its bucket */
	uint32_t n_buckets;
	/* Functions (three in four named types of a kernel) have buckets of
	 * their own, made on the first lookup that can want one: a tool that
	 * needs no kernel function (no kprobe, fentry, kfunc) never pays. */
	uint32_t *fheads;
	bool funcs;		/* FUNC is among the kinds indexed */
};

size_t core_essential_name_len(const char *name)
{
	size_t n = strlen(name);

	/* The last "X___Y" with X and Y not underscores. */
	for (long i = (long)n - 5; i >= 0; i--) {
		const char *s = name + i;

		if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_')
			return (size_t)i + 1;
	}
	return n;
}

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The hash of NAME's essential part and that part's length, in one pass
 * for the common name without "___" (most of a kernel's 100k names). */
static uint32_t essential_hash(const char *name, size_t *len)
{
	uint32_t h = 2166136261u;
	size_t i;
	int run = 0;
	bool flavour = false;

	for (i = 0; name[i]; i++) {
		run = name[i] == '_' ? run + 1 : 0;
		flavour |= run == 3;
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	}
	if (!flavour) {
		*len = i;
		return h;
	}
	*len = core_essential_name_len(name);
	return name_hash(name, *len);
}

/* Adds the types of TARG whose kind is in KINDS to the buckets HEADS. */
static void index_add(struct core_index *ix, uint32_t *heads, uint32_t kinds)
{
	const struct btf *targ = ix->btf;

	/* Backwards, so that each bucket lists ids in ascending order, as
	 * libbpf's linear scan finds them. */
	for (uint32_t id = btf__type_cnt(targ) - 1; id >= 1; id--) {
		const struct btf_type *t = btf__type_by_id(targ, id);
		const char *name;
		size_t len;
		uint32_t b;

		if (!t->name_off || !(kinds & (1u << btf_kind(t))))
			continue;
		name = btf__name_by_offset(targ, t->name_off);
		if (!name || !*name)
			continue;
		b = essential_hash(name, &len) & (ix->n_buckets - 1);
		ix->next[id] = heads[b];
		heads[b] = id + 1;
	}
}

struct core_index *core_index_new_kinds(const struct btf *targ, uint32_t kinds)
{
	struct core_index *ix = xcalloc(1, sizeof(*ix));
	uint32_t n = btf__type_cnt(targ);

	ix->btf = targ;
	ix->n_buckets = 1;
	while (ix->n_buckets < n)
		ix->n_buckets <<= 1;
	ix->heads = xcalloc(ix->n_buckets, sizeof(*ix->heads));
	ix->next = xcalloc(n, sizeof(*ix->next));
	ix->funcs = kinds & (1u << BTF_KIND_FUNC);
	index_add(ix, ix->heads, kinds & ~(1u << BTF_KIND_FUNC));
	return ix;
}

struct core_index *core_index_new(const struct btf *targ)
{
	return core_index_new_kinds(targ, UINT32_MAX);
}

void core_index_free(struct core_index *ix)
{
	if (!ix)
		return;
	free(ix->heads);
	free(ix->fheads);
	free(ix->next);
	free(ix);
}

const struct btf *core_index_btf(const struct core_index *ix)
{
	return ix->btf;
}

static bool kinds_compat(int a, int b)
{
	if (a == b)
		return true;
	return (a == BTF_KIND_ENUM || a == BTF_KIND_ENUM64) && (b == BTF_KIND_ENUM || b == BTF_KIND_ENUM64);
}

/* Matches of NAME[0..LEN) and KIND in the bucket list from HEAD, appended
 * to *IDS (grown), ascending. */
static void bucket_find(const struct core_index *ix, uint32_t head, const char *name, size_t len, int kind,
			uint32_t **ids, size_t *n, size_t *cap)
{
	for (uint32_t e = head; e; e = ix->next[e - 1]) {
		uint32_t id = e - 1;
		const struct btf_type *t = btf__type_by_id(ix->btf, id);
		const char *tn = btf__name_by_offset(ix->btf, t->name_off);

		if (kind >= 0 && !kinds_compat(btf_kind(t), kind))
			continue;
		if (core_essential_name_len(tn) != len || strncmp(tn, name, len))
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*ids = xrealloc(*ids, *cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = id;
	}
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t core_index_find(const struct core_index *ix, const char *name, size_t len, int kind,
		       uint32_t *ids, size_t max)
{
	uint32_t b = name_hash(name, len) & (ix->n_buckets - 1), *all = NULL;
	size_t n = 0, cap = 0;

	if (kind != BTF_KIND_FUNC)
		bucket_find(ix, ix->heads[b], name, len, kind, &all, &n, &cap);
	if (ix->funcs && (kind < 0 || kind == BTF_KIND_FUNC)) {
		/* Made once, by the one thread that uses this kernel's index. */
		if (!ix->fheads) {
			struct core_index *mix = (struct core_index *)ix;

			mix->fheads = xcalloc(ix->n_buckets, sizeof(*ix->fheads));
			index_add(mix, mix->fheads, 1u << BTF_KIND_FUNC);
		}
		size_t before = n;

		bucket_find(ix, ix->fheads[b], name, len, kind, &all, &n, &cap);
		if (before && n > before)
			qsort(all, n, sizeof(*all), id_cmp);
	}
	if (n && max)
		memcpy(ids, all, (n < max ? n : max) * sizeof(*ids));
	free(all);
	return n;
}

/* ---- kinds ---------------------------------------------------------------- */

const char *core_relo_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		"byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
		"local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists",
		"enumval_value", "type_matches",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

static bool kind_is_field(uint32_t k)
{
	return k <= BPF_CORE_FIELD_RSHIFT_U64;
}

static bool kind_is_type(uint32_t k)
{
	return k == BPF_CORE_TYPE_ID_LOCAL || k == BPF_CORE_TYPE_ID_TARGET || k == BPF_CORE_TYPE_EXISTS ||
	       k == BPF_CORE_TYPE_SIZE || k == BPF_CORE_TYPE_MATCHES;
}

static bool kind_is_enumval(uint32_t k)
{
	return k == BPF_CORE_ENUMVAL_EXISTS || k == BPF_CORE_ENUMVAL_VALUE;
}

bool core_relo_kind_is_exists(uint32_t kind)
{
	return kind == BPF_CORE_FIELD_EXISTS || kind == BPF_CORE_TYPE_EXISTS ||
	       kind == BPF_CORE_ENUMVAL_EXISTS || kind == BPF_CORE_TYPE_MATCHES;
}

/* ---- BTF helpers ---------------------------------------------------------- */

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *res)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int guard = 64;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)) && guard--) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (guard < 0)
		t = NULL;
	if (res)
		*res = id;
	return t;
}

static const char *str_of(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);

	return s ? s : "";
}

static bool is_composite(const struct btf_type *t)
{
	return btf_is_struct(t) || btf_is_union(t);
}

static const char *kind_word(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT: return "struct";
	case BTF_KIND_UNION: return "union";
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: return "enum";
	case BTF_KIND_TYPEDEF: return "typedef";
	case BTF_KIND_FWD: return "struct";
	case BTF_KIND_INT: return "int";
	case BTF_KIND_PTR: return "pointer";
	case BTF_KIND_ARRAY: return "array";
	case BTF_KIND_FUNC_PROTO: return "function type";
	case BTF_KIND_FLOAT: return "float";
	default: return "type";
	}
}

/* ---- specs ------------------------------------------------------------------ */

struct acc {
	uint32_t type_id;
	uint32_t idx;
	const char *name;	/* NULL: an array index */
};

struct spec {
	const struct btf *btf;
	uint32_t root_id;
	uint32_t kind;
	struct acc a[SPEC_MAX];
	int len;
	int raw[SPEC_MAX];
	int raw_len;
	uint32_t bit_off;
};

static bool is_flex(const struct btf *btf, const struct acc *prev, const struct btf_array *arr)
{
	const struct btf_type *t;

	if (!prev->name || arr->nelems > 0)
		return false;
	t = btf__type_by_id(btf, prev->type_id);
	return t && prev->idx == (uint32_t)btf_vlen(t) - 1;
}

/* The local spec of a relocation; < 0 when libbpf would refuse it. */
static int spec_parse(const struct btf *btf, const struct core_relo *r, struct spec *s)
{
	const char *str = btf__name_by_offset(btf, r->access_str_off);
	const struct btf_type *t;
	uint32_t id;
	long long sz;

	memset(s, 0, sizeof(*s));
	s->btf = btf;
	s->root_id = r->type_id;
	s->kind = r->kind;
	if (!str || !*str || *str == ':')
		return -EINVAL;
	if (kind_is_type(r->kind))
		return strcmp(str, "0") ? -EINVAL : 0;
	while (*str) {
		int v, n;

		if (*str == ':')
			str++;
		if (sscanf(str, "%d%n", &v, &n) != 1)
			return -EINVAL;
		if (s->raw_len == SPEC_MAX)
			return -E2BIG;
		str += n;
		s->raw[s->raw_len++] = v;
	}
	if (!s->raw_len)
		return -EINVAL;
	t = skip_mods(btf, r->type_id, &id);
	if (!t)
		return -EINVAL;
	s->a[0].type_id = id;
	s->a[0].idx = (uint32_t)s->raw[0];
	s->len = 1;
	if (kind_is_enumval(r->kind)) {
		if (!btf_is_any_enum(t) || s->raw_len > 1 || s->raw[0] < 0 || s->raw[0] >= btf_vlen(t))
			return -EINVAL;
		s->a[0].name = str_of(btf, btf_is_enum(t) ? btf_enum(t)[s->raw[0]].name_off
							   : btf_enum64(t)[s->raw[0]].name_off);
		return 0;
	}
	if (!kind_is_field(r->kind))
		return -EINVAL;
	sz = btf__resolve_size(btf, id);
	if (sz < 0)
		return (int)sz;
	s->bit_off = (uint32_t)(s->raw[0] * sz * 8);
	for (int i = 1; i < s->raw_len; i++) {
		int ai = s->raw[i];

		t = skip_mods(btf, id, &id);
		if (!t)
			return -EINVAL;
		if (is_composite(t)) {
			const struct btf_member *m;

			if (ai < 0 || ai >= btf_vlen(t))
				return -EINVAL;
			s->bit_off += btf_member_bit_offset(t, (uint32_t)ai);
			m = btf_members(t) + ai;
			if (m->name_off) {
				const char *name = btf__name_by_offset(btf, m->name_off);

				if (!name || !*name)
					return -EINVAL;
				s->a[s->len].type_id = id;
				s->a[s->len].idx = (uint32_t)ai;
				s->a[s->len].name = name;
				s->len++;
			}
			id = m->type;
		} else if (btf_is_array(t)) {
			const struct btf_array *arr = btf_array(t);

			t = skip_mods(btf, arr->type, &id);
			if (!t)
				return -EINVAL;
			if (!is_flex(btf, &s->a[s->len - 1], arr) && (ai < 0 || (uint32_t)ai >= arr->nelems))
				return -EINVAL;
			s->a[s->len].type_id = id;
			s->a[s->len].idx = (uint32_t)ai;
			s->a[s->len].name = NULL;
			s->len++;
			sz = btf__resolve_size(btf, id);
			if (sz < 0)
				return (int)sz;
			s->bit_off += (uint32_t)(ai * sz * 8);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- compatibility ---------------------------------------------------------- */

static int types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, int level)
{
	const struct btf_type *lt = btf__type_by_id(lb, lid), *tt = btf__type_by_id(tb, tid);
	int depth = 32;

	if (!lt || !tt || !kinds_compat(btf_kind(lt), btf_kind(tt)))
		return 0;
	for (;;) {
		if (--depth < 0)
			return -EINVAL;
		lt = skip_mods(lb, lid, &lid);
		tt = skip_mods(tb, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (!kinds_compat(btf_kind(lt), btf_kind(tt)))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_UNKN:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM64:
			return 1;
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_PTR:
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
			int err;

			if (btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (int i = 0; i < btf_vlen(lt); i++) {
				uint32_t a, b;

				if (level <= 0)
					return -EINVAL;
				skip_mods(lb, lp[i].type, &a);
				skip_mods(tb, tp[i].type, &b);
				err = types_compat(lb, a, tb, b, level - 1);
				if (err <= 0)
					return err;
			}
			skip_mods(lb, lt->type, &lid);
			skip_mods(tb, tt->type, &tid);
			continue;
		}
		default:
			return 0;
		}
	}
}

int core_types_compat(const struct btf *local, uint32_t lid, const struct btf *targ, uint32_t tid)
{
	return types_compat(local, lid, targ, tid, 32);
}

static bool names_essentially_equal(const char *a, const char *b)
{
	size_t la = core_essential_name_len(a), lb = core_essential_name_len(b);

	return la == lb && !strncmp(a, b, la);
}

static int fields_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	for (int depth = 0; depth < 64; depth++) {
		const struct btf_type *lt = skip_mods(lb, lid, &lid), *tt = skip_mods(tb, tid, &tid);

		if (!lt || !tt)
			return -EINVAL;
		if (is_composite(lt) && is_composite(tt))
			return 1;
		if (!kinds_compat(btf_kind(lt), btf_kind(tt)))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			const char *ln = str_of(lb, lt->name_off), *tn = str_of(tb, tt->name_off);

			return !*ln || !*tn || names_essentially_equal(ln, tn);
		}
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

static bool names_match(const struct btf *lb, uint32_t loff, const struct btf *tb, uint32_t toff)
{
	const char *ln = str_of(lb, loff), *tn = str_of(tb, toff);

	if (!*tn)
		return !*ln;
	return names_essentially_equal(ln, tn);
}

static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       bool behind_ptr, int level);

static int enums_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
		       const struct btf_type *tt)
{
	if (lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (int i = 0; i < btf_vlen(lt); i++) {
		uint32_t lo = btf_is_enum(lt) ? btf_enum(lt)[i].name_off : btf_enum64(lt)[i].name_off;
		bool found = false;

		for (int j = 0; j < btf_vlen(tt) && !found; j++) {
			uint32_t to = btf_is_enum(tt) ? btf_enum(tt)[j].name_off : btf_enum64(tt)[j].name_off;

			found = names_match(lb, lo, tb, to);
		}
		if (!found)
			return 0;
	}
	return 1;
}

static int composites_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
			    const struct btf_type *tt, bool behind_ptr, int level)
{
	const struct btf_member *lm = btf_members(lt);

	if (btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (int i = 0; i < btf_vlen(lt); i++) {
		const struct btf_member *tm = btf_members(tt);
		bool matched = false;

		for (int j = 0; j < btf_vlen(tt) && !matched; j++) {
			int err;

			if (!names_match(lb, lm[i].name_off, tb, tm[j].name_off))
				continue;
			err = types_match(lb, lm[i].type, tb, tm[j].type, behind_ptr, level - 1);
			if (err < 0)
				return err;
			matched = err > 0;
		}
		if (!matched)
			return 0;
	}
	return 1;
}

static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       bool behind_ptr, int level)
{
	int depth = 32;

	if (level <= 0)
		return -EINVAL;
	for (;;) {
		const struct btf_type *lt, *tt;
		int lk, tk;

		if (--depth < 0)
			return -EINVAL;
		lt = skip_mods(lb, lid, &lid);
		tt = skip_mods(tb, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (!names_match(lb, lt->name_off, tb, tt->name_off))
			return 0;
		lk = btf_kind(lt);
		tk = btf_kind(tt);
		switch (lk) {
		case BTF_KIND_UNKN:
			return lk == tk;
		case BTF_KIND_FWD: {
			bool lf = btf_kflag(lt);

			if (behind_ptr) {
				if (lk == tk)
					return lf == btf_kflag(tt);
				return (tk == BTF_KIND_STRUCT && !lf) || (tk == BTF_KIND_UNION && lf);
			}
			return lk == tk && lf == btf_kflag(tt);
		}
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			return btf_is_any_enum(tt) ? enums_match(lb, lt, tb, tt) : 0;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (behind_ptr) {
				if (lk == tk)
					return 1;
				if (tk != BTF_KIND_FWD)
					return 0;
				return (lk == BTF_KIND_UNION) == btf_kflag(tt);
			}
			if (lk != tk)
				return 0;
			return composites_match(lb, lt, tb, tt, behind_ptr, level);
		case BTF_KIND_INT:
			if (lk != tk)
				return 0;
			return lt->size == tt->size &&
			       (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED);
		case BTF_KIND_PTR:
			if (lk != tk)
				return 0;
			behind_ptr = true;
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems)
				return 0;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			if (lk != tk || btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (int i = 0; i < btf_vlen(lt); i++) {
				int err = types_match(lb, btf_params(lt)[i].type, tb, btf_params(tt)[i].type,
						      behind_ptr, level - 1);

				if (err <= 0)
					return err;
			}
			lid = lt->type;
			tid = tt->type;
			continue;
		}
		default:
			return 0;
		}
	}
}

/* ---- matching a spec against a candidate ------------------------------------ */

/* Where a candidate stopped matching, for the explanation. */
struct miss {
	int depth;		/* accessor index that failed; -1: none recorded */
	uint32_t targ_type;	/* target composite / enum searched */
	const char *name;	/* what was looked for */
	bool incompatible;	/* found by name, but of an incompatible type */
	bool out_of_range;	/* array index beyond the target's array */
};

static int match_member(const struct btf *lb, const struct acc *la, const struct btf *tb, uint32_t tid,
			struct spec *ts, uint32_t *next, struct miss *miss)
{
	const struct btf_type *tt = skip_mods(tb, tid, &tid), *lt;
	const struct btf_member *lm, *m;
	const char *lname;

	if (!tt)
		return -EINVAL;
	if (!is_composite(tt))
		return 0;
	lt = btf__type_by_id(lb, la->type_id);
	lm = btf_members(lt) + la->idx;
	lname = str_of(lb, lm->name_off);
	m = btf_members(tt);
	for (int i = 0; i < btf_vlen(tt); i++, m++) {
		uint32_t bo = btf_member_bit_offset(tt, (uint32_t)i);
		const char *tn;

		if (ts->raw_len == SPEC_MAX)
			return -E2BIG;
		ts->bit_off += bo;
		ts->raw[ts->raw_len++] = i;
		tn = str_of(tb, m->name_off);
		if (!*tn) {
			int found = match_member(lb, la, tb, m->type, ts, next, miss);

			if (found)
				return found;
		} else if (!strcmp(lname, tn)) {
			int found;

			ts->a[ts->len].type_id = tid;
			ts->a[ts->len].idx = (uint32_t)i;
			ts->a[ts->len].name = tn;
			ts->len++;
			*next = m->type;
			found = fields_compat(lb, lm->type, tb, m->type);
			if (!found) {
				ts->len--;
				if (miss) {
					miss->incompatible = true;
					miss->targ_type = tid;
				}
			}
			return found;
		}
		ts->bit_off -= bo;
		ts->raw_len--;
	}
	return 0;
}

static int spec_match(const struct spec *ls, const struct btf *tb, uint32_t tid, struct spec *ts,
		      struct miss *miss)
{
	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root_id = tid;
	ts->kind = ls->kind;
	if (miss) {
		memset(miss, 0, sizeof(*miss));
		miss->depth = -1;
	}
	if (kind_is_type(ls->kind)) {
		if (ls->kind == BPF_CORE_TYPE_MATCHES)
			return types_match(ls->btf, ls->root_id, tb, tid, false, 32);
		return types_compat(ls->btf, ls->root_id, tb, tid, 32);
	}
	if (kind_is_enumval(ls->kind)) {
		const struct btf_type *tt = skip_mods(tb, tid, &tid);
		size_t llen = core_essential_name_len(ls->a[0].name);

		if (!tt || !btf_is_any_enum(tt))
			return 0;
		for (int i = 0; i < btf_vlen(tt); i++) {
			const char *tn = str_of(tb, btf_is_enum(tt) ? btf_enum(tt)[i].name_off
								   : btf_enum64(tt)[i].name_off);

			if (core_essential_name_len(tn) != llen || strncmp(ls->a[0].name, tn, llen))
				continue;
			ts->a[0] = (struct acc){ tid, (uint32_t)i, tn };
			ts->len = 1;
			ts->raw[ts->raw_len++] = i;
			return 1;
		}
		if (miss) {
			miss->depth = 0;
			miss->targ_type = tid;
			miss->name = ls->a[0].name;
		}
		return 0;
	}
	if (!kind_is_field(ls->kind))
		return -EINVAL;
	for (int i = 0; i < ls->len; i++) {
		const struct acc *la = &ls->a[i];
		const struct btf_type *tt = skip_mods(tb, tid, &tid);

		if (!tt)
			return -EINVAL;
		if (la->name) {
			uint32_t searched = tid;
			int m = match_member(ls->btf, la, tb, tid, ts, &tid, miss);

			if (m <= 0) {
				if (m == 0 && miss) {
					miss->depth = i;
					miss->name = la->name;
					if (!miss->incompatible)
						miss->targ_type = searched;
				}
				return m;
			}
		} else {
			long long sz;

			if (i > 0) {
				const struct btf_array *arr;

				if (!btf_is_array(tt)) {
					if (miss) {
						miss->depth = i;
						miss->targ_type = tid;
					}
					return 0;
				}
				arr = btf_array(tt);
				if (!is_flex(tb, &ts->a[ts->len - 1], arr) && la->idx >= arr->nelems) {
					if (miss) {
						miss->depth = i;
						miss->targ_type = tid;
						miss->out_of_range = true;
					}
					return 0;
				}
				if (!skip_mods(tb, arr->type, &tid))
					return -EINVAL;
			}
			if (ts->raw_len == SPEC_MAX)
				return -E2BIG;
			ts->a[ts->len] = (struct acc){ tid, la->idx, NULL };
			ts->len++;
			ts->raw[ts->raw_len++] = (int)la->idx;
			sz = btf__resolve_size(tb, tid);
			if (sz < 0)
				return (int)sz;
			ts->bit_off += (uint32_t)(la->idx * sz * 8);
		}
	}
	return 1;
}

/* ---- values ------------------------------------------------------------------ */

#define POISON_REQ (-1000)

static int calc_field(uint32_t kind, const struct spec *s, uint64_t *val, uint32_t *fsz, uint32_t *ftype,
		      bool *validate)
{
	const struct acc *a;
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	uint32_t byte_off, byte_sz, bit_off, bit_sz, field_id;
	bool bitfield;
	long long sz;

	*fsz = 0;
	if (kind == BPF_CORE_FIELD_EXISTS) {
		*val = s ? 1 : 0;
		return 0;
	}
	if (!s)
		return POISON_REQ;
	a = &s->a[s->len - 1];
	t = btf__type_by_id(s->btf, a->type_id);
	if (!a->name) {
		sz = btf__resolve_size(s->btf, a->type_id);
		if (sz < 0)
			return -EINVAL;
		if (kind == BPF_CORE_FIELD_BYTE_OFFSET) {
			*val = s->bit_off / 8;
			*fsz = (uint32_t)sz;
			*ftype = a->type_id;
		} else if (kind == BPF_CORE_FIELD_BYTE_SIZE) {
			*val = (uint64_t)sz;
		} else {
			return -EINVAL;
		}
		if (validate)
			*validate = true;
		return 0;
	}
	m = btf_members(t) + a->idx;
	mt = skip_mods(s->btf, m->type, &field_id);
	if (!mt)
		return -EINVAL;
	bit_off = s->bit_off;
	bit_sz = btf_member_bitfield_size(t, a->idx);
	bitfield = bit_sz > 0;
	if (bitfield) {
		byte_sz = mt->size;
		if (!byte_sz)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -E2BIG;
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		sz = btf__resolve_size(s->btf, field_id);
		if (sz < 0)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = s->bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	if (validate)
		*validate = !bitfield;
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*fsz = byte_sz;
			*ftype = field_id;
		}
		break;
	case BPF_CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case BPF_CORE_FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
		       (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		break;
	case BPF_CORE_FIELD_LSHIFT_U64:
		*val = 64 - (bit_off + bit_sz - byte_off * 8);
		break;
	case BPF_CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_type(uint32_t kind, const struct spec *s, uint64_t *val)
{
	long long sz;

	if (!s) {
		*val = 0;
		return 0;
	}
	switch (kind) {
	case BPF_CORE_TYPE_ID_TARGET:
		*val = s->root_id;
		return 0;
	case BPF_CORE_TYPE_EXISTS:
	case BPF_CORE_TYPE_MATCHES:
		*val = 1;
		return 0;
	case BPF_CORE_TYPE_SIZE:
		sz = btf__resolve_size(s->btf, s->root_id);
		if (sz < 0)
			return -EINVAL;
		*val = (uint64_t)sz;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int calc_enumval(uint32_t kind, const struct spec *s, uint64_t *val)
{
	const struct btf_type *t;

	if (kind == BPF_CORE_ENUMVAL_EXISTS) {
		*val = s ? 1 : 0;
		return 0;
	}
	if (kind != BPF_CORE_ENUMVAL_VALUE)
		return -EOPNOTSUPP;
	if (!s)
		return POISON_REQ;
	t = btf__type_by_id(s->btf, s->a[0].type_id);
	if (btf_is_enum(t))
		*val = (uint64_t)(uint32_t)btf_enum(t)[s->a[0].idx].val;
	else
		*val = btf_enum64_value(btf_enum64(t) + s->a[0].idx);
	return 0;
}

struct calc {
	uint64_t orig, val;
	bool poison;
	bool fail_memsz;
	uint32_t orig_sz, new_sz;
};

static int calc_relo(uint32_t kind, const struct spec *ls, const struct spec *ts, struct calc *c)
{
	uint32_t otype = 0, ntype = 0;
	int err;

	memset(c, 0, sizeof(*c));
	if (kind_is_field(kind)) {
		err = calc_field(kind, ls, &c->orig, &c->orig_sz, &otype, NULL);
		if (!err)
			err = calc_field(kind, ts, &c->val, &c->new_sz, &ntype, NULL);
		if (!err && c->orig_sz != c->new_sz) {
			const struct btf_type *o = btf__type_by_id(ls->btf, otype);
			const struct btf_type *n = btf__type_by_id(ts->btf, ntype);

			if (!(o && n && btf_is_ptr(o) && btf_is_ptr(n)) &&
			    !(o && n && btf_is_int(o) && btf_is_int(n) && btf_int_encoding(o) != BTF_INT_SIGNED &&
			      btf_int_encoding(n) != BTF_INT_SIGNED))
				c->fail_memsz = true;
		}
	} else if (kind_is_type(kind)) {
		err = calc_type(kind, ls, &c->orig);
		if (!err)
			err = calc_type(kind, ts, &c->val);
	} else {
		err = calc_enumval(kind, ls, &c->orig);
		if (!err)
			err = calc_enumval(kind, ts, &c->val);
	}
	if (err == POISON_REQ) {
		c->poison = true;
		err = 0;
	}
	return err;
}

/* ---- explanations -------------------------------------------------------------- */

static void describe_spec(const struct spec *s, const char *kind_name, char *out, size_t size)
{
	const struct btf_type *t = btf__type_by_id(s->btf, s->root_id);
	const char *root = t ? str_of(s->btf, t->name_off) : "";
	size_t n;

	n = (size_t)snprintf(out, size, "%s%s%s", t ? kind_word(t) : "type", *root ? " " : "",
			     *root ? root : "<anon>");
	if (kind_is_enumval(s->kind) && s->len)
		n += (size_t)snprintf(out + (n < size ? n : size), n < size ? size - n : 0, "::%s", s->a[0].name);
	else if (kind_is_field(s->kind))
		for (int i = 0; i < s->len; i++) {
			if (s->a[i].name)
				n += (size_t)snprintf(out + (n < size ? n : size), n < size ? size - n : 0, ".%s",
						      s->a[i].name);
			else if (i > 0 || s->a[i].idx > 0)
				n += (size_t)snprintf(out + (n < size ? n : size), n < size ? size - n : 0, "[%u]",
						      s->a[i].idx);
		}
	if (n < size)
		snprintf(out + n, size - n, " (%s)", kind_name);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* Whether B looks like what A was renamed to or from: equal once leading
 * and trailing underscores go, or one edit apart in a name of 4+ letters. */
static bool names_alike(const char *a, const char *b)
{
	while (*a == '_')
		a++;
	while (*b == '_')
		b++;
	size_t la = strlen(a), lb = strlen(b);

	while (la && a[la - 1] == '_')
		la--;
	while (lb && b[lb - 1] == '_')
		lb--;
	if (la == lb && la && !strncmp(a, b, la))
		return true;
	if (la >= 4 && lb >= 4) {
		char x[64], y[64];

		snprintf(x, sizeof(x), "%.*s", (int)la, a);
		snprintf(y, sizeof(y), "%.*s", (int)lb, b);
		return edit_distance(x, y) <= 1;
	}
	return false;
}

/* Appends ", it has X" for members of composite TID (looking into
 * anonymous members) whose names look like NAME. */
static void suggest_members(const struct btf *tb, uint32_t tid, const char *name, struct buf *out, int *found,
			    int depth)
{
	const struct btf_type *t = skip_mods(tb, tid, NULL);

	if (!t || depth > 8 || !is_composite(t))
		return;
	for (int i = 0; i < btf_vlen(t) && *found < 3; i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mn = str_of(tb, m->name_off);

		if (!*mn) {
			suggest_members(tb, m->type, name, out, found, depth + 1);
			continue;
		}
		if (strcmp(mn, name) && names_alike(name, mn)) {
			buf_printf(out, "%s%s", *found ? " or " : "; it has ", mn);
			(*found)++;
		}
	}
}

static void suggest_enumvals(const struct btf *tb, uint32_t tid, const char *name, struct buf *out)
{
	const struct btf_type *t = skip_mods(tb, tid, NULL);
	int found = 0;

	for (int i = 0; t && btf_is_any_enum(t) && i < btf_vlen(t) && found < 3; i++) {
		const char *vn = str_of(tb, btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off);

		if (names_alike(name, vn)) {
			buf_printf(out, "%s%s", found ? " or " : "; it has ", vn);
			found++;
		}
	}
}

static const char *type_name_of(const struct btf *b, uint32_t id, char *out, size_t size)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	const char *n = t ? str_of(b, t->name_off) : "";

	snprintf(out, size, "%s %s", t ? kind_word(t) : "type", *n ? n : "<anon>");
	return out;
}

static void explain(const struct spec *ls, const struct btf *tb, const uint32_t *cands, size_t n_cands,
		    struct core_res *res)
{
	struct buf w = {0};
	const struct btf_type *lroot = btf__type_by_id(ls->btf, ls->root_id);
	const char *lname = lroot ? str_of(ls->btf, lroot->name_off) : "";
	size_t ess = core_essential_name_len(lname);
	char tn[200];

	if (!n_cands) {
		buf_printf(&w, "the kernel has no %s %.*s", lroot ? kind_word(lroot) : "type", (int)ess, lname);
	} else if (kind_is_type(ls->kind)) {
		buf_printf(&w, "%s %.*s of the kernel %s", lroot ? kind_word(lroot) : "type", (int)ess, lname,
			   ls->kind == BPF_CORE_TYPE_MATCHES ? "does not match the local definition"
							     : "is not compatible with the local definition");
	} else {
		struct spec ts;
		struct miss miss;

		spec_match(ls, tb, cands[0], &ts, &miss);
		if (kind_is_enumval(ls->kind)) {
			buf_printf(&w, "%s has no value %s", type_name_of(tb, miss.targ_type, tn, sizeof(tn)),
				   ls->a[0].name);
			suggest_enumvals(tb, miss.targ_type, ls->a[0].name, &w);
		} else if (miss.depth >= 0 && miss.name && miss.incompatible) {
			buf_printf(&w, "field %s of %s has an incompatible type", miss.name,
				   type_name_of(tb, miss.targ_type, tn, sizeof(tn)));
		} else if (miss.depth >= 0 && miss.name) {
			int found = 0;

			buf_printf(&w, "%s has no field %s", type_name_of(tb, miss.targ_type, tn, sizeof(tn)),
				   miss.name);
			suggest_members(tb, miss.targ_type, miss.name, &w, &found, 0);
		} else if (miss.depth >= 0 && miss.out_of_range) {
			buf_printf(&w, "the array has fewer elements in the kernel");
		} else {
			buf_printf(&w, "no candidate %.*s of the kernel has the accessed field", (int)ess, lname);
		}
	}
	snprintf(res->why, sizeof(res->why), "%s", w.data ? w.data : "");
	buf_free(&w);
}

/* ---- the resolver ---------------------------------------------------------------- */

#define MAX_CANDS CORE_MAX_CANDS

void core_resolve(const struct btf *local, const struct core_relo *r, const struct core_index *ix,
		  struct core_res *res)
{
	core_resolve_cached(local, r, ix, NULL, res);
}

void core_resolve_cached(const struct btf *local, const struct core_relo *r, const struct core_index *ix,
			 struct core_cands *cc, struct core_res *res)
{
	struct spec ls, cs, ts;
	struct calc best = {0}, c;
	uint32_t cands[MAX_CANDS], matched[MAX_CANDS];
	const struct btf_type *lt;
	const char *lname;
	size_t n_cands, j = 0;
	int err;

	memset(res, 0, sizeof(*res));
	lt = btf__type_by_id(local, r->type_id);
	lname = lt ? btf__name_by_offset(local, lt->name_off) : NULL;
	err = lname ? spec_parse(local, r, &ls) : -EINVAL;
	if (err) {
		const char *acc = btf__name_by_offset(local, r->access_str_off);

		res->status = CORE_RES_ERROR;
		snprintf(res->what, sizeof(res->what), "type [%u] + %s (%s)", r->type_id, acc ? acc : "?",
			 core_relo_kind_name(r->kind));
		snprintf(res->why, sizeof(res->why), "the relocation record is malformed (libbpf cannot parse it)");
		return;
	}
	describe_spec(&ls, core_relo_kind_name(r->kind), res->what, sizeof(res->what));
	if (r->kind == BPF_CORE_TYPE_ID_LOCAL) {
		res->orig_val = res->new_val = ls.root_id;
		return;
	}
	if (!*lname) {
		res->status = CORE_RES_ERROR;
		snprintf(res->why, sizeof(res->why), "libbpf does not relocate anonymous types");
		return;
	}
	if (cc && cc->init) {
		n_cands = cc->n;
		memcpy(cands, cc->ids, n_cands * sizeof(cands[0]));
	} else {
		n_cands = core_index_find(ix, lname, core_essential_name_len(lname), btf_kind(lt), cands,
					  MAX_CANDS);
		if (n_cands > MAX_CANDS)
			n_cands = MAX_CANDS;
		if (cc) {
			cc->init = true;
			cc->n = (uint32_t)n_cands;
			memcpy(cc->ids, cands, n_cands * sizeof(cands[0]));
		}
	}
	res->n_cands = (uint32_t)n_cands;
	for (size_t i = 0; i < n_cands; i++) {
		err = spec_match(&ls, ix->btf, cands[i], &cs, NULL);
		if (err < 0) {
			res->status = CORE_RES_ERROR;
			snprintf(res->why, sizeof(res->why), "matching candidate [%u] failed: %s", cands[i],
				 strerror(-err));
			return;
		}
		if (err == 0)
			continue;
		err = calc_relo(r->kind, &ls, &cs, &c);
		if (err) {
			res->status = CORE_RES_ERROR;
			snprintf(res->why, sizeof(res->why), "cannot compute it against [%u]: %s", cands[i],
				 strerror(err < 0 ? -err : err));
			return;
		}
		if (j == 0) {
			best = c;
			ts = cs;
			res->targ_id = cands[i];
		} else if (cs.bit_off != ts.bit_off) {
			res->status = CORE_RES_ERROR;
			snprintf(res->why, sizeof(res->why),
				 "ambiguous: candidates [%u] and [%u] put the field at different offsets",
				 res->targ_id, cands[i]);
			return;
		} else if (c.poison != best.poison || c.val != best.val) {
			res->status = CORE_RES_ERROR;
			snprintf(res->why, sizeof(res->why), "ambiguous: candidates [%u] and [%u] give different values",
				 res->targ_id, cands[i]);
			return;
		}
		matched[j++] = cands[i];
	}
	res->n_matched = (uint32_t)j;
	/* libbpf keeps only the matching candidates for the type's next
	 * relocations (bpf_core_calc_relo_insn: cands->len = j). */
	if (cc && j > 0) {
		cc->n = (uint32_t)j;
		memcpy(cc->ids, matched, j * sizeof(matched[0]));
	}
	if (j == 0) {
		err = calc_relo(r->kind, &ls, NULL, &best);
		if (err) {
			res->status = CORE_RES_ERROR;
			snprintf(res->why, sizeof(res->why), "cannot compute it: %s", strerror(err < 0 ? -err : err));
			return;
		}
		/* A 0 from an exists-kind is an answer, still worth a why. */
		explain(&ls, ix->btf, cands, n_cands, res);
	}
	if (j > 0) {
		res->targ_root = ts.root_id;
		res->targ_raw_len = ts.raw_len;
		memcpy(res->targ_raw, ts.raw, (size_t)ts.raw_len * sizeof(ts.raw[0]));
	}
	res->orig_val = best.orig;
	res->new_val = best.val;
	res->orig_sz = best.orig_sz;
	res->new_sz = best.new_sz;
	res->fail_memsz = best.fail_memsz;
	res->status = best.poison ? CORE_RES_POISON : CORE_RES_OK;
}
