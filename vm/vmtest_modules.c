/* vmtest_modules: what a vmtest run adds to the guest: with --modules, per
 * kernel package, an initrd that adds the modules asked for and their
 * dependencies, kept in the cache for the next run; for a guest of another
 * arch, its busybox (vm_busybox). */
#include "vmtest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/report.h"
#include <xxhash.h>

#include "../lib/toolchain.h"
#include "vm_busybox.h"
#include "vm_modules.h"

/* The cache's module archive for kernel package DEB and the modules MODS
 * (in any order and spelling): BASE.mod-HASH.gz (vm/vm_kernel.h). NULL
 * without a cache. */
static char *modules_cache_path(const char *kcache, const char *deb, const struct strv *mods)
{
	struct strv names = {0};
	struct buf id = {0};
	char *base, *path = NULL;

	if (!kcache || !(base = vm_kernel_cache_base(kcache, deb)))
		return NULL;
	for (size_t i = 0; i < mods->n; i++) {
		char *n = xstrdup(mods->v[i]);

		for (char *c = n; *c; c++)
			if (*c == '-')
				*c = '_';
		strv_push(&names, n);
		free(n);
	}
	strv_sort(&names);
	for (size_t i = 0; i < names.n; i++)
		if (!i || strcmp(names.v[i], names.v[i - 1]))
			buf_printf(&id, "%s,", names.v[i]);
	path = xasprintf("%s.mod-%016llx.gz", base,
			 (unsigned long long)XXH3_64bits(id.data, id.len));
	buf_free(&id);
	strv_free(&names);
	free(base);
	return path;
}

/* Copies SRC to the cache file DST (atomically: parallel runs share it). */
static void cache_put(const char *src, const char *dst)
{
	struct buf data = {0};
	char *dir = fs_dirname(dst);

	if (fs_mkdir_p(dir, 0755) == 0 && fs_read_file(src, &data) == 0)
		fs_write_atomic(dst, data.data, data.len, 0644);
	buf_free(&data);
	free(dir);
}

int vmtest_add_modules(struct vmtest *t, const char *kcache)
{
	for (size_t i = 0; i < t->n; i++) {
		struct vmtest_run *r = &t->runs[i];
		struct strv loaded = {0}, builtin = {0};
		char *extra, *cached;
		int err = 0;

		if (!r->k.deb || !r->k.release) {
			report_warn("%s: not a kernel package, so --modules loads nothing there",
				    r->name);
			continue;
		}
		cached = modules_cache_path(kcache, r->k.arg, &t->modules);
		extra = cached && fs_exists(cached) ? xstrdup(cached)
						    : xasprintf("%s/%zu.modules.gz", t->work, i);
		if (cached && !strcmp(extra, cached)) {
			report_debug("%s: the modules archive made by an earlier run, %s", r->name,
				     cached);
		} else {
			err = vm_modules_write(r->k.arg, r->k.release, &t->modules, extra, &loaded,
					       &builtin);
			if (!err) {
				struct buf say = {0};

				for (size_t j = 0; j < loaded.n; j++)
					buf_printf(&say, " %s", loaded.v[j]);
				if (!loaded.n)
					buf_append_str(&say, " none");
				for (size_t j = 0; j < builtin.n; j++)
					buf_printf(&say, "%s%s", j ? " " : "; built in: ", builtin.v[j]);
				report_debug("%s: modules to load:%s", r->name, say.data);
				buf_free(&say);
				/* Kept for the next run. */
				if (cached)
					cache_put(extra, cached);
			}
		}
		r->initrd = xasprintf("%s/%zu.initrd.gz", t->work, i);
		if (!err)
			err = vm_modules_append(t->initrd, extra, r->initrd);
		if (strcmp(extra, cached ? cached : ""))
			unlink(extra);
		free(extra);
		free(cached);
		strv_free(&loaded);
		strv_free(&builtin);
		if (err)
			return err;
		if (vmtest_signal)
			return -EINTR;
	}
	return 0;
}


int vmtest_find_busybox(struct vmtest *t, const char *kcache)
{
	const struct toolchain_arch *arch = toolchain_arch_find(t->machine->arch);
	struct vm_busybox b;
	char why[1024];
	int err = vm_busybox_find(t->machine->arch, arch->deb_arch, kcache, t->work, &b, why,
				  sizeof(why));

	if (err) {
		report_error("%s", why);
		if (err == -ENOENT && !b.source)
			report_hint("%s", b.fix);
		vm_busybox_free(&b);
		return err;
	}
	report_debug("busybox: %s%s%s", b.from_deb ? b.member : "", b.from_deb ? " of " : "", b.source);
	t->busybox = b.path;
	b.path = NULL;
	vm_busybox_free(&b);
	return 0;
}
