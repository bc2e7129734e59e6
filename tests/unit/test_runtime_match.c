/* test_runtime_match: the runtime's choice of BTF. Real os-release files and
 * uname values of ubuntu, debian, centos, rhel, ol, amzn, sles and fedora are
 * matched against a set keyed the way btfhub-archive keys kernels (quoted and
 * bare values, aarch64 vs arm64, ol 7.9 -> 7, amzn 2018.03 -> 1, old CentOS 7
 * names without ".x86_64", release-only fallback, no match); each match is
 * checked by the BTF it hands over, not only by its index. Then the steps of
 * bpfpack_btf_setup(): the memfd hand-over, the messages for a miss and a
 * corrupt set, the section read from a real ELF file, and the whole chain in
 * a copy of this binary that carries a set in .bpfpack.btf. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../../btfhub/btfset_write.h"
#include "../../btfhub/embed.h"
#include "../../include/bpfpack.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"
#include "../../runtime/bpfpack_btf_internal.h"
#include "../../runtime/btfset.h"
#include "testutil.h"

/* ---- real os-release files ------------------------------------------------ */

static const char os_ubuntu_2004[] =
	"NAME=\"Ubuntu\"\n"
	"VERSION=\"20.04.6 LTS (Focal Fossa)\"\n"
	"ID=ubuntu\n"
	"ID_LIKE=debian\n"
	"PRETTY_NAME=\"Ubuntu 20.04.6 LTS\"\n"
	"VERSION_ID=\"20.04\"\n"
	"HOME_URL=\"https://www.ubuntu.com/\"\n"
	"SUPPORT_URL=\"https://help.ubuntu.com/\"\n"
	"BUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\n"
	"PRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\n"
	"VERSION_CODENAME=focal\n"
	"UBUNTU_CODENAME=focal\n";

static const char os_ubuntu_2204[] =
	"PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\n"
	"NAME=\"Ubuntu\"\n"
	"VERSION_ID=\"22.04\"\n"
	"VERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\n"
	"VERSION_CODENAME=jammy\n"
	"ID=ubuntu\n"
	"ID_LIKE=debian\n"
	"HOME_URL=\"https://www.ubuntu.com/\"\n"
	"UBUNTU_CODENAME=jammy\n";

static const char os_debian_11[] =
	"PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\n"
	"NAME=\"Debian GNU/Linux\"\n"
	"VERSION_ID=\"11\"\n"
	"VERSION=\"11 (bullseye)\"\n"
	"VERSION_CODENAME=bullseye\n"
	"ID=debian\n"
	"HOME_URL=\"https://www.debian.org/\"\n"
	"SUPPORT_URL=\"https://www.debian.org/support\"\n"
	"BUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

static const char os_debian_12[] =
	"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	"NAME=\"Debian GNU/Linux\"\n"
	"VERSION_ID=\"12\"\n"
	"VERSION=\"12 (bookworm)\"\n"
	"VERSION_CODENAME=bookworm\n"
	"ID=debian\n"
	"HOME_URL=\"https://www.debian.org/\"\n"
	"SUPPORT_URL=\"https://www.debian.org/support\"\n"
	"BUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

static const char os_centos_7[] =
	"NAME=\"CentOS Linux\"\n"
	"VERSION=\"7 (Core)\"\n"
	"ID=\"centos\"\n"
	"ID_LIKE=\"rhel fedora\"\n"
	"VERSION_ID=\"7\"\n"
	"PRETTY_NAME=\"CentOS Linux 7 (Core)\"\n"
	"ANSI_COLOR=\"0;31\"\n"
	"CPE_NAME=\"cpe:/o:centos:centos:7\"\n"
	"HOME_URL=\"https://www.centos.org/\"\n"
	"BUG_REPORT_URL=\"https://bugs.centos.org/\"\n"
	"\n"
	"CENTOS_MANTISBT_PROJECT=\"CentOS-7\"\n"
	"CENTOS_MANTISBT_PROJECT_VERSION=\"7\"\n"
	"REDHAT_SUPPORT_PRODUCT=\"centos\"\n"
	"REDHAT_SUPPORT_PRODUCT_VERSION=\"7\"\n"
	"\n";

static const char os_rhel_86[] =
	"NAME=\"Red Hat Enterprise Linux\"\n"
	"VERSION=\"8.6 (Ootpa)\"\n"
	"ID=\"rhel\"\n"
	"ID_LIKE=\"fedora\"\n"
	"VERSION_ID=\"8.6\"\n"
	"PLATFORM_ID=\"platform:el8\"\n"
	"PRETTY_NAME=\"Red Hat Enterprise Linux 8.6 (Ootpa)\"\n"
	"ANSI_COLOR=\"0;31\"\n"
	"CPE_NAME=\"cpe:/o:redhat:enterprise_linux:8::baseos\"\n"
	"HOME_URL=\"https://www.redhat.com/\"\n"
	"DOCUMENTATION_URL=\"https://access.redhat.com/documentation/en-us/red_hat_enterprise_linux/8/\"\n"
	"BUG_REPORT_URL=\"https://bugzilla.redhat.com/\"\n"
	"\n"
	"REDHAT_BUGZILLA_PRODUCT=\"Red Hat Enterprise Linux 8\"\n"
	"REDHAT_BUGZILLA_PRODUCT_VERSION=8.6\n"
	"REDHAT_SUPPORT_PRODUCT=\"Red Hat Enterprise Linux\"\n"
	"REDHAT_SUPPORT_PRODUCT_VERSION=\"8.6\"\n";

static const char os_rocky_85[] =
	"NAME=\"Rocky Linux\"\n"
	"VERSION=\"8.5 (Green Obsidian)\"\n"
	"ID=\"rocky\"\n"
	"ID_LIKE=\"rhel centos fedora\"\n"
	"VERSION_ID=\"8.5\"\n"
	"PLATFORM_ID=\"platform:el8\"\n"
	"PRETTY_NAME=\"Rocky Linux 8.5 (Green Obsidian)\"\n"
	"ANSI_COLOR=\"0;32\"\n"
	"CPE_NAME=\"cpe:/o:rocky:rocky:8:GA\"\n"
	"HOME_URL=\"https://rockylinux.org/\"\n"
	"BUG_REPORT_URL=\"https://bugs.rockylinux.org/\"\n"
	"ROCKY_SUPPORT_PRODUCT=\"Rocky Linux\"\n"
	"ROCKY_SUPPORT_PRODUCT_VERSION=\"8\"\n";

static const char os_ol_79[] =
	"NAME=\"Oracle Linux Server\"\n"
	"VERSION=\"7.9\"\n"
	"ID=\"ol\"\n"
	"ID_LIKE=\"fedora\"\n"
	"VARIANT=\"Server\"\n"
	"VARIANT_ID=\"server\"\n"
	"VERSION_ID=\"7.9\"\n"
	"PRETTY_NAME=\"Oracle Linux Server 7.9\"\n"
	"ANSI_COLOR=\"0;31\"\n"
	"CPE_NAME=\"cpe:/o:oracle:linux:7:9:server\"\n"
	"HOME_URL=\"https://linux.oracle.com/\"\n"
	"BUG_REPORT_URL=\"https://bugzilla.oracle.com/\"\n"
	"\n"
	"ORACLE_BUGZILLA_PRODUCT=\"Oracle Linux 7\"\n"
	"ORACLE_BUGZILLA_PRODUCT_VERSION=7.9\n"
	"ORACLE_SUPPORT_PRODUCT=\"Oracle Linux\"\n"
	"ORACLE_SUPPORT_PRODUCT_VERSION=7.9\n";

static const char os_amzn_2[] =
	"NAME=\"Amazon Linux\"\n"
	"VERSION=\"2\"\n"
	"ID=\"amzn\"\n"
	"ID_LIKE=\"centos rhel fedora\"\n"
	"VERSION_ID=\"2\"\n"
	"PRETTY_NAME=\"Amazon Linux 2\"\n"
	"ANSI_COLOR=\"0;33\"\n"
	"CPE_NAME=\"cpe:2.3:o:amazon:amazon_linux:2\"\n"
	"HOME_URL=\"https://amazonlinux.com/\"\n";

static const char os_amzn_2018[] =
	"NAME=\"Amazon Linux AMI\"\n"
	"VERSION=\"2018.03\"\n"
	"ID=\"amzn\"\n"
	"ID_LIKE=\"rhel fedora\"\n"
	"VERSION_ID=\"2018.03\"\n"
	"PRETTY_NAME=\"Amazon Linux AMI 2018.03\"\n"
	"ANSI_COLOR=\"0;33\"\n"
	"CPE_NAME=\"cpe:/o:amazon:linux:2018.03:ga\"\n"
	"HOME_URL=\"http://aws.amazon.com/amazon-linux-ami/\"\n";

static const char os_sles_15sp3[] =
	"NAME=\"SLES\"\n"
	"VERSION=\"15-SP3\"\n"
	"VERSION_ID=\"15.3\"\n"
	"PRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\n"
	"ID=\"sles\"\n"
	"ID_LIKE=\"suse\"\n"
	"ANSI_COLOR=\"0;32\"\n"
	"CPE_NAME=\"cpe:/o:suse:sles:15:sp3\"\n"
	"DOCUMENTATION_URL=\"https://documentation.suse.com/\"\n";

static const char os_fedora_34[] =
	"NAME=Fedora\n"
	"VERSION=\"34 (Thirty Four)\"\n"
	"ID=fedora\n"
	"VERSION_ID=34\n"
	"VERSION_CODENAME=\"\"\n"
	"PLATFORM_ID=\"platform:f34\"\n"
	"PRETTY_NAME=\"Fedora 34 (Thirty Four)\"\n"
	"ANSI_COLOR=\"0;38;2;60;110;180\"\n"
	"LOGO=fedora-logo-icon\n"
	"CPE_NAME=\"cpe:/o:fedoraproject:fedora:34\"\n"
	"HOME_URL=\"https://fedoraproject.org/\"\n"
	"SUPPORT_URL=\"https://fedoraproject.org/wiki/Communicating_and_getting_help\"\n"
	"BUG_REPORT_URL=\"https://bugzilla.redhat.com/\"\n"
	"REDHAT_BUGZILLA_PRODUCT=\"Fedora\"\n"
	"REDHAT_BUGZILLA_PRODUCT_VERSION=34\n"
	"REDHAT_SUPPORT_PRODUCT=\"Fedora\"\n"
	"REDHAT_SUPPORT_PRODUCT_VERSION=34\n"
	"PRIVACY_POLICY_URL=\"https://fedoraproject.org/wiki/Legal:PrivacyPolicy\"\n";

/* ---- the set: kernels as btfhub-archive names them ------------------------- */

struct entry {
	const char *distro, *version, *arch, *release;
	unsigned task_size;	/* tells the entry's BTF apart */
};

static const struct entry entries[] = {
	{ "ubuntu", "20.04", "x86_64", "5.4.0-100-generic", 1001 },
	{ "ubuntu", "20.04", "arm64", "5.4.0-100-generic", 1002 },
	{ "debian", "11", "x86_64", "5.10.0-30-amd64", 1003 },
	{ "debian", "12", "x86_64", "6.1.0-50-amd64", 1004 },
	{ "centos", "7", "x86_64", "3.10.0-1160.el7.x86_64", 1005 },
	{ "centos", "7", "x86_64", "3.10.0-1062.el7", 1006 },	/* old name, no arch suffix */
	{ "centos", "8", "x86_64", "4.18.0-348.el8.x86_64", 1007 },
	{ "rhel", "8", "x86_64", "4.18.0-348.el8.x86_64", 1008 },
	{ "rhel", "8", "x86_64", "4.18.0-372.9.1.el8.x86_64", 1009 },
	{ "ol", "7", "x86_64", "4.14.35-2047.510.5.5.el7uek.x86_64", 1010 },
	{ "ol", "7", "arm64", "4.14.35-1902.el7uek.aarch64", 1011 },
	{ "amzn", "2", "x86_64", "4.14.200-155.322.amzn2.x86_64", 1012 },
	{ "amzn", "2", "arm64", "4.14.200-155.322.amzn2.aarch64", 1013 },
	{ "amzn", "1", "x86_64", "4.14.252-131.483.amzn1.x86_64", 1014 },
	{ "sles", "15.3", "x86_64", "5.3.18-57-default", 1015 },
	{ "fedora", "34", "arm64", "5.11.12-300.fc34.aarch64", 1016 },
	{ "ubuntu", "20.04", "x86_64", "5.4.0-99-generic", 1001 },	/* same BTF as -100 */
};
#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

/* A small real BTF: int and a struct task_struct of SIZE bytes. */
static void tiny_btf(unsigned size, struct buf *out)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	__u32 len;
	int i_int, s;

	assert_non_null(b);
	i_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	assert_true(i_int > 0);
	s = btf__add_struct(b, "task_struct", size);
	assert_true(s > 0);
	assert_int_equal(btf__add_field(b, "pid", i_int, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "tgid", i_int, 32, 0), 0);
	raw = btf__raw_data(b, &len);
	assert_non_null(raw);
	buf_reset(out);
	buf_append(out, raw, len);
	btf__free(b);
}

/* The size of task_struct in the BTF at DATA: which entry it came from. */
static long task_size_of(const void *data, size_t size)
{
	struct btf *b = btf__new(data, size);
	const struct btf_type *t;
	int id;
	long ret = -1;

	if (!b)
		return -1;
	id = btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT);
	if (id > 0) {
		t = btf__type_by_id(b, id);
		ret = t->size;
	}
	btf__free(b);
	return ret;
}

static void entry_key(const struct entry *e, struct btf_key *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->distro, sizeof(k->distro), "%s", e->distro);
	snprintf(k->version, sizeof(k->version), "%s", e->version);
	snprintf(k->arch, sizeof(k->arch), "%s", e->arch);
	snprintf(k->release, sizeof(k->release), "%s", e->release);
}

static void build_set(const struct entry *es, size_t n, struct buf *out)
{
	struct btfset_builder b;
	struct buf blob = { 0 };
	size_t i;

	btfset_builder_init(&b);
	for (i = 0; i < n; i++) {
		struct btf_key k;

		entry_key(&es[i], &k);
		tiny_btf(es[i].task_size, &blob);
		assert_int_equal(btfset_builder_add(&b, &k, blob.data, blob.len), 0);
	}
	assert_int_equal(btfset_builder_write(&b, out), 0);
	btfset_builder_free(&b);
	buf_free(&blob);
}

struct fixture {
	struct buf set_bytes;
	struct btfset *set;
	char *dir;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];

	build_set(entries, NENTRIES, &fx->set_bytes);
	if (btfset_open(fx->set_bytes.data, fx->set_bytes.len, &fx->set, err, sizeof(err))) {
		fprintf(stderr, "btfset_open: %s\n", err);
		return -1;
	}
	if (fs_mkdtemp("test-runtime-match", &fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	btfset_close(fx->set);
	buf_free(&fx->set_bytes);
	fs_rm_rf(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* ---- the matching table ---------------------------------------------------- */

struct match_case {
	const char *name;
	const char *os_release;	/* NULL: the system has none */
	const char *uname_r, *uname_m;
	int entry;		/* index into entries, -1: no match */
	const char *how;
};

static const struct match_case cases[] = {
	{ "ubuntu 20.04 x86_64", os_ubuntu_2004, "5.4.0-100-generic", "x86_64", 0, "exact" },
	{ "ubuntu 20.04 aarch64 takes the arm64 BTF", os_ubuntu_2004, "5.4.0-100-generic",
	  "aarch64", 1, "exact" },
	{ "debian 11", os_debian_11, "5.10.0-30-amd64", "x86_64", 2, "exact" },
	{ "debian 12", os_debian_12, "6.1.0-50-amd64", "x86_64", 3, "exact" },
	{ "centos 7, quoted ID", os_centos_7, "3.10.0-1160.el7.x86_64", "x86_64", 4, "exact" },
	{ "centos 7, btfhub name without .x86_64", os_centos_7, "3.10.0-1062.el7.x86_64",
	  "x86_64", 5, "exact" },
	{ "rhel 8.6 keyed as rhel/8", os_rhel_86, "4.18.0-372.9.1.el8.x86_64", "x86_64", 8,
	  "major version" },
	{ "ol 7.9 keyed as ol/7", os_ol_79, "4.14.35-2047.510.5.5.el7uek.x86_64", "x86_64", 9,
	  "major version" },
	{ "ol 7.9 aarch64 keyed as ol/7/arm64", os_ol_79, "4.14.35-1902.el7uek.aarch64",
	  "aarch64", 10, "major version" },
	{ "amzn 2", os_amzn_2, "4.14.200-155.322.amzn2.x86_64", "x86_64", 11, "exact" },
	{ "amzn 2 aarch64", os_amzn_2, "4.14.200-155.322.amzn2.aarch64", "aarch64", 12, "exact" },
	{ "amzn 2018.03 keyed as amzn/1", os_amzn_2018, "4.14.252-131.483.amzn1.x86_64",
	  "x86_64", 13, "major version" },
	{ "sles 15 SP3", os_sles_15sp3, "5.3.18-57-default", "x86_64", 14, "exact" },
	{ "fedora 34, bare values, aarch64", os_fedora_34, "5.11.12-300.fc34.aarch64", "aarch64",
	  15, "exact" },
	{ "ubuntu kernel with deduplicated BTF", os_ubuntu_2004, "5.4.0-99-generic", "x86_64", 16,
	  "exact" },
	{ "rocky 8.5 falls back on the release (centos/8 sorts first)", os_rocky_85,
	  "4.18.0-348.el8.x86_64", "x86_64", 6, "release only" },
	{ "release only prefers the same distro", "ID=\"rhel\"\nVERSION_ID=\"9.0\"\n",
	  "4.18.0-348.el8.x86_64", "x86_64", 7, "release only" },
	{ "debian 12 userland on a debian 11 kernel", os_debian_12, "5.10.0-30-amd64", "x86_64", 2,
	  "release only" },
	{ "no os-release at all", NULL, "5.10.0-30-amd64", "x86_64", 2, "release only" },
	{ "ubuntu 22.04 kernel is not carried", os_ubuntu_2204, "5.15.0-91-generic", "x86_64", -1,
	  NULL },
	{ "right release, wrong arch", os_ubuntu_2004, "5.4.0-100-generic", "s390x", -1, NULL },
	{ "a longer release is another kernel", os_ubuntu_2004, "5.4.0-100-generic-extra",
	  "x86_64", -1, NULL },
	{ "ol 7.9 arm64 kernel on x86_64", os_ol_79, "4.14.35-1902.el7uek.aarch64", "x86_64", -1,
	  NULL },
};

static void test_match_table(void **state)
{
	struct fixture *fx = *state;
	size_t i;
	int failures = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		struct bpfpack_sysinfo si;
		const struct btfset_kernel *k;
		const char *how = NULL;
		uint32_t idx = UINT32_MAX, size = 0;
		const void *blob;
		char err[256];
		int ret;

		assert_int_equal(bpfpack_sysinfo_parse(c->os_release, c->uname_r, c->uname_m, &si), 0);
		ret = bpfpack_btf_match(fx->set, &si, &idx, &how);
		if (c->entry < 0) {
			if (ret != -ENOENT) {
				printf("# %s: expected no match, got %d (kernel %u, %s)\n", c->name, ret,
				       idx, how ? how : "-");
				failures++;
			}
			continue;
		}
		if (ret != 0) {
			printf("# %s: expected a match, got %d\n", c->name, ret);
			failures++;
			continue;
		}
		k = btfset_kernel_at(fx->set, idx);
		assert_int_equal(btfset_blob_get(fx->set, k->blob, &blob, &size, err, sizeof(err)), 0);
		if (strcmp(k->distro, entries[c->entry].distro) ||
		    strcmp(k->version, entries[c->entry].version) ||
		    strcmp(k->arch, entries[c->entry].arch) ||
		    strcmp(k->release, entries[c->entry].release) || strcmp(how, c->how) ||
		    task_size_of(blob, size) != entries[c->entry].task_size) {
			printf("# %s: got %s/%s/%s/%s (%s, task_struct %ld), expected %s/%s/%s/%s (%s)\n",
			       c->name, k->distro, k->version, k->arch, k->release, how,
			       task_size_of(blob, size), entries[c->entry].distro,
			       entries[c->entry].version, entries[c->entry].arch,
			       entries[c->entry].release, c->how);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- os-release parsing ----------------------------------------------------- */

static void test_sysinfo_quotes_and_escapes(void **state)
{
	struct bpfpack_sysinfo si;

	(void)state;
	assert_int_equal(bpfpack_sysinfo_parse("ID='ol'\nVERSION_ID='7.9'\n", "r", "x86_64", &si), 0);
	assert_string_equal(si.id, "ol");
	assert_string_equal(si.version_id, "7.9");

	/* Double quotes with the escapes os-release allows. */
	assert_int_equal(bpfpack_sysinfo_parse("ID=\"my\\\"distro\"\nVERSION_ID=\"1\\\\2\"\n", "r",
					       "x86_64", &si), 0);
	assert_string_equal(si.id, "my\"distro");
	assert_string_equal(si.version_id, "1\\2");

	/* CRLF line ends, indentation, comments and blank lines. */
	assert_int_equal(bpfpack_sysinfo_parse("# a comment\r\n\r\n  ID=debian\r\nVERSION_ID=\"11\"\r\n",
					       "r", "x86_64", &si), 0);
	assert_string_equal(si.id, "debian");
	assert_string_equal(si.version_id, "11");

	/* ID_LIKE and VARIANT_ID are not ID; the last ID wins, as in a shell. */
	assert_int_equal(bpfpack_sysinfo_parse("ID_LIKE=\"rhel fedora\"\nVARIANT_ID=server\nID=centos\n"
					       "ID=\"rocky\"\n", "r", "x86_64", &si), 0);
	assert_string_equal(si.id, "rocky");
	assert_string_equal(si.version_id, "");

	/* Upper-case IDs from hand-made files still match btfhub's names. */
	assert_int_equal(bpfpack_sysinfo_parse("ID=Ubuntu\n", "r", "x86_64", &si), 0);
	assert_string_equal(si.id, "ubuntu");
}

static void test_sysinfo_arch_names(void **state)
{
	struct bpfpack_sysinfo si;

	(void)state;
	assert_int_equal(bpfpack_sysinfo_parse(NULL, "r", "aarch64", &si), 0);
	assert_string_equal(si.arch, "arm64");
	assert_int_equal(bpfpack_sysinfo_parse(NULL, "r", "x86_64", &si), 0);
	assert_string_equal(si.arch, "x86_64");
	assert_int_equal(bpfpack_sysinfo_parse(NULL, "r", "amd64", &si), 0);
	assert_string_equal(si.arch, "x86_64");
	assert_int_equal(bpfpack_sysinfo_parse(NULL, "r", "riscv64", &si), 0);
	assert_string_equal(si.arch, "riscv64");
	assert_string_equal(si.id, "");
	assert_int_equal(bpfpack_sysinfo_parse(NULL, "", "x86_64", &si), -EINVAL);
}

/* ---- the embedded-set step -------------------------------------------------- */

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_use_set_hands_blob_through_memfd(void **state)
{
	struct fixture *fx = *state;
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpfpack_sysinfo si;
	struct stderr_capture cap;
	struct btf *btf;
	char *text;
	int fd;

	assert_int_equal(bpfpack_sysinfo_parse(os_ol_79, "4.14.35-2047.510.5.5.el7uek.x86_64",
					       "x86_64", &si), 0);
	stderr_capture_begin(&cap);
	assert_int_equal(bpfpack_btf_use_set(&opts, fx->set_bytes.data, fx->set_bytes.len, NULL, 0,
					     &si, "mytool", 1, 0), 0);
	text = stderr_capture_end(&cap);
	/* -v: one line saying which BTF and why. */
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "mytool: BTF: embedded, for ol/7/x86_64/"
				     "4.14.35-2047.510.5.5.el7uek.x86_64 (major version match for "
				     "ol 7.9; the kernel has no BTF;"));
	assert_non_null(strstr(text, "carries 17 kernels in 16 BTF blobs"));
	free(text);

	assert_non_null(opts.btf_custom_path);
	assert_int_equal(strncmp(opts.btf_custom_path, "/proc/self/fd/", 14), 0);
	fd = atoi(opts.btf_custom_path + 14);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	/* What libbpf will read: a real BTF, the one of ol/7/x86_64. */
	btf = btf__parse(opts.btf_custom_path, NULL);
	assert_non_null(btf);
	assert_int_equal(btf__type_by_id(btf, btf__find_by_name_kind(btf, "task_struct",
								      BTF_KIND_STRUCT))->size, 1010);
	btf__free(btf);
	/* Sealed: nobody can change it under libbpf. */
	assert_true(write(fd, "x", 1) < 0);

	bpfpack_btf_cleanup();
	assert_true(fcntl(fd, F_GETFD) < 0);
	bpfpack_btf_cleanup();	/* twice is fine */
}

/* bpfpack_btf_release (what templates call right after load, and what
 * libbpf wrappers call): the memfd is gone from the fd table, and the next
 * setup hands out a fresh one that still holds the right BTF. */
static void test_release_closes_memfd_and_allows_setup_again(void **state)
{
	struct fixture *fx = *state;
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	LIBBPF_OPTS(bpf_object_open_opts, opts2);
	struct bpfpack_sysinfo si;
	struct btf *btf;
	char link[64], target[128];
	ssize_t n;
	int fd;

	assert_int_equal(bpfpack_sysinfo_parse(os_ol_79, "4.14.35-2047.510.5.5.el7uek.x86_64",
					       "x86_64", &si), 0);
	assert_int_equal(bpfpack_btf_use_set(&opts, fx->set_bytes.data, fx->set_bytes.len, NULL, 0,
					     &si, "mytool", 0, 0), 0);
	fd = atoi(opts.btf_custom_path + 14);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:bpfpack-btf"));

	bpfpack_btf_release();
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		assert_null(strstr(target, "bpfpack-btf"));
	}
	bpfpack_btf_release();	/* twice is fine */

	assert_int_equal(bpfpack_btf_use_set(&opts2, fx->set_bytes.data, fx->set_bytes.len, NULL, 0,
					     &si, "mytool", 0, 0), 0);
	btf = btf__parse(opts2.btf_custom_path, NULL);
	assert_non_null(btf);
	assert_int_equal(btf__type_by_id(btf, btf__find_by_name_kind(btf, "task_struct",
								      BTF_KIND_STRUCT))->size, 1010);
	btf__free(btf);
	bpfpack_btf_release();
}

static void test_use_set_miss_names_kernel_distro_and_count(void **state)
{
	struct fixture *fx = *state;
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpfpack_sysinfo si;
	struct stderr_capture cap;
	char *text;

	assert_int_equal(bpfpack_sysinfo_parse(os_ubuntu_2204, "5.15.0-91-generic", "x86_64", &si), 0);
	stderr_capture_begin(&cap);
	assert_int_equal(bpfpack_btf_use_set(&opts, fx->set_bytes.data, fx->set_bytes.len, NULL, 0,
					     &si, "mytool", 0, 0), -ENOENT);
	text = stderr_capture_end(&cap);
	assert_null(opts.btf_custom_path);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "mytool: no BTF for this kernel: 5.15.0-91-generic on "
				     "ubuntu 22.04 (x86_64)"));
	assert_non_null(strstr(text, "none of the 17 kernels this binary carries BTF for"));
	assert_non_null(strstr(text, "amzn/1/x86_64, amzn/2/arm64, amzn/2/x86_64, centos/7/x86_64, ..."));
	assert_non_null(strstr(text, "`bpfpack build --btf SOURCE`"));
	assert_non_null(strstr(text, "BPFPACK_BTF=FILE"));
	free(text);
}

static void test_use_set_refuses_corrupt_set(void **state)
{
	struct fixture *fx = *state;
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpfpack_sysinfo si;
	struct stderr_capture cap;
	struct buf bad = { 0 };
	char *text;

	buf_append(&bad, fx->set_bytes.data, fx->set_bytes.len);
	bad.data[bad.len - 3] ^= 0x20;	/* inside the compressed payload */
	assert_int_equal(bpfpack_sysinfo_parse(os_debian_12, "6.1.0-50-amd64", "x86_64", &si), 0);
	stderr_capture_begin(&cap);
	assert_int_equal(bpfpack_btf_use_set(&opts, bad.data, bad.len, NULL, 0, &si, "mytool", 1, 0),
			 -EBADMSG);
	text = stderr_capture_end(&cap);
	assert_null(opts.btf_custom_path);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "mytool: the BTF embedded in this binary is unusable: "
				     "checksum mismatch"));
	assert_non_null(strstr(text, "refusing to load it"));
	free(text);
	buf_free(&bad);
}

/* ---- the section in a real ELF file ---------------------------------------- */

/* Copies this test binary to OUT with SET in .bpfpack.btf, with the very
 * objcopy and argv `bpfpack build` and `btf embed` use (btfhub/embed.c).
 * Failing to is a failure of the test, not a reason to skip it: binutils is
 * one of the packages build.sh installs. */
static int embed_set(const char *dir, const struct buf *set, const char *out)
{
	/* Resolved here: in objcopy's argv, /proc/self/exe would be objcopy. */
	char *self = fs_realpath("/proc/self/exe");
	char *objcopy = embed_find_objcopy(), *set_path = fs_path_join(dir, "set.bin");
	struct strv argv = { 0 };
	struct buf err = { 0 };
	int rc = -1;

	if (!objcopy)
		printf("# no objcopy: embed_find_objcopy() found none ($OBJCOPY, objcopy)\n");
	if (self && objcopy && fs_write_atomic(set_path, set->data, set->len, 0644) == 0) {
		embed_objcopy_argv(&argv, objcopy, self, out, set_path, NULL);
		rc = proc_run_capture(argv.v, NULL, &err);
		if (rc != 0)
			printf("# objcopy: %s\n", err.data ? err.data : "");
	}
	strv_free(&argv);
	buf_free(&err);
	free(self);
	free(objcopy);
	free(set_path);
	return rc;
}

/* The BTF set section of PATH. */
static int read_section(const char *path, void **data, size_t *size, char *err, size_t errlen)
{
	return bpfpack_btf_read_section(path, BPFPACK_BTF_SECTION, data, size, err, errlen);
}

static void test_read_section_from_elf(void **state)
{
	struct fixture *fx = *state;
	char *out = fs_path_join(fx->dir, "with-set");
	char *text_file = fs_path_join(fx->dir, "not-elf");
	char err[256];
	void *data;
	size_t size;

	assert_int_equal(embed_set(fx->dir, &fx->set_bytes, out), 0);
	assert_int_equal(read_section(out, &data, &size, err, sizeof(err)), 0);
	assert_int_equal(size, fx->set_bytes.len);
	assert_memory_equal(data, fx->set_bytes.data, size);
	free(data);

	/* This binary itself carries no set. */
	assert_int_equal(read_section("/proc/self/exe", &data, &size, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "has no .bpfpack.btf section"));
	assert_null(data);

	assert_int_equal(fs_write_atomic(text_file, "hello\n", 6, 0644), 0);
	assert_int_equal(read_section(text_file, &data, &size, err, sizeof(err)), -ENOEXEC);
	assert_int_equal(read_section("/nonexistent/x", &data, &size, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open /nonexistent/x"));
	free(out);
	free(text_file);
}

/* ---- bpfpack_btf_setup() itself --------------------------------------------- */

static void test_setup_prefers_kernel_btf(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct stderr_capture cap;
	char *text;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		skip();
	unsetenv("BPFPACK_BTF_FORCE_EMBEDDED");
	setenv("BPFPACK_BTF", "/nonexistent/ignored-when-the-kernel-has-btf", 1);
	stderr_capture_begin(&cap);
	assert_int_equal(bpfpack_btf_setup(&opts, "mytool", 1), 0);
	text = stderr_capture_end(&cap);
	unsetenv("BPFPACK_BTF");
	assert_null(opts.btf_custom_path);
	assert_string_equal(text, "mytool: BTF: the kernel's own (/sys/kernel/btf/vmlinux); "
				  "BPFPACK_BTF is for kernels without BTF\n");
	free(text);
	bpfpack_btf_cleanup();
}

static void test_setup_keeps_tool_choice(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);

	(void)state;
	opts.btf_custom_path = "/some/tool/choice.btf";
	setenv("BPFPACK_BTF_FORCE_EMBEDDED", "1", 1);
	assert_int_equal(bpfpack_btf_setup(&opts, "mytool", 0), 0);
	unsetenv("BPFPACK_BTF_FORCE_EMBEDDED");
	assert_string_equal(opts.btf_custom_path, "/some/tool/choice.btf");
}

static void test_setup_binary_without_set(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct stderr_capture cap;
	char *text;

	(void)state;
	setenv("BPFPACK_BTF_FORCE_EMBEDDED", "1", 1);
	stderr_capture_begin(&cap);
	assert_int_equal(bpfpack_btf_setup(&opts, "mytool", 0), -ENOENT);
	text = stderr_capture_end(&cap);
	unsetenv("BPFPACK_BTF_FORCE_EMBEDDED");
	assert_null(opts.btf_custom_path);
	assert_int_equal(count_lines(text), 1);
	/* Forced: the kernel's own BTF was skipped, not missing. */
	assert_non_null(strstr(text, "mytool: BPFPACK_BTF_FORCE_EMBEDDED is set, but this binary "
				     "carries no embedded BTF"));
	assert_null(strstr(text, "has no BTF"));
	assert_non_null(strstr(text, "`bpfpack build --btf SOURCE`"));
	free(text);
}

/* The steps for kernels without BTF, walked here by pointing the kernel's
 * BTF at a path that does not exist. */
static void test_decide_without_kernel_btf(void **state)
{
	struct fixture *fx = *state;
	char *btf_path = fs_path_join(fx->dir, "custom.btf");
	char *text_path = fs_path_join(fx->dir, "custom.txt");
	char *elf_path = fs_path_join(fx->dir, "vmlinux-with-btf");
	char *objcopy = embed_find_objcopy(), *sec = NULL, *want;
	struct stderr_capture cap;
	struct buf blob = { 0 };
	char *text;

	tiny_btf(4242, &blob);
	assert_int_equal(fs_write_atomic(btf_path, blob.data, blob.len, 0644), 0);
	assert_int_equal(fs_write_atomic(text_path, "not btf\n", 8, 0644), 0);
	unsetenv("BPFPACK_BTF_FORCE_EMBEDDED");

	/* BPFPACK_BTF names a raw BTF file: used as it is. */
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts);

		setenv("BPFPACK_BTF", btf_path, 1);
		stderr_capture_begin(&cap);
		assert_int_equal(bpfpack_btf_decide(&opts, "mytool", 1, "/nonexistent/vmlinux",
						    "0.0.0-no-such-release"), 0);
		text = stderr_capture_end(&cap);
		assert_string_equal(opts.btf_custom_path, btf_path);
		want = xasprintf("mytool: BTF: %s (from BPFPACK_BTF; the kernel has no BTF)\n", btf_path);
		assert_string_equal(text, want);
		free(want);
		free(text);
		bpfpack_btf_cleanup();
	}

	/* An ELF file with a .BTF section is BTF too (libbpf reads both). */
	assert_non_null(objcopy);
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts);
		char *self = fs_realpath("/proc/self/exe");
		char *argv[] = { objcopy, "--add-section", NULL, self, elf_path, NULL };

		sec = xasprintf(".BTF=%s", btf_path);
		argv[2] = sec;
		assert_int_equal(proc_run_capture(argv, NULL, NULL), 0);
		setenv("BPFPACK_BTF", elf_path, 1);
		assert_int_equal(bpfpack_btf_decide(&opts, "mytool", 0, "/nonexistent/vmlinux",
						    "0.0.0-no-such-release"), 0);
		assert_string_equal(opts.btf_custom_path, elf_path);
		bpfpack_btf_cleanup();
		free(self);
	}

	/* Not BTF, or missing: one clear line, nothing chosen. */
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts);

		setenv("BPFPACK_BTF", text_path, 1);
		stderr_capture_begin(&cap);
		assert_int_equal(bpfpack_btf_decide(&opts, "mytool", 0, "/nonexistent/vmlinux",
						    "0.0.0-no-such-release"), -EINVAL);
		text = stderr_capture_end(&cap);
		assert_null(opts.btf_custom_path);
		assert_int_equal(count_lines(text), 1);
		assert_non_null(strstr(text, "mytool: BPFPACK_BTF="));
		assert_non_null(strstr(text, "not BTF"));
		free(text);

		setenv("BPFPACK_BTF", "/nonexistent/custom.btf", 1);
		stderr_capture_begin(&cap);
		assert_int_equal(bpfpack_btf_decide(&opts, "mytool", 0, "/nonexistent/vmlinux",
						    "0.0.0-no-such-release"), -ENOENT);
		text = stderr_capture_end(&cap);
		assert_string_equal(text, "mytool: BPFPACK_BTF=/nonexistent/custom.btf: cannot read "
					  "it: No such file or directory\n");
		free(text);
	}

	/* Nothing else: the embedded set, and this binary carries none. */
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts);

		unsetenv("BPFPACK_BTF");
		stderr_capture_begin(&cap);
		assert_int_equal(bpfpack_btf_decide(&opts, "mytool", 0, "/nonexistent/vmlinux",
						    "0.0.0-no-such-release"), -ENOENT);
		text = stderr_capture_end(&cap);
		assert_null(opts.btf_custom_path);
		assert_non_null(strstr(text, "this binary carries none"));
		free(text);
	}
	unsetenv("BPFPACK_BTF");
	buf_free(&blob);
	free(objcopy);
	free(sec);
	free(btf_path);
	free(text_path);
	free(elf_path);
}

/* The whole chain in a child: a copy of this binary carrying a set, run with
 * BPFPACK_BTF_FORCE_EMBEDDED=1, reads its own section through /proc/self/exe,
 * matches this machine's real os-release and uname, and gets the right blob
 * through /proc/self/fd/N. */
static int child_run(const char *bin, struct buf *out, struct buf *err)
{
	char *argv[] = { (char *)bin, "--setup-child", NULL };
	int rc;

	setenv("BPFPACK_BTF_FORCE_EMBEDDED", "1", 1);
	rc = proc_run_capture(argv, out, err);
	unsetenv("BPFPACK_BTF_FORCE_EMBEDDED");
	buf_append(out, "", 0);
	buf_append(err, "", 0);
	return rc;
}

static void this_system_entry(struct entry *e, unsigned size)
{
	static struct bpfpack_sysinfo si;
	static struct utsname u;
	char *osr = NULL;
	struct buf text = { 0 };

	assert_int_equal(uname(&u), 0);
	if (fs_exists("/etc/os-release") && fs_read_file("/etc/os-release", &text) == 0)
		osr = text.data;
	else if (fs_exists("/usr/lib/os-release") && fs_read_file("/usr/lib/os-release", &text) == 0)
		osr = text.data;
	assert_int_equal(bpfpack_sysinfo_parse(osr, u.release, u.machine, &si), 0);
	buf_free(&text);
	e->distro = si.id;
	e->version = si.version_id;
	e->arch = si.arch;
	e->release = si.release;
	e->task_size = size;
}

static void test_setup_end_to_end_in_a_child(void **state)
{
	struct fixture *fx = *state;
	struct entry es[2] = { { "debian", "11", "x86_64", "5.10.0-30-amd64", 3001 } };
	char *bin = fs_path_join(fx->dir, "child-ok");
	char *bin_miss = fs_path_join(fx->dir, "child-miss");
	char *bin_bad = fs_path_join(fx->dir, "child-corrupt");
	struct buf set = { 0 }, out = { 0 }, err = { 0 };

	this_system_entry(&es[1], 3002);
	build_set(es, 2, &set);
	assert_int_equal(embed_set(fx->dir, &set, bin), 0);
	assert_int_equal(child_run(bin, &out, &err), 0);
	assert_non_null(strstr(out.data, "task_struct 3002"));
	assert_non_null(strstr(err.data, "child: BTF: embedded, for "));
	assert_non_null(strstr(err.data, "(exact match; "));
	assert_non_null(strstr(err.data, "forced by BPFPACK_BTF_FORCE_EMBEDDED"));

	/* A set without this kernel: the miss message, exit 1. */
	buf_reset(&set);
	build_set(es, 1, &set);
	assert_int_equal(embed_set(fx->dir, &set, bin_miss), 0);
	buf_reset(&out);
	buf_reset(&err);
	assert_int_equal(child_run(bin_miss, &out, &err), 1);
	assert_non_null(strstr(err.data, "child: no BTF for this kernel: "));
	assert_non_null(strstr(err.data, "none of the 1 kernel this binary"));

	/* A corrupted section: refused, nothing loaded. */
	buf_reset(&set);
	build_set(es, 2, &set);
	set.data[set.len / 2] ^= 1;
	assert_int_equal(embed_set(fx->dir, &set, bin_bad), 0);
	buf_reset(&out);
	buf_reset(&err);
	assert_int_equal(child_run(bin_bad, &out, &err), 1);
	assert_non_null(strstr(err.data, "child: the BTF embedded in this binary is unusable"));
	assert_null(strstr(out.data ? out.data : "", "task_struct"));
	buf_free(&set);
	buf_free(&out);
	buf_free(&err);
	free(bin);
	free(bin_miss);
	free(bin_bad);
}

/* What the copy runs: setup as a tool would, then report what it got. */
static int setup_child(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct btf *btf;
	int id;

	if (bpfpack_btf_setup(&opts, "child", 1))
		return 1;
	if (!opts.btf_custom_path) {
		printf("kernel BTF\n");
		return 0;
	}
	btf = btf__parse(opts.btf_custom_path, NULL);
	if (!btf) {
		printf("cannot parse %s\n", opts.btf_custom_path);
		return 2;
	}
	id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
	printf("%s task_struct %u\n", opts.btf_custom_path,
	       id > 0 ? btf__type_by_id(btf, id)->size : 0);
	btf__free(btf);
	bpfpack_btf_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_sysinfo_quotes_and_escapes),
		cmocka_unit_test(test_sysinfo_arch_names),
		cmocka_unit_test(test_use_set_hands_blob_through_memfd),
		cmocka_unit_test(test_release_closes_memfd_and_allows_setup_again),
		cmocka_unit_test(test_use_set_miss_names_kernel_distro_and_count),
		cmocka_unit_test(test_use_set_refuses_corrupt_set),
		cmocka_unit_test(test_read_section_from_elf),
		cmocka_unit_test(test_setup_prefers_kernel_btf),
		cmocka_unit_test(test_setup_keeps_tool_choice),
		cmocka_unit_test(test_setup_binary_without_set),
		cmocka_unit_test(test_decide_without_kernel_btf),
		cmocka_unit_test(test_setup_end_to_end_in_a_child),
	};

	if (argc == 2 && !strcmp(argv[1], "--setup-child"))
		return setup_child();
	return cmocka_run_group_tests(tests, setup, teardown);
}
