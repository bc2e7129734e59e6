/* btf_source_archive: kernel BTF sources in archives: btfhub's
 * .btf.tar.xz (one or more kernels in a tar) and Debian packages (through
 * formats/deb). Split from btf_source.c along its seam. */
#include "btf_source.h"
#include "btf_source_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/report.h"
#include "../formats/archive_reader.h"
#include "../formats/deb.h"
#include "../formats/kimage.h"

/* ---- archives ---------------------------------------------------------- */

/* A file in a tar that may hold a kernel's BTF: btfhub's "<release>.btf", or
 * a vmlinux/vmlinuz/Image someone packed. */
static bool source_tar_candidate(struct archive_entry *e)
{
	const char *base;
	size_t n;

	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
		return false;
	base = fs_basename(archive_entry_pathname(e));
	n = strlen(base);
	return (n > 4 && !strcmp(base + n - 4, ".btf")) || !strncmp(base, "vmlinux", 7) ||
	       !strncmp(base, "vmlinuz", 7) || !strncmp(base, "bzImage", 7) || !strncmp(base, "Image", 5);
}

/* Lists the kernels in the tar archive at PATH (already opened as A). */
int source_expand_tar(struct archive *a, const char *path, struct btf_source_list *list)
{
	struct archive_entry *e;
	char *ctx = source_ctx(path, NULL);
	struct strv members = {0};
	char why[512];
	int r, err = 0;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (!archive_reader_entry_safe(e, why, sizeof(why))) {
			report_error("%s: %s; refusing the archive", ctx, why);
			err = -EINVAL;
			goto out;
		}
		if (source_tar_candidate(e))
			strv_push(&members, archive_entry_pathname(e));
		/* Skipping still decompresses: that is how a truncated
		 * archive is caught here rather than later. */
		if (archive_read_data_skip(a) < ARCHIVE_WARN) {
			r = ARCHIVE_FATAL;
			break;
		}
	}
	if (r != ARCHIVE_EOF) {
		report_error("%s: archive is truncated or corrupt: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
		goto out;
	}
	if (members.n == 0) {
		report_error("%s: the archive holds no BTF file (no <release>.btf, vmlinux or kernel image)", ctx);
		err = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < members.n; i++) {
		const char *mem = members.v[i];
		struct btf_key k = {0};
		struct btf_key_hints h = { .file_name = mem };
		char *full = fs_realpath(path), *origin;

		/* The archive's own btfhub path names its one kernel. */
		if (!(members.n == 1 && full && btf_key_from_btfhub_path(full, &k, NULL, 0)) &&
		    !btf_key_from_btfhub_path(mem, &k, NULL, 0))
			btf_key_derive(&k, &h);
		origin = xasprintf("%s (%s)", path, archive_reader_member_name(mem));
		list_push(list, &k, path, origin, BTF_SOURCE_ARCHIVE, mem);
		free(origin);
		free(full);
	}
out:
	strv_free(&members);
	free(ctx);
	return err;
}

/* Finds MEMBER (NULL: the only BTF file) in the tar at PATH and reads it
 * into DATA, or when FD >= 0 writes it to FD (see source_archive_read_entry).
 * Every entry is checked, as when listing. */
int source_read_tar(const char *path, const char *member, struct buf *data, int fd,
			   char **found)
{
	struct archive *a = archive_reader_new(true, false, false);
	struct archive_entry *e;
	char *ctx = source_ctx(path, member);
	char why[512];
	size_t candidates = 0;
	int r, err = 0;

	*found = NULL;
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		report_error("%s: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		bool want;

		if (!archive_reader_entry_safe(e, why, sizeof(why))) {
			report_error("%s: %s; refusing the archive", ctx, why);
			err = -EINVAL;
			goto out;
		}
		want = member ? !strcmp(name, member) && archive_entry_filetype(e) == AE_IFREG
			      : source_tar_candidate(e);
		if (want && ++candidates > 1 && !member) {
			report_error("%s: the archive holds more than one BTF file ('%s', '%s')", ctx,
				     *found, name);
			report_hint("list it with `bpfpack inspect`, or unpack the one you want");
			err = -EINVAL;
			goto out;
		}
		if (want && candidates == 1) {
			size_t n = strlen(name);

			*found = xstrdup(name);
			/* btfhub's <release>.btf is raw BTF: the smaller cap. */
			err = archive_reader_read_entry(a, ctx, n > 4 && !strcmp(name + n - 4, ".btf")
							? (size_t)FORMATS_MAX_BTF : (size_t)FORMATS_MAX_IMAGE,
							data, fd);
			if (err)
				goto out;
		} else if (archive_read_data_skip(a) < ARCHIVE_WARN) {
			r = ARCHIVE_FATAL;
			break;
		}
	}
	if (r != ARCHIVE_EOF) {
		report_error("%s: archive is truncated or corrupt: %s", ctx, archive_reader_why(a));
		err = -EINVAL;
	} else if (!candidates) {
		if (member)
			report_error("%s: the archive has no file '%s'", ctx, member);
		else
			report_error("%s: the archive holds no BTF file (no <release>.btf, vmlinux or kernel image)", ctx);
		err = -ENOENT;
	}
out:
	if (err) {
		free(*found);
		*found = NULL;
	}
	archive_read_free(a);
	free(ctx);
	return err;
}

/* ---- .deb ------------------------------------------------------------------ */

/* The kernel's path in a package: an image in boot/, or a vmlinux with
 * debug info in a -dbg (Debian) or -dbgsym (Ubuntu) package. */
static bool source_deb_kernel(const char *path, char *release, size_t size)
{
	static const char *const prefixes[] = {
		"boot/vmlinuz-", "boot/vmlinux-", "usr/lib/debug/boot/vmlinux-",
	};
	static const char mods[] = "usr/lib/debug/lib/modules/";

	path = archive_reader_member_name(path);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(path, prefixes[i], n) && key_valid_release(path + n, strlen(path + n))) {
			key_set(release, size, path + n, strlen(path + n));
			return true;
		}
	}
	if (!strncmp(path, mods, strlen(mods))) {
		const char *rel = path + strlen(mods), *slash = strchr(rel, '/');

		if (slash && !strcmp(slash, "/vmlinux") && key_valid_release(rel, (size_t)(slash - rel))) {
			key_set(release, size, rel, (size_t)(slash - rel));
			return true;
		}
	}
	return false;
}

static int source_deb_take(void *ctx, const char *iname, struct archive *in,
			   const struct deb_control *c)
{
	struct source_deb *d = ctx;

	(void)c;
	if (d->want ? strcmp(iname, archive_reader_member_name(d->want)) != 0
		    : !source_deb_kernel(iname, d->release, sizeof(d->release)))
		return 0;
	if (d->debug_only && strncmp(iname, "usr/lib/debug/", 14))
		return 0;
	d->member = xstrdup(iname);
	if (d->want)
		source_deb_kernel(iname, d->release, sizeof(d->release));
	if (d->data || d->fd >= 0) {
		/* A vmlinux with DWARF goes to a file for pahole; a kernel
		 * read into memory has the smaller cap. */
		int err = archive_reader_read_entry(in, d->ctx, d->fd >= 0 ? (size_t)FORMATS_MAX_DEBUG_VMLINUX
									      : (size_t)FORMATS_MAX_IMAGE,
						    d->data, d->fd);
		if (err)
			return err;
	}
	return 1;
}

/* Walks the .deb at PATH (formats/deb): reads its control file and finds its
 * kernel (WANT: that member; NULL: the first kernel, for listing; with
 * DEBUG_ONLY only a vmlinux with debug info counts). When DATA is given,
 * reads the kernel into it; when FD >= 0, writes it there. */
int source_deb_walk(const char *path, const char *want, bool debug_only,
			   struct source_deb *d, struct buf *data, int fd)
{
	char *ctx = source_ctx(path, want ? archive_reader_member_name(want) : NULL);
	int err;

	memset(d, 0, sizeof(*d));
	d->want = want;
	d->ctx = ctx;
	d->debug_only = debug_only;
	d->data = data;
	d->fd = fd;
	err = deb_walk(path, ctx, &d->c, source_deb_take, d);
	if (err > 0) {
		err = 0;
	} else if (err < 0) {
		/* reported */
	} else if (want) {
		report_error("%s: the package has no file '%s'", ctx, archive_reader_member_name(want));
		err = -ENOENT;
	} else if (debug_only) {
		report_error("%s: package %s %s holds no vmlinux with debug info (no usr/lib/debug/boot/vmlinux-*)",
			     ctx, d->c.package[0] ? d->c.package : "?", d->c.version[0] ? d->c.version : "?");
		report_hint("the DWARF of a Debian kernel is in linux-image-<release>-dbg");
		err = -ENOENT;
	} else {
		report_error("%s: package %s %s holds no kernel (no boot/vmlinuz-* or usr/lib/debug/boot/vmlinux-*)",
			     ctx, d->c.package[0] ? d->c.package : "?", d->c.version[0] ? d->c.version : "?");
		if (!d->c.has_data)
			report_hint("the package has no data.tar member");
		else if (!strncmp(d->c.package, "linux-image-", 12))
			report_hint("a linux-image metapackage only depends on the real one, linux-image-<release>");
		err = -ENOENT;
	}
	if (err) {
		free(d->member);
		d->member = NULL;
	}
	free(ctx);
	return err;
}

int btf_source_deb_extract(const char *path, int fd, char **member)
{
	struct source_deb d;
	int err = source_deb_walk(path, NULL, true, &d, NULL, fd);

	*member = err ? NULL : d.member;
	return err;
}

int source_expand_deb(const char *path, struct btf_source_list *list)
{
	struct source_deb d;
	struct btf_key k = {0};
	struct btf_key_hints h = {0};
	char *origin;
	int err = source_deb_walk(path, NULL, false, &d, NULL, -1);

	if (err)
		return err;
	h.release = d.release;
	h.pkg_version = d.c.version[0] ? d.c.version : NULL;
	h.pkg_arch = d.c.arch[0] ? d.c.arch : NULL;
	h.maintainer = d.c.maintainer[0] ? d.c.maintainer : NULL;
	btf_key_derive(&k, &h);
	origin = xasprintf("%s (%s)", path, archive_reader_member_name(d.member));
	list_push(list, &k, path, origin, BTF_SOURCE_DEB, d.member);
	free(origin);
	free(d.member);
	return 0;
}

