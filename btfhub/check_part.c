/* check_part: partial check results and their merge (format in check_part.h). */
#include "check_part.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fs.h"
#include "../lib/report.h"
#include "shard.h"

#define PART_HEAD "bpfpack-check-part"
#define PART_VERSION 2	/* 2: kernel lines end with KBTF; 1 (without) is read too */

static void put_field(struct buf *b, const char *s)
{
	buf_append(b, "\t", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == '%' || c == 0x7f)
			buf_printf(b, "%%%02X", c);
		else
			buf_append(b, s, 1);
	}
}

static void put_num(struct buf *b, unsigned long long v)
{
	buf_printf(b, "\t%llu", v);
}

void check_part_write(struct buf *out, const struct check_part_info *info, const struct check_tool *tools,
		      size_t n_tools, const struct btf_source_list *kernels, const size_t *pos,
		      const struct check_result *results)
{
	char sel[33], obj[33];

	shard_key_hex(info->selection, sel);
	shard_key_hex(info->objects, obj);
	buf_printf(out, PART_HEAD "\t%d\nshard\t%u\t%u\t%u\t%s\t%s\n", PART_VERSION, info->shard, info->nshards,
		   info->total, sel, obj);
	for (size_t t = 0; t < n_tools; t++) {
		buf_printf(out, "tool");
		put_field(out, tools[t].name);
		buf_printf(out, "\n");
	}
	for (size_t k = 0; k < kernels->n; k++) {
		const struct btf_source_entry *e = &kernels->v[k];

		buf_printf(out, "kernel");
		put_num(out, pos[k]);
		put_field(out, e->key.distro);
		put_field(out, e->key.version);
		put_field(out, e->key.arch);
		put_field(out, e->key.release);
		put_field(out, e->origin);
		put_num(out, !e->no_kernel_btf);
		buf_printf(out, "\n");
	}
	for (size_t t = 0; t < n_tools; t++)
		for (size_t k = 0; k < kernels->n; k++) {
			const struct check_result *r = &results[t * kernels->n + k];

			buf_printf(out, "result\t%zu\t%zu\t%d\t%d\n", t, pos[k], r->verdict, r->approximate);
			for (size_t j = 0; j < r->n; j++) {
				const struct check_reason *x = &r->v[j];

				buf_printf(out, "reason\t%zu\t%zu\t%d\t%d\t%d", t, pos[k], x->verdict, x->what,
					   x->approximate);
				put_field(out, x->program);
				put_field(out, x->detail);
				put_field(out, x->line);
				buf_printf(out, "\n");
			}
		}
	buf_printf(out, "end\t%zu\n", kernels->n);
}

/* ---- reading -------------------------------------------------------------- */

/* Splits LINE (NUL-terminated, modified) at tabs into at most MAX fields,
 * unescaping each in place. Returns the field count, or -1 for a bad escape. */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		char *end = strchr(p, '\t'), *w = p;

		if (end)
			*end = '\0';
		f[n++] = p;
		for (char *r = p; *r; r++) {
			if (*r == '%') {
				unsigned v;

				if (!r[1] || !r[2] || sscanf(r + 1, "%2X", &v) != 1)
					return -1;
				*w++ = (char)v;
				r += 2;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

static int parse_u(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int hex16(const char *s, unsigned char out[16])
{
	if (strlen(s) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

struct merge_state {
	struct check_part_info first;
	const char *first_path;
	struct strv tools;
	struct btf_source_list *kernels;	/* total entries, filled by position */
	bool *have;				/* a kernel line seen at this position */
	const char **from;			/* the part that gave each position */
	struct check_result *results;
	const char **shard_from;
};

static int key_copy(char *dst, size_t cap, const char *src)
{
	if (strlen(src) >= cap)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int merge_one(struct merge_state *m, const char *path, char *text, bool is_first)
{
	struct check_part_info info;
	char *f[12], *line = text, *next;
	size_t lineno = 0, tool_i = 0, kernels_seen = 0;
	int version = PART_VERSION;
	bool ended = false, past_tools = false;
	int nf;

#define BAD(...) do { report_error(__VA_ARGS__); return -EBADMSG; } while (0)
	for (; line && *line; line = next) {
		unsigned long long a, b = 1, c, d, e;

		next = strchr(line, '\n');
		if (!next)
			BAD("%s: truncated: the last line has no end", path);
		*next++ = '\0';
		lineno++;
		if (ended)
			BAD("%s:%zu: text after the end line", path, lineno);
		nf = split_fields(line, f, 12);
		if (nf < 1)
			BAD("%s:%zu: bad escape", path, lineno);
		if (lineno == 1) {
			if (strcmp(f[0], PART_HEAD) || nf != 2)
				BAD("%s is not a partial check result (made by check --shard K/N)", path);
			if (strcmp(f[1], "1") && strcmp(f[1], "2"))
				BAD("%s: a partial check result of format version %s; this bpfpack reads versions 1 to %d",
				    path, f[1], PART_VERSION);
			version = f[1][0] - '0';
			continue;
		}
		if (lineno == 2) {
			if (strcmp(f[0], "shard") || nf != 6 || parse_u(f[1], SHARD_MAX, &a) ||
			    parse_u(f[2], SHARD_MAX, &b) || parse_u(f[3], UINT32_MAX, &c) || a < 1 || a > b ||
			    hex16(f[4], info.selection) || hex16(f[5], info.objects))
				BAD("%s:%zu: bad shard line", path, lineno);
			info.shard = (uint32_t)a;
			info.nshards = (uint32_t)b;
			info.total = (uint32_t)c;
			if (is_first) {
				m->first = info;
				m->first_path = path;
				m->kernels->v = xcalloc(info.total ? info.total : 1, sizeof(*m->kernels->v));
				m->kernels->n = m->kernels->cap = info.total;
				m->have = xcalloc(info.total ? info.total : 1, sizeof(*m->have));
				m->from = xcalloc(info.total ? info.total : 1, sizeof(*m->from));
				m->shard_from = xcalloc(info.nshards + 1, sizeof(*m->shard_from));
			} else if (memcmp(info.objects, m->first.objects, 16)) {
				report_error("%s and %s are results for different BPF objects", m->first_path, path);
				return -EINVAL;
			} else if (memcmp(info.selection, m->first.selection, 16) || info.total != m->first.total) {
				report_error("%s and %s are results over different kernels (%u and %u kernels, or "
					     "other sources or filters)", m->first_path, path, m->first.total, info.total);
				return -EINVAL;
			} else if (info.nshards != m->first.nshards) {
				report_error("%s and %s come from different splits: shard %u/%u and %u/%u",
					     m->first_path, path, m->first.shard, m->first.nshards, info.shard,
					     info.nshards);
				return -EINVAL;
			}
			if (m->shard_from[info.shard]) {
				report_error("shard %u/%u is given twice: %s and %s", info.shard, info.nshards,
					     m->shard_from[info.shard], path);
				return -EINVAL;
			}
			m->shard_from[info.shard] = path;
			continue;
		}
		if (!strcmp(f[0], "tool") && nf == 2) {
			if (past_tools)
				BAD("%s:%zu: a tool line after the kernels", path, lineno);
			if (is_first) {
				strv_push(&m->tools, f[1]);
			} else if (tool_i >= m->tools.n || strcmp(m->tools.v[tool_i], f[1])) {
				report_error("%s and %s are results for different tools", m->first_path, path);
				return -EINVAL;
			}
			tool_i++;
			continue;
		}
		/* The tools come before everything else: the results can be sized. */
		past_tools = true;
		if (!m->results)
			m->results = xcalloc(m->tools.n * m->first.total + 1, sizeof(*m->results));
		if (tool_i != m->tools.n) {
			report_error("%s and %s are results for different tools", m->first_path, path);
			return -EINVAL;
		}
		if (!strcmp(f[0], "kernel") && nf == (version == 1 ? 7 : 8)) {
			struct btf_source_entry *k;

			if (parse_u(f[1], m->first.total ? m->first.total - 1 : 0, &a) || !m->first.total)
				BAD("%s:%zu: kernel position out of range", path, lineno);
			if (version > 1 && parse_u(f[7], 1, &b))
				BAD("%s:%zu: bad kernel BTF field", path, lineno);
			if (m->have[a]) {
				report_error("kernel %s/%s/%s/%s is in both %s and %s", f[2], f[3], f[4], f[5],
					     m->from[a], path);
				return -EINVAL;
			}
			k = &m->kernels->v[a];
			if (key_copy(k->key.distro, sizeof(k->key.distro), f[2]) ||
			    key_copy(k->key.version, sizeof(k->key.version), f[3]) ||
			    key_copy(k->key.arch, sizeof(k->key.arch), f[4]) ||
			    key_copy(k->key.release, sizeof(k->key.release), f[5]))
				BAD("%s:%zu: a kernel key field is too long", path, lineno);
			k->origin = xstrdup(f[6]);
			k->no_kernel_btf = version > 1 && !b;
			if (shard_of(k, info.nshards) != info.shard)
				BAD("%s:%zu: kernel %s/%s/%s/%s is not in shard %u/%u", path, lineno, f[2], f[3], f[4],
				    f[5], info.shard, info.nshards);
			m->have[a] = true;
			m->from[a] = path;
			kernels_seen++;
			continue;
		}
		if (!strcmp(f[0], "result") && nf == 5) {
			struct check_result *r;

			if (parse_u(f[1], m->tools.n ? m->tools.n - 1 : 0, &a) || !m->tools.n ||
			    parse_u(f[2], UINT32_MAX, &b) || b >= m->first.total || m->from[b] != path ||
			    parse_u(f[3], CHECK_LOAD_FAIL, &c) || parse_u(f[4], 1, &d))
				BAD("%s:%zu: bad result line", path, lineno);
			r = &m->results[a * m->first.total + b];
			r->verdict = (int)c;
			r->approximate = d;
			continue;
		}
		if (!strcmp(f[0], "reason") && nf == 9) {
			struct check_result *r;
			struct check_reason *x;

			if (parse_u(f[1], m->tools.n ? m->tools.n - 1 : 0, &a) || !m->tools.n ||
			    parse_u(f[2], UINT32_MAX, &b) || b >= m->first.total || m->from[b] != path ||
			    parse_u(f[3], CHECK_LOAD_FAIL, &c) || parse_u(f[4], CHECK_WHAT_KERNEL_BTF, &d) ||
			    parse_u(f[5], 1, &e))
				BAD("%s:%zu: bad reason line", path, lineno);
			r = &m->results[a * m->first.total + b];
			r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
			x = &r->v[r->n++];
			x->verdict = (int)c;
			x->what = (int)d;
			x->approximate = e;
			x->program = xstrdup(f[6]);
			x->detail = xstrdup(f[7]);
			x->line = xstrdup(f[8]);
			continue;
		}
		if (!strcmp(f[0], "end") && nf == 2) {
			if (parse_u(f[1], UINT32_MAX, &a) || a != kernels_seen)
				BAD("%s:%zu: the end line counts %s kernels, the part has %zu", path, lineno, f[1],
				    kernels_seen);
			ended = true;
			continue;
		}
		BAD("%s:%zu: unknown record '%s'", path, lineno, f[0]);
	}
	if (lineno < 2)
		BAD("%s is not a partial check result (made by check --shard K/N)", path);
	if (!ended)
		BAD("%s: truncated: no end line", path);
	return 0;
#undef BAD
}

int check_part_merge(char *const paths[], size_t n, struct strv *tool_names, struct btf_source_list *kernels,
		     struct check_result **results)
{
	struct buf *texts = xcalloc(n ? n : 1, sizeof(*texts));
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = fs_read_file(paths[i], &texts[i]);
	if (rc == 0)
		rc = check_part_merge_mem(texts, (const char *const *)paths, n, tool_names, kernels, results);
	for (size_t i = 0; i < n; i++)
		buf_free(&texts[i]);
	free(texts);
	return rc;
}

int check_part_merge_mem(const struct buf *parts, const char *const names[], size_t n, struct strv *tool_names,
			 struct btf_source_list *kernels, struct check_result **results)
{
	struct merge_state m = { .kernels = kernels };
	struct buf *texts = xcalloc(n ? n : 1, sizeof(*texts));
	int rc = 0;

	*results = NULL;
	memset(kernels, 0, sizeof(*kernels));
	if (!n) {
		report_error("no parts to merge");
		free(texts);
		return -EINVAL;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_append(&texts[i], parts[i].data, parts[i].len);
		buf_append(&texts[i], "", 1);	/* NUL-terminated, and a copy merge_one may cut up */
		if (memchr(texts[i].data, '\0', texts[i].len - 1)) {
			report_error("%s is not a partial check result (made by check --shard K/N)", names[i]);
			rc = -EBADMSG;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = merge_one(&m, names[i], texts[i].data, i == 0);
	if (rc == 0 && !m.tools.n) {
		report_error("%s holds no tool", names[0]);
		rc = -EBADMSG;
	}
	for (uint32_t k = 1; rc == 0 && k <= m.first.nshards; k++) {
		if (!m.shard_from[k]) {
			struct buf missing = { 0 };
			size_t nm = 0;

			for (uint32_t j = k; j <= m.first.nshards; j++)
				if (!m.shard_from[j]) {
					buf_printf(&missing, "%s%u", nm ? ", " : "", j);
					nm++;
				}
			report_error("shard%s %s of %u missing: a report needs every part", nm > 1 ? "s" : "",
				     missing.data, m.first.nshards);
			buf_free(&missing);
			rc = -EINVAL;
		}
	}
	for (uint32_t k = 0; rc == 0 && k < m.first.total; k++)
		if (!m.have[k]) {
			report_error("the parts lack kernel %u of the %u the selection has", k + 1, m.first.total);
			rc = -EINVAL;
		}
	for (size_t i = 0; i < n; i++)
		buf_free(&texts[i]);
	free(texts);
	free(m.have);
	free(m.from);
	free(m.shard_from);
	if (rc < 0) {
		if (m.results)
			for (size_t i = 0; i < m.tools.n * m.first.total; i++)
				check_result_free(&m.results[i]);
		free(m.results);
		strv_free(&m.tools);
		btf_source_list_free(kernels);
		return rc;
	}
	*tool_names = m.tools;
	*results = m.results;
	return 0;
}
