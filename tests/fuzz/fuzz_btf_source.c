/* fuzz_btf_source: recognising a kernel BTF source by its content and
 * pulling its BTF out (btfhub/btf_source*.c: btf_source_expand, then
 * btf_source_read_raw for each kernel found): raw BTF, ELF, kernel images,
 * compressed files, tar archives (btfhub's .btf.tar.xz), .deb packages.
 * The source is a file, so the input is written to one; its last byte picks
 * the file's name (the name is a hint for the key when the content has
 * none): "input", "vmlinuz-6.1.0-50-amd64", or a btfhub-archive path. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../btfhub/btf_source.h"
#include "../../lib/fs.h"
#include "../../lib/report.h"
#include "fuzz.h"

static char *paths[3], *top;

/* libFuzzer ends with exit(): the temp files go with it. */
static void remove_temp(void)
{
	fs_rm_rf(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir = NULL, *sub;

	(void)argc;
	(void)argv;
	report_set_command("fuzz");
	/* A file is rewritten on every run: on tmpfs that costs no disk. */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	if (fs_mkdtemp("bpfpack-fuzz", &dir))
		fuzz_fail("cannot make a temp dir");
	sub = xasprintf("%s/debian/12/x86_64", dir);
	if (fs_mkdir_p(sub, 0700))
		fuzz_fail("cannot make %s", sub);
	paths[0] = xasprintf("%s/input", dir);
	paths[1] = xasprintf("%s/vmlinuz-6.1.0-50-amd64", dir);
	paths[2] = xasprintf("%s/6.1.0-50-amd64.btf.tar.xz", sub);
	free(sub);
	top = dir;
	atexit(remove_temp);
	return 0;
}

/* Rewrites PATH in place (O_TRUNC keeps its inode: creating one per run
 * would cost more than the parsing). */
static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		fuzz_fail("cannot write %s", path);
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			fuzz_fail("cannot write %s", path);
		done += (size_t)n;
	}
	close(fd);
}

static void check_key(const struct btf_key *k)
{
	if (!fuzz_terminated(k->distro, sizeof(k->distro)) ||
	    !fuzz_terminated(k->version, sizeof(k->version)) ||
	    !fuzz_terminated(k->arch, sizeof(k->arch)) ||
	    !fuzz_terminated(k->release, sizeof(k->release)))
		fuzz_fail("a key field is not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf_source_list list = {0};
	const char *path;
	int rc;

	if (size == 0)
		return 0;
	path = paths[data[size - 1] % 3];
	write_file(path, data, size - 1);
	rc = btf_source_expand(path, &list);
	if (rc == 0 && list.n == 0)
		fuzz_fail("expand found no kernel but returned 0");
	if (rc != 0 && list.n != 0)
		fuzz_fail("expand failed (%d) but left %zu entries", rc, list.n);
	for (size_t i = 0; i < list.n; i++) {
		struct buf raw = {0};
		const struct btf_source_entry *e = &list.v[i];

		check_key(&e->key);
		if (!e->path || !e->origin || e->kind < BTF_SOURCE_RAW || e->kind > BTF_SOURCE_DEB)
			fuzz_fail("entry %zu is incomplete", i);
		/* read_raw promises a BTF header that fits the bytes. */
		if (btf_source_read_raw(e, &raw) == 0 && (raw.len < 24 || !raw.data))
			fuzz_fail("read_raw gave %zu bytes", raw.len);
		buf_free(&raw);
	}
	btf_source_list_free(&list);
	return 0;
}
