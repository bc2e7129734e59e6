/* vm_modules: kernel modules from a Debian kernel package for a vmtest guest. */
#include "vm_modules.h"

#include <archive.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fs.h"
#include "initramfs.h"
#include "../lib/report.h"
#include "vm_kernel.h"
#include "../formats/deb.h"
#include "../formats/elf_file.h"
#include "../formats/kimage.h"

/* A package walk finds what it is told to look for; dependencies are known
 * only once a module is read, so a module deeper than this many levels is
 * not looked for (real ones are a few levels deep). */
#define MAX_PASSES 16

enum mod_state { MOD_WANTED, MOD_FOUND, MOD_BUILTIN };

struct mod {
	char *name;		/* '-' made '_' */
	char *guest_path;	/* /lib/modules/R/kernel/..., without a compression suffix */
	struct buf data;	/* the module, decompressed */
	struct strv deps;	/* its .modinfo's depends= */
	enum mod_state state;
	bool deps_read, placed;
};

struct mods {
	const char *deb, *release;
	char *prefix;		/* "lib/modules/R/"; packages of merged-/usr releases */
	char *usr_prefix;	/* (Debian 13 on) put them in "usr/lib/modules/R/" */
	struct mod *v;
	size_t n, cap;
	struct buf builtin;	/* modules.builtin, when the package has one */
	bool have_builtin;
};

static const char *const compressed[] = { ".xz", ".zst", ".gz" };

/* The module name of PATH ("kernel/net/sched/sch_ingress.ko.xz" ->
 * "sch_ingress"), or NULL when PATH is no module; *PACKED says whether it is
 * compressed. */
static char *mod_name(const char *path, bool *packed)
{
	const char *base = strrchr(path, '/'), *ko;
	size_t i, blen;
	char *name;

	base = base ? base + 1 : path;
	ko = strstr(base, ".ko");
	if (!ko || ko == base)
		return NULL;
	*packed = false;
	if (ko[3]) {
		for (i = 0; i < sizeof(compressed) / sizeof(compressed[0]); i++)
			if (!strcmp(ko + 3, compressed[i]))
				*packed = true;
		if (!*packed)
			return NULL;
	}
	blen = (size_t)(ko - base);
	name = xmalloc(blen + 1);
	for (i = 0; i < blen; i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	name[blen] = '\0';
	return name;
}

static struct mod *mods_find(struct mods *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

static struct mod *mods_want(struct mods *m, const char *name)
{
	struct mod *x = mods_find(m, name);

	if (x)
		return x;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	x = &m->v[m->n++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	for (char *c = x->name; *c; c++)
		if (*c == '-')
			*c = '_';
	return x;
}

static int read_all(struct archive *a, struct buf *out, const char *what)
{
	char *ctx = xasprintf("cannot read %s", what);
	int err = archive_reader_read_entry(a, ctx, FORMATS_MAX_MODULE, out, -1);

	free(ctx);
	return err;
}

/* Replaces DATA (a compressed module) by its contents (xz, zstd, gzip). */
static int decompress(struct buf *data, const char *what)
{
	struct buf out = {0};
	char why[256];
	int err = kimage_decompress(data->data, data->len, 0, &out, why, sizeof(why), NULL);

	if (err) {
		report_error("cannot decompress %s: %s", what, why);
		buf_free(&out);
		return err;
	}
	buf_free(data);
	*data = out;
	return 0;
}

/* One walk of the package: modules.builtin, and each wanted module. */
static int take_entry(void *ctx, const char *path, struct archive *a,
		      const struct deb_control *control)
{
	struct mods *m = ctx;
	size_t plen = strlen(m->prefix), ulen = strlen(m->usr_prefix);
	const char *rest;
	struct mod *x;
	bool packed;
	char *name;
	int err;

	(void)control;
	if (!strncmp(path, m->prefix, plen))
		rest = path + plen;
	else if (!strncmp(path, m->usr_prefix, ulen))
		rest = path + ulen;
	else
		return 0;
	if (!strcmp(rest, "modules.builtin") && !m->have_builtin) {
		m->have_builtin = true;
		return read_all(a, &m->builtin, path);
	}
	if (strncmp(rest, "kernel/", 7) || !(name = mod_name(rest, &packed)))
		return 0;
	x = mods_find(m, name);
	free(name);
	if (!x || x->state != MOD_WANTED)
		return 0;
	err = read_all(a, &x->data, path);
	if (!err && packed)
		err = decompress(&x->data, path);
	if (err)
		return err;
	x->guest_path = xasprintf("/%s", path);
	if (packed)
		*strrchr(x->guest_path, '.') = '\0';
	x->state = MOD_FOUND;
	return 0;
}

static bool is_builtin(const struct mods *m, const char *name)
{
	const char *p = m->builtin.data, *end = p + m->builtin.len;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xmalloc(len + 1), *got;
		bool packed, same;

		memcpy(line, p, len);
		line[len] = '\0';
		got = mod_name(line, &packed);
		same = got && !strcmp(got, name);
		free(got);
		free(line);
		if (same)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Reads what module XI depends on (its .modinfo's "depends=a,b") and wants
 * those modules too. */
static int want_deps(struct mods *m, size_t xi)
{
	struct buf info = {0};
	struct strv deps = {0};
	char *label = xasprintf("module %s", m->v[xi].name);
	int err = elf_mem_read_section(m->v[xi].data.data, m->v[xi].data.len, label, ".modinfo",
					 &info);

	m->v[xi].deps_read = true;
	if (err == -ENOENT)
		err = 0;	/* no .modinfo: depends on nothing */
	for (size_t off = 0; !err && off < info.len;) {
		const char *s = info.data + off;
		size_t len = strnlen(s, info.len - off);

		if (len > 8 && !strncmp(s, "depends=", 8)) {
			char *list = xmalloc(len - 7), *save = NULL;

			memcpy(list, s + 8, len - 8);
			list[len - 8] = '\0';
			for (char *d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save))
				strv_push(&deps, d);
			free(list);
		}
		off += len + 1;
	}
	for (size_t i = 0; i < deps.n; i++) {
		struct mod *d = mods_want(m, deps.v[i]);	/* may move m->v */

		strv_push(&m->v[xi].deps, d->name);
	}
	strv_free(&deps);
	buf_free(&info);
	free(label);
	return err;
}

/* Appends X's dependencies, then X, to ORDER, once each; built-in ones go to
 * BUILTIN instead. */
static void place(struct mods *m, struct mod *x, struct strv *order, struct strv *builtin)
{
	if (!x || x->placed)
		return;
	x->placed = true;
	if (x->state == MOD_BUILTIN) {
		if (builtin)
			strv_push(builtin, x->name);
		return;
	}
	for (size_t i = 0; i < x->deps.n; i++)
		place(m, mods_find(m, x->deps.v[i]), order, builtin);
	strv_push(order, x->name);
}

static int write_archive(struct mods *m, const struct strv *order, const char *path)
{
	struct initramfs *ir;
	struct buf list = {0};
	int err = initramfs_create(path, &ir);

	for (size_t i = 0; !err && i < order->n; i++) {
		struct mod *x = mods_find(m, order->v[i]);

		err = initramfs_add_data(ir, x->guest_path, x->data.data, x->data.len, 0644);
		buf_printf(&list, "%s\n", x->guest_path);
	}
	if (!err)
		err = initramfs_add_data(ir, VM_MODULES_LIST, list.data ? list.data : "", list.len,
					 0644);
	buf_free(&list);
	if (err) {
		initramfs_abort(ir);
		return err;
	}
	return initramfs_finish(ir);
}

int vm_modules_write(const char *deb, const char *release, const struct strv *names,
		     const char *path, struct strv *loaded, struct strv *builtin)
{
	struct mods m = { .deb = deb, .release = release };
	char *ctx = xasprintf("cannot read package %s", deb);
	struct strv order = {0};
	size_t pass, i, n0;
	int err = 0;

	m.prefix = xasprintf("lib/modules/%s/", release);
	m.usr_prefix = xasprintf("usr/%s", m.prefix);
	for (i = 0; i < names->n; i++)
		mods_want(&m, names->v[i]);
	for (pass = 0; !err && pass < MAX_PASSES; pass++) {
		bool wanted = false;

		for (i = 0; i < m.n; i++)
			wanted |= m.v[i].state == MOD_WANTED;
		if (!wanted)
			break;
		report_debug("%s: reading modules (pass %zu)", deb, pass + 1);
		err = deb_walk(deb, ctx, NULL, take_entry, &m);
		/* Only what this walk looked for: dependencies found on the
		 * way are wanted by the next. */
		n0 = m.n;
		for (i = 0; !err && i < n0; i++) {
			if (m.v[i].state == MOD_WANTED) {
				if (!is_builtin(&m, m.v[i].name)) {
					report_error("kernel package %s has no module %s (in lib/modules/%s or usr/lib/modules/%s)",
						     deb, m.v[i].name, release, release);
					err = -ENOENT;
				}
				m.v[i].state = MOD_BUILTIN;
			} else if (m.v[i].state == MOD_FOUND && !m.v[i].deps_read) {
				err = want_deps(&m, i);
			}
		}
	}
	for (i = 0; !err && i < m.n; i++) {
		if (m.v[i].state == MOD_WANTED) {
			report_error("%s: module %s is more than %d dependencies deep", deb,
				     m.v[i].name, MAX_PASSES);
			err = -ELOOP;
		}
	}
	for (i = 0; !err && i < names->n; i++) {
		char *n = xstrdup(names->v[i]);

		for (char *c = n; *c; c++)
			if (*c == '-')
				*c = '_';
		place(&m, mods_find(&m, n), &order, builtin);
		free(n);
	}
	if (!err)
		err = write_archive(&m, &order, path);
	if (!err && loaded) {
		for (i = 0; i < order.n; i++)
			strv_push(loaded, order.v[i]);
	}
	for (i = 0; i < m.n; i++) {
		free(m.v[i].name);
		free(m.v[i].guest_path);
		buf_free(&m.v[i].data);
		strv_free(&m.v[i].deps);
	}
	free(m.v);
	free(m.prefix);
	free(m.usr_prefix);
	free(ctx);
	buf_free(&m.builtin);
	strv_free(&order);
	return err;
}

int vm_modules_append(const char *initrd, const char *extra, const char *out)
{
	struct buf a = {0}, b = {0};
	int err = fs_read_file(initrd, &a);

	if (!err)
		err = fs_read_file(extra, &b);
	if (!err) {
		buf_append(&a, b.data, b.len);
		err = fs_write_atomic(out, a.data, a.len, 0600);
	}
	buf_free(&a);
	buf_free(&b);
	return err;
}
