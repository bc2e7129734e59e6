/* bpfobj_canon: FWD records of a BPF object's BTF in a canonical order (see
 * bpfobj_canon.h for why). */
#include "bpfobj_canon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "../lib/buf.h"
#include "../lib/report.h"
#include "btf_walk.h"
#include "embed.h"
#include "../formats/elf_file.h"

struct fwd {
	uint32_t id;
	const char *name;
	uint32_t kflag;
};

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);	/* host order: BTF in another order is left alone */
	return v;
}

static void wr32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int fwd_cmp(const void *a, const void *b)
{
	const struct fwd *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->kflag > y->kflag) - (x->kflag < y->kflag);
}

/* True when a func_info or CO-RE relocation record of the .BTF.ext section
 * EXT names a type whose ID MOVED[] marks, or when EXT cannot be read. */
static bool ext_names_moved(const unsigned char *ext, size_t len, const bool *moved, uint32_t n)
{
	uint32_t hdr_len, sub[2][2];

	if (!ext)
		return false;
	if (len < 24 || rd32(ext) != (0xeB9F | 1u << 16) || (hdr_len = rd32(ext + 4)) > len ||
	    hdr_len < 24)
		return true;
	sub[0][0] = rd32(ext + 8);	/* func_info */
	sub[0][1] = rd32(ext + 12);
	sub[1][0] = hdr_len >= 32 ? rd32(ext + 24) : 0;	/* core_relo */
	sub[1][1] = hdr_len >= 32 ? rd32(ext + 28) : 0;
	for (int s = 0; s < 2; s++) {
		uint64_t off = (uint64_t)hdr_len + sub[s][0], end = off + sub[s][1];
		uint32_t rec;

		if (!sub[s][1])
			continue;
		if (end > len || sub[s][1] < 4)
			return true;
		rec = rd32(ext + off);
		off += 4;
		if (rec < 8)
			return true;
		while (off < end) {
			uint32_t num;

			if (end - off < 8)
				return true;
			num = rd32(ext + off + 4);
			off += 8;
			if ((uint64_t)num * rec > end - off)
				return true;
			for (uint32_t i = 0; i < num; i++, off += rec) {
				uint32_t id = rd32(ext + off + 4);

				if (id <= n && moved[id])
					return true;
			}
		}
	}
	return false;
}

/* The canonical type section for BTF (a copy of the section, LEN bytes) into
 * OUT; returns 1 when it differs from the original, 0 when the object is to
 * be left as it is, -EINVAL when BTF is not BTF. */
static int canon_types(const unsigned char *btf, size_t len, const unsigned char *ext,
		       size_t ext_len, struct buf *out)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len, n = 0, cap = 64, nf = 0;
	uint32_t *off = NULL, *kind = NULL, *vlen = NULL, *newid = NULL, *pos = NULL;
	const unsigned char *types;
	const char *strs;
	struct fwd *f = NULL;
	bool *moved = NULL;
	int rc = 0;

	if (len < 24)
		return -EINVAL;
	if ((rd32(btf) & 0xffff) != 0xeB9F)
		return 0;	/* another byte order than the host's: leave it */
	hdr_len = rd32(btf + 4);
	type_off = rd32(btf + 8);
	type_len = rd32(btf + 12);
	str_off = rd32(btf + 16);
	str_len = rd32(btf + 20);
	if (hdr_len < 24 || (uint64_t)hdr_len + type_off + type_len > len ||
	    (uint64_t)hdr_len + str_off + str_len > len || !str_len)
		return -EINVAL;
	types = btf + hdr_len + type_off;
	strs = (const char *)btf + hdr_len + str_off;
	if (strs[str_len - 1])
		return -EINVAL;

	off = xcalloc(cap, sizeof(*off));
	kind = xcalloc(cap, sizeof(*kind));
	vlen = xcalloc(cap, sizeof(*vlen));
	for (uint32_t o = 0; o < type_len;) {
		uint32_t info;
		long extra;

		if (type_len - o < 12) {
			rc = -EINVAL;
			goto out;
		}
		info = rd32(types + o + 4);
		if (++n >= cap) {
			cap *= 2;
			off = xrealloc(off, cap * sizeof(*off));
			kind = xrealloc(kind, cap * sizeof(*kind));
			vlen = xrealloc(vlen, cap * sizeof(*vlen));
		}
		off[n] = o;
		kind[n] = (info >> 24) & 0x1f;
		vlen[n] = info & 0xffff;
		extra = btf_walk_extra_len(kind[n], vlen[n]);
		if (extra < 0)
			goto out;	/* a kind this code does not know: leave it */
		if ((uint64_t)type_len - o < 12 + (uint64_t)extra) {
			rc = -EINVAL;
			goto out;
		}
		o += 12 + (uint32_t)extra;
	}

	f = xcalloc(n + 1, sizeof(*f));
	for (uint32_t id = 1; id <= n; id++) {
		uint32_t name = rd32(types + off[id]);

		if (kind[id] != BTF_KIND_FWD)
			continue;
		if (name >= str_len) {
			rc = -EINVAL;
			goto out;
		}
		f[nf].id = id;
		f[nf].name = strs + name;
		f[nf].kflag = rd32(types + off[id] + 4) >> 31;
		nf++;
	}
	if (nf < 2)
		goto out;
	newid = xcalloc(n + 1, sizeof(*newid));
	moved = xcalloc(n + 1, sizeof(*moved));
	for (uint32_t id = 0; id <= n; id++)
		newid[id] = id;
	{
		/* The positions stay (f[] lists them in ascending order); which
		 * FWD goes where follows the names. */
		uint32_t *at = xcalloc(nf, sizeof(*at));
		bool any = false;

		for (uint32_t k = 0; k < nf; k++)
			at[k] = f[k].id;
		qsort(f, nf, sizeof(*f), fwd_cmp);
		for (uint32_t k = 0; k < nf; k++) {
			if (k && !fwd_cmp(&f[k - 1], &f[k])) {
				free(at);
				goto out;	/* two alike: no one order */
			}
			newid[f[k].id] = at[k];
			moved[f[k].id] = f[k].id != at[k];
			any |= moved[f[k].id];
		}
		free(at);
		if (!any || ext_names_moved(ext, ext_len, moved, n))
			goto out;
	}

	buf_reset(out);
	buf_append(out, btf, len);
	pos = xcalloc(2 + 0xffff, sizeof(*pos));
	{
		unsigned char *t = (unsigned char *)out->data + hdr_len + type_off;

		for (uint32_t id = 1; id <= n; id++)	/* FWD records are 12 bytes */
			if (kind[id] == BTF_KIND_FWD && newid[id] != id)
				memcpy(t + off[newid[id]], types + off[id], 12);
		for (uint32_t id = 1; id <= n; id++) {
			size_t nref = btf_walk_type_refs(kind[id], vlen[id], pos);

			for (size_t r = 0; r < nref; r++) {
				uint32_t v = rd32(t + off[id] + pos[r]);

				if (v && v <= n && newid[v] != v)
					wr32(t + off[id] + pos[r], newid[v]);
			}
		}
	}
	rc = 1;
out:
	free(off);
	free(kind);
	free(vlen);
	free(newid);
	free(moved);
	free(pos);
	free(f);
	return rc;
}

/* Offsets (within a type record of KIND) of its u32 name fields: the
 * type's own, then its members', enumerators' or parameters'. */
static size_t btf_walk_name_refs(uint32_t kind, uint32_t vlen, uint32_t *pos)
{
	size_t n = 0;

	pos[n++] = 0;
	switch (kind) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM64:
		for (uint32_t i = 0; i < vlen; i++)
			pos[n++] = 12 + 12 * i;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		for (uint32_t i = 0; i < vlen; i++)
			pos[n++] = 12 + 8 * i;
		break;
	default:
		break;
	}
	return n;
}

struct str_ent {
	uint32_t off, len, rank;
};

static int str_ent_cmp(const void *a, const void *b)
{
	const struct str_ent *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->off > y->off) - (x->off < y->off);
}

/* Calls FN on every u32 string offset field of .BTF.ext EXT (section names,
 * line_info file and line, CO-RE access strings). Returns -1 when EXT cannot
 * be walked. */
static int ext_walk_strings(unsigned char *ext, size_t len,
			    void (*fn)(unsigned char *field, void *ctx), void *ctx)
{
	uint32_t hdr_len;

	if (!ext || !len)
		return 0;
	if (len < 24 || rd32(ext) != (0xeB9F | 1u << 16) || (hdr_len = rd32(ext + 4)) > len ||
	    hdr_len < 24)
		return -1;
	for (int s = 0; s < 3; s++) {
		uint32_t at = 8 + 8 * s, sub_off, sub_len, rec;
		uint64_t off, end;

		if (s == 2 && hdr_len < 32)
			break;
		sub_off = rd32(ext + at);
		sub_len = rd32(ext + at + 4);
		if (!sub_len)
			continue;
		off = (uint64_t)hdr_len + sub_off;
		end = off + sub_len;
		if (end > len || sub_len < 4)
			return -1;
		rec = rd32(ext + off);
		off += 4;
		if (rec < (s == 0 ? 8u : s == 1 ? 16u : 16u))
			return -1;
		while (off < end) {
			uint32_t num;

			if (end - off < 8)
				return -1;
			fn(ext + off, ctx);	/* sec_name_off */
			num = rd32(ext + off + 4);
			off += 8;
			if ((uint64_t)num * rec > end - off)
				return -1;
			for (uint32_t i = 0; i < num; i++, off += rec) {
				if (s == 1) {	/* line_info: file_name_off, line_off */
					fn(ext + off + 4, ctx);
					fn(ext + off + 8, ctx);
				} else if (s == 2) {	/* core_relo: access_str_off */
					fn(ext + off + 8, ctx);
				}
			}
		}
	}
	return 0;
}

struct str_pass {
	struct str_ent *ent;
	uint32_t n, *by_off, next_rank, str_len;
	const uint32_t *new_off;	/* second pass: rewrite */
	bool bad;
};

/* The index of the string starting at OFF, or -1. by_off maps an offset to
 * index + 1 (0: no string starts there). */
static void str_visit(unsigned char *field, void *ctx)
{
	struct str_pass *sp = ctx;
	uint32_t off = rd32(field), idx;

	if (off >= sp->str_len || !sp->by_off[off]) {
		if (off)	/* 0 is "", always first */
			sp->bad = true;
		return;
	}
	idx = sp->by_off[off] - 1;
	if (sp->new_off)
		wr32(field, sp->new_off[idx]);
	else if (sp->ent[idx].rank == UINT32_MAX)
		sp->ent[idx].rank = sp->next_rank++;
}

/* Puts the string table of BTF (LEN bytes, types already canonical) in the
 * order the strings are first named (types in ID order, then EXT), and
 * rewrites every reference in both sections. Same strings, same length: the
 * sections keep their sizes. Returns 1 when BTF or EXT changed, 0 when left
 * as they are (already in order, or a reference this code cannot follow). */
static int canon_strings(unsigned char *btf, size_t len, unsigned char *ext, size_t ext_len)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len, *pos = NULL, *new_off = NULL;
	unsigned char *types, *strs, *copy_btf = NULL, *copy_ext = NULL, *table = NULL;
	struct str_pass sp = {0};
	struct str_ent *sorted = NULL;
	int rc = 0;

	if (len < 24 || (rd32(btf) & 0xffff) != 0xeB9F)
		return 0;
	hdr_len = rd32(btf + 4);
	type_off = rd32(btf + 8);
	type_len = rd32(btf + 12);
	str_off = rd32(btf + 16);
	str_len = rd32(btf + 20);
	if (hdr_len < 24 || (uint64_t)hdr_len + type_off + type_len > len ||
	    (uint64_t)hdr_len + str_off + str_len > len || !str_len)
		return 0;
	types = btf + hdr_len + type_off;
	strs = btf + hdr_len + str_off;
	if (strs[str_len - 1] || strs[0])
		return 0;
	sp.str_len = str_len;
	sp.by_off = xcalloc(str_len, sizeof(*sp.by_off));
	sp.ent = xcalloc(str_len, sizeof(*sp.ent));
	for (uint32_t o = 0; o < str_len;) {
		uint32_t l = (uint32_t)strlen((const char *)strs + o);

		sp.ent[sp.n] = (struct str_ent){ .off = o, .len = l + 1,
						 .rank = o ? UINT32_MAX : 0 };
		sp.by_off[o] = ++sp.n;
		o += l + 1;
	}
	sp.next_rank = 1;
	pos = xcalloc(2 + 0xffff, sizeof(*pos));
	/* Pass 1 ranks, pass 2 rewrites (on copies, committed only whole). */
	copy_btf = xmalloc(len);
	memcpy(copy_btf, btf, len);
	if (ext_len) {
		copy_ext = xmalloc(ext_len);
		memcpy(copy_ext, ext, ext_len);
	}
	for (int pass = 0; pass < 2 && !sp.bad; pass++) {
		unsigned char *t = (pass ? copy_btf : btf) + hdr_len + type_off;

		for (uint32_t o = 0; o < type_len && !sp.bad;) {
			uint32_t info = rd32(types + o + 4), kind = (info >> 24) & 0x1f,
				 vlen = info & 0xffff;
			long extra = btf_walk_extra_len(kind, vlen);
			size_t nref;

			if (extra < 0 || type_len - o < 12 + (uint64_t)extra) {
				sp.bad = true;
				break;
			}
			nref = btf_walk_name_refs(kind, vlen, pos);
			for (size_t r = 0; r < nref; r++)
				str_visit(t + o + pos[r], &sp);
			o += 12 + (uint32_t)extra;
		}
		if (!sp.bad && ext_walk_strings(pass ? copy_ext : ext, ext_len, str_visit, &sp) < 0)
			sp.bad = true;
		if (pass || sp.bad)
			break;
		/* Unnamed strings keep their relative order, after the named. */
		for (uint32_t i = 0; i < sp.n; i++)
			if (sp.ent[i].rank == UINT32_MAX)
				sp.ent[i].rank = sp.next_rank++;
		sorted = xmalloc(sp.n * sizeof(*sorted));
		memcpy(sorted, sp.ent, sp.n * sizeof(*sorted));
		qsort(sorted, sp.n, sizeof(*sorted), str_ent_cmp);
		new_off = xcalloc(sp.n, sizeof(*new_off));
		table = xmalloc(str_len);
		{
			uint32_t at = 0;

			for (uint32_t i = 0; i < sp.n; i++) {
				memcpy(table + at, strs + sorted[i].off, sorted[i].len);
				new_off[sp.by_off[sorted[i].off] - 1] = at;
				at += sorted[i].len;
			}
		}
		sp.new_off = new_off;
	}
	if (sp.bad || !table)
		goto out;
	memcpy(copy_btf + hdr_len + str_off, table, str_len);
	rc = memcmp(copy_btf, btf, len) || (ext_len && memcmp(copy_ext, ext, ext_len));
	if (rc) {
		memcpy(btf, copy_btf, len);
		if (ext_len)
			memcpy(ext, copy_ext, ext_len);
	}
out:
	free(sp.by_off);
	free(sp.ent);
	free(sorted);
	free(new_off);
	free(table);
	free(pos);
	free(copy_btf);
	free(copy_ext);
	return rc;
}

int bpfobj_canon_fwd(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = 0;
	struct buf btf = { 0 }, ext = { 0 }, out = { 0 };
	off_t btf_at = -1, ext_at = -1;
	bool ext_changed = false;

	if (fd < 0) {
		rc = -errno;
		report_error("cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = elf_file_read_section(path, ".BTF", &btf, &btf_at);
	if (rc == 0)
		rc = elf_file_read_section(path, ".BTF.ext", &ext, &ext_at);
	if (rc == -ENOENT)
		rc = 0;	/* no BTF: nothing to order; no .BTF.ext: nothing names a type */
	if (rc < 0 || btf_at < 0)
		goto out;
	rc = canon_types((const unsigned char *)btf.data, btf.len,
			 (const unsigned char *)ext.data, ext.len, &out);
	if (rc == -EINVAL) {
		report_error("%s: its .BTF section is not valid BTF", path);
		goto out;
	}
	if (rc == 0) {
		buf_reset(&out);
		buf_append(&out, btf.data, btf.len);
	}
	/* The string table follows the types: clang adds FWD names in the heap
	 * order too, and a precompiled vmlinux.h changes that order. */
	if (canon_strings((unsigned char *)out.data, out.len,
			  ext_at >= 0 ? (unsigned char *)ext.data : NULL, ext_at >= 0 ? ext.len : 0) == 1) {
		rc = 1;
		ext_changed = ext_at >= 0;
	}
	if (rc == 1 && ext_changed &&
	    pwrite(fd, ext.data, ext.len, ext_at) != (ssize_t)ext.len) {
		rc = -errno ? -errno : -EIO;
		report_error("cannot write %s: %s", path, strerror(-rc));
		goto out;
	}
	if (rc == 1) {
		/* libbpf must read the result as it read the original. */
		struct btf *check = btf__new(out.data, out.len);

		rc = check ? 0 : -EINVAL;
		btf__free(check);
		if (rc) {
			report_error("internal: the reordered BTF of %s does not parse", path);
			goto out;
		}
		ssize_t w = pwrite(fd, out.data, out.len, btf_at);

		if (w != (ssize_t)out.len) {
			rc = w < 0 ? -errno : -EIO;
			report_error("cannot write %s: %s", path, strerror(-rc));
		}
	}
out:
	close(fd);
	buf_free(&btf);
	buf_free(&ext);
	buf_free(&out);
	return rc < 0 ? rc : 0;
}
