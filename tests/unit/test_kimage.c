/* test_kimage: kernel images are recognised by their headers and magics,
 * their payload is found (bzImage setup header, EFI zboot header, a stream at
 * the start, a magic after a stub), unpacked through libarchive even with the
 * size word kernel builds append, and the BTF is found in the kernel (an ELF's
 * .BTF section, or the blob in a raw arm64 Image). Synthetic images are built
 * here with libarchive's writer; the real Debian images in ../shared are
 * checked when they exist (skipped otherwise). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <bpf/btf.h>
#include <linux/btf.h>

#include "../../formats/kimage.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
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

static size_t count_error_lines(const char *s)
{
	size_t n = 0;

	for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, "hint: ", 6) != 0)
			n++;
	return n;
}

static la_ssize_t write_to_buf(struct archive *a, void *data, const void *block, size_t n)
{
	(void)a;
	buf_append(data, block, n);
	return (la_ssize_t)n;
}

/* DATA compressed as one stream with libarchive's FILTER ("gzip", "xz", ...). */
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

static struct btf *tiny_btf(void)
{
	struct btf *b = btf__new_empty();
	int i_int;

	assert_non_null(b);
	i_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	assert_true(btf__add_struct(b, "task_struct", 8) > 0);
	assert_int_equal(btf__add_field(b, "pid", i_int, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "tgid", i_int, 32, 0), 0);
	return b;
}

/* A raw arm64 Image: the boot header, a decoy that starts like BTF but whose
 * header does not fit, then the real BTF blob at BTF_OFF. */
#define IMAGE_BTF_OFF 8192

static void raw_image(const void *btf, size_t btf_len, struct buf *out)
{
	unsigned char *img;
	size_t len = IMAGE_BTF_OFF + btf_len + 4096;
	static const char banner[] = "Linux version %s\0Linux version 9.8.7-arm64 (someone@host) #1 SMP\n";

	img = xcalloc(1, len);
	memcpy(img + 0x38, "ARM\x64", 4);
	memcpy(img + 1024, banner, sizeof(banner));
	/* Decoy: BTF magic, version 1, absurd lengths. */
	memcpy(img + 4096, "\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x7f", 16);
	memcpy(img + IMAGE_BTF_OFF, btf, btf_len);
	buf_reset(out);
	buf_append(out, img, len);
	free(img);
}

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A bzImage around PAYLOAD: 1 setup sector after the boot sector, the
 * version string in the setup code, the payload 16 bytes into the
 * protected-mode part, followed by the size word kernel builds append. */
static void bzimage(const struct buf *payload, uint32_t claimed_len, struct buf *out)
{
	size_t pm = 2 * 512, len = pm + 16 + payload->len + 4;
	unsigned char *img = xcalloc(1, len);

	img[0x1f1] = 1;
	memcpy(img + 0x202, "HdrS", 4);
	put_le16(img + 0x206, 0x020f);
	put_le16(img + 0x20e, 0x100);	/* version string at 0x300 */
	strcpy((char *)img + 0x300, "9.8.7-test (builder@host) #1 SMP Debian 9.8.7-1 (2030-01-01)");
	put_le16(img + 0x236, 1);	/* XLF_KERNEL_64 */
	put_le32(img + 0x248, 16);
	put_le32(img + 0x24c, claimed_len);
	memcpy(img + pm + 16, payload->data, payload->len);
	put_le32(img + pm + 16 + payload->len, 0x12345678);
	buf_reset(out);
	buf_append(out, img, len);
	free(img);
}

struct fixture {
	struct btf *btf;
	const void *raw;
	uint32_t raw_len;
	struct buf image;	/* raw arm64 Image holding raw */
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	report_set_command("test");
	fx->btf = tiny_btf();
	fx->raw = btf__raw_data(fx->btf, &fx->raw_len);
	raw_image(fx->raw, fx->raw_len, &fx->image);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	btf__free(fx->btf);
	buf_free(&fx->image);
	free(fx);
	return 0;
}

/* Unpacks DATA (probe, else scan) and checks the BTF found is the fixture's. */
static void unpack_and_find(struct fixture *fx, const struct buf *data, enum kimage_format want)
{
	struct kimage_info info;
	struct buf kernel = {0};
	size_t off = 0, size = 0;
	int err = kimage_probe(data->data, data->len, "test", &info);

	if (err == -ENOENT)
		err = kimage_scan(data->data, data->len, &info);
	assert_int_equal(err, 0);
	assert_int_equal(info.format, want);
	assert_int_equal(kimage_unpack(data->data, data->len, &info, "test", &kernel), 0);
	assert_int_equal(kernel.len, fx->image.len);
	assert_memory_equal(kernel.data, fx->image.data, fx->image.len);
	assert_int_equal(kimage_find_btf(kernel.data, kernel.len, "test", &off, &size), 0);
	assert_int_equal(off, IMAGE_BTF_OFF);
	assert_int_equal(size, fx->raw_len);
	buf_free(&kernel);
}

/* ---- tests ---- */

static void test_compression_magics(void **state)
{
	(void)state;
	assert_string_equal(kimage_compression_at("\x1f\x8b\x08\x00", 4), "gzip");
	assert_string_equal(kimage_compression_at("\xfd" "7zXZ\0\0", 7), "xz");
	assert_string_equal(kimage_compression_at("\x28\xb5\x2f\xfd", 4), "zstd");
	assert_string_equal(kimage_compression_at("\x02\x21\x4c\x18", 4), "lz4");
	assert_string_equal(kimage_compression_at("\x5d\x00\x00\x80", 4), "lzma");
	assert_string_equal(kimage_compression_at("BZh91AY&SY", 10), "bzip2");
	/* "BZh" alone is too common to count, and short data never matches. */
	assert_null(kimage_compression_at("BZh9 hello", 10));
	assert_null(kimage_compression_at("\x1f\x8b", 2));
	assert_null(kimage_compression_at("\x7f" "ELF", 4));
}

static void test_image_gz_is_a_stream(void **state)
{
	struct fixture *fx = *state;
	struct buf gz = {0};
	struct kimage_info info;

	compress("gzip", fx->image.data, fx->image.len, &gz);
	assert_int_equal(kimage_probe(gz.data, gz.len, "test", &info), 0);
	assert_int_equal(info.format, KIMAGE_STREAM);
	assert_string_equal(info.compression, "gzip");
	unpack_and_find(fx, &gz, KIMAGE_STREAM);
	buf_free(&gz);
}

static void test_raw_image_btf_skips_decoy(void **state)
{
	struct fixture *fx = *state;
	size_t off, size;
	char release[128], banner[256];

	assert_true(kimage_is_raw_image(fx->image.data, fx->image.len));
	assert_int_equal(kimage_find_btf(fx->image.data, fx->image.len, "test", &off, &size), 0);
	assert_int_equal(off, IMAGE_BTF_OFF);
	assert_memory_equal(fx->image.data + off, fx->raw, fx->raw_len);
	/* The format string is not the banner. */
	assert_int_equal(kimage_find_banner(fx->image.data, fx->image.len, release, sizeof(release),
					    banner, sizeof(banner)), 0);
	assert_string_equal(release, "9.8.7-arm64");
	assert_string_equal(banner, "9.8.7-arm64 (someone@host) #1 SMP");
}

static void test_bzimage_header_with_xz_and_size_word(void **state)
{
	struct fixture *fx = *state;
	struct buf xz = {0}, img = {0};
	struct kimage_info info;

	compress("xz", fx->image.data, fx->image.len, &xz);
	/* payload_length covers the stream and the size word after it. */
	bzimage(&xz, (uint32_t)xz.len + 4, &img);
	assert_int_equal(kimage_probe(img.data, img.len, "test", &info), 0);
	assert_int_equal(info.format, KIMAGE_BZIMAGE);
	assert_int_equal(info.payload_off, 2 * 512 + 16);
	assert_int_equal(info.payload_len, xz.len + 4);
	assert_string_equal(info.compression, "xz");
	assert_string_equal(info.arch, "x86_64");
	assert_string_equal(info.release, "9.8.7-test");
	assert_string_equal(info.version, "9.8.7-test (builder@host) #1 SMP Debian 9.8.7-1 (2030-01-01)");
	unpack_and_find(fx, &img, KIMAGE_BZIMAGE);
	buf_free(&xz);
	buf_free(&img);
}

static void test_bzimage_payload_past_end_fails(void **state)
{
	struct fixture *fx = *state;
	struct buf gz = {0}, img = {0};
	struct kimage_info info;
	struct stderr_capture cap;
	char *err;

	compress("gzip", fx->image.data, fx->image.len, &gz);
	bzimage(&gz, (uint32_t)gz.len + 100000, &img);
	stderr_capture_begin(&cap);
	assert_int_equal(kimage_probe(img.data, img.len, "ctx", &info), -EINVAL);
	err = stderr_capture_end(&cap);
	assert_int_equal(count_error_lines(err), 1);
	assert_non_null(strstr(err, "bpfpack: test: ctx: bzImage is truncated or corrupt"));
	free(err);
	buf_free(&gz);
	buf_free(&img);
}

static void test_truncated_payload_fails_clearly(void **state)
{
	struct fixture *fx = *state;
	struct buf gz = {0}, kernel = {0};
	struct kimage_info info;
	struct stderr_capture cap;
	char *err;

	compress("gzip", fx->image.data, fx->image.len, &gz);
	gz.len /= 2;
	assert_int_equal(kimage_probe(gz.data, gz.len, "ctx", &info), 0);
	stderr_capture_begin(&cap);
	assert_true(kimage_unpack(gz.data, gz.len, &info, "ctx", &kernel) < 0);
	err = stderr_capture_end(&cap);
	assert_int_equal(count_error_lines(err), 1);
	assert_non_null(strstr(err, "ctx: the gzip-compressed kernel in the image is truncated or corrupt"));
	free(err);
	buf_free(&gz);
	buf_free(&kernel);
}

/* Found by fuzzing: a payload in no known format, shorter than 4 bytes and
 * at the very end of the file, was named by 4 bytes read past the file. */
static void test_unknown_payload_names_only_its_bytes(void **state)
{
	struct buf one = {0}, img = {0}, kernel = {0};
	struct kimage_info info;
	struct stderr_capture cap;
	unsigned char *exact;
	char *err;

	(void)state;
	buf_append(&one, "A", 1);
	bzimage(&one, 1, &img);
	/* Without the size word: the payload's byte is the file's last. */
	exact = xmalloc(img.len - 4);
	memcpy(exact, img.data, img.len - 4);
	assert_int_equal(kimage_probe(exact, img.len - 4, "ctx", &info), 0);
	assert_null(info.compression);
	stderr_capture_begin(&cap);
	assert_int_equal(kimage_unpack(exact, img.len - 4, &info, "ctx", &kernel), -ENOTSUP);
	err = stderr_capture_end(&cap);
	assert_int_equal(count_error_lines(err), 1);
	assert_non_null(strstr(err, "cannot unpack (first bytes 41)"));
	free(err);
	free(exact);
	buf_free(&one);
	buf_free(&img);
	buf_free(&kernel);
}

/* Found by fuzzing: the byte order was read before the length was checked. */
static void test_elf_complete_short_input(void **state)
{
	unsigned char *elf = xmalloc(4);

	(void)state;
	memcpy(elf, "\x7f" "ELF", 4);
	assert_false(kimage_elf_complete(NULL, 0));
	assert_false(kimage_elf_complete(elf, 4));
	free(elf);
}

static void test_scan_finds_payload_after_stub(void **state)
{
	struct fixture *fx = *state;
	struct buf zst = {0}, img = {0};
	struct kimage_info info;
	unsigned char stub[5000];

	/* A stub with a false gzip magic that does not decompress to a kernel. */
	memset(stub, 0x90, sizeof(stub));
	memcpy(stub + 100, "\x1f\x8b\x08\x00garbage", 11);
	compress("zstd", fx->image.data, fx->image.len, &zst);
	buf_append(&img, stub, sizeof(stub));
	buf_append(&img, zst.data, zst.len);
	buf_append(&img, "trailing bytes of the stub", 26);
	assert_int_equal(kimage_probe(img.data, img.len, "test", &info), -ENOENT);
	assert_int_equal(kimage_scan(img.data, img.len, &info), 0);
	assert_int_equal(info.payload_off, sizeof(stub));
	assert_string_equal(info.compression, "zstd");
	assert_string_equal(info.arch, "arm64");
	unpack_and_find(fx, &img, KIMAGE_SCANNED);
	buf_free(&zst);
	buf_free(&img);
}

static void test_zboot_header(void **state)
{
	struct fixture *fx = *state;
	struct buf bz = {0}, img = {0};
	struct kimage_info info;
	unsigned char hdr[0x200] = {0};

	compress("bzip2", fx->image.data, fx->image.len, &bz);
	memcpy(hdr, "MZ", 2);
	memcpy(hdr + 4, "zimg", 4);
	put_le32(hdr + 8, sizeof(hdr));
	put_le32(hdr + 12, (uint32_t)bz.len);
	memcpy(hdr + 0x18, "bzip2", 5);
	put_le32(hdr + 0x3c, 0x80);
	memcpy(hdr + 0x80, "PE\0\0", 4);
	put_le16(hdr + 0x84, 0xaa64);
	buf_append(&img, hdr, sizeof(hdr));
	buf_append(&img, bz.data, bz.len);
	assert_int_equal(kimage_probe(img.data, img.len, "test", &info), 0);
	assert_int_equal(info.format, KIMAGE_ZBOOT);
	assert_int_equal(info.payload_off, sizeof(hdr));
	assert_string_equal(info.arch, "arm64");
	assert_string_equal(info.compression, "bzip2");
	unpack_and_find(fx, &img, KIMAGE_ZBOOT);
	buf_free(&bz);
	buf_free(&img);
}

static void test_decompress_refuses_plain_data(void **state)
{
	struct buf out = {0};
	char why[256];

	(void)state;
	assert_int_equal(kimage_decompress("just text, not compressed", 25, 0, &out, why,
					   sizeof(why), NULL), -EINVAL);
	assert_string_equal(why, "not compressed data");
	buf_free(&out);
}

static void test_image_without_btf_fails(void **state)
{
	struct fixture *fx = *state;
	struct buf img = {0};
	struct stderr_capture cap;
	size_t off, size;
	char *err;

	buf_append(&img, fx->image.data, IMAGE_BTF_OFF);	/* cut before the BTF */
	stderr_capture_begin(&cap);
	assert_int_equal(kimage_find_btf(img.data, img.len, "ctx", &off, &size), -ENODATA);
	err = stderr_capture_end(&cap);
	assert_int_equal(count_error_lines(err), 1);
	assert_non_null(strstr(err, "ctx: kernel 9.8.7-arm64 has no .BTF section: the kernel was built without CONFIG_DEBUG_INFO_BTF; use `bpfpack btf from-debug`"));
	free(err);
	buf_free(&img);
}

/* ---- the real images ---- */

static void real_image(const char *name, const char *release, const char *comp)
{
	char *path = xasprintf("%s/%s", shared_path("/kernels"), name);
	struct buf img = {0}, kernel = {0};
	struct kimage_info info;
	char banner_release[128];
	size_t off, size;
	struct btf *btf;

	if (!fs_exists(path)) {
		free(path);
		skip();
	}
	assert_int_equal(fs_read_file(path, &img), 0);
	assert_int_equal(kimage_probe(img.data, img.len, path, &info), 0);
	assert_int_equal(info.format, KIMAGE_BZIMAGE);
	assert_string_equal(info.release, release);
	assert_string_equal(info.compression, comp);
	assert_string_equal(info.arch, "x86_64");
	assert_non_null(strstr(info.version, "debian-kernel@lists.debian.org"));
	assert_int_equal(kimage_unpack(img.data, img.len, &info, path, &kernel), 0);
	assert_memory_equal(kernel.data, "\x7f" "ELF", 4);
	assert_string_equal(kimage_elf_arch(kernel.data, kernel.len), "x86_64");
	assert_int_equal(kimage_find_banner(kernel.data, kernel.len, banner_release,
					    sizeof(banner_release), NULL, 0), 0);
	assert_string_equal(banner_release, release);
	assert_int_equal(kimage_find_btf(kernel.data, kernel.len, path, &off, &size), 0);
	btf = btf__new(kernel.data + off, (uint32_t)size);
	assert_non_null(btf);
	assert_true(btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	btf__free(btf);
	buf_free(&kernel);
	buf_free(&img);
	free(path);
}

static void test_real_lz4_image_5_10(void **state)
{
	(void)state;
	real_image("vmlinuz-5.10.0-32-cloud-amd64", "5.10.0-32-cloud-amd64", "lz4");
}

static void test_real_lz4_image_6_1(void **state)
{
	(void)state;
	real_image("vmlinuz-6.1.0-50-cloud-amd64", "6.1.0-50-cloud-amd64", "lz4");
}

static void test_real_zstd_image_6_12(void **state)
{
	(void)state;
	real_image("vmlinuz-6.12.117+deb13-cloud-amd64", "6.12.117+deb13-cloud-amd64", "zstd");
}

static void test_real_nobtf_image(void **state)
{
	const char *path = shared_path("/kernels/nobtf-6.1/bzImage");
	struct buf img = {0}, kernel = {0};
	struct kimage_info info;
	struct stderr_capture cap;
	size_t off, size;
	char *err;

	(void)state;
	if (!fs_exists(path))
		skip();
	assert_int_equal(fs_read_file(path, &img), 0);
	assert_int_equal(kimage_probe(img.data, img.len, path, &info), 0);
	assert_string_equal(info.release, "6.1.192");
	assert_string_equal(info.compression, "xz");
	/* xz with the size word after it: liblzma's single-stream decoder. */
	assert_int_equal(kimage_unpack(img.data, img.len, &info, path, &kernel), 0);
	assert_true(kimage_elf_complete(kernel.data, kernel.len));
	stderr_capture_begin(&cap);
	assert_int_equal(kimage_find_btf(kernel.data, kernel.len, "ctx", &off, &size), -ENODATA);
	err = stderr_capture_end(&cap);
	assert_int_equal(count_error_lines(err), 1);
	assert_non_null(strstr(err, "ctx: kernel 6.1.192 has no .BTF section: the kernel was built without CONFIG_DEBUG_INFO_BTF; use `bpfpack btf from-debug`"));
	free(err);
	buf_free(&kernel);
	buf_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compression_magics),
		cmocka_unit_test(test_image_gz_is_a_stream),
		cmocka_unit_test(test_raw_image_btf_skips_decoy),
		cmocka_unit_test(test_bzimage_header_with_xz_and_size_word),
		cmocka_unit_test(test_bzimage_payload_past_end_fails),
		cmocka_unit_test(test_truncated_payload_fails_clearly),
		cmocka_unit_test(test_unknown_payload_names_only_its_bytes),
		cmocka_unit_test(test_elf_complete_short_input),
		cmocka_unit_test(test_scan_finds_payload_after_stub),
		cmocka_unit_test(test_zboot_header),
		cmocka_unit_test(test_decompress_refuses_plain_data),
		cmocka_unit_test(test_image_without_btf_fails),
		cmocka_unit_test(test_real_lz4_image_5_10),
		cmocka_unit_test(test_real_lz4_image_6_1),
		cmocka_unit_test(test_real_zstd_image_6_12),
		cmocka_unit_test(test_real_nobtf_image),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
