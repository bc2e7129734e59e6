/* fuzz_os_release: how a tool recognises the system it runs on
 * (bpfpack_sysinfo_parse: /etc/os-release text, uname -r and uname -m) and
 * picks the kernel of its embedded set for it (bpfpack_btf_match). The input
 * is an os-release file, optionally followed by "\0RELEASE\0MACHINE" (else
 * a fixed uname). The set it is matched against is built once, at start, by
 * the real writer (btfhub/btfset_write.c) with keys named the way
 * btfhub-archive names them, including the corner cases the matcher knows:
 * CentOS 7 releases without ".x86_64", ol/rhel keyed by major version, amzn
 * 1 for dated VERSION_IDs, a kernel of unknown arch. */
#include <ctype.h>
#include <errno.h>

#include <bpf/btf.h>

#include "../../btfhub/btfset_write.h"
#include "../../include/bpfpack.h"
#include "../../lib/report.h"
#include "../../runtime/bpfpack_btf_internal.h"
#include "../../runtime/btfset.h"
#include "fuzz.h"

static struct btfset *set;

static const struct btf_key keys[] = {
	{ "amzn", "1", "x86_64", "4.14.355-196.647.amzn1.x86_64" },
	{ "amzn", "2", "x86_64", "4.14.355-275.570.amzn2.x86_64" },
	{ "centos", "7", "x86_64", "3.10.0-1160.el7" },
	{ "centos", "8", "x86_64", "4.18.0-348.el8.x86_64" },
	{ "debian", "11", "x86_64", "5.10.0-30-amd64" },
	{ "debian", "12", "arm64", "6.1.0-50-arm64" },
	{ "debian", "12", "x86_64", "6.1.0-50-amd64" },
	{ "fedora", "38", "x86_64", "6.2.9-300.fc38.x86_64" },
	{ "ol", "7", "x86_64", "4.14.35-2047.510.5.el7uek.x86_64" },
	{ "rhel", "8", "x86_64", "4.18.0-372.9.1.el8.x86_64" },
	{ "sles", "15.3", "x86_64", "5.3.18-57-default" },
	{ "ubuntu", "20.04", "arm64", "5.4.0-42-generic" },
	{ "ubuntu", "20.04", "x86_64", "5.4.0-42-generic" },
	{ "ubuntu", "22.04", "x86_64", "5.15.0-1019-aws" },
	{ "void", "", "", "6.6.1_1" },
};

/* A small valid BTF, different per kernel group so the set has several
 * blobs. */
static void make_btf(unsigned n, struct buf *out)
{
	struct btf *btf = btf__new_empty();
	const void *raw;
	uint32_t size;

	if (!btf || btf__add_int(btf, "int", 4, BTF_INT_SIGNED) < 0)
		fuzz_fail("libbpf cannot build BTF");
	for (unsigned i = 0; i < n; i++)
		btf__add_ptr(btf, 1);
	raw = btf__raw_data(btf, &size);
	buf_append(out, raw, size);
	btf__free(btf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct btfset_builder b;
	struct buf stored = {0};
	char err[256];

	(void)argc;
	(void)argv;
	report_set_command("fuzz");
	btfset_builder_init(&b);
	b.level = 1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct buf btf = {0};

		make_btf((unsigned)(i % 3), &btf);
		if (btfset_builder_add(&b, &keys[i], btf.data, btf.len))
			fuzz_fail("cannot add kernel %zu", i);
		buf_free(&btf);
	}
	if (btfset_builder_write(&b, &stored) || btfset_open(stored.data, stored.len, &set, err, sizeof(err)))
		fuzz_fail("cannot build the set: %s", err);
	btfset_builder_free(&b);
	buf_free(&stored);
	return 0;
}

static void check_value(const char *what, const char *v, size_t cap)
{
	if (!fuzz_terminated(v, cap))
		fuzz_fail("%s is not terminated", what);
	if (strchr(v, '\n'))
		fuzz_fail("%s holds a newline: '%s'", what, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	const char *release = "5.4.0-42-generic", *machine = "x86_64";
	size_t tlen = strlen(text);
	struct bpfpack_sysinfo si;
	uint32_t idx;
	const char *how;
	int rc;

	/* "\0RELEASE\0MACHINE" after the text. */
	if (tlen < size) {
		release = text + tlen + 1;
		machine = release + strlen(release) < text + size ? release + strlen(release) + 1 : "";
	}
	rc = bpfpack_sysinfo_parse(text, release, machine, &si);
	if ((rc == 0) != (*release && strlen(release) < sizeof(si.release)))
		fuzz_fail("parse returned %d for a release of %zu bytes", rc, strlen(release));
	if (rc) {
		free(text);
		return 0;
	}
	check_value("ID", si.id, sizeof(si.id));
	check_value("VERSION_ID", si.version_id, sizeof(si.version_id));
	/* The arch is uname -m as given (normalized), newline or not. */
	if (!fuzz_terminated(si.arch, sizeof(si.arch)))
		fuzz_fail("arch is not terminated");
	if (strcmp(si.release, release))
		fuzz_fail("release '%s' came out as '%s'", release, si.release);
	for (const char *c = si.id; *c; c++)
		if (isupper((unsigned char)*c))
			fuzz_fail("ID '%s' is not lower case", si.id);

	rc = bpfpack_btf_match(set, &si, &idx, &how);
	if (rc == 0) {
		const struct btfset_kernel *k = btfset_kernel_at(set, idx);

		if (!k)
			fuzz_fail("match gave index %u of %u", idx, btfset_kernel_count(set));
		if (!strcmp(how, "exact") && (strcmp(k->distro, si.id) || strcmp(k->version, si.version_id)))
			fuzz_fail("exact match of %s %s is %s %s", si.id, si.version_id, k->distro, k->version);
		if (strncmp(si.release, k->release, strlen(k->release)))
			fuzz_fail("release %s matched kernel %s", si.release, k->release);
		if (k->arch[0] && strcmp(k->arch, si.arch))
			fuzz_fail("arch %s matched kernel of %s", si.arch, k->arch);
	} else if (rc != -ENOENT) {
		fuzz_fail("match returned %d", rc);
	} else {
		char miss[1024];

		bpfpack_btf_describe_miss(set, &si, miss, sizeof(miss));
		if (!fuzz_terminated(miss, sizeof(miss)))
			fuzz_fail("describe_miss left its buffer unterminated");
	}
	free(text);
	return 0;
}
