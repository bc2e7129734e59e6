/* pahole: makes a kernel's BTF from its DWARF by running pahole. Input in a
 * package or compressed is unpacked to a private temp directory first, since
 * pahole reads only plain files; the output goes to a temp file beside the
 * target and is checked before it replaces anything. */
#include "pahole.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/report.h"
#include "btf_source.h"
#include "../formats/kimage.h"

/* Reads the first LEN bytes of PATH into HEAD; returns how many, or -errno. */
static ssize_t pahole_read_head(const char *path, unsigned char *head, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do
		n = pread(fd, head, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

struct pahole_unpack {
	const char *ctx;
	int fd;
};

static int pahole_write_block(void *ctx, const void *block, size_t n)
{
	struct pahole_unpack *u = ctx;

	for (size_t done = 0; done < n; ) {
		ssize_t w = write(u->fd, (const char *)block + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int err = -errno;

			report_error("%s: cannot write the unpacked vmlinux: %s", u->ctx, strerror(-err));
			return err;
		}
		done += (size_t)w;
	}
	return 0;
}

/* Decompresses the file INPUT (one compressed stream) into FD: a vmlinux
 * with DWARF, so the larger cap of a file written to disk. */
static int pahole_unpack_stream(const char *input, const char *ctx, int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct pahole_unpack u = { ctx, fd };
	char why[256];
	int err = 0;

	kimage_archive_support_filters(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, input, 1 << 20) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		report_error("%s: compressed data is truncated or corrupt: %s", ctx,
			     archive_error_string(a) ?: "unreadable");
		err = -EINVAL;
		goto out;
	}
	err = kimage_stream_each(a, (size_t)FORMATS_MAX_DEBUG_VMLINUX, pahole_write_block, &u, why,
				 sizeof(why));
	if (err == -EFBIG)
		report_error("%s: %s; refusing it", ctx, why);
	else if (err == -EINVAL)
		report_error("%s: compressed data is truncated or corrupt: %s", ctx, why);
out:
	archive_read_free(a);
	return err;
}

/* Checks that PATH is an ELF with DWARF, so pahole's failure is never the
 * first sign of a wrong file. */
static int pahole_check_dwarf(const char *path, const char *ctx)
{
	struct stat st;
	void *p = MAP_FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		report_error("%s: %s", ctx, strerror(-err));
		goto out;
	}
	if (st.st_size > 0)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		err = st.st_size > 0 ? -errno : -EINVAL;
		report_error("%s: %s", ctx, st.st_size > 0 ? strerror(-err) : "file is empty");
		goto out;
	}
	if (!kimage_elf_complete(p, (size_t)st.st_size)) {
		report_error("%s: not a complete ELF file (truncated, or not a vmlinux)", ctx);
		err = -EINVAL;
	} else if (!kimage_elf_has_dwarf(p, (size_t)st.st_size)) {
		report_error("%s: ELF file has no DWARF (.debug_info)", ctx);
		report_hint("use the vmlinux of a build with CONFIG_DEBUG_INFO, or the kernel's -dbg package (linux-image-<release>-dbg)");
		err = -ENODATA;
	}
	munmap(p, (size_t)st.st_size);
out:
	if (fd >= 0)
		close(fd);
	return err;
}

/* The last non-empty line of TEXT, for quoting a tool's complaint. */
static const char *pahole_last_line(struct buf *text, char *line, size_t size)
{
	const char *s = text->data ? text->data : "", *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(line, size, "%.*s", (int)(end - start), start);
	return line;
}

static int pahole_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (report_verbose() < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Runs pahole on VMLINUX, writing BTF to TMP, and checks what came out. */
static int pahole_encode(const char *pahole, const char *vmlinux, const char *tmp, const char *ctx)
{
	struct buf out = {0}, errs = {0};
	char *opt = xasprintf("--btf_encode_detached=%s", tmp);
	char *argv[] = { (char *)pahole, opt, (char *)vmlinux, NULL };
	libbpf_print_fn_t old;
	struct btf *btf;
	char line[512];
	int rc;

	if (report_verbose()) {
		struct buf shown = {0};

		proc_format_argv(argv, &shown);
		report_debug("%s", shown.data);
		buf_free(&shown);
	}
	rc = proc_run_capture(argv, &out, &errs);
	free(opt);
	if (rc < 0) {
		buf_free(&out);
		buf_free(&errs);
		return rc;	/* proc reported it */
	}
	if (rc != 0) {
		/* pahole says what went wrong on stderr, sometimes on stdout. */
		pahole_last_line(errs.len ? &errs : &out, line, sizeof(line));
		report_error("%s: pahole failed (exit %d)%s%s", ctx, rc, line[0] ? ": " : "", line);
		buf_free(&out);
		buf_free(&errs);
		return -EIO;
	}
	buf_free(&out);
	buf_free(&errs);

	old = libbpf_set_print(pahole_libbpf_print);
	btf = btf__parse_raw(tmp);
	rc = btf ? 0 : -errno;
	libbpf_set_print(old);
	if (!btf) {
		report_error("%s: pahole's output is not BTF libbpf can read (%s)", ctx,
			     strerror(rc ? -rc : EINVAL));
		return rc ? rc : -EINVAL;
	}
	if (btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0) {
		report_error("%s: pahole's BTF has no struct task_struct: the input is not a kernel's vmlinux", ctx);
		rc = -EINVAL;
	}
	btf__free(btf);
	return rc;
}

int btf_from_debug(const char *input, const char *output)
{
	char *ctx = xasprintf("cannot make BTF from %s", input);
	char *pahole = proc_find_program("pahole");
	char *tmpdir = NULL, *unpacked = NULL, *tmp = NULL, *member = NULL;
	const char *vmlinux = input;
	unsigned char head[512];
	ssize_t n;
	int fd, err = 0;

	if (!pahole) {
		report_error("%s: pahole is not installed", ctx);
		report_hint("install dwarves (apt-get install dwarves): it provides pahole");
		err = -ENOENT;
		goto out;
	}
	n = pahole_read_head(input, head, sizeof(head));
	if (n < 0) {
		err = (int)n;
		report_error("%s: %s", ctx, strerror(-err));
		goto out;
	}
	if (fs_is_dir(input)) {
		err = -EISDIR;
		report_error("%s: %s", ctx, strerror(EISDIR));
		goto out;
	}

	/* A package or a compressed file is unpacked first: pahole reads
	 * plain ELF files only. */
	bool is_deb = n >= 8 && !memcmp(head, "!<arch>\n", 8);
	const char *comp = kimage_compression_at(head, (size_t)n);

	if (is_deb || comp) {
		err = fs_mkdtemp("bpfpack-pahole", &tmpdir);
		if (err)
			goto out;
		unpacked = fs_path_join(tmpdir, "vmlinux");
		fd = open(unpacked, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			err = -errno;
			report_error("%s: cannot create %s: %s", ctx, unpacked, strerror(-err));
			goto out;
		}
		err = is_deb ? btf_source_deb_extract(input, fd, &member)
			     : pahole_unpack_stream(input, ctx, fd);
		if (close(fd) < 0 && !err) {
			err = -errno;
			report_error("%s: cannot write %s: %s", ctx, unpacked, strerror(-err));
		}
		if (err)
			goto out;
		if (member) {
			free(ctx);
			ctx = xasprintf("cannot make BTF from %s (%s)", input, member);
		}
		vmlinux = unpacked;
	} else if (n < 4 || memcmp(head, "\x7f" "ELF", 4) != 0) {
		report_error("%s: not a vmlinux (ELF), a compressed vmlinux or a .deb", ctx);
		err = -EINVAL;
		goto out;
	}
	err = pahole_check_dwarf(vmlinux, ctx);
	if (err)
		goto out;

	fd = fs_temp_beside(output, &tmp);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	close(fd);
	err = pahole_encode(pahole, vmlinux, tmp, ctx);
	if (!err)
		err = fs_commit_temp(tmp, output, 0644);
	else
		unlink(tmp);
out:
	if (tmpdir)
		fs_rm_rf(tmpdir);
	free(tmpdir);
	free(unpacked);
	free(tmp);
	free(member);
	free(pahole);
	free(ctx);
	return err;
}
