/* btf_minimize: a kernel's BTF cut down to what BPF objects' CO-RE
 * relocations touch, in process (bpftool gen min_core_btf's rules). */
#include "btf_minimize.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include "core_relo.h"
#include "core_resolve.h"

/* What is kept: types, and members of structs and unions. */
struct marks {
	const struct btf *btf;
	uint32_t n;		/* type count (ids 0..n-1) */
	uint8_t *type;		/* [id] */
	uint8_t **member;	/* [id]: NULL, or one byte per member */
	char *err;
	size_t err_len;
};

static int fail(struct marks *m, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, m->err_len, fmt, ap);
	va_end(ap);
	return rc;
}

static const struct btf_type *type_at(struct marks *m, uint32_t id)
{
	return id < m->n ? btf__type_by_id(m->btf, id) : NULL;
}

static void mark_member(struct marks *m, uint32_t id, int idx)
{
	const struct btf_type *t = type_at(m, id);

	if (!m->member[id])
		m->member[id] = calloc(btf_vlen(t) ? btf_vlen(t) : 1, 1);
	if (!m->member[id])
		abort();
	m->member[id][idx] = 1;
}

/* bpftool's btfgen_mark_type: the type and what it needs, pointers followed
 * only when FOLLOW_PTR; struct and union members are not. */
static int mark_type(struct marks *m, uint32_t id, bool follow_ptr, int depth)
{
	const struct btf_type *t;
	int rc = 0;

	if (id == 0)
		return 0;
	t = type_at(m, id);
	if (!t || depth > 1024)
		return fail(m, -EINVAL, "kernel BTF type [%u] is out of range or nested too deep", id);
	/* Seen with the same or a stronger walk: done (also ends cycles). */
	if (m->type[id] & (follow_ptr ? 2 : 1))
		return 0;
	m->type[id] |= follow_ptr ? 3 : 1;
	switch (btf_kind(t)) {
	case BTF_KIND_UNKN:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		break;
	case BTF_KIND_PTR:
		if (follow_ptr)
			rc = mark_type(m, t->type, follow_ptr, depth + 1);
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_TYPEDEF:
		rc = mark_type(m, t->type, follow_ptr, depth + 1);
		break;
	case BTF_KIND_ARRAY:
		rc = mark_type(m, btf_array(t)->type, follow_ptr, depth + 1);
		if (rc == 0)
			rc = mark_type(m, btf_array(t)->index_type, follow_ptr, depth + 1);
		break;
	case BTF_KIND_FUNC_PROTO:
		rc = mark_type(m, t->type, follow_ptr, depth + 1);
		for (uint16_t i = 0; i < btf_vlen(t) && rc == 0; i++)
			rc = mark_type(m, btf_params(t)[i].type, follow_ptr, depth + 1);
		break;
	default:
		/* What bpftool refuses too (FWD, FUNC, VAR, tags...). */
		return fail(m, -EINVAL, "kernel BTF type [%u] has a kind the minimizer cannot keep (%u)", id,
			    btf_kind(t));
	}
	return rc;
}

/* bpftool's btfgen_mark_type_match: all members, composites behind a
 * pointer left without theirs. Marks are not memoized here: bpftool walks
 * every time, and a type reached first behind a pointer must still get
 * its members when reached directly. */
static int mark_type_match(struct marks *m, uint32_t id, bool behind_ptr, int depth)
{
	const struct btf_type *t;
	int rc = 0;

	if (id == 0)
		return 0;
	t = type_at(m, id);
	if (!t)
		return fail(m, -EINVAL, "kernel BTF type [%u] is out of range", id);
	if (depth > 64)
		return fail(m, -ELOOP, "kernel BTF type [%u] is nested too deep for a type-matches relocation", id);
	m->type[id] |= 4;	/* kept; not a mark_type walk */
	switch (btf_kind(t)) {
	case BTF_KIND_UNKN:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (behind_ptr)
			break;
		for (uint16_t i = 0; i < btf_vlen(t) && rc == 0; i++) {
			mark_member(m, id, i);
			rc = mark_type_match(m, btf_members(t)[i].type, false, depth + 1);
		}
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_FWD:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
		rc = mark_type_match(m, t->type, behind_ptr, depth + 1);
		break;
	case BTF_KIND_PTR:
		rc = mark_type_match(m, t->type, true, depth + 1);
		break;
	case BTF_KIND_ARRAY:
		rc = mark_type_match(m, btf_array(t)->type, false, depth + 1);
		if (rc == 0)
			rc = mark_type_match(m, btf_array(t)->index_type, false, depth + 1);
		break;
	case BTF_KIND_FUNC_PROTO:
		rc = mark_type_match(m, t->type, false, depth + 1);
		for (uint16_t i = 0; i < btf_vlen(t) && rc == 0; i++)
			rc = mark_type_match(m, btf_params(t)[i].type, false, depth + 1);
		break;
	default:
		return fail(m, -EINVAL, "kernel BTF type [%u] has a kind the minimizer cannot keep (%u)", id,
			    btf_kind(t));
	}
	return rc;
}

/* bpftool's btfgen_record_field_relo: the root, then along the target's raw
 * access path each member and its type; array steps go to the element. */
static int mark_field(struct marks *m, const struct core_res *res)
{
	uint32_t id = res->targ_root;
	const struct btf_type *t = type_at(m, id);
	int rc = mark_type(m, id, false, 0);

	for (int i = 1; i < res->targ_raw_len && rc == 0; i++) {
		while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
			id = t->type;
			t = type_at(m, id);
		}
		if (!t)
			return fail(m, -EINVAL, "kernel BTF type [%u] is out of range", id);
		if (btf_is_composite(t)) {
			int idx = res->targ_raw[i];

			if (idx < 0 || idx >= btf_vlen(t))
				return fail(m, -EINVAL, "member %d of kernel type [%u] is out of range", idx, id);
			mark_member(m, id, idx);
			id = btf_members(t)[idx].type;
			t = type_at(m, id);
			rc = mark_type(m, id, false, 0);
		} else if (btf_is_array(t)) {
			id = btf_array(t)->type;
			t = type_at(m, id);
		} else {
			return fail(m, -EINVAL, "kernel BTF type [%u] cannot be accessed into (kind %u)", id,
				    btf_kind(t));
		}
	}
	return rc;
}

static int mark_relo(struct marks *m, uint32_t kind, const struct core_res *res)
{
	if (!res->targ_root)
		return 0;	/* nothing matched: nothing to keep */
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
	case BPF_CORE_FIELD_BYTE_SIZE:
	case BPF_CORE_FIELD_EXISTS:
	case BPF_CORE_FIELD_SIGNED:
	case BPF_CORE_FIELD_LSHIFT_U64:
	case BPF_CORE_FIELD_RSHIFT_U64:
		return mark_field(m, res);
	case BPF_CORE_TYPE_ID_TARGET:
	case BPF_CORE_TYPE_EXISTS:
	case BPF_CORE_TYPE_SIZE:
		return mark_type(m, res->targ_root, true, 0);
	case BPF_CORE_TYPE_MATCHES:
		return mark_type_match(m, res->targ_root, false, 0);
	case BPF_CORE_ENUMVAL_EXISTS:
	case BPF_CORE_ENUMVAL_VALUE:
		return mark_type(m, res->targ_root, false, 0);
	default:
		return fail(m, -EINVAL, "unknown CO-RE relocation kind %u", kind);
	}
}

static void remap(uint32_t *id, const uint32_t *ids, uint32_t n)
{
	*id = *id < n ? ids[*id] : 0;
}

/* Type ids in the new BTF are still the kernel's: renumber them; a type that
 * was not kept becomes void, as in bpftool. */
static void remap_type(struct btf_type *t, const uint32_t *ids, uint32_t n)
{
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		remap(&t->type, ids, n);
		break;
	case BTF_KIND_ARRAY:
		remap(&btf_array(t)->type, ids, n);
		remap(&btf_array(t)->index_type, ids, n);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			remap(&btf_members(t)[i].type, ids, n);
		break;
	case BTF_KIND_FUNC_PROTO:
		remap(&t->type, ids, n);
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			remap(&btf_params(t)[i].type, ids, n);
		break;
	case BTF_KIND_DATASEC:
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			remap(&btf_var_secinfos(t)[i].type, ids, n);
		break;
	default:
		break;
	}
}

static struct btf *build(struct marks *m)
{
	struct btf *out = btf__new_empty();
	uint32_t *ids;
	int rc = 0;

	if (!out) {
		fail(m, -ENOMEM, "cannot make a BTF: %s", strerror(errno));
		return NULL;
	}
	ids = calloc(m->n, sizeof(*ids));
	if (!ids)
		abort();
	for (uint32_t id = 1; id < m->n && rc >= 0; id++) {
		const struct btf_type *t = btf__type_by_id(m->btf, id);
		const char *name;

		if (!m->type[id])
			continue;
		name = btf__name_by_offset(m->btf, t->name_off);
		if (btf_is_composite(t)) {
			rc = btf_is_struct(t) ? btf__add_struct(out, name, t->size) : btf__add_union(out, name, t->size);
			if (rc < 0)
				break;
			ids[id] = (uint32_t)rc;
			for (uint16_t i = 0; i < btf_vlen(t) && m->member[id] && rc >= 0; i++) {
				const struct btf_member *mb = btf_members(t) + i;

				if (!m->member[id][i])
					continue;
				rc = btf__add_field(out, btf__name_by_offset(m->btf, mb->name_off), (int)mb->type,
						    btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i));
			}
		} else {
			rc = btf__add_type(out, m->btf, t);
			if (rc >= 0)
				ids[id] = (uint32_t)rc;
		}
	}
	if (rc < 0) {
		fail(m, rc, "cannot add a type to the minimized BTF: %s", strerror(-rc));
		btf__free(out);
		free(ids);
		return NULL;
	}
	for (uint32_t id = 1; id < btf__type_cnt(out); id++)
		remap_type((struct btf_type *)btf__type_by_id(out, id), ids, m->n);
	free(ids);
	return out;
}

int btf_minimize(const struct core_index *ix, const struct bpfobj *const objs[], size_t n_objs,
		 struct btf **out, char *err, size_t err_len)
{
	const struct btf *kbtf = core_index_btf(ix);
	struct marks m = { .btf = kbtf, .n = btf__type_cnt(kbtf), .err = err, .err_len = err_len };
	int rc = 0;

	*out = NULL;
	if (err_len)
		err[0] = '\0';
	m.type = calloc(m.n, 1);
	m.member = calloc(m.n, sizeof(*m.member));
	if (!m.type || !m.member)
		abort();
	for (size_t o = 0; o < n_objs && rc == 0; o++) {
		const struct bpfobj *obj = objs[o];
		/* Candidates per local type, pruned as bpftool prunes them. */
		uint32_t n_local = obj->btf ? btf__type_cnt(obj->btf) : 0;
		struct core_cands **cands = calloc(n_local ? n_local : 1, sizeof(*cands));

		if (!cands)
			abort();
		for (size_t s = 0; s < obj->ext.n && rc == 0; s++) {
			const struct core_ext_sec *sec = &obj->ext.secs[s];

			for (size_t r = 0; r < sec->n_relos && rc == 0; r++) {
				const struct core_relo *relo = &sec->relos[r];
				struct core_cands *cc = NULL;
				struct core_res res;

				/* Needs nothing of the kernel. */
				if (relo->kind == BPF_CORE_TYPE_ID_LOCAL)
					continue;
				if (relo->type_id < n_local) {
					if (!cands[relo->type_id] && !(cands[relo->type_id] = calloc(1, sizeof(**cands))))
						abort();
					cc = cands[relo->type_id];
				}
				core_resolve_cached(obj->btf, relo, ix, cc, &res);
				if (res.status == CORE_RES_ERROR) {
					rc = fail(&m, -EINVAL, "%s: %s: %s: %s", obj->name, sec->name, res.what, res.why);
					break;
				}
				rc = mark_relo(&m, relo->kind, &res);
			}
		}
		for (uint32_t i = 0; i < n_local; i++)
			free(cands[i]);
		free(cands);
	}
	if (rc == 0) {
		*out = build(&m);
		if (!*out)
			rc = -EINVAL;
	}
	for (uint32_t i = 0; i < m.n; i++)
		free(m.member[i]);
	free(m.member);
	free(m.type);
	return rc;
}

uint32_t btf_minimize_kinds(const struct bpfobj *const objs[], size_t n_objs)
{
	uint32_t kinds = 0;

	for (size_t o = 0; o < n_objs; o++) {
		const struct bpfobj *obj = objs[o];

		for (size_t s = 0; s < obj->ext.n && obj->btf; s++) {
			const struct core_ext_sec *sec = &obj->ext.secs[s];

			for (size_t r = 0; r < sec->n_relos; r++) {
				const struct btf_type *t = btf__type_by_id(obj->btf, sec->relos[r].type_id);

				if (!t)
					continue;
				kinds |= 1u << btf_kind(t);
				if (btf_is_any_enum(t))
					kinds |= 1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64;
			}
		}
	}
	return kinds;
}

/* ---- the canonical dump --------------------------------------------------- */

static void canon_ref(const struct btf *b, uint32_t id, struct buf *out, int depth);

static const char *kind_tag(int kind)
{
	static const char *const tags[] = {
		[BTF_KIND_UNKN] = "unkn", [BTF_KIND_INT] = "int", [BTF_KIND_PTR] = "ptr",
		[BTF_KIND_ARRAY] = "array", [BTF_KIND_STRUCT] = "struct", [BTF_KIND_UNION] = "union",
		[BTF_KIND_ENUM] = "enum", [BTF_KIND_FWD] = "fwd", [BTF_KIND_TYPEDEF] = "typedef",
		[BTF_KIND_VOLATILE] = "volatile", [BTF_KIND_CONST] = "const", [BTF_KIND_RESTRICT] = "restrict",
		[BTF_KIND_FUNC] = "func", [BTF_KIND_FUNC_PROTO] = "proto", [BTF_KIND_VAR] = "var",
		[BTF_KIND_DATASEC] = "datasec", [BTF_KIND_FLOAT] = "float", [BTF_KIND_DECL_TAG] = "decl_tag",
		[BTF_KIND_TYPE_TAG] = "type_tag", [BTF_KIND_ENUM64] = "enum64",
	};

	return kind >= 0 && (size_t)kind < sizeof(tags) / sizeof(tags[0]) && tags[kind] ? tags[kind] : "?";
}

/* The whole of type ID: kind, name, shape, with the types it refers to by
 * reference (canon_ref). */
static void canon_full(const struct btf *b, uint32_t id, struct buf *out, int depth)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	uint16_t vlen;

	if (!t) {
		buf_printf(out, "<bad %u>", id);
		return;
	}
	vlen = btf_vlen(t);
	buf_printf(out, "%s '%s'", kind_tag(btf_kind(t)), btf__name_by_offset(b, t->name_off));
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		buf_printf(out, " size=%u enc=%#x", t->size, *(const uint32_t *)(t + 1));
		break;
	case BTF_KIND_FLOAT:
	case BTF_KIND_FWD:
		buf_printf(out, " size=%u kflag=%d", btf_is_fwd(t) ? 0 : t->size, btf_kflag(t));
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		buf_printf(out, " size=%u {", t->size);
		for (uint16_t i = 0; i < vlen; i++) {
			buf_printf(out, " '%s':", btf__name_by_offset(b, btf_members(t)[i].name_off));
			canon_ref(b, btf_members(t)[i].type, out, depth + 1);
			buf_printf(out, "@%u:%u;", btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i));
		}
		buf_append_str(out, " }");
		break;
	case BTF_KIND_ENUM:
		buf_printf(out, " size=%u signed=%d {", t->size, btf_kflag(t));
		for (uint16_t i = 0; i < vlen; i++)
			buf_printf(out, " %s=%d", btf__name_by_offset(b, btf_enum(t)[i].name_off), btf_enum(t)[i].val);
		buf_append_str(out, " }");
		break;
	case BTF_KIND_ENUM64:
		buf_printf(out, " size=%u signed=%d {", t->size, btf_kflag(t));
		for (uint16_t i = 0; i < vlen; i++)
			buf_printf(out, " %s=%llu", btf__name_by_offset(b, btf_enum64(t)[i].name_off),
				   (unsigned long long)btf_enum64_value(btf_enum64(t) + i));
		buf_append_str(out, " }");
		break;
	case BTF_KIND_ARRAY:
		buf_printf(out, " [%u] of ", btf_array(t)->nelems);
		canon_ref(b, btf_array(t)->type, out, depth + 1);
		buf_append_str(out, " by ");
		canon_ref(b, btf_array(t)->index_type, out, depth + 1);
		break;
	case BTF_KIND_FUNC_PROTO:
		buf_append_str(out, " (");
		for (uint16_t i = 0; i < vlen; i++) {
			buf_printf(out, " '%s':", btf__name_by_offset(b, btf_params(t)[i].name_off));
			canon_ref(b, btf_params(t)[i].type, out, depth + 1);
		}
		buf_append_str(out, " ) -> ");
		canon_ref(b, t->type, out, depth + 1);
		break;
	case BTF_KIND_DATASEC:
		buf_printf(out, " size=%u {", t->size);
		for (uint16_t i = 0; i < vlen; i++) {
			buf_append_str(out, " ");
			canon_ref(b, btf_var_secinfos(t)[i].type, out, depth + 1);
			buf_printf(out, "@%u+%u", btf_var_secinfos(t)[i].offset, btf_var_secinfos(t)[i].size);
		}
		buf_append_str(out, " }");
		break;
	case BTF_KIND_VAR:
		buf_printf(out, " linkage=%u ", btf_var(t)->linkage);
		canon_ref(b, t->type, out, depth + 1);
		break;
	case BTF_KIND_FUNC:
		buf_printf(out, " linkage=%u ", btf_vlen(t));
		canon_ref(b, t->type, out, depth + 1);
		break;
	case BTF_KIND_DECL_TAG:
		buf_printf(out, " idx=%d ", btf_decl_tag(t)->component_idx);
		canon_ref(b, t->type, out, depth + 1);
		break;
	default:	/* PTR, TYPEDEF, modifiers, TYPE_TAG */
		buf_append_str(out, " -> ");
		canon_ref(b, t->type, out, depth + 1);
		break;
	}
}

/* A reference: named types by kind and name (their own line says the
 * rest), anonymous ones spelled out. */
static void canon_ref(const struct btf *b, uint32_t id, struct buf *out, int depth)
{
	const struct btf_type *t;

	if (id == 0) {
		buf_append_str(out, "void");
		return;
	}
	t = btf__type_by_id(b, id);
	if (!t) {
		buf_printf(out, "<bad %u>", id);
		return;
	}
	if (depth > 32) {
		buf_append_str(out, "<deep>");
		return;
	}
	if (t->name_off && btf_kind(t) != BTF_KIND_FUNC_PROTO) {
		buf_printf(out, "%s '%s'", kind_tag(btf_kind(t)), btf__name_by_offset(b, t->name_off));
		return;
	}
	buf_append_str(out, "(");
	canon_full(b, id, out, depth);
	buf_append_str(out, ")");
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void btf_canon_dump(const struct btf *btf, struct buf *out)
{
	uint32_t n = btf__type_cnt(btf);
	char **lines = calloc(n ? n : 1, sizeof(*lines));
	size_t k = 0;

	if (!lines)
		abort();
	buf_reset(out);
	for (uint32_t id = 1; id < n; id++) {
		struct buf l = {0};

		canon_full(btf, id, &l, 0);
		lines[k++] = l.data ? l.data : strdup("");
	}
	qsort(lines, k, sizeof(*lines), line_cmp);
	for (size_t i = 0; i < k; i++) {
		buf_append_str(out, lines[i]);
		buf_append_str(out, "\n");
		free(lines[i]);
	}
	free(lines);
}
