/* fuzz_btfhub_path: how a kernel gets its key (btfhub/btf_key.c): from a
 * btfhub-archive path (btf_key_from_btfhub_path, for every file of a tree),
 * from what is known besides the BTF (btf_key_derive: release, banner,
 * package version and arch, maintainer, file name), and how --filter specs
 * select keys (btf_filter_parse, btf_filter_match). The input is the path;
 * its lines are also the derive hints, and the filter spec. A key read from
 * a path must be one that path can name again: formatted back into
 * <distro>/<version>/<arch>/<release>.btf.tar.xz, it parses to itself. */
#include "../../btfhub/btf_source.h"
#include "../../lib/report.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report_set_command("fuzz");
	return 0;
}

static void check_key(const char *what, const struct btf_key *k)
{
	if (!fuzz_terminated(k->distro, sizeof(k->distro)) ||
	    !fuzz_terminated(k->version, sizeof(k->version)) ||
	    !fuzz_terminated(k->arch, sizeof(k->arch)) ||
	    !fuzz_terminated(k->release, sizeof(k->release)))
		fuzz_fail("%s: a key field is not terminated", what);
}

static void check_path(const char *path)
{
	struct btf_key k, again;
	char why[256], name[512];

	memset(&k, 0x55, sizeof(k));
	why[0] = '\0';
	if (!btf_key_from_btfhub_path(path, &k, why, sizeof(why))) {
		if (!why[0] || !fuzz_terminated(why, sizeof(why)))
			fuzz_fail("refused '%s' without saying why", path);
		return;
	}
	check_key("path", &k);
	if (!k.distro[0] || !k.version[0] || !k.release[0])
		fuzz_fail("'%s' gave an empty key field", path);
	if (strcmp(k.arch, "x86_64") && strcmp(k.arch, "arm64"))
		fuzz_fail("'%s' gave arch '%s'", path, k.arch);
	if (strchr(k.distro, '/') || strchr(k.version, '/') || strchr(k.release, '/'))
		fuzz_fail("'%s' gave a key with a '/'", path);
	snprintf(name, sizeof(name), "%s/%s/%s/%s.btf.tar.xz", k.distro, k.version, k.arch, k.release);
	if (!btf_key_from_btfhub_path(name, &again, why, sizeof(why)))
		fuzz_fail("'%s' (from '%s') does not parse: %s", name, path, why);
	if (memcmp(&k, &again, sizeof(k)) && (strcmp(k.distro, again.distro) ||
	    strcmp(k.version, again.version) || strcmp(k.arch, again.arch) ||
	    strcmp(k.release, again.release)))
		fuzz_fail("'%s' does not parse to the key of '%s'", name, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), *lines[7] = {0}, *save = NULL, *l;
	struct btf_key k = {0};
	struct btf_key_hints h = {0};
	struct btf_filter f = {0};
	char out[256];
	int n = 0;

	check_path(text);
	/* The same bytes, line by line, as the hints of a key. */
	for (l = strtok_r(text, "\n", &save); l && n < 7; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	h.release = lines[0];
	h.banner = lines[1];
	h.pkg_version = lines[2];
	h.pkg_arch = lines[3];
	h.maintainer = lines[4];
	h.arch = lines[5];
	h.file_name = lines[6];
	btf_key_derive(&k, &h);
	check_key("derive", &k);
	btf_key_format(&k, out, sizeof(out));
	if (!fuzz_terminated(out, sizeof(out)))
		fuzz_fail("btf_key_format left its buffer unterminated");
	if (lines[0] && btf_filter_parse(lines[0], &f) == 0) {
		(void)btf_filter_match(&f, &k);
		btf_filter_free(&f);
	}
	free(text);
	return 0;
}
