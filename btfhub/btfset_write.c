/* btfset_write: turns (kernel key, minimized BTF) pairs into the embedded BTF
 * set read by runtime/btfset.c.
 *
 * Why the canonical order: `bpftool gen min_core_btf` keeps the types in the
 * order of the kernel they came from, so the minimized BTF of 6.1 and 6.12
 * (same structs, same members) differ in almost every type ID and string
 * offset, and zstd sees two unrelated blobs. Renumbering the types in an
 * order that depends only on names and structure (a depth-first walk from the
 * named types sorted by name) and rebuilding the string table in that order
 * makes such blobs differ only where the kernels really differ (offsets and
 * sizes); measured on the Debian corpus it shrinks the compressed set by a
 * quarter, and kernels whose BTF differed only in order become one blob.
 * The renumbered BTF is the same type graph: every type keeps its kind,
 * name, sizes, offsets and members, and every reference points at the
 * renumbered target. libbpf's CO-RE matching goes by names and structure,
 * never by IDs, so the result relocates exactly as the original. Each
 * renumbering is checked against the original through libbpf's own parser
 * before it is used; anything unexpected keeps the original bytes. */
#include "btfset_write.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* magicless frames, raw-content dictionaries */
#include <zstd.h>

#include "../lib/report.h"
#include "../runtime/btfset.h"
#include "btf_walk.h"
#include "embed.h"
#include "../formats/elf_file.h"

struct btfset_builder_kernel {
	struct btf_key key;
	size_t blob;
};

struct btfset_builder_blob {
	unsigned char *data;
	size_t size;
	uint32_t crc;
};

/* ---- little helpers ---------------------------------------------------- */

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Unsigned LEB128: 7 bits a byte, low first, high bit set on all but the last. */
static void buf_put_varint(struct buf *b, uint32_t v)
{
	unsigned char out[5];
	size_t n = 0;

	do {
		out[n] = v & 0x7f;
		v >>= 7;
		if (v)
			out[n] |= 0x80;
		n++;
	} while (v);
	buf_append(b, out, n);
}

static uint32_t crc32_more(uint32_t crc0, const void *data, size_t len)
{
	const unsigned char *p = data;
	uLong crc = crc0;

	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

static uint32_t crc32_of(const void *data, size_t len)
{
	return crc32_more((uint32_t)crc32(0L, Z_NULL, 0), data, len);
}

/* A string table that stores each distinct string once, in order of first
 * use, with a hash index so big inputs stay linear. */
struct strtab {
	struct buf bytes;
	uint32_t *slots;	/* offset + 1; 0 = empty */
	size_t nslots, used;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void strtab_grow(struct strtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 256, i;
	uint32_t *slots = xcalloc(n, sizeof(*slots));

	for (i = 0; i < t->nslots; i++) {
		uint32_t v = t->slots[i];
		size_t j;

		if (!v)
			continue;
		j = str_hash(t->bytes.data + v - 1) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = v;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
}

static uint32_t strtab_intern(struct strtab *t, const char *s)
{
	size_t j;

	if ((t->used + 1) * 2 > t->nslots)
		strtab_grow(t);
	j = str_hash(s) & (t->nslots - 1);
	while (t->slots[j]) {
		uint32_t off = t->slots[j] - 1;

		if (strcmp(t->bytes.data + off, s) == 0)
			return off;
		j = (j + 1) & (t->nslots - 1);
	}
	t->slots[j] = (uint32_t)t->bytes.len + 1;
	t->used++;
	buf_append(&t->bytes, s, strlen(s) + 1);
	return t->slots[j] - 1;
}

static void strtab_free(struct strtab *t)
{
	buf_free(&t->bytes);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- canonical type order ---------------------------------------------- */

struct canon_type {
	uint32_t off, len;	/* record within the type section */
	uint32_t kind, vlen;
};

struct canon {
	const unsigned char *types, *strs;
	uint32_t types_len, strs_len;
	struct canon_type *t;	/* t[1..n]; t[0] is void */
	uint32_t n;
	uint32_t *pos;		/* scratch for field offsets: 2 + 0xffff entries */
};

/* Offsets of the u32 fields holding string offsets. */
static size_t canon_type_names(const struct canon_type *t, uint32_t *pos)
{
	size_t n = 0;
	uint32_t i;

	pos[n++] = 0;
	switch (t->kind) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM64:
		for (i = 0; i < t->vlen; i++)
			pos[n++] = 12 + 12 * i;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		for (i = 0; i < t->vlen; i++)
			pos[n++] = 12 + 8 * i;
		break;
	default:
		break;
	}
	return n;
}

static const char *canon_str(const struct canon *c, uint32_t off)
{
	if (off >= c->strs_len || !memchr(c->strs + off, '\0', c->strs_len - off))
		return NULL;
	return (const char *)c->strs + off;
}

/* Splits a little-endian BTF blob into records. false: not a layout this code
 * renumbers (other endianness, a longer header, an unknown kind, a reference
 * out of range) — the caller then keeps the blob as it is. */
static bool canon_parse(struct canon *c, const unsigned char *blob, size_t size)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len, off = 0, cap = 64;
	uint32_t *pos, i;

	memset(c, 0, sizeof(*c));
	if (size < 24 || rd32(blob) != (BTF_MAGIC | (uint32_t)BTF_VERSION << 16))
		return false;
	hdr_len = rd32(blob + 4);
	type_off = rd32(blob + 8);
	type_len = rd32(blob + 12);
	str_off = rd32(blob + 16);
	str_len = rd32(blob + 20);
	if (hdr_len != 24 || type_len % 4 ||
	    (uint64_t)hdr_len + type_off + type_len > size ||
	    (uint64_t)hdr_len + str_off + str_len > size || str_len == 0)
		return false;
	c->types = blob + hdr_len + type_off;
	c->types_len = type_len;
	c->strs = blob + hdr_len + str_off;
	c->strs_len = str_len;
	c->t = xcalloc(cap, sizeof(*c->t));
	c->pos = pos = xcalloc(2 + 0x10000, sizeof(*c->pos));
	while (off < type_len) {
		struct canon_type t;
		uint32_t info;
		long extra;

		if (type_len - off < 12)
			goto fail;
		info = rd32(c->types + off + 4);
		t.kind = (info >> 24) & 0x1f;
		t.vlen = info & 0xffff;
		extra = btf_walk_extra_len(t.kind, t.vlen);
		if (extra < 0 || (uint64_t)type_len - off - 12 < (uint64_t)extra)
			goto fail;
		t.off = off;
		t.len = 12 + (uint32_t)extra;
		off += t.len;
		if (c->n + 2 > cap) {
			cap *= 2;
			c->t = xrealloc(c->t, cap * sizeof(*c->t));
		}
		c->t[++c->n] = t;
	}
	for (i = 1; i <= c->n; i++) {
		size_t k, nref = btf_walk_type_refs(c->t[i].kind, c->t[i].vlen, pos);

		for (k = 0; k < nref; k++)
			if (rd32(c->types + c->t[i].off + pos[k]) > c->n)
				goto fail;
		nref = canon_type_names(&c->t[i], pos);
		for (k = 0; k < nref; k++)
			if (!canon_str(c, rd32(c->types + c->t[i].off + pos[k])))
				goto fail;
	}
	return true;
fail:
	free(c->t);
	free(c->pos);
	c->t = NULL;
	c->pos = NULL;
	return false;
}

static int canon_root_cmp(const void *a, const void *b, void *ctx)
{
	const struct canon *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(canon_str(c, rd32(c->types + c->t[x].off)),
		       canon_str(c, rd32(c->types + c->t[y].off)));

	if (r)
		return r;
	if (c->t[x].kind != c->t[y].kind)
		return c->t[x].kind < c->t[y].kind ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Computes ORDER (new position -> old ID, n entries): depth-first from the
 * named types sorted by (name, kind), children in member order; types no
 * named type reaches follow in their old order. */
static void canon_order(const struct canon *c, uint32_t *order)
{
	uint32_t *roots = xcalloc(c->n + 1, sizeof(*roots));
	bool *seen = xcalloc(c->n + 1, sizeof(*seen));
	uint32_t *stack = NULL, *pos = c->pos;
	size_t nroots = 0, sp = 0, cap = 0, nout = 0, i, r;

	for (i = 1; i <= c->n; i++)
		if (*canon_str(c, rd32(c->types + c->t[i].off)))
			roots[nroots++] = i;
	qsort_r(roots, nroots, sizeof(*roots), canon_root_cmp, (void *)c);
	for (i = 1; i <= c->n; i++)
		if (!*canon_str(c, rd32(c->types + c->t[i].off)))
			roots[nroots++] = i;

	seen[0] = true;	/* void keeps ID 0 */
	for (r = 0; r < nroots; r++) {
		if (seen[roots[r]])
			continue;
		sp = 0;
		if (cap < 1) {
			cap = 64;
			stack = xrealloc(stack, cap * sizeof(*stack));
		}
		stack[sp++] = roots[r];
		while (sp) {
			uint32_t id = stack[--sp];
			size_t k, nref;

			if (seen[id])
				continue;
			seen[id] = true;
			order[nout++] = id;
			nref = btf_walk_type_refs(c->t[id].kind, c->t[id].vlen, pos);
			if (sp + nref > cap) {
				cap = (sp + nref) * 2;
				stack = xrealloc(stack, cap * sizeof(*stack));
			}
			/* Reversed, so the first member's type is visited first. */
			for (k = nref; k-- > 0;) {
				uint32_t ref = rd32(c->types + c->t[id].off + pos[k]);

				if (!seen[ref])
					stack[sp++] = ref;
			}
		}
	}
	free(stack);
	free(seen);
	free(roots);
}

/* Writes the renumbered BTF to OUT; NEWID maps old IDs to new ones. */
static void canon_emit(const struct canon *c, const uint32_t *order, const uint32_t *newid,
		       struct buf *out)
{
	struct strtab st = { 0 };
	struct buf types = { 0 };
	unsigned char hdr[24];
	uint32_t *pos = c->pos;
	size_t i, k, n;

	strtab_intern(&st, "");
	for (i = 0; i < c->n; i++) {
		const struct canon_type *t = &c->t[order[i]];
		unsigned char *rec = xmalloc(t->len);

		memcpy(rec, c->types + t->off, t->len);
		n = btf_walk_type_refs(t->kind, t->vlen, pos);
		for (k = 0; k < n; k++)
			wr32(rec + pos[k], newid[rd32(rec + pos[k])]);
		n = canon_type_names(t, pos);
		for (k = 0; k < n; k++)
			wr32(rec + pos[k], strtab_intern(&st, canon_str(c, rd32(rec + pos[k]))));
		buf_append(&types, rec, t->len);
		free(rec);
	}
	wr32(hdr, BTF_MAGIC | (uint32_t)BTF_VERSION << 16);	/* magic, version, flags 0 */
	wr32(hdr + 4, 24);
	wr32(hdr + 8, 0);
	wr32(hdr + 12, (uint32_t)types.len);
	wr32(hdr + 16, (uint32_t)types.len);
	wr32(hdr + 20, (uint32_t)st.bytes.len);
	buf_append(out, hdr, sizeof(hdr));
	buf_append(out, types.data, types.len);
	buf_append(out, st.bytes.data, st.bytes.len);
	buf_free(&types);
	strtab_free(&st);
}

static bool same_name(const struct btf *a, uint32_t na, const struct btf *b, uint32_t nb)
{
	const char *x = btf__name_by_offset(a, na), *y = btf__name_by_offset(b, nb);

	return x && y && strcmp(x, y) == 0;
}

/* Checks, through libbpf's parser, that type I of A is type NEWID[I] of B for
 * every I: same kind, flags, name, size and members, references mapped. */
static bool canon_verify(const struct btf *a, const struct btf *b, const uint32_t *newid)
{
	uint32_t n = btf__type_cnt(a), i, j;

	if (btf__type_cnt(b) != n)
		return false;
	for (i = 1; i < n; i++) {
		const struct btf_type *x = btf__type_by_id(a, i), *y = btf__type_by_id(b, newid[i]);
		uint16_t vlen;

		if (!x || !y || x->info != y->info || !same_name(a, x->name_off, b, y->name_off))
			return false;
		vlen = btf_vlen(x);
		switch (btf_kind(x)) {
		case BTF_KIND_PTR:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_FUNC:
		case BTF_KIND_TYPE_TAG:
			if (newid[x->type] != y->type)
				return false;
			break;
		case BTF_KIND_VAR:
			if (newid[x->type] != y->type || btf_var(x)->linkage != btf_var(y)->linkage)
				return false;
			break;
		case BTF_KIND_DECL_TAG:
			if (newid[x->type] != y->type ||
			    btf_decl_tag(x)->component_idx != btf_decl_tag(y)->component_idx)
				return false;
			break;
		case BTF_KIND_INT:
			if (x->size != y->size || memcmp(x + 1, y + 1, sizeof(uint32_t)))
				return false;
			break;
		case BTF_KIND_FWD:
		case BTF_KIND_FLOAT:
			if (x->size != y->size)
				return false;
			break;
		case BTF_KIND_ARRAY:
			if (newid[btf_array(x)->type] != btf_array(y)->type ||
			    newid[btf_array(x)->index_type] != btf_array(y)->index_type ||
			    btf_array(x)->nelems != btf_array(y)->nelems)
				return false;
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (x->size != y->size)
				return false;
			for (j = 0; j < vlen; j++) {
				const struct btf_member *m = btf_members(x) + j, *o = btf_members(y) + j;

				if (newid[m->type] != o->type || m->offset != o->offset ||
				    !same_name(a, m->name_off, b, o->name_off))
					return false;
			}
			break;
		case BTF_KIND_ENUM:
			if (x->size != y->size)
				return false;
			for (j = 0; j < vlen; j++) {
				const struct btf_enum *m = btf_enum(x) + j, *o = btf_enum(y) + j;

				if (m->val != o->val || !same_name(a, m->name_off, b, o->name_off))
					return false;
			}
			break;
		case BTF_KIND_ENUM64:
			if (x->size != y->size)
				return false;
			for (j = 0; j < vlen; j++) {
				const struct btf_enum64 *m = btf_enum64(x) + j, *o = btf_enum64(y) + j;

				if (m->val_lo32 != o->val_lo32 || m->val_hi32 != o->val_hi32 ||
				    !same_name(a, m->name_off, b, o->name_off))
					return false;
			}
			break;
		case BTF_KIND_FUNC_PROTO:
			if (newid[x->type] != y->type)
				return false;
			for (j = 0; j < vlen; j++) {
				const struct btf_param *m = btf_params(x) + j, *o = btf_params(y) + j;

				if (newid[m->type] != o->type || !same_name(a, m->name_off, b, o->name_off))
					return false;
			}
			break;
		case BTF_KIND_DATASEC:
			if (x->size != y->size)
				return false;
			for (j = 0; j < vlen; j++) {
				const struct btf_var_secinfo *m = btf_var_secinfos(x) + j;
				const struct btf_var_secinfo *o = btf_var_secinfos(y) + j;

				if (newid[m->type] != o->type || m->offset != o->offset ||
				    m->size != o->size)
					return false;
			}
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Sets OUT to the canonical form of BLOB, or to BLOB itself when it is not a
 * layout canon_parse renumbers or the renumbering does not verify. ORIG is
 * BLOB parsed by libbpf. */
static void canon_blob(const struct btf *orig, const unsigned char *blob, size_t size,
		       struct buf *out)
{
	struct canon c;
	uint32_t *order, *newid, i;
	struct btf *check;
	bool ok = false;

	if (canon_parse(&c, blob, size)) {
		order = xcalloc(c.n + 1, sizeof(*order));
		newid = xcalloc(c.n + 1, sizeof(*newid));
		canon_order(&c, order);
		for (i = 0; i < c.n; i++)
			newid[order[i]] = i + 1;
		canon_emit(&c, order, newid, out);
		check = btf__new(out->data, out->len);
		ok = check && canon_verify(orig, check, newid);
		btf__free(check);
		free(order);
		free(newid);
		free(c.t);
		free(c.pos);
	}
	if (!ok) {
		report_debug("keeping a BTF blob in its original type order");
		buf_reset(out);
		buf_append(out, blob, size);
	}
}

/* ---- string order of the dictionary ------------------------------------ */

/* The string table of the BTF of the ELF object OBJ (a set's dictionary),
 * into OUT; left empty when OBJ has no readable little-endian BTF. */
static void dict_btf_strings(const void *obj, size_t size, struct buf *out)
{
	struct buf btf = { 0 };
	const unsigned char *p;
	uint32_t hl, so, sl;

	buf_reset(out);
	if (size < 4 || memcmp(obj, "\x7f" "ELF", 4) ||
	    elf_mem_read_section(obj, size, "the BPF object", ".BTF", &btf) != 0 || btf.len < 24)
		goto out;
	p = (const unsigned char *)btf.data;
	hl = rd32(p + 4);
	so = rd32(p + 16);
	sl = rd32(p + 20);
	if (rd32(p) == (BTF_MAGIC | (uint32_t)BTF_VERSION << 16) && sl &&
	    (uint64_t)hl + so + sl <= btf.len && p[hl + so + sl - 1] == '\0')
		buf_append(out, p + hl + so, sl);
out:
	buf_free(&btf);
}

struct str_rank {
	uint32_t off;	/* in the blob's string table */
	size_t rank;	/* in the object's, SIZE_MAX when it has no such string */
};

static int str_rank_cmp(const void *a, const void *b)
{
	const struct str_rank *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Appends to OUT the BTF BLOB with its string table in the order the same
 * strings have in DSTRS (the object's BTF string table; those it lacks
 * follow in their own order). A small tool's minimized BTF names types and
 * members the object names too, so the names then come in runs that zstd
 * copies from the dictionary in one match, not one match per name. Only the
 * string table moves; the check against libbpf's parse of BLOB is the one
 * the canonical order passes. Anything unexpected appends BLOB as it is. */
static void order_strings_like(const unsigned char *blob, size_t size, const struct buf *dstrs,
			       struct buf *out)
{
	struct str_rank *r = NULL;
	uint32_t *map = NULL, *ident = NULL, off, i, k, n = 0, at;
	size_t start = out->len, pos_n, j;
	struct btf *orig = NULL, *check = NULL;
	unsigned char *nb;
	struct canon c;
	bool ok = false;

	if (!dstrs->len || !canon_parse(&c, blob, size)) {
		buf_append(out, blob, size);
		return;
	}
	r = xcalloc(c.strs_len, sizeof(*r));
	for (off = 1; off < c.strs_len; off += (uint32_t)strlen((const char *)c.strs + off) + 1) {
		const char *str = (const char *)c.strs + off, *hit;
		size_t len = strlen(str);
		char *needle = xmalloc(len + 2);

		needle[0] = '\0';
		memcpy(needle + 1, str, len + 1);	/* "\0name\0": a whole string */
		hit = memmem(dstrs->data, dstrs->len, needle, len + 2);
		free(needle);
		r[n].off = off;
		r[n].rank = hit ? (size_t)(hit - dstrs->data) : SIZE_MAX;
		n++;
	}
	qsort(r, n, sizeof(*r), str_rank_cmp);
	map = xcalloc(c.strs_len, sizeof(*map));
	buf_append(out, blob, size);
	nb = (unsigned char *)out->data + start;
	at = 1;
	for (i = 0; i < n; i++) {
		size_t len = strlen((const char *)c.strs + r[i].off) + 1;

		map[r[i].off] = at;
		memcpy(nb + (c.strs - blob) + at, c.strs + r[i].off, len);
		at += (uint32_t)len;
	}
	/* Every name must start a string of the table (the canonical one is
	 * built so); a name inside another string keeps the blob as it is. */
	for (k = 1; k <= c.n; k++) {
		pos_n = canon_type_names(&c.t[k], c.pos);
		for (j = 0; j < pos_n; j++) {
			unsigned char *f = nb + (c.types - blob) + c.t[k].off + c.pos[j];
			uint32_t old = rd32(f);

			if (old && !map[old])
				goto out;
			wr32(f, map[old]);
		}
	}
	orig = btf__new(blob, size);
	check = btf__new(nb, size);
	ident = xcalloc(c.n + 1, sizeof(*ident));
	for (k = 0; k <= c.n; k++)
		ident[k] = k;
	ok = orig && check && canon_verify(orig, check, ident);
out:
	if (!ok) {
		report_debug("keeping a BTF blob's string order");
		out->len = start;
		buf_append(out, blob, size);
	}
	btf__free(orig);
	btf__free(check);
	free(ident);
	free(map);
	free(r);
	free(c.t);
	free(c.pos);
}

/* ---- the builder --------------------------------------------------------- */

void btfset_builder_init(struct btfset_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->level = 19;
	b->canonical = 1;
}

void btfset_builder_free(struct btfset_builder *b)
{
	size_t i;

	for (i = 0; i < b->nblobs; i++)
		free(b->blobs[i].data);
	free(b->blobs);
	free(b->kernels);
	btfset_builder_init(b);
}

static int key_field_check(const char *field, size_t cap, const char *what, bool need)
{
	size_t len = strnlen(field, cap), i;

	if (len == cap) {
		report_error("BTF set: kernel %s is not terminated", what);
		return -EINVAL;
	}
	if (need && len == 0) {
		report_error("BTF set: kernel %s is empty", what);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)field[i] < 0x20 || field[i] == 0x7f) {
			report_error("BTF set: kernel %s contains a control character", what);
			return -EINVAL;
		}
	}
	return 0;
}

/* The set's kernel order: the reader's own (runtime/btfset.h). */
static int key_cmp(const struct btf_key *a, const struct btf_key *b)
{
	return btfset_key_order(a->distro, a->version, a->arch, a->release, b->distro, b->version,
				b->arch, b->release);
}

int btfset_builder_add(struct btfset_builder *b, const struct btf_key *key, const void *blob,
		       size_t size)
{
	struct buf canon = { 0 };
	struct btf *orig;
	size_t i, found = SIZE_MAX;
	uint32_t crc;
	int err;

	/* The reader limits match struct btf_key's fields. */
	_Static_assert(sizeof(key->distro) == BTFSET_MAX_DISTRO + 1, "distro size");
	_Static_assert(sizeof(key->version) == BTFSET_MAX_VERSION + 1, "version size");
	_Static_assert(sizeof(key->arch) == BTFSET_MAX_ARCH + 1, "arch size");
	_Static_assert(sizeof(key->release) == BTFSET_MAX_RELEASE + 1, "release size");

	if ((err = key_field_check(key->distro, sizeof(key->distro), "distro", false)) ||
	    (err = key_field_check(key->version, sizeof(key->version), "version", false)) ||
	    (err = key_field_check(key->arch, sizeof(key->arch), "arch", false)) ||
	    (err = key_field_check(key->release, sizeof(key->release), "release", true)))
		return err;
	if (size == 0 || size > BTFSET_MAX_PAYLOAD) {
		report_error("BTF set: BTF of %s has an invalid size (%zu bytes)", key->release, size);
		return -EINVAL;
	}
	orig = btf__new(blob, size);
	if (!orig) {
		err = -errno;
		report_error("BTF set: BTF of %s is not valid BTF: %s", key->release,
			     strerror(-err));
		return err;
	}
	if (b->canonical)
		canon_blob(orig, blob, size, &canon);
	else
		buf_append(&canon, blob, size);
	btf__free(orig);
	crc = crc32_of(canon.data, canon.len);

	for (i = 0; i < b->nblobs; i++) {
		const struct btfset_builder_blob *x = &b->blobs[i];

		if (x->crc == crc && x->size == canon.len && !memcmp(x->data, canon.data, canon.len)) {
			found = i;
			break;
		}
	}
	for (i = 0; i < b->nkernels; i++) {
		if (key_cmp(&b->kernels[i].key, key) == 0) {
			buf_free(&canon);
			if (b->kernels[i].blob == found)
				return 0;
			report_error("BTF set: two different BTFs for kernel %s/%s/%s/%s",
				     key->distro, key->version, key->arch, key->release);
			return -EEXIST;
		}
	}
	if (b->nkernels >= BTFSET_MAX_KERNELS) {
		buf_free(&canon);
		report_error("BTF set: more than %u kernels", BTFSET_MAX_KERNELS);
		return -E2BIG;
	}
	if (found == SIZE_MAX) {
		if (b->nblobs == b->blobs_cap) {
			b->blobs_cap = b->blobs_cap ? 2 * b->blobs_cap : 16;
			b->blobs = xrealloc(b->blobs, b->blobs_cap * sizeof(*b->blobs));
		}
		found = b->nblobs++;
		b->blobs[found].size = canon.len;
		b->blobs[found].crc = crc;
		b->blobs[found].data = (unsigned char *)canon.data;	/* takes the buffer */
		canon.data = NULL;
	}
	buf_free(&canon);
	if (b->nkernels == b->kernels_cap) {
		b->kernels_cap = b->kernels_cap ? 2 * b->kernels_cap : 16;
		b->kernels = xrealloc(b->kernels, b->kernels_cap * sizeof(*b->kernels));
	}
	b->kernels[b->nkernels].key = *key;
	b->kernels[b->nkernels].blob = found;
	b->nkernels++;
	b->raw_bytes += size;
	return 0;
}


static bool same_group(const struct btf_key *a, const struct btf_key *b)
{
	return !strcmp(a->distro, b->distro) && !strcmp(a->version, b->version) &&
	       !strcmp(a->arch, b->arch);
}

static int kernel_index_cmp(const void *a, const void *b, void *ctx)
{
	const struct btfset_builder *bl = ctx;

	return key_cmp(&bl->kernels[*(const size_t *)a].key, &bl->kernels[*(const size_t *)b].key);
}

/* Compresses SRC into OUT (appended) as one zstd frame that records its size. */
static int btfset_compress(const struct btfset_builder *b, const struct buf *src, struct buf *out)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(src->len), n;
	unsigned wlog = 10;
	char *dst;

	if (!cctx) {
		report_error("BTF set: cannot create a zstd context");
		return -ENOMEM;
	}
	/* A window that spans the whole payload and the dictionary (up to
	 * 128 MB, what any zstd decoder accepts by default), so the last blob
	 * can match the first and any blob any part of the dictionary;
	 * long-distance matching only pays off once the payload outgrows the
	 * level's own window. */
	while (wlog < 27 && ((size_t)1 << wlog) < src->len + b->dict_size)
		wlog++;
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, b->level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, (int)wlog);
	if (src->len > ((size_t)8 << 20))
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);	/* checks the payload */
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	if (b->dict_size) {
		/* The object as raw content: any of its bytes may be matched. */
		n = ZSTD_CCtx_loadDictionary_advanced(cctx, b->dict, b->dict_size, ZSTD_dlm_byRef,
						      ZSTD_dct_rawContent);
		if (ZSTD_isError(n)) {
			report_error("BTF set: zstd cannot use the BPF object as a dictionary: %s",
				     ZSTD_getErrorName(n));
			ZSTD_freeCCtx(cctx);
			return -EIO;
		}
	}
	dst = xmalloc(bound);
	n = ZSTD_compress2(cctx, dst, bound, src->data, src->len);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(n)) {
		report_error("BTF set: zstd compression failed: %s", ZSTD_getErrorName(n));
		free(dst);
		return -EIO;
	}
	buf_append(out, dst, n);
	free(dst);
	return 0;
}

void btfset_builder_set_dict(struct btfset_builder *b, const void *dict, size_t dict_size)
{
	b->dict = dict_size ? dict : NULL;
	b->dict_size = dict ? dict_size : 0;
}

int btfset_builder_write(struct btfset_builder *b, struct buf *out)
{
	size_t K = b->nkernels, B = b->nblobs, i, nb = 0, ngroups = 0;
	size_t *sorted, *blob_new;
	uint32_t *blob_old;
	struct buf payload = { 0 }, groups = { 0 }, comp = { 0 }, dstrs = { 0 };
	unsigned char hdr[BTFSET_HEADER_SIZE];
	int err;

	if (K == 0) {
		report_error("BTF set: no kernels to write");
		return -EINVAL;
	}
	sorted = xcalloc(K, sizeof(*sorted));
	for (i = 0; i < K; i++)
		sorted[i] = i;
	qsort_r(sorted, K, sizeof(*sorted), kernel_index_cmp, b);

	/* Blobs in order of first use by the sorted kernels: neighbouring
	 * kernels (same distro and version, close releases) have the most
	 * similar BTF, so zstd finds each blob's match close behind it. */
	blob_new = xcalloc(B, sizeof(*blob_new));
	blob_old = xcalloc(B, sizeof(*blob_old));
	for (i = 0; i < B; i++)
		blob_new[i] = SIZE_MAX;
	for (i = 0; i < K; i++) {
		size_t old = b->kernels[sorted[i]].blob;

		if (blob_new[old] == SIZE_MAX) {
			blob_new[old] = nb;
			blob_old[nb++] = (uint32_t)old;
		}
	}

	/* Kernels sharing distro, version and arch form one group that names
	 * them once. */
	for (i = 0; i < K; i++) {
		const struct btf_key *k = &b->kernels[sorted[i]].key;
		size_t j = i + 1;

		if (i > 0 && same_group(&b->kernels[sorted[i - 1]].key, k))
			continue;
		while (j < K && same_group(&b->kernels[sorted[j]].key, k))
			j++;
		buf_append(&groups, k->distro, strlen(k->distro) + 1);
		buf_append(&groups, k->version, strlen(k->version) + 1);
		buf_append(&groups, k->arch, strlen(k->arch) + 1);
		buf_put_varint(&groups, (uint32_t)(j - i));
		ngroups++;
	}

	buf_put_varint(&payload, (uint32_t)K);
	buf_put_varint(&payload, (uint32_t)nb);
	buf_put_varint(&payload, (uint32_t)ngroups);
	buf_append(&payload, groups.data, groups.len);
	for (i = 0; i < K; i++) {
		unsigned char le[4];

		wr32(le, (uint32_t)blob_new[b->kernels[sorted[i]].blob]);
		buf_append(&payload, le, nb <= 0x100 ? 1 : nb <= 0x10000 ? 2 : 4);
	}
	for (i = 0; i < nb; i++)
		buf_put_varint(&payload, (uint32_t)b->blobs[blob_old[i]].size);
	for (i = 0; i < K; i++) {
		const char *rel = b->kernels[sorted[i]].key.release;

		buf_append(&payload, rel, strlen(rel) + 1);
	}
	/* With a dictionary, the blobs' names in the object's order. */
	if (b->dict_size && b->canonical)
		dict_btf_strings(b->dict, b->dict_size, &dstrs);
	b->distinct_bytes = 0;
	for (i = 0; i < nb; i++) {
		b->distinct_bytes += b->blobs[blob_old[i]].size;
		order_strings_like(b->blobs[blob_old[i]].data, b->blobs[blob_old[i]].size, &dstrs,
				   &payload);
	}
	b->payload_bytes = payload.len;

	if (payload.len > BTFSET_MAX_PAYLOAD) {
		report_error("BTF set: %zu bytes of index and BTF is over the limit of %u",
			     payload.len, BTFSET_MAX_PAYLOAD);
		err = -E2BIG;
		goto out;
	}
	err = btfset_compress(b, &payload, &comp);
	if (err)
		goto out;

	memcpy(hdr, BTFSET_MAGIC, BTFSET_MAGIC_LEN);
	hdr[8] = BTFSET_VERSION & 0xff;
	hdr[9] = BTFSET_VERSION >> 8;
	hdr[10] = b->dict_size ? BTFSET_FLAG_DICT : 0;
	wr32(hdr + 11, b->dict_size ? crc32_of(b->dict, b->dict_size) : 0);
	wr32(hdr + 15, crc32_more(crc32_of(hdr, 15), comp.data, comp.len));
	buf_append(out, hdr, sizeof(hdr));
	buf_append(out, comp.data, comp.len);
out:
	buf_free(&payload);
	buf_free(&groups);
	buf_free(&comp);
	buf_free(&dstrs);
	free(blob_new);
	free(blob_old);
	free(sorted);
	return err;
}
