/* core_relo: a BPF object's instructions, symbols, calls and .BTF.ext
 * records, read for `check` (see core_relo.h). */
#include "core_relo.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "../lib/buf.h"

#define BTF_EXT_MAGIC 0xeB9F

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static struct core_ext_sec *ext_sec_get(struct core_ext *ext, const char *name)
{
	for (size_t i = 0; i < ext->n; i++)
		if (!strcmp(ext->secs[i].name, name))
			return &ext->secs[i];
	ext->secs = xrealloc(ext->secs, (ext->n + 1) * sizeof(*ext->secs));
	memset(&ext->secs[ext->n], 0, sizeof(ext->secs[0]));
	ext->secs[ext->n].name = xstrdup(name);
	return &ext->secs[ext->n++];
}

/* A string of the object's BTF at OFF, or NULL when OFF is outside it. */
static const char *btf_str(const struct btf *btf, uint32_t off)
{
	return btf ? btf__name_by_offset(btf, off) : NULL;
}

/* One info block of .BTF.ext: u32 record size, then per section
 * { u32 name offset, u32 count, records }. WHICH: 0 line info, 1 CO-RE. */
static int ext_parse_block(const unsigned char *p, size_t len, const struct btf *btf, int which,
			   struct core_ext *out, char *err, size_t err_len)
{
	const char *what = which ? "CO-RE relocations" : "line info";
	uint32_t min = 16, rec;
	size_t off = 4;

	if (len == 0)
		return 0;
	if (len < 4)
		return fail(err, err_len, ".BTF.ext %s: block too short (%zu bytes)", what, len);
	rec = rd32(p);
	if (rec < min || rec % 4 || rec > 1024)
		return fail(err, err_len, ".BTF.ext %s: bad record size %u", what, rec);
	while (off < len) {
		uint32_t name_off, n;
		const char *name;
		struct core_ext_sec *s;

		if (len - off < 8)
			return fail(err, err_len, ".BTF.ext %s: truncated section header", what);
		name_off = rd32(p + off);
		n = rd32(p + off + 4);
		off += 8;
		name = btf_str(btf, name_off);
		if (!name || !*name)
			return fail(err, err_len, ".BTF.ext %s: section name offset %u is not in the BTF strings",
				    what, name_off);
		if (n == 0)
			return fail(err, err_len, ".BTF.ext %s of %s: no records", what, name);
		if ((uint64_t)n * rec > len - off)
			return fail(err, err_len, ".BTF.ext %s of %s: %u records of %u bytes do not fit", what,
				    name, n, rec);
		s = ext_sec_get(out, name);
		for (uint32_t i = 0; i < n; i++, off += rec) {
			const unsigned char *r = p + off;

			if (rd32(r) % 8)
				return fail(err, err_len, ".BTF.ext %s of %s: instruction offset %u is not aligned",
					    what, name, rd32(r));
			if (which) {
				struct core_relo c = { rd32(r), rd32(r + 4), rd32(r + 8), rd32(r + 12) };
				const char *acc = btf_str(btf, c.access_str_off);

				if (c.type_id == 0 || c.type_id >= btf__type_cnt(btf))
					return fail(err, err_len, "CO-RE relocation in %s: type id %u is not in the BTF",
						    name, c.type_id);
				if (!acc || !*acc)
					return fail(err, err_len, "CO-RE relocation in %s: bad access string offset %u",
						    name, c.access_str_off);
				if (c.kind > BPF_CORE_TYPE_MATCHES)
					return fail(err, err_len, "CO-RE relocation in %s: unknown kind %u", name,
						    c.kind);
				s->relos = xrealloc(s->relos, (s->n_relos + 1) * sizeof(*s->relos));
				s->relos[s->n_relos++] = c;
			} else {
				struct core_line l = { rd32(r), rd32(r + 4), rd32(r + 8), rd32(r + 12) };

				/* Bad strings only lose the text, as in libbpf. */
				s->lines = xrealloc(s->lines, (s->n_lines + 1) * sizeof(*s->lines));
				s->lines[s->n_lines++] = l;
			}
		}
	}
	return 0;
}

int core_ext_parse(const void *data, size_t len, const struct btf *btf, struct core_ext *out,
		   char *err, size_t err_len)
{
	const unsigned char *p = data;
	uint32_t hdr_len, off[3] = {0}, sz[3] = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < 24)
		return fail(err, err_len, ".BTF.ext too short (%zu bytes)", len);
	if ((uint16_t)(p[0] | p[1] << 8) != BTF_EXT_MAGIC)
		return fail(err, err_len, ".BTF.ext has a bad magic number (not little-endian BTF)");
	if (p[2] != 1)
		return fail(err, err_len, ".BTF.ext version %u is not supported", p[2]);
	hdr_len = rd32(p + 4);
	if (hdr_len < 24 || hdr_len > len || hdr_len % 4)
		return fail(err, err_len, ".BTF.ext header length %u does not fit", hdr_len);
	/* func info (unused here), line info, CO-RE relocations (hdr >= 32). */
	off[0] = rd32(p + 8);
	sz[0] = rd32(p + 12);
	off[1] = rd32(p + 16);
	sz[1] = rd32(p + 20);
	if (hdr_len >= 32) {
		off[2] = rd32(p + 24);
		sz[2] = rd32(p + 28);
	}
	for (int i = 0; i < 3; i++)
		if ((uint64_t)hdr_len + off[i] + sz[i] > len || off[i] % 4)
			return fail(err, err_len, ".BTF.ext block %d (offset %u, %u bytes) is outside the section", i,
				    off[i], sz[i]);
	rc = ext_parse_block(p + hdr_len + off[1], sz[1], btf, 0, out, err, err_len);
	if (rc == 0)
		rc = ext_parse_block(p + hdr_len + off[2], sz[2], btf, 1, out, err, err_len);
	if (rc < 0)
		core_ext_free(out);
	return rc;
}

void core_ext_free(struct core_ext *ext)
{
	for (size_t i = 0; i < ext->n; i++) {
		free(ext->secs[i].name);
		free(ext->secs[i].relos);
		free(ext->secs[i].lines);
	}
	free(ext->secs);
	memset(ext, 0, sizeof(*ext));
}

const struct core_ext_sec *core_ext_find(const struct core_ext *ext, const char *name)
{
	for (size_t i = 0; i < ext->n; i++)
		if (!strcmp(ext->secs[i].name, name))
			return &ext->secs[i];
	return NULL;
}

/* ---- the ELF ----------------------------------------------------------- */

static struct bpfobj_sec *sec_by_shndx(struct bpfobj *o, size_t shndx)
{
	for (size_t i = 0; i < o->n_secs; i++)
		if (o->secs[i].shndx == shndx)
			return &o->secs[i];
	return NULL;
}

static bool is_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL);
}

static bool is_ldimm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* The relocations of one program section: calls to subprograms and externs,
 * ld_imm64 of externs and of callbacks. */
static int read_rels(struct bpfobj *o, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, Elf_Data *symtab,
		     size_t strtab_idx, char *err, size_t err_len)
{
	struct bpfobj_sec *s = sec_by_shndx(o, sh->sh_info);
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n;

	if (!s)
		return 0;	/* relocations of data sections: maps, not code */
	if (!d || sh->sh_entsize != sizeof(Elf64_Rel) || !symtab)
		return fail(err, err_len, "relocations of %s are unreadable", s->name);
	n = d->d_size / sizeof(Elf64_Rel);
	for (size_t i = 0; i < n; i++) {
		GElf_Rel rel;
		GElf_Sym sym;
		const struct bpf_insn *in;
		size_t idx, symi;
		const char *sname;

		if (!gelf_getrel(d, (int)i, &rel))
			return fail(err, err_len, "relocation %zu of %s is unreadable", i, s->name);
		symi = GELF_R_SYM(rel.r_info);
		if (!gelf_getsym(symtab, (int)symi, &sym))
			return fail(err, err_len, "relocation %zu of %s names symbol %zu, which is not there", i,
				    s->name, symi);
		if (rel.r_offset % 8 || rel.r_offset / 8 >= s->n_insns)
			return fail(err, err_len, "relocation %zu of %s is outside its instructions", i, s->name);
		idx = rel.r_offset / 8;
		in = &s->insns[idx];
		sname = elf_strptr(elf, strtab_idx, sym.st_name);
		if (sym.st_shndx == SHN_UNDEF) {
			if (!sname || !*sname)
				continue;
			if (is_call(in)) {
				s->calls = xrealloc(s->calls, (s->n_calls + 1) * sizeof(*s->calls));
				s->calls[s->n_calls++] = (struct bpfobj_call){ .insn = idx,
									       .extern_name = xstrdup(sname) };
			} else if (is_ldimm64(in)) {
				s->ksyms = xrealloc(s->ksyms, (s->n_ksyms + 1) * sizeof(*s->ksyms));
				s->ksyms[s->n_ksyms++] = (struct bpfobj_ksym_ref){ idx, xstrdup(sname) };
			}
			continue;
		}
		struct bpfobj_sec *ts = sec_by_shndx(o, sym.st_shndx);
		long long target;

		if (!ts)
			continue;	/* a map or global data */
		if (is_call(in) && in->src_reg == BPF_PSEUDO_CALL)
			target = (long long)(sym.st_value / 8) + in->imm + 1;
		else if (is_ldimm64(in) && in->src_reg == BPF_PSEUDO_FUNC)
			target = ((long long)sym.st_value + in->imm) / 8;
		else
			continue;
		if (target < 0 || (size_t)target >= ts->n_insns)
			return fail(err, err_len, "call at instruction %zu of %s goes outside %s", idx, s->name,
				    ts->name);
		s->calls = xrealloc(s->calls, (s->n_calls + 1) * sizeof(*s->calls));
		s->calls[s->n_calls++] = (struct bpfobj_call){ .insn = idx, .target_sec = (size_t)(ts - o->secs),
							       .target_insn = (size_t)target };
	}
	return 0;
}

int bpfobj_read(const void *data, size_t len, const char *name, struct bpfobj *o, char *err,
		size_t err_len)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	Elf_Data *symtab = NULL, *btf_d = NULL, *ext_d = NULL;
	size_t shstrndx, strtab_idx = 0, n_syms = 0;
	GElf_Ehdr eh;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->name = xstrdup(name);
	o->bytes = xmalloc(len ? len : 1);
	memcpy(o->bytes, data, len);
	o->len = len;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, err_len, "libelf is unusable");
	elf = elf_memory(o->bytes, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		rc = fail(err, err_len, "not an ELF file");
		goto out;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF) {
		rc = fail(err, err_len, "not a BPF object (ELF machine %u)", eh.e_machine);
		goto out;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		rc = fail(err, err_len, "a big-endian BPF object is not supported");
		goto out;
	}
	if (elf_getshdrstrndx(elf, &shstrndx) < 0) {
		rc = fail(err, err_len, "the section header string table is unreadable");
		goto out;
	}
	/* Pass 1: program sections, the symbol table, .BTF, .BTF.ext. */
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(sname = elf_strptr(elf, shstrndx, sh.sh_name))) {
			rc = fail(err, err_len, "a section header is unreadable");
			goto out;
		}
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = elf_getdata(scn, NULL);
			strtab_idx = sh.sh_link;
			n_syms = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			if (!symtab || sh.sh_entsize != sizeof(Elf64_Sym)) {
				rc = fail(err, err_len, "the symbol table is unreadable");
				goto out;
			}
		} else if (!strcmp(sname, ".BTF")) {
			btf_d = elf_getdata(scn, NULL);
		} else if (!strcmp(sname, ".BTF.ext")) {
			ext_d = elf_getdata(scn, NULL);
		} else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size) {
			d = elf_getdata(scn, NULL);
			if (!d || !d->d_buf || d->d_size % 8 || d->d_size != sh.sh_size) {
				rc = fail(err, err_len, "program section %s is unreadable", sname);
				goto out;
			}
			o->secs = xrealloc(o->secs, (o->n_secs + 1) * sizeof(*o->secs));
			memset(&o->secs[o->n_secs], 0, sizeof(o->secs[0]));
			o->secs[o->n_secs].name = xstrdup(sname);
			o->secs[o->n_secs].shndx = elf_ndxscn(scn);
			/* An object's section may lie at any offset of the file
			 * (a damaged or hand-made one): instructions are read
			 * in place only when aligned for them. */
			if ((uintptr_t)d->d_buf % _Alignof(struct bpf_insn)) {
				o->secs[o->n_secs].owned_insns = xmalloc(d->d_size);
				memcpy(o->secs[o->n_secs].owned_insns, d->d_buf, d->d_size);
				o->secs[o->n_secs].insns = o->secs[o->n_secs].owned_insns;
			} else {
				o->secs[o->n_secs].insns = d->d_buf;
			}
			o->secs[o->n_secs].n_insns = d->d_size / 8;
			o->n_secs++;
		}
	}
	if (btf_d && btf_d->d_buf && btf_d->d_size) {
		o->btf = btf__new(btf_d->d_buf, btf_d->d_size);
		if (!o->btf) {
			rc = fail(err, err_len, "its .BTF section is corrupt");
			goto out;
		}
	}
	if (ext_d && ext_d->d_buf && ext_d->d_size) {
		if (!o->btf) {
			rc = fail(err, err_len, "it has .BTF.ext but no .BTF");
			goto out;
		}
		rc = core_ext_parse(ext_d->d_buf, ext_d->d_size, o->btf, &o->ext, err, err_len);
		if (rc < 0)
			goto out;
		o->has_ext = true;
	}
	for (size_t i = 0; i < o->n_secs; i++)
		o->secs[i].ext = core_ext_find(&o->ext, o->secs[i].name);
	/* Symbols: functions of program sections, externs. */
	for (size_t i = 1; symtab && i < n_syms; i++) {
		GElf_Sym sym;
		const char *sname;
		struct bpfobj_sec *s;

		if (!gelf_getsym(symtab, (int)i, &sym))
			break;
		sname = elf_strptr(elf, strtab_idx, sym.st_name);
		if (!sname || !*sname)
			continue;
		if (sym.st_shndx == SHN_UNDEF && (GELF_ST_BIND(sym.st_info) == STB_GLOBAL ||
						  GELF_ST_BIND(sym.st_info) == STB_WEAK)) {
			o->externs = xrealloc(o->externs, (o->n_externs + 1) * sizeof(*o->externs));
			o->externs[o->n_externs++] = (struct bpfobj_extern){
				xstrdup(sname), GELF_ST_BIND(sym.st_info) == STB_WEAK };
			continue;
		}
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || !(s = sec_by_shndx(o, sym.st_shndx)))
			continue;
		if (sym.st_value % 8 || sym.st_size % 8 || sym.st_value / 8 > s->n_insns ||
		    sym.st_size / 8 > s->n_insns - sym.st_value / 8) {
			rc = fail(err, err_len, "function %s lies outside its section %s", sname, s->name);
			goto out;
		}
		o->funcs = xrealloc(o->funcs, (o->n_funcs + 1) * sizeof(*o->funcs));
		o->funcs[o->n_funcs++] = (struct bpfobj_func){
			.name = xstrdup(sname), .sec = (size_t)(s - o->secs), .start = sym.st_value / 8,
			.n = sym.st_size / 8, .entry = strcmp(s->name, ".text") != 0 };
	}
	/* Pass 2: the relocations of program sections. */
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) && rc == 0) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_REL)
			rc = read_rels(o, elf, scn, &sh, symtab, strtab_idx, err, err_len);
	}
	/* Relocations point into the ELF's own data; the copy stays alive. */
out:
	if (elf)
		elf_end(elf);
	if (rc < 0)
		bpfobj_free(o);
	return rc;
}

void bpfobj_free(struct bpfobj *o)
{
	for (size_t i = 0; i < o->n_secs; i++) {
		struct bpfobj_sec *s = &o->secs[i];

		free(s->name);
		free(s->owned_insns);
		for (size_t j = 0; j < s->n_calls; j++)
			free(s->calls[j].extern_name);
		free(s->calls);
		for (size_t j = 0; j < s->n_ksyms; j++)
			free(s->ksyms[j].name);
		free(s->ksyms);
	}
	free(o->secs);
	for (size_t i = 0; i < o->n_funcs; i++)
		free(o->funcs[i].name);
	free(o->funcs);
	for (size_t i = 0; i < o->n_externs; i++)
		free(o->externs[i].name);
	free(o->externs);
	core_ext_free(&o->ext);
	btf__free(o->btf);
	free(o->bytes);
	free(o->name);
	memset(o, 0, sizeof(*o));
}

const struct bpfobj_func *bpfobj_func_at(const struct bpfobj *o, size_t sec, size_t insn)
{
	for (size_t i = 0; i < o->n_funcs; i++) {
		const struct bpfobj_func *f = &o->funcs[i];

		if (f->sec == sec && insn >= f->start && insn < f->start + f->n)
			return f;
	}
	return NULL;
}

const char *bpfobj_line_at(const struct bpfobj *o, size_t sec, size_t insn, bool with_text,
			   char *out, size_t size)
{
	const struct core_ext_sec *e = sec < o->n_secs ? o->secs[sec].ext : NULL;
	const struct core_line *best = NULL;
	const char *file, *text;

	if (size)
		out[0] = '\0';
	for (size_t i = 0; e && i < e->n_lines; i++)
		if (e->lines[i].insn_off / 8 <= insn &&
		    (!best || e->lines[i].insn_off >= best->insn_off))
			best = &e->lines[i];
	if (!best || !size)
		return out;
	file = btf_str(o->btf, best->file_name_off);
	text = btf_str(o->btf, best->line_off);
	if (!file)
		return out;
	const char *base = strrchr(file, '/');

	base = base ? base + 1 : file;
	if (with_text && text && *text) {
		while (*text == ' ' || *text == '\t')
			text++;
		snprintf(out, size, "%s:%u: %s", base, best->line_col >> 10, text);
	} else {
		snprintf(out, size, "%s:%u", base, best->line_col >> 10);
	}
	return out;
}
