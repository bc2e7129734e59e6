/* vmlinux_header: the C text of a kernel's BTF, as bpftool 7.5 writes it
 * (src/btf.c: dump_btf_c, sort_btf_c, dump_btf_kfuncs). Users diff our
 * vmlinux.h against bpftool's, so the order and the quirks are kept exactly. */
#include "vmlinux_header.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/report.h"

/* Name of the decl tag the kernel puts on every kfunc (BTF_KFUNC_DECL_TAG). */
#define VMLINUX_KFUNC_DECL_TAG "bpf_kfunc"

struct vmlinux_sort_datum {
	int index;
	int type_rank;
	const char *sort_name;
	const char *own_name;
	__u64 disambig_hash;
};

/* Ranks group types the way bpftool does: anonymous enums, named enums,
 * scalars, structs and unions, function prototypes, then everything else;
 * a named typedef, pointer or array ranks as what it refers to. */
static int vmlinux_type_rank(const struct btf *btf, __u32 id, bool has_name)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const int max_rank = 10;

	if (t->name_off)
		has_name = true;

	switch (btf_kind(t)) {
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return has_name ? 1 : 0;
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		return 2;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return has_name ? 3 : max_rank;
	case BTF_KIND_FUNC_PROTO:
		return has_name ? 4 : max_rank;
	case BTF_KIND_ARRAY:
		if (has_name)
			return vmlinux_type_rank(btf, btf_array(t)->type, has_name);
		return max_rank;
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_CONST:
	case BTF_KIND_PTR:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_DECL_TAG:
		if (has_name)
			return vmlinux_type_rank(btf, t->type, has_name);
		return max_rank;
	default:
		return max_rank;
	}
}

/* The name a type sorts by: its own, the referred type's for modifiers, and
 * for an anonymous enum its first enumerator's. */
static const char *vmlinux_type_sort_name(const struct btf *btf, __u32 id, bool from_ref)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	switch (btf_kind(t)) {
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		__u32 name_off = t->name_off;

		if (!from_ref && !t->name_off && btf_vlen(t))
			name_off = btf_kind(t) == BTF_KIND_ENUM64 ?
				   btf_enum64(t)->name_off : btf_enum(t)->name_off;
		return btf__name_by_offset(btf, name_off);
	}
	case BTF_KIND_ARRAY:
		return vmlinux_type_sort_name(btf, btf_array(t)->type, true);
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_CONST:
	case BTF_KIND_PTR:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_DECL_TAG:
		return vmlinux_type_sort_name(btf, t->type, true);
	default:
		return btf__name_by_offset(btf, t->name_off);
	}
}

/* bpftool's str_hash (libbpf hashmap.h), kept bit for bit: the order of
 * same-named types depends on it. */
static __u64 vmlinux_str_hash(const char *s)
{
	size_t h = 0;

	while (*s) {
		h = h * 31 + *s;
		s++;
	}
	return h;
}

static __u64 vmlinux_hash_mix(__u64 hash, __u64 val)
{
	return hash * 31 + val;
}

static __u64 vmlinux_hash_name(__u64 hash, const struct btf *btf, __u32 name_off)
{
	if (!name_off)
		return hash;
	return vmlinux_hash_mix(hash, vmlinux_str_hash(btf__name_by_offset(btf, name_off)));
}

/* Tells apart types that sort with the same names (the "___2" copies of a
 * type from different compilation units) by their enumerators, members and
 * referred types, so the order does not depend on type ids. */
static __u64 vmlinux_type_disambig_hash(const struct btf *btf, __u32 id, bool include_members)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	__u64 hash = vmlinux_hash_name(0, btf, t->name_off);

	switch (btf_kind(t)) {
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		for (int i = 0; i < btf_vlen(t); i++) {
			__u32 name_off = btf_is_enum(t) ? btf_enum(t)[i].name_off
							: btf_enum64(t)[i].name_off;

			hash = vmlinux_hash_name(hash, btf, name_off);
		}
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (!include_members)
			break;
		for (int i = 0; i < btf_vlen(t); i++) {
			const struct btf_member *m = btf_members(t) + i;

			hash = vmlinux_hash_name(hash, btf, m->name_off);
			hash = vmlinux_hash_mix(hash, vmlinux_type_disambig_hash(btf, m->type, false));
		}
		break;
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_CONST:
	case BTF_KIND_PTR:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_DECL_TAG:
		hash = vmlinux_hash_mix(hash, vmlinux_type_disambig_hash(btf, t->type, include_members));
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *arr = btf_array(t);

		hash = vmlinux_hash_mix(hash, arr->nelems);
		hash = vmlinux_hash_mix(hash, vmlinux_type_disambig_hash(btf, arr->type, include_members));
		break;
	}
	default:
		break;
	}
	return hash;
}

static int vmlinux_type_compare(const void *left, const void *right)
{
	const struct vmlinux_sort_datum *d1 = left;
	const struct vmlinux_sort_datum *d2 = right;
	int r;

	r = d1->type_rank - d2->type_rank;
	if (!r)
		r = strcmp(d1->sort_name, d2->sort_name);
	if (!r)
		r = strcmp(d1->own_name, d2->own_name);
	if (r)
		return r;
	if (d1->disambig_hash != d2->disambig_hash)
		return d1->disambig_hash < d2->disambig_hash ? -1 : 1;
	return d1->index - d2->index;
}

/* Type ids in bpftool's order; the comparison is total, so the result does
 * not depend on the qsort implementation. */
static struct vmlinux_sort_datum *vmlinux_sort_types(const struct btf *btf)
{
	int n = (int)btf__type_cnt(btf);
	struct vmlinux_sort_datum *datums = xcalloc((size_t)n, sizeof(*datums));

	for (int i = 0; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, (__u32)i);

		datums[i].index = i;
		datums[i].type_rank = vmlinux_type_rank(btf, (__u32)i, false);
		datums[i].sort_name = vmlinux_type_sort_name(btf, (__u32)i, false);
		datums[i].own_name = btf__name_by_offset(btf, t->name_off);
		datums[i].disambig_hash = vmlinux_type_disambig_hash(btf, (__u32)i, true);
	}
	qsort(datums, (size_t)n, sizeof(*datums), vmlinux_type_compare);
	return datums;
}

struct vmlinux_dump_ctx {
	FILE *out;
	bool after_paren;	/* the last fragment was a lone "(" */
};

/* libbpf 1.4 prints a prototype without parameters as "()", which in C
 * before C23 means "unspecified parameters"; libbpf 1.5 (bpftool 7.5) prints
 * "(void)". It emits such a list as the fragments "(" and ")", and nothing
 * else in btf_dump prints those two alone in a row, so "void" is put between
 * them here. A libbpf that already prints "void)" is left alone. */
static void vmlinux_dump_printf(void *ctx, const char *fmt, va_list args)
{
	struct vmlinux_dump_ctx *c = ctx;

	if (c->after_paren && strcmp(fmt, ")") == 0)
		fputs("void", c->out);
	c->after_paren = strcmp(fmt, "(") == 0;
	vfprintf(c->out, fmt, args);
}

/* kfuncs are functions tagged "bpf_kfunc"; declaring them lets BPF programs
 * call them without writing the prototypes by hand. */
static int vmlinux_write_kfuncs(struct btf_dump *d, const struct btf *btf, FILE *out)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts);
	__u32 cnt = btf__type_cnt(btf);

	fprintf(out, "\n/* BPF kfuncs */\n");
	fprintf(out, "#ifndef BPF_NO_KFUNC_PROTOTYPES\n");
	for (__u32 i = 1; i < cnt; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name;
		int err;

		if (!btf_is_decl_tag(t) || btf_decl_tag(t)->component_idx != -1)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (strcmp(name, VMLINUX_KFUNC_DECL_TAG) != 0)
			continue;
		t = btf__type_by_id(btf, t->type);
		if (!btf_is_func(t))
			continue;
		fprintf(out, "extern ");
		opts.field_name = btf__name_by_offset(btf, t->name_off);
		err = btf_dump__emit_type_decl(d, t->type, &opts);
		if (err) {
			report_error("cannot write the prototype of kfunc %s: %s",
				     opts.field_name, strerror(-err));
			return err;
		}
		fprintf(out, " __weak __ksym;\n");
	}
	fprintf(out, "#endif\n\n");
	return 0;
}

int vmlinux_header_write(const struct btf *btf, FILE *out, const char *out_name)
{
	struct vmlinux_dump_ctx ctx = { .out = out };
	struct vmlinux_sort_datum *datums;
	struct btf_dump *d;
	__u32 cnt = btf__type_cnt(btf);
	int err = 0;

	d = btf_dump__new(btf, vmlinux_dump_printf, &ctx, NULL);
	if (!d) {
		err = -errno;
		report_error("cannot start dumping BTF as C: %s", strerror(-err));
		return err;
	}
	datums = vmlinux_sort_types(btf);

	fprintf(out, "#ifndef __VMLINUX_H__\n");
	fprintf(out, "#define __VMLINUX_H__\n");
	fprintf(out, "\n");
	fprintf(out, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
	fprintf(out, "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
	fprintf(out, "#endif\n\n");
	fprintf(out, "#ifndef __ksym\n");
	fprintf(out, "#define __ksym __attribute__((section(\".ksyms\")))\n");
	fprintf(out, "#endif\n\n");
	fprintf(out, "#ifndef __weak\n");
	fprintf(out, "#define __weak __attribute__((weak))\n");
	fprintf(out, "#endif\n\n");

	/* bpftool sorts all ids including void (id 0) but dumps sorted slots 1..n-1,
	 * so whatever sorts first is only emitted if something else needs it. We
	 * keep that so the two headers stay identical. */
	for (__u32 i = 1; i < cnt; i++) {
		__u32 id = (__u32)datums[i].index;

		err = btf_dump__dump_type(d, id);
		if (err) {
			report_error("cannot dump BTF type [%u] as C: %s", id, strerror(-err));
			goto out;
		}
	}
	err = vmlinux_write_kfuncs(d, btf, out);
	if (err)
		goto out;

	fprintf(out, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
	fprintf(out, "#pragma clang attribute pop\n");
	fprintf(out, "#endif\n");
	fprintf(out, "\n");
	fprintf(out, "#endif /* __VMLINUX_H__ */\n");

	/* One check at the end catches any failed write above: stdio keeps the
	 * error flag, and a flush of the pending data fails with the real cause. */
	if (fflush(out) != 0)
		err = errno ? -errno : -EIO;
	else if (ferror(out))
		err = -EIO;
	if (err)
		report_error("cannot write %s: %s", out_name, strerror(-err));
out:
	btf_dump__free(d);
	free(datums);
	return err;
}

/* Writes the header to a temp file beside OUTPUT and renames it into place,
 * so a reader never sees half a header and a failure leaves nothing behind. */
int vmlinux_header_write_file(const struct btf *btf, const char *output)
{
	char *tmp = NULL;
	FILE *f;
	int fd, err;

	fd = fs_temp_beside(output, &tmp);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		report_error("cannot write %s: %s", output, strerror(-err));
		close(fd);
		goto fail;
	}
	err = vmlinux_header_write(btf, f, output);
	if (fclose(f) != 0 && !err) {
		err = -errno;
		report_error("cannot write %s: %s", output, strerror(-err));
	}
	if (err)
		goto fail;
	err = fs_commit_temp(tmp, output, 0644);
	free(tmp);
	return err;
fail:
	unlink(tmp);
	free(tmp);
	return err;
}
