/* test_btf_source: every kind of kernel BTF source is recognised by content
 * and yields the same BTF bytes; keys come from btfhub paths, file names,
 * banners and package fields, never from the machine running the test;
 * --filter terms parse and match; hostile and broken archives, packages
 * and trees fail with one clear line; btf_from_debug runs pahole on real
 * DWARF. Archives and packages are built here with libarchive's writer; the
 * Debian kernels and corpus in ../shared are used when they exist. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <bpf/btf.h>
#include <linux/btf.h>

#include "../../btfhub/btf_source.h"
#include "../../btfhub/pahole.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"
#include "../../lib/report.h"
#include "testutil.h"

/* The fixtures in ../shared beside the checkout (BPFPACK_ROOT, which
 * tests/run.sh sets), else beside the current directory. */
static const char *shared_path(const char *rel)
{
	static char bufs[4][4096];
	static unsigned next;
	const char *root = getenv("BPFPACK_ROOT");
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/../shared%s", root && *root ? root : ".", rel);
	return b;
}

/* ---- helpers ---- */

static size_t count_lines_not_hint(const char *s)
{
	size_t n = 0;

	for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, "hint: ", 6) != 0)
			n++;
	return n;
}

static void expect_text(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("expected \"%s\" in: %s", want, text);
}

/* Expands PATH expecting failure: one error line (hints may follow)
 * containing WANT. */
static int expand_fails(const char *path, const char *want)
{
	struct btf_source_list l = {0};
	struct stderr_capture cap;
	char *err;
	int rc;

	stderr_capture_begin(&cap);
	rc = btf_source_expand(path, &l);
	err = stderr_capture_end(&cap);
	assert_true(rc < 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(count_lines_not_hint(err), 1);
	assert_true(!strncmp(err, "bpfpack: test: ", 15));
	expect_text(err, want);
	free(err);
	return rc;
}

static int load_fails(const char *path, const char *want)
{
	struct stderr_capture cap;
	struct btf *btf = (struct btf *)1;
	char *err;
	int rc;

	stderr_capture_begin(&cap);
	rc = btf_source_load(path, &btf);
	err = stderr_capture_end(&cap);
	assert_true(rc < 0);
	assert_null(btf);
	assert_int_equal(count_lines_not_hint(err), 1);
	assert_null(strstr(err, "libbpf: "));
	expect_text(err, want);
	free(err);
	return rc;
}

/* Reads entry E's raw BTF and checks it equals WANT. */
static void read_equals(const struct btf_source_entry *e, const void *want, size_t len)
{
	struct buf raw = {0};
	struct btf *btf = NULL;

	assert_int_equal(btf_source_read_raw(e, &raw), 0);
	assert_int_equal(raw.len, len);
	assert_memory_equal(raw.data, want, len);
	assert_int_equal(btf_source_parse(e, &raw, &btf), 0);
	assert_true(btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	btf__free(btf);
	buf_free(&raw);
}

static la_ssize_t write_to_buf(struct archive *a, void *data, const void *block, size_t n)
{
	(void)a;
	buf_append(data, block, n);
	return (la_ssize_t)n;
}

struct tentry {
	const char *name;
	const void *data;
	size_t len;
	int type;		/* 0: regular file */
	const char *link;	/* symlink or hardlink target */
};

/* An archive of ENTRIES in FORMAT ("pax", "ar" = dpkg's ar) compressed
 * with FILTER (NULL: none), in memory. */
static void archive_build(const char *format, const char *filter, const struct tentry *entries,
			  size_t n, struct buf *out)
{
	struct archive *a = archive_write_new();

	buf_reset(out);
	if (!strcmp(format, "ar"))
		assert_int_equal(archive_write_set_format_ar_svr4(a), ARCHIVE_OK);
	else
		assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (filter)
		assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, write_to_buf, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		const struct tentry *t = &entries[i];

		archive_entry_set_pathname(e, t->name);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (t->type == AE_IFLNK) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, t->link);
		} else if (t->type == AE_IFDIR) {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			if (t->link)
				archive_entry_set_hardlink(e, t->link);
			else
				archive_entry_set_size(e, (la_int64_t)t->len);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (t->type == 0 && !t->link && t->len)
			assert_int_equal(archive_write_data(a, t->data, t->len), (la_ssize_t)t->len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void compress(const char *filter, const void *data, size_t len, struct buf *out)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	buf_reset(out);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, write_to_buf, NULL), ARCHIVE_OK);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
}

/* A small BTF with a task_struct, distinct per SEED. */
static struct btf *tiny_btf(int seed)
{
	struct btf *b = btf__new_empty();
	int i_int;
	char name[32];

	assert_non_null(b);
	i_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	assert_true(btf__add_struct(b, "task_struct", 8) > 0);
	assert_int_equal(btf__add_field(b, "pid", i_int, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "tgid", i_int, 32, 0), 0);
	snprintf(name, sizeof(name), "seed_%d", seed);
	assert_true(btf__add_struct(b, name, 4) > 0);
	assert_int_equal(btf__add_field(b, "x", i_int, 0, 0), 0);
	return b;
}

struct fixture {
	char *dir;
	struct btf *btf[2];
	const void *raw[2];
	uint32_t raw_len[2];
};

static char *fx_path(struct fixture *fx, const char *rel)
{
	char *path = fs_path_join(fx->dir, rel), *dir = fs_dirname(path);

	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	free(dir);
	return path;
}

static char *fx_write(struct fixture *fx, const char *rel, const void *data, size_t len)
{
	char *path = fx_path(fx, rel);

	assert_int_equal(fs_write_atomic(path, data, len, 0644), 0);
	return path;
}

/* btfhub's packing of BTF I: a tar.xz holding "<release>.btf". */
static char *fx_btfhub_archive(struct fixture *fx, const char *rel, const char *release, int i)
{
	char *member = xasprintf("%s.btf", release), *path;
	struct tentry e = { member, fx->raw[i], fx->raw_len[i], 0, NULL };
	struct buf tar = {0};

	archive_build("pax", "xz", &e, 1, &tar);
	path = fx_write(fx, rel, tar.data, tar.len);
	buf_free(&tar);
	free(member);
	return path;
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	report_set_command("test");
	if (fs_mkdtemp("test_btf_source", &fx->dir) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fx->btf[i] = tiny_btf(i);
		fx->raw[i] = btf__raw_data(fx->btf[i], &fx->raw_len[i]);
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fs_rm_rf(fx->dir);
	free(fx->dir);
	for (int i = 0; i < 2; i++)
		btf__free(fx->btf[i]);
	free(fx);
	return 0;
}

static void key_is(const struct btf_key *k, const char *distro, const char *version,
		   const char *arch, const char *release)
{
	char got[256], want[256];

	btf_key_format(k, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/%s/%s/%s", distro, version, arch, release);
	if (strcmp(got, want))
		fail_msg("key %s, expected %s", got, want);
}

/* ---- keys ---- */

static void test_key_from_btfhub_path(void **state)
{
	struct btf_key k;
	char why[256];

	(void)state;
	assert_true(btf_key_from_btfhub_path("/x/debian/12/x86_64/6.1.0-50-amd64.btf.tar.xz", &k, why, sizeof(why)));
	key_is(&k, "debian", "12", "x86_64", "6.1.0-50-amd64");
	assert_true(btf_key_from_btfhub_path("ubuntu/20.04/aarch64/5.4.0-1018-aws.btf", &k, why, sizeof(why)));
	key_is(&k, "ubuntu", "20.04", "arm64", "5.4.0-1018-aws");
	assert_true(btf_key_from_btfhub_path("centos/7/x86_64/3.10.0-1160.el7.x86_64.btf.tar.xz", &k, NULL, 0));
	key_is(&k, "centos", "7", "x86_64", "3.10.0-1160.el7.x86_64");

	assert_false(btf_key_from_btfhub_path("debian/12/mips/6.1.0-50-amd64.btf.tar.xz", &k, why, sizeof(why)));
	expect_text(why, "'mips' is not an arch");
	assert_false(btf_key_from_btfhub_path("debian/12/amd64/6.1.0-50-amd64.btf.tar.xz", &k, why, sizeof(why)));
	expect_text(why, "'amd64' is not an arch");
	assert_false(btf_key_from_btfhub_path("debian/12/x86_64/6.1.0-50-amd64.tar.gz", &k, why, sizeof(why)));
	expect_text(why, "name is not <release>.btf.tar.xz");
	assert_false(btf_key_from_btfhub_path("debian/12/x86_64/latest.btf.tar.xz", &k, why, sizeof(why)));
	expect_text(why, "'latest' is not a kernel release");
	assert_false(btf_key_from_btfhub_path("debian/bookworm/x86_64/6.1.0-50-amd64.btf", &k, why, sizeof(why)));
	expect_text(why, "'bookworm' is not a distro version");
	assert_false(btf_key_from_btfhub_path("Debian/12/x86_64/6.1.0-50-amd64.btf", &k, why, sizeof(why)));
	expect_text(why, "'Debian' is not a distro name");
	assert_false(btf_key_from_btfhub_path("x86_64/6.1.0-50-amd64.btf", &k, why, sizeof(why)));
	expect_text(why, "not inside <distro>/<version>/<arch>/");
}

static void derive(struct btf_key *k, const char *release, const char *banner, const char *pkg_version,
		   const char *pkg_arch, const char *maintainer, const char *file_name)
{
	struct btf_key_hints h = {
		.release = release, .banner = banner, .pkg_version = pkg_version,
		.pkg_arch = pkg_arch, .maintainer = maintainer, .file_name = file_name,
	};

	memset(k, 0, sizeof(*k));
	btf_key_derive(k, &h);
}

static void test_key_derivation(void **state)
{
	struct btf_key k;

	(void)state;
	/* Debian: ABI suffixes first, then the series each release shipped. */
	derive(&k, "6.1.0-50-cloud-amd64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "debian", "12", "x86_64", "6.1.0-50-cloud-amd64");
	derive(&k, "6.12.107+deb12-amd64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "debian", "12", "x86_64", "6.12.107+deb12-amd64");
	derive(&k, "6.1.0-0.deb11.48-amd64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "debian", "11", "x86_64", "6.1.0-0.deb11.48-amd64");
	derive(&k, "6.12.117+deb13-cloud-arm64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "debian", "13", "arm64", "6.12.117+deb13-cloud-arm64");
	derive(&k, "5.10.0-32-amd64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "debian", "11", "x86_64", "5.10.0-32-amd64");
	/* A backport's package version says where it belongs. */
	derive(&k, "6.12.95+bpo-amd64", NULL, "6.12.95-1~bpo12+1", "amd64",
	       "Debian Kernel Team <debian-kernel@lists.debian.org>", NULL);
	key_is(&k, "debian", "12", "x86_64", "6.12.95+bpo-amd64");
	derive(&k, "6.1.0-56-cloud-amd64", NULL, "6.1.192-2", "amd64",
	       "Debian Kernel Team <debian-kernel@lists.debian.org>", NULL);
	key_is(&k, "debian", "12", "x86_64", "6.1.0-56-cloud-amd64");
	/* A banner's Debian package version, not its compiler's (+deb12u1). */
	derive(&k, NULL, "6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)",
	       NULL, NULL, NULL, NULL);
	key_is(&k, "debian", "12", "x86_64", "6.1.0-50-cloud-amd64");
	derive(&k, NULL, "6.1.192 (root@vm) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 Tue Nov 24 18:25:59 UTC 2026",
	       NULL, NULL, NULL, NULL);
	key_is(&k, "?", "?", "?", "6.1.192");

	/* Ubuntu: "~20.04" in the package version or banner (HWE), else the series. */
	derive(&k, "5.15.0-91-generic", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "ubuntu", "22.04", "?", "5.15.0-91-generic");
	derive(&k, "5.15.0-91-generic", NULL, "5.15.0-91.101~20.04.1", "arm64",
	       "Ubuntu Kernel Team <kernel-team@lists.ubuntu.com>", NULL);
	key_is(&k, "ubuntu", "20.04", "arm64", "5.15.0-91-generic");
	derive(&k, NULL, "5.4.0-150-generic (buildd@lcy02-amd64-067) (gcc version 7.5.0 (Ubuntu 7.5.0-3ubuntu1~18.04)) #167~18.04.1-Ubuntu SMP Wed May 24 00:51:42 UTC 2023",
	       NULL, NULL, NULL, NULL);
	key_is(&k, "ubuntu", "18.04", "?", "5.4.0-150-generic");

	/* RPM distros name themselves in the release. */
	derive(&k, "3.10.0-1160.el7.x86_64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "centos", "7", "x86_64", "3.10.0-1160.el7.x86_64");
	derive(&k, "5.4.17-2136.300.7.el8uek.aarch64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "ol", "8", "arm64", "5.4.17-2136.300.7.el8uek.aarch64");
	derive(&k, "6.5.6-300.fc39.x86_64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "fedora", "39", "x86_64", "6.5.6-300.fc39.x86_64");
	derive(&k, "4.14.318-241.531.amzn2.x86_64", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "amzn", "2", "x86_64", "4.14.318-241.531.amzn2.x86_64");

	/* File names, when nothing else says the release. */
	derive(&k, NULL, NULL, NULL, NULL, NULL, "/boot/vmlinuz-6.1.0-50-amd64");
	key_is(&k, "debian", "12", "x86_64", "6.1.0-50-amd64");
	derive(&k, NULL, NULL, NULL, NULL, NULL, "x/6.12.117+deb13-amd64.btf");
	key_is(&k, "debian", "13", "x86_64", "6.12.117+deb13-amd64");
	derive(&k, NULL, NULL, NULL, NULL, NULL, "vmlinux.xz");
	key_is(&k, "?", "?", "?", "?");
	derive(&k, "6.18.44-custom", NULL, NULL, NULL, NULL, NULL);
	key_is(&k, "?", "?", "?", "6.18.44-custom");

	/* Fields already set (from a btfhub path) are kept. */
	memset(&k, 0, sizeof(k));
	snprintf(k.distro, sizeof(k.distro), "ubuntu");
	snprintf(k.version, sizeof(k.version), "20.04");
	struct btf_key_hints h = { .release = "6.1.0-50-amd64" };

	btf_key_derive(&k, &h);
	key_is(&k, "ubuntu", "20.04", "x86_64", "6.1.0-50-amd64");
}

/* ---- filters ---- */

static struct btf_key mk(const char *d, const char *v, const char *a)
{
	struct btf_key k = {0};

	snprintf(k.distro, sizeof(k.distro), "%s", d);
	snprintf(k.version, sizeof(k.version), "%s", v);
	snprintf(k.arch, sizeof(k.arch), "%s", a);
	snprintf(k.release, sizeof(k.release), "1.0");
	return k;
}

static void test_filter_parse_and_match(void **state)
{
	struct btf_filter f;
	struct btf_key deb12 = mk("debian", "12", "x86_64"), deb11 = mk("debian", "11", "x86_64"),
		       u20arm = mk("ubuntu", "20.04", "arm64"), u22 = mk("ubuntu", "22.04", "x86_64"),
		       unknown = mk("", "", "");

	(void)state;
	assert_int_equal(btf_filter_parse("debian", &f), 0);
	assert_true(btf_filter_match(&f, &deb12));
	assert_true(btf_filter_match(&f, &deb11));
	assert_false(btf_filter_match(&f, &u22));
	assert_false(btf_filter_match(&f, &unknown));
	btf_filter_free(&f);

	assert_int_equal(btf_filter_parse("debian:12,ubuntu:20.04", &f), 0);
	assert_int_equal(f.n_distros, 2);
	assert_true(btf_filter_match(&f, &deb12));
	assert_false(btf_filter_match(&f, &deb11));
	assert_true(btf_filter_match(&f, &u20arm));
	assert_false(btf_filter_match(&f, &u22));
	btf_filter_free(&f);

	/* Distro terms and arch terms must both match. */
	assert_int_equal(btf_filter_parse("ubuntu,aarch64", &f), 0);
	assert_true(f.arm64 && !f.x86_64);
	assert_true(btf_filter_match(&f, &u20arm));
	assert_false(btf_filter_match(&f, &u22));
	assert_false(btf_filter_match(&f, &deb12));
	btf_filter_free(&f);

	assert_int_equal(btf_filter_parse("x86_64", &f), 0);
	assert_true(btf_filter_match(&f, &deb12));
	assert_true(btf_filter_match(&f, &u22));
	assert_false(btf_filter_match(&f, &u20arm));
	assert_false(btf_filter_match(&f, &unknown));
	btf_filter_free(&f);

	assert_int_equal(btf_filter_parse("arm64,x86_64", &f), 0);
	assert_true(btf_filter_match(&f, &u20arm));
	assert_true(btf_filter_match(&f, &deb12));
	btf_filter_free(&f);

	/* release=R names kernels by release, exactly or as a glob; it must
	 * match too when distro or arch terms are given. */
	snprintf(deb12.release, sizeof(deb12.release), "6.1.0-50-amd64");
	snprintf(deb11.release, sizeof(deb11.release), "5.10.0-32-amd64");
	assert_int_equal(btf_filter_parse("release=6.1.0-50-amd64", &f), 0);
	assert_int_equal(f.n_releases, 1);
	assert_int_equal(f.n_distros, 0);
	assert_true(btf_filter_match(&f, &deb12));
	assert_false(btf_filter_match(&f, &deb11));
	assert_false(btf_filter_match(&f, &unknown));
	btf_filter_free(&f);
	assert_int_equal(btf_filter_parse("release=5.*,release=6.1.?-50-amd64", &f), 0);
	assert_true(btf_filter_match(&f, &deb12));
	assert_true(btf_filter_match(&f, &deb11));
	assert_false(btf_filter_match(&f, &u22));	/* release "1.0" */
	btf_filter_free(&f);
	assert_int_equal(btf_filter_parse("debian:11,release=6.*", &f), 0);
	assert_false(btf_filter_match(&f, &deb12));	/* release matches, distro does not */
	assert_false(btf_filter_match(&f, &deb11));	/* distro matches, release does not */
	btf_filter_free(&f);
	assert_int_equal(btf_filter_parse("release=5.10.*,arm64", &f), 0);
	assert_false(btf_filter_match(&f, &deb11));	/* x86_64 */
	btf_filter_free(&f);
}

static void test_filter_rejects_bad_specs(void **state)
{
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "", "empty" },
		{ ",", "an empty term" },
		{ "debian,", "an empty term" },
		{ "debian,,x86_64", "an empty term" },
		{ "Debian", "'Debian' is neither a distro" },
		{ "debian:", "has no valid version" },
		{ ":12", "'' is neither a distro" },
		{ "debian:bookworm", "'debian:bookworm' has no valid version" },
		{ "deb ian", "'deb ian' is neither" },
		{ "mips", NULL },	/* a distro named mips is fine: no such arch term */
		{ "release=", "'release=' is not a kernel release" },
		{ "release=6.1 0", "'release=6.1 0' is not a kernel release" },
		{ "rel=6.1", "'rel=6.1' is neither a distro" },
		{ "release=6.1.*", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct btf_filter f;
		struct stderr_capture cap;
		char *err;
		int rc;

		stderr_capture_begin(&cap);
		rc = btf_filter_parse(bad[i].spec, &f);
		err = stderr_capture_end(&cap);
		if (!bad[i].why) {
			assert_int_equal(rc, 0);
			btf_filter_free(&f);
		} else {
			if (rc != -EINVAL)
				fail_msg("filter '%s' was accepted", bad[i].spec);
			assert_int_equal(count_lines_not_hint(err), 1);
			expect_text(err, bad[i].why);
			assert_int_equal(f.n_distros, 0);
			assert_null(f.distros);
		}
		free(err);
	}
}

/* ---- kinds, by content ---- */

static void test_raw_and_compressed_btf(void **state)
{
	struct fixture *fx = *state;
	struct btf_source_list l = {0};
	struct buf zst = {0};
	char *raw = fx_write(fx, "plain/6.1.0-50-amd64.btf", fx->raw[0], fx->raw_len[0]);
	char *noname = fx_write(fx, "plain/kernel-btf", fx->raw[0], fx->raw_len[0]);
	char *comp;

	compress("zstd", fx->raw[1], fx->raw_len[1], &zst);
	comp = fx_write(fx, "plain/5.10.0-32-amd64.btf.zst", zst.data, zst.len);
	assert_int_equal(btf_source_expand(raw, &l), 0);
	assert_int_equal(btf_source_expand(noname, &l), 0);
	assert_int_equal(btf_source_expand(comp, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].kind, BTF_SOURCE_RAW);
	key_is(&l.v[0].key, "debian", "12", "x86_64", "6.1.0-50-amd64");
	key_is(&l.v[1].key, "?", "?", "?", "?");
	assert_int_equal(l.v[2].kind, BTF_SOURCE_COMPRESSED);
	key_is(&l.v[2].key, "debian", "11", "x86_64", "5.10.0-32-amd64");
	assert_string_equal(l.v[0].path, raw);
	assert_string_equal(l.v[0].origin, raw);
	read_equals(&l.v[0], fx->raw[0], fx->raw_len[0]);
	read_equals(&l.v[2], fx->raw[1], fx->raw_len[1]);
	btf_source_list_free(&l);
	assert_int_equal(l.n, 0);
	buf_free(&zst);
	free(raw);
	free(noname);
	free(comp);
}

static void test_btfhub_archive_file(void **state)
{
	struct fixture *fx = *state;
	struct btf_source_list l = {0};
	struct btf *btf = NULL;
	char *path = fx_btfhub_archive(fx, "hub1/ubuntu/22.04/x86_64/5.15.0-91-generic.btf.tar.xz",
				       "5.15.0-91-generic", 1);
	char *loose = fx_btfhub_archive(fx, "loose/6.1.0-50-amd64.btf.tar.xz", "6.1.0-50-amd64", 0);

	assert_int_equal(btf_source_expand(path, &l), 0);
	assert_int_equal(btf_source_expand(loose, &l), 0);
	assert_int_equal(l.n, 2);
	/* The btfhub path names the kernel; else the member's name does. */
	assert_int_equal(l.v[0].kind, BTF_SOURCE_ARCHIVE);
	key_is(&l.v[0].key, "ubuntu", "22.04", "x86_64", "5.15.0-91-generic");
	assert_string_equal(l.v[0].member, "5.15.0-91-generic.btf");
	key_is(&l.v[1].key, "debian", "12", "x86_64", "6.1.0-50-amd64");
	read_equals(&l.v[0], fx->raw[1], fx->raw_len[1]);
	read_equals(&l.v[1], fx->raw[0], fx->raw_len[0]);
	assert_int_equal(btf_source_load(path, &btf), 0);
	assert_true(btf__find_by_name_kind(btf, "seed_1", BTF_KIND_STRUCT) > 0);
	btf__free(btf);
	btf_source_list_free(&l);
	free(path);
	free(loose);
}

static void test_archive_with_two_kernels(void **state)
{
	struct fixture *fx = *state;
	struct btf_source_list l = {0};
	struct tentry e[] = {
		{ "kernels", NULL, 0, AE_IFDIR, NULL },
		{ "kernels/README", "hello", 5, 0, NULL },
		{ "kernels/6.1.0-50-amd64.btf", fx->raw[0], fx->raw_len[0], 0, NULL },
		{ "kernels/6.1.0-53-amd64.btf", fx->raw[1], fx->raw_len[1], 0, NULL },
		{ "kernels/latest.btf", NULL, 0, AE_IFLNK, "6.1.0-53-amd64.btf" },	/* inside: fine */
	};
	struct buf tar = {0};
	char *path;

	archive_build("pax", "gzip", e, 5, &tar);
	path = fx_write(fx, "two.tar.gz", tar.data, tar.len);
	assert_int_equal(btf_source_expand(path, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].member, "kernels/6.1.0-50-amd64.btf");
	key_is(&l.v[1].key, "debian", "12", "x86_64", "6.1.0-53-amd64");
	read_equals(&l.v[0], fx->raw[0], fx->raw_len[0]);
	read_equals(&l.v[1], fx->raw[1], fx->raw_len[1]);
	load_fails(path, "it holds 2 kernels; one is needed here");
	btf_source_list_free(&l);
	buf_free(&tar);
	free(path);
}

static void test_hostile_archives_refused(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *name;
		int type;
		const char *link;
		const char *why;
	} cases[] = {
		{ "../x.btf", 0, NULL, "entry '../x.btf' leaves the archive's directory ('..')" },
		{ "a/../../x.btf", 0, NULL, "leaves the archive's directory" },
		{ "/abs.btf", 0, NULL, "entry '/abs.btf' has an absolute path" },
		{ "evil.btf", AE_IFLNK, "../../etc/passwd", "symlink 'evil.btf' points outside the archive ('../../etc/passwd')" },
		{ "d/evil", AE_IFLNK, "/etc/shadow", "symlink 'd/evil' points outside the archive" },
		{ "d/up", AE_IFLNK, "../..", "points outside the archive" },
		{ "hard.btf", 0, "../outside.btf", "hardlink 'hard.btf' points outside the archive ('../outside.btf')" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tentry e[] = {
			{ "6.1.0-50-amd64.btf", fx->raw[0], fx->raw_len[0], 0, NULL },
			{ cases[i].name, cases[i].link ? NULL : fx->raw[1],
			  cases[i].link ? 0 : fx->raw_len[1], cases[i].type, cases[i].link },
		};
		struct btf_source_list l = {0};
		struct buf tar = {0};
		char *rel = xasprintf("hostile/%zu.btf.tar.xz", i), *path;

		archive_build("pax", "xz", e, 2, &tar);
		path = fx_write(fx, rel, tar.data, tar.len);
		expand_fails(path, cases[i].why);
		expand_fails(path, "; refusing the archive");
		/* Reading the good member still checks every entry. */
		struct btf_source_entry ent = { .path = path, .origin = path, .kind = BTF_SOURCE_ARCHIVE,
						.member = (char *)"6.1.0-50-amd64.btf" };
		struct buf raw = {0};
		struct stderr_capture cap;
		char *err;

		stderr_capture_begin(&cap);
		assert_true(btf_source_read_raw(&ent, &raw) < 0);
		err = stderr_capture_end(&cap);
		expect_text(err, cases[i].why);
		free(err);
		buf_free(&raw);
		btf_source_list_free(&l);
		buf_free(&tar);
		free(rel);
		free(path);
	}
}

static void test_broken_archives(void **state)
{
	struct fixture *fx = *state;
	struct tentry e = { "6.1.0-50-amd64.btf", fx->raw[0], fx->raw_len[0], 0, NULL };
	struct tentry none = { "README", "x", 1, 0, NULL };
	struct buf tar = {0};
	char *path;

	/* Cut in half: the xz stream ends early. */
	archive_build("pax", "xz", &e, 1, &tar);
	path = fx_write(fx, "broken/half.btf.tar.xz", tar.data, tar.len / 2);
	expand_fails(path, "truncated or corrupt");
	free(path);
	/* Ten bytes of xz. */
	path = fx_write(fx, "broken/ten.xz", tar.data, 10);
	expand_fails(path, "xz-compressed data is truncated or corrupt");
	free(path);
	/* No BTF inside. */
	archive_build("pax", "gzip", &none, 1, &tar);
	path = fx_write(fx, "broken/none.tar.gz", tar.data, tar.len);
	expand_fails(path, "the archive holds no BTF file");
	free(path);
	/* A truncated BTF inside an intact archive. */
	e.len = fx->raw_len[0] - 7;
	archive_build("pax", "xz", &e, 1, &tar);
	path = fx_write(fx, "broken/short.btf.tar.xz", tar.data, tar.len);
	load_fails(path, "(6.1.0-50-amd64.btf): BTF is truncated: header says");
	free(path);
	/* Corrupt BTF: an impossible kind, sizes intact. */
	unsigned char *bad = xmalloc(fx->raw_len[0]);
	const struct btf_header *h = fx->raw[0];

	memcpy(bad, fx->raw[0], fx->raw_len[0]);
	bad[h->hdr_len + h->type_off + 4 + 3] = 0x1f;
	path = fx_write(fx, "broken/corrupt.btf", bad, fx->raw_len[0]);
	load_fails(path, "corrupt BTF: libbpf cannot parse it");
	free(path);
	free(bad);
	buf_free(&tar);
}

/* ---- btfhub trees ---- */

static void test_btfhub_tree(void **state)
{
	struct fixture *fx = *state;
	struct btf_source_list l = {0};
	struct stderr_capture cap;
	char *root = fx_path(fx, "tree"), *sub, *err;
	char *p[6];

	p[0] = fx_btfhub_archive(fx, "tree/debian/12/x86_64/6.1.0-50-amd64.btf.tar.xz", "6.1.0-50-amd64", 0);
	p[1] = fx_write(fx, "tree/ubuntu/20.04/arm64/5.4.0-1018-aws.btf", fx->raw[1], fx->raw_len[1]);
	/* Unexpected names: skipped with a warning each. */
	p[2] = fx_btfhub_archive(fx, "tree/debian/12/mips/6.1.0-50-mips.btf.tar.xz", "x", 0);
	p[3] = fx_write(fx, "tree/debian/12/x86_64/notes.bin", "x", 1);
	/* Silently skipped: documents and hidden entries. */
	p[4] = fx_write(fx, "tree/README.md", "# btfhub", 8);
	p[5] = fx_write(fx, "tree/.git/config", "x", 1);

	stderr_capture_begin(&cap);
	assert_int_equal(btf_source_expand(root, &l), 0);
	err = stderr_capture_end(&cap);
	assert_int_equal(l.n, 2);
	key_is(&l.v[0].key, "debian", "12", "x86_64", "6.1.0-50-amd64");
	assert_string_equal(l.v[0].origin, "debian/12/x86_64/6.1.0-50-amd64.btf.tar.xz");
	assert_int_equal(l.v[0].kind, BTF_SOURCE_ARCHIVE);
	assert_null(l.v[0].member);
	key_is(&l.v[1].key, "ubuntu", "20.04", "arm64", "5.4.0-1018-aws");
	assert_int_equal(l.v[1].kind, BTF_SOURCE_RAW);
	/* One warning per skipped file, naming it and why. */
	assert_int_equal(count_lines_not_hint(err), 2);
	expect_text(err, "warning: skipping ");
	expect_text(err, "debian/12/mips/6.1.0-50-mips.btf.tar.xz: directory 'mips' is not an arch (x86_64, arm64)");
	expect_text(err, "debian/12/x86_64/notes.bin: name is not <release>.btf.tar.xz");
	assert_null(strstr(err, "README"));
	assert_null(strstr(err, ".git"));
	free(err);
	read_equals(&l.v[0], fx->raw[0], fx->raw_len[0]);
	read_equals(&l.v[1], fx->raw[1], fx->raw_len[1]);
	btf_source_list_free(&l);

	/* A subdirectory of the tree keys its kernels the same way. */
	sub = fs_path_join(root, "debian/12");
	stderr_capture_begin(&cap);
	assert_int_equal(btf_source_expand(sub, &l), 0);
	free(stderr_capture_end(&cap));
	assert_int_equal(l.n, 1);
	key_is(&l.v[0].key, "debian", "12", "x86_64", "6.1.0-50-amd64");
	btf_source_list_free(&l);

	/* Several kernels where one is needed. */
	stderr_capture_begin(&cap);
	assert_true(btf_source_load(root, &(struct btf *){NULL}) < 0);
	err = stderr_capture_end(&cap);
	expect_text(err, "it holds 2 kernels; one is needed here");
	expect_text(err, "hint: pass one of its files, e.g. ");
	free(err);
	for (int i = 0; i < 6; i++)
		free(p[i]);
	free(sub);
	free(root);
}

static void test_empty_tree_fails(void **state)
{
	struct fixture *fx = *state;
	char *f = fx_write(fx, "emptytree/README.md", "x", 1), *root = fx_path(fx, "emptytree");

	expand_fails(root, "the directory holds no kernel BTF (expected <distro>/<version>/<arch>/<release>.btf.tar.xz)");
	free(f);
	free(root);
}

/* ---- .deb ---- */

/* A .deb like Debian's: debian-binary, control.tar.xz, data.tar.xz with
 * KERNEL_PATH holding KERNEL (skipped when NULL) and HOSTILE as an extra
 * entry before it (when not NULL). */
static char *fx_deb(struct fixture *fx, const char *rel, const char *control,
		    const char *kernel_path, const struct buf *kernel, const char *hostile,
		    bool with_debian_binary)
{
	struct tentry ctl[] = {
		{ "./", NULL, 0, AE_IFDIR, NULL },
		{ "./control", control, strlen(control), 0, NULL },
	};
	struct tentry data[4];
	size_t n = 0;
	struct buf c = {0}, d = {0}, deb = {0};
	char *path;

	data[n++] = (struct tentry){ "./", NULL, 0, AE_IFDIR, NULL };
	data[n++] = (struct tentry){ "./boot/", NULL, 0, AE_IFDIR, NULL };
	if (hostile)
		data[n++] = (struct tentry){ hostile, NULL, 0, AE_IFLNK, "/etc/passwd" };
	if (kernel)
		data[n++] = (struct tentry){ kernel_path, kernel->data, kernel->len, 0, NULL };
	archive_build("pax", "xz", ctl, 2, &c);
	archive_build("pax", "xz", data, n, &d);
	struct tentry ar[] = {
		{ "debian-binary", "2.0\n", 4, 0, NULL },
		{ "control.tar.xz", c.data, c.len, 0, NULL },
		{ "data.tar.xz", d.data, d.len, 0, NULL },
	};

	archive_build("ar", NULL, with_debian_binary ? ar : ar + 1, with_debian_binary ? 3 : 2, &deb);
	path = fx_write(fx, rel, deb.data, deb.len);
	buf_free(&c);
	buf_free(&d);
	buf_free(&deb);
	return path;
}

static const char deb_control[] =
	"Package: linux-image-6.1.0-0.deb11.48-arm64\n"
	"Source: linux-signed-arm64 (6.1.158-1~deb11u1)\n"
	"Version: 6.1.158-1~deb11u1\n"
	"Architecture: arm64\n"
	"Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>\n"
	"Description: Linux 6.1 for 64-bit ARMv8 machines\n";

/* An arm64 Image: its boot header, a banner, the BTF blob. */
static void fake_image(struct fixture *fx, struct buf *out)
{
	size_t len = 8192 + fx->raw_len[0];
	unsigned char *img = xcalloc(1, len);
	static const char banner[] = "Linux version 6.1.0-0.deb11.48-arm64 (debian-kernel@lists.debian.org) #1 SMP Debian 6.1.158-1~deb11u1\n";

	memcpy(img + 0x38, "ARM\x64", 4);
	memcpy(img + 512, banner, sizeof(banner));
	memcpy(img + 8192, fx->raw[0], fx->raw_len[0]);
	buf_reset(out);
	buf_append(out, img, len);
	free(img);
}

/* vmlinuz as an arm64 Debian package has it: a gzip'd raw Image. */
static void fake_vmlinuz(struct fixture *fx, struct buf *out)
{
	struct buf img = {0};

	fake_image(fx, &img);
	compress("gzip", img.data, img.len, out);
	buf_free(&img);
}

static void test_raw_arm64_image(void **state)
{
	struct fixture *fx = *state;
	struct btf_source_list l = {0};
	struct buf img = {0};
	char *path;

	fake_image(fx, &img);
	path = fx_write(fx, "images/Image", img.data, img.len);
	assert_int_equal(btf_source_expand(path, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, BTF_SOURCE_IMAGE);
	/* The banner in the image names the kernel. */
	key_is(&l.v[0].key, "debian", "11", "arm64", "6.1.0-0.deb11.48-arm64");
	read_equals(&l.v[0], fx->raw[0], fx->raw_len[0]);
	btf_source_list_free(&l);
	buf_free(&img);
	free(path);
}

static void test_deb_with_image(void **state)
{
	struct fixture *fx = *state;
	struct btf_source_list l = {0};
	struct buf vmlinuz = {0};
	struct btf *btf = NULL;
	char *path;

	fake_vmlinuz(fx, &vmlinuz);
	path = fx_deb(fx, "debs/linux-image.deb", deb_control, "./boot/vmlinuz-6.1.0-0.deb11.48-arm64",
		      &vmlinuz, NULL, true);
	assert_int_equal(btf_source_expand(path, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, BTF_SOURCE_DEB);
	key_is(&l.v[0].key, "debian", "11", "arm64", "6.1.0-0.deb11.48-arm64");
	assert_string_equal(l.v[0].member, "boot/vmlinuz-6.1.0-0.deb11.48-arm64");
	expect_text(l.v[0].origin, "(boot/vmlinuz-6.1.0-0.deb11.48-arm64)");
	read_equals(&l.v[0], fx->raw[0], fx->raw_len[0]);
	assert_int_equal(btf_source_load(path, &btf), 0);
	btf__free(btf);
	btf_source_list_free(&l);
	buf_free(&vmlinuz);
	free(path);
}

static void test_bad_debs(void **state)
{
	struct fixture *fx = *state;
	struct buf vmlinuz = {0};
	char *path;

	fake_vmlinuz(fx, &vmlinuz);
	path = fx_deb(fx, "debs/none.deb", "Package: linux-image-cloud-amd64\nVersion: 6.1.192-2\n",
		      NULL, NULL, NULL, true);
	expand_fails(path, "package linux-image-cloud-amd64 6.1.192-2 holds no kernel");
	free(path);
	path = fx_deb(fx, "debs/evil.deb", deb_control, "./boot/vmlinuz-6.1.0-0.deb11.48-arm64",
		      &vmlinuz, "./boot/vmlinuz-evil", true);
	expand_fails(path, "symlink './boot/vmlinuz-evil' points outside the archive ('/etc/passwd') in data.tar.xz; refusing the package");
	free(path);
	path = fx_deb(fx, "debs/plain.ar", deb_control, "./boot/vmlinuz-6.1.0-0.deb11.48-arm64",
		      &vmlinuz, NULL, false);
	expand_fails(path, "an ar archive, but not a Debian package");
	free(path);
	/* A package cut short inside its data. */
	path = fx_deb(fx, "debs/cut.deb", deb_control, "./boot/vmlinuz-6.1.0-0.deb11.48-arm64",
		      &vmlinuz, NULL, true);
	struct buf whole = {0};

	assert_int_equal(fs_read_file(path, &whole), 0);
	free(path);
	path = fx_write(fx, "debs/cut2.deb", whole.data, whole.len - vmlinuz.len / 2);
	load_fails(path, "truncated or corrupt");
	free(path);
	buf_free(&whole);
	buf_free(&vmlinuz);
}

/* ---- not BTF at all ---- */

static void test_other_files_say_what_they_are(void **state)
{
	struct fixture *fx = *state;
	char *p;

	p = fx_write(fx, "other/text", "just some words\n", 16);
	load_fails(p, "not BTF or ELF, it is a text file");
	free(p);
	p = fx_write(fx, "other/zip", "PK\x03\x04zzzzzzzzzzzz", 16);
	load_fails(p, "not BTF or ELF, it is a zip archive");
	free(p);
	p = fx_write(fx, "other/empty", "", 0);
	load_fails(p, "file is empty");
	free(p);
	p = fx_path(fx, "other/missing");
	load_fails(p, "No such file or directory");
	free(p);
	/* An ELF without .BTF (this test program). */
	load_fails("/proc/self/exe", "ELF file has no .BTF section");
}

/* ---- the real kernels ---- */

static void test_real_images_match_corpus(void **state)
{
	static const struct {
		const char *image, *corpus, *distro, *version;
	} k[] = {
		{ "vmlinuz-5.10.0-32-cloud-amd64", "debian/11/x86_64/5.10.0-32-cloud-amd64.btf.tar.xz", "debian", "11" },
		{ "vmlinuz-6.1.0-50-cloud-amd64", "debian/12/x86_64/6.1.0-50-cloud-amd64.btf.tar.xz", "debian", "12" },
		{ "vmlinuz-6.12.117+deb13-cloud-amd64", "debian/13/x86_64/6.12.117+deb13-cloud-amd64.btf.tar.xz", "debian", "13" },
	};

	(void)state;
	if (!fs_exists(shared_path("/kernels")) || !fs_exists(shared_path("/btf-corpus")))
		skip();
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct btf_source_list l = {0};
		struct buf a = {0}, b = {0};
		char *img = xasprintf("%s/%s", shared_path("/kernels"), k[i].image);
		char *cor = xasprintf("%s/%s", shared_path("/btf-corpus"), k[i].corpus);

		assert_int_equal(btf_source_expand(img, &l), 0);
		assert_int_equal(btf_source_expand(cor, &l), 0);
		assert_int_equal(l.n, 2);
		assert_int_equal(l.v[0].kind, BTF_SOURCE_IMAGE);
		assert_int_equal(l.v[1].kind, BTF_SOURCE_ARCHIVE);
		/* The image's key, from its header, equals the corpus path's. */
		assert_memory_equal(&l.v[0].key, &l.v[1].key, sizeof(struct btf_key));
		assert_string_equal(l.v[0].key.distro, k[i].distro);
		assert_string_equal(l.v[0].key.version, k[i].version);
		assert_int_equal(btf_source_read_raw(&l.v[0], &a), 0);
		assert_int_equal(btf_source_read_raw(&l.v[1], &b), 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		buf_free(&a);
		buf_free(&b);
		btf_source_list_free(&l);
		free(img);
		free(cor);
	}
}

static void test_real_corpus_tree(void **state)
{
	struct btf_source_list l = {0};
	struct btf_filter f;

	(void)state;
	if (!fs_exists(shared_path("/btf-corpus/debian")))
		skip();
	assert_int_equal(btf_source_expand(shared_path("/btf-corpus"), &l), 0);
	assert_int_equal(l.n, 40);
	assert_int_equal(btf_filter_parse("debian:12,x86_64", &f), 0);
	size_t n12 = 0;

	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(l.v[i].key.distro, "debian");
		assert_string_equal(l.v[i].key.arch, "x86_64");
		n12 += btf_filter_match(&f, &l.v[i].key);
	}
	assert_int_equal(n12, 22);
	btf_filter_free(&f);
	btf_source_list_free(&l);
}

static void test_real_nobtf_image_fails(void **state)
{
	(void)state;
	if (!fs_exists(shared_path("/kernels/nobtf-6.1/bzImage")))
		skip();
	load_fails(shared_path("/kernels/nobtf-6.1/bzImage"),
		   "bzImage: kernel 6.1.192 has no .BTF section: the kernel was built without CONFIG_DEBUG_INFO_BTF; use `bpfpack btf from-debug`");
}

/* ---- btf_from_debug ---- */

static bool have_pahole(void)
{
	char *p = proc_find_program("pahole");

	free(p);
	return p != NULL;
}

static void test_from_debug_real_vmlinux_xz(void **state)
{
	struct fixture *fx = *state;
	char *out = fx_path(fx, "debug/6.1.192.btf");
	struct btf *btf = NULL;

	if (!fs_exists(shared_path("/kernels/nobtf-6.1/vmlinux.xz")) || !have_pahole())
		skip();
	assert_int_equal(btf_from_debug(shared_path("/kernels/nobtf-6.1/vmlinux.xz"), out), 0);
	/* What came out is a kernel BTF every reader accepts. */
	assert_int_equal(btf_source_load(out, &btf), 0);
	assert_true(btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	assert_true(btf__type_cnt(btf) > 10000);
	btf__free(btf);
	free(out);
}

static void test_from_debug_refuses_non_kernels(void **state)
{
	struct fixture *fx = *state;
	char *out = fx_path(fx, "debug/out.btf"), *text, *err, *self;
	struct stderr_capture cap;
	const char *saved = getenv("PATH");
	char *path_copy = saved ? xstrdup(saved) : NULL;

	if (!have_pahole()) {
		free(out);
		free(path_copy);
		skip();
	}
	/* An object with DWARF that is no kernel (built here: the DWARF of a
	 * sanitizer build of this test is more than pahole 1.24 can encode). */
	char *src = fx_write(fx, "debug/thing.c", "struct thing { int a; long b; };\nstruct thing t;\n", 49);
	char *obj = fx_path(fx, "debug/thing.o");
	char *cc[] = { "cc", "-g", "-c", src, "-o", obj, NULL };
	struct buf cc_err = {0};

	if (proc_run_capture(cc, NULL, &cc_err) == 0) {
		stderr_capture_begin(&cap);
		assert_true(btf_from_debug(obj, out) < 0);
		err = stderr_capture_end(&cap);
		assert_int_equal(count_lines_not_hint(err), 1);
		expect_text(err, "pahole's BTF has no struct task_struct: the input is not a kernel's vmlinux");
		free(err);
		assert_false(fs_exists(out));
	}
	buf_free(&cc_err);
	free(src);
	free(obj);
	self = fs_realpath("/proc/self/exe");
	assert_non_null(self);

	text = fx_write(fx, "debug/notes.txt", "hello\n", 6);
	stderr_capture_begin(&cap);
	assert_true(btf_from_debug(text, out) < 0);
	err = stderr_capture_end(&cap);
	expect_text(err, "not a vmlinux (ELF), a compressed vmlinux or a .deb");
	free(err);

	/* A stripped ELF: no DWARF to encode. */
	stderr_capture_begin(&cap);
	assert_true(btf_from_debug("/bin/true", out) < 0);
	err = stderr_capture_end(&cap);
	expect_text(err, "ELF file has no DWARF (.debug_info)");
	free(err);

	/* Without pahole. */
	setenv("PATH", "/nonexistent", 1);
	stderr_capture_begin(&cap);
	assert_int_equal(btf_from_debug(self, out), -ENOENT);
	err = stderr_capture_end(&cap);
	if (path_copy)
		setenv("PATH", path_copy, 1);
	expect_text(err, "pahole is not installed");
	expect_text(err, "hint: install dwarves");
	free(err);
	assert_false(fs_exists(out));
	/* No temp file was left beside the output. */
	char *dir = fx_path(fx, "debug/x");
	char *d = fs_dirname(dir);
	struct buf ls = {0};
	char *argv[] = { "find", d, "-name", "*" FS_TEMP_MARK "*", NULL };

	assert_int_equal(proc_run_capture(argv, &ls, NULL), 0);
	assert_string_equal(ls.data, "");
	buf_free(&ls);
	free(d);
	free(dir);
	free(text);
	free(self);
	free(out);
	free(path_copy);
}

/* btf_from_debug on packages: the debug vmlinux of a -dbg .deb is what
 * pahole gets (here the DWARF of a small object defining task_struct, built
 * with cc); a package with only an image has none. */
static void test_from_debug_deb(void **state)
{
	struct fixture *fx = *state;
	char *src = fx_write(fx, "dbg/k.c", "struct task_struct { int pid; int tgid; };\nstruct task_struct init_task;\n", 73);
	char *obj = fx_path(fx, "dbg/vmlinux"), *out = fx_path(fx, "dbg/out.btf"), *deb, *err;
	char *cc[] = { "cc", "-g", "-c", src, "-o", obj, NULL };
	struct buf cc_err = {0}, vmlinux = {0}, vmlinuz = {0};
	struct stderr_capture cap;
	struct btf *btf = NULL;

	if (!have_pahole() || proc_run_capture(cc, NULL, &cc_err) != 0) {
		buf_free(&cc_err);
		free(src);
		free(obj);
		free(out);
		skip();
	}
	assert_int_equal(fs_read_file(obj, &vmlinux), 0);
	deb = fx_deb(fx, "dbg/linux-image-9.9.9-1-amd64-dbg.deb",
		     "Package: linux-image-9.9.9-1-amd64-dbg\nVersion: 9.9.9-1\n",
		     "./usr/lib/debug/boot/vmlinux-9.9.9-1-amd64", &vmlinux, NULL, true);
	assert_int_equal(btf_from_debug(deb, out), 0);
	assert_int_equal(btf_source_load(out, &btf), 0);
	assert_true(btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	btf__free(btf);
	free(deb);

	fake_vmlinuz(fx, &vmlinuz);
	deb = fx_deb(fx, "dbg/linux-image-9.9.9-1-amd64.deb",
		     "Package: linux-image-9.9.9-1-amd64\nVersion: 9.9.9-1\n",
		     "./boot/vmlinuz-9.9.9-1-amd64", &vmlinuz, NULL, true);
	stderr_capture_begin(&cap);
	assert_int_equal(btf_from_debug(deb, out), -ENOENT);
	err = stderr_capture_end(&cap);
	assert_int_equal(count_lines_not_hint(err), 1);
	expect_text(err, "package linux-image-9.9.9-1-amd64 9.9.9-1 holds no vmlinux with debug info");
	expect_text(err, "hint: the DWARF of a Debian kernel is in linux-image-<release>-dbg");
	free(err);
	free(deb);
	buf_free(&cc_err);
	buf_free(&vmlinux);
	buf_free(&vmlinuz);
	free(src);
	free(obj);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_from_btfhub_path),
		cmocka_unit_test(test_key_derivation),
		cmocka_unit_test(test_filter_parse_and_match),
		cmocka_unit_test(test_filter_rejects_bad_specs),
		cmocka_unit_test(test_raw_and_compressed_btf),
		cmocka_unit_test(test_btfhub_archive_file),
		cmocka_unit_test(test_archive_with_two_kernels),
		cmocka_unit_test(test_hostile_archives_refused),
		cmocka_unit_test(test_broken_archives),
		cmocka_unit_test(test_btfhub_tree),
		cmocka_unit_test(test_empty_tree_fails),
		cmocka_unit_test(test_raw_arm64_image),
		cmocka_unit_test(test_deb_with_image),
		cmocka_unit_test(test_bad_debs),
		cmocka_unit_test(test_other_files_say_what_they_are),
		cmocka_unit_test(test_real_images_match_corpus),
		cmocka_unit_test(test_real_corpus_tree),
		cmocka_unit_test(test_real_nobtf_image_fails),
		cmocka_unit_test(test_from_debug_real_vmlinux_xz),
		cmocka_unit_test(test_from_debug_refuses_non_kernels),
		cmocka_unit_test(test_from_debug_deb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
