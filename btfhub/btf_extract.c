/* btf_extract: find a kernel in a BTF set and write its blob as raw BTF. */
#include "btf_extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "embed.h"
#include "../formats/elf_file.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/report.h"
#include "../runtime/btfset.h"

/* The set of INPUT (a binary's section or a set file) and its dictionary. */
static int extract_read(const char *input, const char *object, struct buf *set, struct buf *dict)
{
	struct buf file = {0};
	size_t n = strlen(input);
	int rc = fs_read_file(input, &file);

	if (rc < 0)
		return rc;
	if (file.len >= 4 && !memcmp(file.data, "\177ELF", 4)) {
		rc = elf_mem_read_section(file.data, file.len, input, EMBED_SECTION_BTF, set);
		if (rc == -ENOENT) {
			report_error("%s carries no embedded BTF (section %s)", input, EMBED_SECTION_BTF);
			report_hint("build it with `bpfpack build --btf SOURCE`, or add BTF with "
				    "`bpfpack btf embed`");
		}
		if (rc == 0 && object)
			rc = fs_read_file(object, dict);
		else if (rc == 0)
			rc = elf_mem_read_section(file.data, file.len, input, EMBED_SECTION_OBJ, dict);
		buf_free(&file);
		return rc == -ENOENT && set->len ? 0 : rc;	/* btfset_open_dict says if it is needed */
	}
	*set = file;
	if (object)
		return fs_read_file(object, dict);
	/* .output/X.btfset: its object is .output/X.bpf.o. */
	if (n > 7 && !strcmp(input + n - 7, ".btfset")) {
		char *obj = xasprintf("%.*s.bpf.o", (int)(n - 7), input);

		if (fs_exists(obj))
			rc = fs_read_file(obj, dict);
		free(obj);
	}
	return rc;
}

static bool kernel_fits(const struct btfset_kernel *k, const char *want)
{
	char full[256];

	if (!strcmp(k->release, want))
		return true;
	snprintf(full, sizeof(full), "%s/%s/%s/%s", k->distro, k->version, k->arch, k->release);
	return !strcmp(full, want);
}

int btf_extract(const char *input, const char *object, const char *kernel, const char *output)
{
	struct buf set = {0}, dict = {0}, keys = {0};
	struct btfset *s = NULL;
	const struct btfset_kernel *found = NULL;
	const void *blob;
	uint32_t size, n, matches = 0;
	struct btf *btf;
	char err[512];
	int rc;

	rc = extract_read(input, object, &set, &dict);
	if (rc < 0)
		goto out;
	rc = btfset_open_dict(set.data, set.len, dict.data, dict.len, &s, err, sizeof(err));
	if (rc < 0) {
		report_error("%s: not a readable BTF set: %s", input, err);
		if (rc == -ENOKEY)
			report_hint("give the BPF object the set was made for with --object OBJ.bpf.o");
		goto out;
	}
	n = btfset_kernel_count(s);
	for (uint32_t i = 0; i < n; i++) {
		const struct btfset_kernel *k = btfset_kernel_at(s, i);

		if (!kernel_fits(k, kernel))
			continue;
		buf_printf(&keys, "%s%s/%s/%s/%s", matches ? ", " : "", k->distro, k->version, k->arch,
			   k->release);
		matches++;
		if (found && found->blob != k->blob) {
			found = NULL;
			rc = -EINVAL;
		} else if (!rc) {
			found = k;
		}
	}
	if (rc == -EINVAL) {
		report_error("%s carries different BTF for %s under %u keys: %s", input, kernel,
			     matches, keys.data);
		report_hint("name one: --release DISTRO/VERSION/ARCH/RELEASE");
		goto out;
	}
	if (!found) {
		buf_reset(&keys);
		for (uint32_t i = 0; i < n && i < 8; i++) {
			const struct btfset_kernel *k = btfset_kernel_at(s, i);

			buf_printf(&keys, "%s%s", i ? ", " : "", k->release);
		}
		report_error("%s carries no BTF for kernel %s (it has %u kernel%s: %s%s)", input, kernel,
			     n, n == 1 ? "" : "s", keys.data ? keys.data : "", n > 8 ? ", ..." : "");
		report_hint("`bpfpack inspect TOOL` lists them");
		rc = -ENOENT;
		goto out;
	}
	rc = btfset_blob_get(s, found->blob, &blob, &size, err, sizeof(err));
	if (rc < 0) {
		report_error("%s: %s", input, err);
		goto out;
	}
	/* What libbpf would be handed must parse as BTF. */
	btf = btf__new(blob, size);
	if (!btf) {
		rc = -errno;
		report_error("%s: the BTF for %s does not parse: %s", input, kernel, strerror(-rc));
		goto out;
	}
	btf__free(btf);
	rc = fs_write_atomic(output, blob, size, 0644);
	if (rc == 0)
		printf("  %-9s %s: %s/%s/%s/%s, %u bytes\n", "EXTRACT", output, found->distro,
		       found->version, found->arch, found->release, size);
out:
	btfset_close(s);
	buf_free(&set);
	buf_free(&dict);
	buf_free(&keys);
	return rc;
}
