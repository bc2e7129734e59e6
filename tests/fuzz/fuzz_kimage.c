/* fuzz_kimage: finding the kernel inside a kernel image (formats/kimage.c).
 * The input is a whole image file: it is probed (bzImage setup header, EFI
 * zboot header, a stream at offset 0), scanned for a payload by its magic,
 * unpacked, and the unpacked kernel searched for its BTF and banner; the ELF
 * helpers and the banner search also run on the input itself. Every offset
 * handed back must lie inside the buffer it describes. */
#include <errno.h>

#include "../../formats/kimage.h"
#include "../../lib/report.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report_set_command("fuzz");
	return 0;
}

/* The BTF and banner of a kernel (unpacked, or the input when it is one). */
static void check_kernel(const char *what, const unsigned char *k, size_t len)
{
	char release[128], banner[512];
	size_t off = 0, size = 0;

	(void)kimage_elf_complete(k, len);
	(void)kimage_is_raw_image(k, len);
	(void)kimage_kernel_arch(k, len);
	(void)kimage_elf_has_dwarf(k, len);
	if (kimage_find_btf(k, len, "fuzz", &off, &size) == 0 &&
	    (off > len || size > len - off || size == 0))
		fuzz_fail("%s: BTF at %zu+%zu of %zu bytes", what, off, size, len);
	if (kimage_find_banner(k, len, release, sizeof(release), banner, sizeof(banner)) == 0 &&
	    (!fuzz_terminated(release, sizeof(release)) || !fuzz_terminated(banner, sizeof(banner)) ||
	     !release[0]))
		fuzz_fail("%s: bad banner", what);
}

static void check_info(const struct kimage_info *info, size_t len)
{
	if (info->payload_off > len || info->payload_len > len - info->payload_off)
		fuzz_fail("payload %zu+%zu of %zu bytes", info->payload_off, info->payload_len, len);
	if (!fuzz_terminated(info->arch, sizeof(info->arch)) ||
	    !fuzz_terminated(info->version, sizeof(info->version)) ||
	    !fuzz_terminated(info->release, sizeof(info->release)))
		fuzz_fail("an info string is not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libelf wants writable memory (kimage.h); the fuzzer's is not. */
	unsigned char *p = xmalloc(size ? size : 1);
	struct kimage_info info;
	struct buf kernel = {0};
	int rc;

	memcpy(p, data, size);
	rc = kimage_probe(p, size, "fuzz", &info);
	/* btf_source scans only files over 4 KiB; the API has no such limit. */
	if (rc == -ENOENT)
		rc = kimage_scan(p, size, &info);
	if (rc == 0) {
		check_info(&info, size);
		if (kimage_unpack(p, size, &info, "fuzz", &kernel) == 0) {
			if (!kernel.data || !kernel.len)
				fuzz_fail("unpacked an empty kernel");
			check_kernel("unpacked", (unsigned char *)kernel.data, kernel.len);
		}
	} else if (rc != -ENOENT && rc != -EINVAL) {
		fuzz_fail("probe returned %d", rc);
	}
	buf_free(&kernel);
	check_kernel("input", p, size);
	free(p);
	return 0;
}
