/* btfgen: per-kernel minimized BTF for BPF objects, parallel and cached. */
#include "btfgen.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_minimize.h"
#include "btf_source.h"
#include "btfset_write.h"
#include "check.h"
#include "core_relo.h"
#include "core_resolve.h"
#include "kcache.h"
#include "../formats/elf_file.h"
#include "../lib/fs.h"
#include "../lib/hash.h"
#include "../lib/proc.h"
#include "../lib/report.h"

/* ---- the CO-RE relocation key ---------------------------------------- */

/* .BTF.ext header, as the kernel's and libbpf's btf_ext_header. */
struct btfgen_ext_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

struct btfgen_relo {
	uint32_t insn_off;
	uint32_t type_id;
	uint32_t access_str_off;
	uint32_t kind;
};

/* Local type ids renumbered in order of first use. */
struct btfgen_typemap {
	uint32_t *local_of;	/* new id -> local id */
	uint32_t *new_of;	/* local id -> new id (0: not seen) */
	uint32_t n;
	uint32_t cap;
};

static uint32_t typemap_id(struct btfgen_typemap *m, uint32_t local)
{
	if (local == 0)
		return 0;
	if (!m->new_of[local]) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 64;
			m->local_of = xrealloc(m->local_of, m->cap * sizeof(*m->local_of));
		}
		m->local_of[m->n++] = local;
		m->new_of[local] = m->n;
	}
	return m->new_of[local];
}

static void hash_str(XXH3_state_t *h, const char *s)
{
	XXH3_128bits_update(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static void hash_u32(XXH3_state_t *h, uint32_t v)
{
	XXH3_128bits_update(h, &v, sizeof(v));
}

/* Hashes one local type: its kind, name and shape, with the types it refers
 * to replaced by their renumbered ids (queued for hashing in turn). */
static void hash_type(XXH3_state_t *h, const struct btf *btf, struct btfgen_typemap *m,
		      uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	uint16_t vlen;

	if (!t) {
		hash_u32(h, UINT32_MAX);
		return;
	}
	vlen = btf_vlen(t);
	hash_u32(h, btf_kind(t));
	hash_u32(h, btf_kflag(t));
	hash_str(h, btf__name_by_offset(btf, t->name_off));
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		hash_u32(h, t->size);
		hash_u32(h, *(const uint32_t *)(t + 1));
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *mb = btf_members(t);

		hash_u32(h, t->size);
		for (uint16_t i = 0; i < vlen; i++) {
			hash_str(h, btf__name_by_offset(btf, mb[i].name_off));
			hash_u32(h, typemap_id(m, mb[i].type));
			hash_u32(h, mb[i].offset);
		}
		break;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_enum(t);

		hash_u32(h, t->size);
		for (uint16_t i = 0; i < vlen; i++) {
			hash_str(h, btf__name_by_offset(btf, e[i].name_off));
			hash_u32(h, (uint32_t)e[i].val);
		}
		break;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = btf_enum64(t);

		hash_u32(h, t->size);
		for (uint16_t i = 0; i < vlen; i++) {
			hash_str(h, btf__name_by_offset(btf, e[i].name_off));
			hash_u32(h, e[i].val_lo32);
			hash_u32(h, e[i].val_hi32);
		}
		break;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);

		hash_u32(h, typemap_id(m, a->type));
		hash_u32(h, typemap_id(m, a->index_type));
		hash_u32(h, a->nelems);
		break;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_params(t);

		hash_u32(h, typemap_id(m, t->type));
		for (uint16_t i = 0; i < vlen; i++) {
			hash_str(h, btf__name_by_offset(btf, p[i].name_off));
			hash_u32(h, typemap_id(m, p[i].type));
		}
		break;
	}
	case BTF_KIND_FWD:
	case BTF_KIND_FLOAT:
		hash_u32(h, t->size);
		break;
	default:
		/* PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FUNC, VAR,
		 * DECL_TAG: the type they refer to. DATASEC never roots a relo. */
		hash_u32(h, typemap_id(m, t->type));
		break;
	}
}

/* Reads section NAME of the ELF at FD into OUT (empty when absent). */
static int elf_read_section(Elf *elf, const char *name, struct buf *out)
{
	Elf_Scn *scn;
	Elf_Data *d;
	int rc = elf_file_find_section(elf, name, &scn, NULL);

	buf_reset(out);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return -EINVAL;
	d = elf_getdata(scn, NULL);
	if (d && d->d_buf)
		buf_append(out, d->d_buf, d->d_size);
	return 0;
}

static int relo_key_one(XXH3_state_t *h, const char *object)
{
	struct btfgen_typemap m = {0};
	struct buf ext = {0};
	struct btf *btf;
	Elf *elf = NULL;
	int fd, rc = 0;

	btf = btf__parse_elf(object, NULL);
	if (!btf) {
		rc = -errno;
		report_error("%s: cannot read its BTF: %s", object, strerror(-rc));
		return rc;
	}
	fd = open(object, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE ||
	    !(elf = elf_begin(fd, ELF_C_READ, NULL)) || elf_read_section(elf, ".BTF.ext", &ext) < 0) {
		report_error("%s: cannot read its .BTF.ext section", object);
		rc = -EINVAL;
		goto out;
	}
	m.new_of = xcalloc(btf__type_cnt(btf) + 1, sizeof(*m.new_of));
	/* No .BTF.ext or no CO-RE part: the object relocates nothing. */
	if (ext.len >= sizeof(struct btfgen_ext_header)) {
		struct btfgen_ext_header hdr;

		memcpy(&hdr, ext.data, sizeof(hdr));
		if (hdr.magic != 0xeB9F || hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > ext.len ||
		    (uint64_t)hdr.hdr_len + hdr.core_relo_off + hdr.core_relo_len > ext.len) {
			report_error("%s: malformed .BTF.ext section", object);
			rc = -EINVAL;
			goto out;
		}
		const char *p = ext.data + hdr.hdr_len + hdr.core_relo_off;
		const char *end = p + hdr.core_relo_len;
		uint32_t rec_size;

		if (hdr.core_relo_len >= 4) {
			memcpy(&rec_size, p, 4);
			p += 4;
			if (rec_size < sizeof(struct btfgen_relo)) {
				report_error("%s: malformed CO-RE relocations", object);
				rc = -EINVAL;
				goto out;
			}
			while (end - p >= 8) {
				uint32_t sec_name_off, n;

				memcpy(&sec_name_off, p, 4);
				memcpy(&n, p + 4, 4);
				p += 8;
				if ((uint64_t)n * rec_size > (uint64_t)(end - p)) {
					report_error("%s: malformed CO-RE relocations", object);
					rc = -EINVAL;
					goto out;
				}
				/* Instruction offsets and section names do not change
				 * what the kernel must provide: only kinds, access
				 * strings and types go into the key. */
				for (uint32_t i = 0; i < n; i++, p += rec_size) {
					struct btfgen_relo r;

					memcpy(&r, p, sizeof(r));
					hash_u32(h, r.kind);
					hash_str(h, btf__name_by_offset(btf, r.access_str_off));
					hash_u32(h, typemap_id(&m, r.type_id));
				}
			}
		}
	}
	/* Every type reached from a relocation, in first-use order. */
	for (uint32_t i = 0; i < m.n; i++)
		hash_type(h, btf, &m, m.local_of[i]);
out:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	free(m.local_of);
	free(m.new_of);
	buf_free(&ext);
	btf__free(btf);
	return rc;
}

int btfgen_relo_key(char *const objects[], size_t n_objects, char key[33])
{
	XXH3_state_t *h = XXH3_createState();
	XXH128_hash_t v;
	int rc = 0;

	XXH3_128bits_reset(h);
	hash_str(h, "bpfpack-relo-key-1");
	for (size_t i = 0; i < n_objects && rc == 0; i++)
		rc = relo_key_one(h, objects[i]);
	v = XXH3_128bits_digest(h);
	XXH3_freeState(h);
	snprintf(key, 33, "%016llx%016llx", (unsigned long long)v.high64,
		 (unsigned long long)v.low64);
	return rc;
}

/* ---- programs that embedded BTF cannot help --------------------------- */

int btfgen_check_programs(const char *object)
{
	struct bpf_object *obj = bpf_object__open_file(object, NULL);
	struct bpf_program *prog;
	const struct btf *btf;
	int warnings = 0;

	if (!obj) {
		int err = -errno;

		report_error("%s: cannot open the BPF object: %s", object, strerror(-err));
		return err;
	}
	/* What needs the kernel's own BTF: check's classification (check.h),
	 * the same that makes `check` say "needs kernel BTF". */
	bpf_object__for_each_program(prog, obj) {
		const char *why = check_prog_needs_kernel_btf((int)bpf_program__type(prog));
		const struct bpf_insn *in = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog);

		if (why) {
			report_warn("%s: program %s (%s): %s need the kernel's own BTF; embedded BTF "
				    "cannot make them load on a kernel without it",
				    fs_basename(object), bpf_program__name(prog),
				    bpf_program__section_name(prog), why);
			warnings++;
			continue;
		}
		for (size_t i = 0; in && i < n; i++)
			if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == 0 &&
			    check_helper_needs_kernel_btf((uint32_t)in[i].imm)) {
				report_warn("%s: program %s (%s): helper #%d returns a pointer typed by the kernel's "
					    "BTF; embedded BTF cannot make it load on a kernel without it",
					    fs_basename(object), bpf_program__name(prog),
					    bpf_program__section_name(prog), in[i].imm);
				warnings++;
				break;
			}
	}
	/* kfuncs and typed ksyms are resolved against the kernel's BTF too. */
	btf = bpf_object__btf(obj);
	for (uint32_t id = 1; btf && id < btf__type_cnt(btf); id++) {
		const char *kind = check_extern_needs_kernel_btf(btf, id);

		if (!kind)
			continue;
		report_warn("%s: %s %s needs the kernel's own BTF; embedded BTF cannot provide it",
			    fs_basename(object), kind, btf__name_by_offset(btf, btf__type_by_id(btf, id)->name_off));
		warnings++;
	}
	bpf_object__close(obj);
	return warnings;
}

int btfgen_engine_parse(const char *name, int *engine)
{
	if (!strcmp(name, "native"))
		*engine = BTFGEN_ENGINE_NATIVE;
	else if (!strcmp(name, "bpftool"))
		*engine = BTFGEN_ENGINE_BPFTOOL;
	else
		return -EINVAL;
	return 0;
}

/* ---- kernels ---------------------------------------------------------- */

/* Expands every source and keeps the kernels the filter passes. */
int btfgen_collect_kernels(const struct strv *sources, const char *filter,
			   struct btf_source_list *out)
{
	struct btf_source_list all = {0};
	struct btf_filter f;
	int rc = 0;

	memset(&f, 0, sizeof(f));
	if (filter && (rc = btf_filter_parse(filter, &f)) < 0)
		return rc;
	for (size_t i = 0; i < sources->n && rc == 0; i++)
		rc = btf_source_expand(sources->v[i], &all);
	for (size_t i = 0; i < all.n && rc == 0; i++) {
		struct btf_source_entry *e = &all.v[i];

		if (filter && !btf_filter_match(&f, &e->key))
			continue;
		/* Move the entry: the list owns its strings. */
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 64;
			out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
		}
		out->v[out->n++] = *e;
		memset(e, 0, sizeof(*e));
	}
	if (rc == 0 && out->n == 0) {
		report_error("no kernel BTF in %s%s%s", sources->n ? sources->v[0] : "the sources",
			     sources->n > 1 ? " and the other sources" : "",
			     filter ? " passes the filter" : "");
		rc = -ENOENT;
	}
	btf_source_list_free(&all);
	if (filter)
		btf_filter_free(&f);
	return rc;
}

/* ---- the cache --------------------------------------------------------- */

char *btfgen_cache_dir(void)
{
	char *dir = btfgen_cache_dir_kept();

	/* Never a predictable shared path: another user could plant BTF there.
	 * Without a home, the cache lives for this run only. */
	if (!dir && fs_mkdtemp("bpfpack-cache", &dir) < 0)
		dir = xstrdup(".bpfpack-cache");
	return dir;
}

char *btfgen_cache_dir_kept(void)
{
	const char *v = getenv("BPFPACK_CACHE_DIR");

	if (v && *v)
		return xstrdup(v);
	v = getenv("XDG_CACHE_HOME");
	if (v && *v)
		return xasprintf("%s/bpfpack", v);
	v = getenv("HOME");
	if (v && *v)
		return xasprintf("%s/.cache/bpfpack", v);
	struct passwd *pw = getpwuid(getuid());

	if (pw && pw->pw_dir && *pw->pw_dir)
		return xasprintf("%s/.cache/bpfpack", pw->pw_dir);
	return NULL;
}

/* Content hashes of source files, remembered by (device, inode, size, mtime)
 * like git's index, so a warm run does not read gigabytes of kernels again. */
struct hash_memo {
	struct buf text;	/* lines "dev ino size mtime hash" */
	struct buf added;
	char *path;
};

static void memo_load(struct hash_memo *m, const char *cache_dir)
{
	m->path = xasprintf("%s/source-hashes", cache_dir);
	if (fs_exists(m->path) && fs_read_file(m->path, &m->text) < 0)
		buf_reset(&m->text);
}

/* Returns 0 or the -errno of a failed write (not reported: the memo is an
 * optimization, the caller warns). */
static int memo_save(struct hash_memo *m)
{
	int rc = 0;

	if (m->added.len) {
		buf_append(&m->text, m->added.data, m->added.len);
		rc = fs_write_atomic_quiet(m->path, m->text.data, m->text.len, 0644);
	}
	buf_free(&m->text);
	buf_free(&m->added);
	free(m->path);
	return rc;
}

static int hash_file(const char *path, struct hash_memo *m, char out[33])
{
	char ident[128];
	struct stat st;
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;

		report_error("cannot read %s: %s", path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	snprintf(ident, sizeof(ident), "%llu %llu %lld %lld.%09ld ", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino, (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	for (const struct buf *b = &m->text; b; b = b == &m->text ? &m->added : NULL) {
		const char *line = b->data;

		while (line && *line) {
			const char *nl = strchr(line, '\n');

			if (!strncmp(line, ident, strlen(ident)) && nl && nl - line - strlen(ident) == 32) {
				memcpy(out, line + strlen(ident), 32);
				out[32] = '\0';
				close(fd);
				return 0;
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	n = hash_fd_hex(fd, out);
	close(fd);
	if (n < 0) {
		report_error("cannot read %s: %s", path, strerror(-n));
		return n;
	}
	buf_printf(&m->added, "%s%s\n", ident, out);
	return 0;
}

/* The cache file of one kernel: the kernel source's content plus where in it
 * the kernel is (a btfhub tree's files each hold one kernel; an archive could
 * hold several) and the bpftool that minimizes. */
static char *cache_path(const char *dir, const char *relo_key, const char *file_hash,
			const struct btf_source_entry *e, const char *tool_id)
{
	XXH128_hash_t v;
	struct buf id = {0};
	char *p;

	/* By content: the file's bytes, where in it the kernel is (an archive or
	 * a package can hold several) and how it is read; not its name, path or
	 * release, so the same bytes under another name are not minimized again. */
	buf_printf(&id, "min-2\n%s\n%s\n%d\n%s\n", file_hash, e->member ? e->member : "", e->kind, tool_id);
	v = XXH3_128bits(id.data, id.len);
	p = xasprintf("%s/min-btf/%s/%016llx%016llx.btf", dir, relo_key,
		      (unsigned long long)v.high64, (unsigned long long)v.low64);
	buf_free(&id);
	return p;
}

/* Whether the cache holds a minimized BTF at PATH. An empty file is none: a
 * bpftool whose write hit a full disk may still exit 0 (and older runs may
 * have kept what it left). */
static bool cache_has(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > 0;
}

/* Where the minimized BTF of cache file CACHED goes when the cache cannot
 * take it: DIR, a temp directory of this run, under the same name. */
static char *fallback_path(const char *dir, const char *cached)
{
	return fs_path_join(dir, fs_basename(cached));
}

/* Once per run: the cache cannot be written, the run goes on without it. */
static void cache_warn(bool *warned, const char *cache, int err)
{
	if (*warned)
		return;
	*warned = true;
	report_warn("cannot write the cache %s: %s; going on without it (set "
		    "BPFPACK_CACHE_DIR to a writable directory to keep the minimized BTF)",
		    cache, strerror(err));
}

/* ---- minimizing -------------------------------------------------------- */

/* Kernels go to a pool of worker processes, each of which reads one kernel
 * at a time (from the decoded-kernel cache, else decompressing it) and
 * minimizes it in process (native) or into its own memfd for bpftool. A worker lives
 * for the whole run: its memfd's pages and its decompressor's dictionary
 * (liblzma's 8 MiB) are faulted in once, not once per kernel. The parent only
 * hands out kernels and sleeps in poll(): with -j N on N cores it must not
 * take a core from the workers. */

/* A job is a kernel's index and, once the cache has refused a file, the
 * directory of this run's own to write it to instead (made only then, so a
 * run killed outright leaves none behind). The answer is that index and 0,
 * -1, or 2 when the cache could not take the minimized BTF: the parent then
 * sends the job again with a directory. */
struct btfgen_request {
	uint32_t index;
	char alt_dir[PATH_MAX];	/* "" : the cache */
};

struct btfgen_answer {
	uint32_t index;
	int32_t status;		/* 0, -1 failed, 2 the cache could not take it */
	int32_t cache_err;	/* with 2: why (an errno) */
	int32_t decoded;	/* 1: decoded from its source, not the kernel cache */
};

/* What every worker shares, set up by the parent before the fork. */
struct btfgen_work {
	const struct btf_source_list *kernels;
	char *const *objects;
	size_t n_objects;
	const struct btfgen_opts *opts;
	char **paths;		/* [kernel]: the result's cache file */
	char **kkeys;		/* [kernel]: its decoded-kernel cache key, NULL: no cache */
	const struct kcache *kc;
	/* The native engine's objects, read once per worker. */
	struct bpfobj *objs;
	const struct bpfobj **objps;
	/* ... and as check reads them, for the verdicts it leaves. */
	const char *cache_dir;
	struct check_tool *tools;	/* NULL: not (yet) read, or no check */
	bool tools_failed;
};

/* What a worker is doing, for its signal handler: the bpftool it waits for
 * and the temp file that bpftool writes. */
static volatile pid_t worker_child;
static char *volatile worker_tmp;

/* SIGINT/SIGTERM in a worker (or its parent died): stop bpftool, remove
 * its half-written output, leave. */
static void worker_on_signal(int sig)
{
	pid_t pid = worker_child;
	char *tmp = worker_tmp;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (tmp)
		unlink(tmp);
	_exit(128 + sig);
}

/* Whether ERR (an errno) means the cache's filesystem cannot take a file: full,
 * over quota, read-only or not ours. The cache is an optimization, so these
 * send the minimized BTF elsewhere instead of failing the run. */
static bool cache_write_error(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES || err == EPERM;
}

/* The errno a failed bpftool's words name for writing its output, or 0. */
static int log_write_error(const struct buf *log)
{
	if (!log->data)
		return 0;
	if (strstr(log->data, strerror(ENOSPC)))
		return ENOSPC;
	if (strstr(log->data, strerror(EDQUOT)))
		return EDQUOT;
	if (strstr(log->data, strerror(EROFS)))
		return EROFS;
	return 0;
}

/* In a worker: kernel I's raw BTF into RAW (from the decoded-kernel cache
 * when it has it), *DECODED says whether it had to be decoded. */
static int worker_read_raw(struct btfgen_work *w, uint32_t i, struct buf *raw, bool *decoded)
{
	bool hit = false;
	int rc = kcache_read_raw(w->kc, &w->kernels->v[i], w->kkeys[i], raw, &hit);

	*decoded = !hit;
	return rc;
}

/* Writes LEN bytes of DATA to OUT through a temp file beside it. 0, -errno
 * after reporting, or a positive errno without reporting when OUT's
 * filesystem cannot take the file (cache_write_error). */
static int worker_write(const char *out, const void *data, size_t len)
{
	char *tmp = xasprintf("%s%sXXXXXX", out, FS_TEMP_MARK);
	int fd = mkostemp(tmp, O_CLOEXEC), rc = 0;
	size_t off = 0;

	if (fd < 0) {
		rc = errno;
		goto out;
	}
	worker_tmp = tmp;
	while (off < len && rc == 0) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = errno;
	if (rc == 0 && (chmod(tmp, 0644) < 0 || rename(tmp, out) < 0))
		rc = errno;
	if (rc != 0)
		unlink(tmp);
	worker_tmp = NULL;
out:
	if (rc != 0 && !cache_write_error(rc)) {
		report_error("cannot write %s: %s", out, strerror(rc));
		rc = -rc;
	}
	free(tmp);
	return rc;
}

/* In a worker, the native engine: kernel I minimized in process into OUT.
 * Returns as worker_minimize(). */
static int worker_minimize_native(struct btfgen_work *w, uint32_t i, const char *out, bool *decoded)
{
	const struct btf_source_entry *e = &w->kernels->v[i];
	struct buf raw = {0};
	struct btf *kbtf = NULL, *min = NULL;
	struct core_index *ix = NULL;
	struct check_kernel *ck = NULL;
	char err[512];
	int rc;

	if (!w->objs) {
		w->objs = xcalloc(w->n_objects ? w->n_objects : 1, sizeof(*w->objs));
		w->objps = xcalloc(w->n_objects ? w->n_objects : 1, sizeof(*w->objps));
		for (size_t o = 0; o < w->n_objects; o++) {
			struct buf b = {0};

			rc = fs_read_file(w->objects[o], &b);
			if (rc == 0 && bpfobj_read(b.data, b.len, fs_basename(w->objects[o]), &w->objs[o], err,
						   sizeof(err)) < 0) {
				report_error("%s: %s", w->objects[o], err);
				rc = -EINVAL;
			}
			buf_free(&b);
			if (rc < 0) {
				free(w->objs);
				free(w->objps);
				w->objs = NULL;
				return rc;
			}
			w->objps[o] = &w->objs[o];
		}
	}
	rc = worker_read_raw(w, i, &raw, decoded);
	if (rc == 0)
		rc = btf_source_parse(e, &raw, &kbtf);
	buf_free(&raw);
	if (rc < 0)
		return rc;
	/* With check's verdicts to leave, its index (every kind) serves both;
	 * else only the kinds the relocations look up are indexed. */
	if (!w->opts->no_check && !w->tools && !w->tools_failed) {
		w->tools = xcalloc(w->n_objects ? w->n_objects : 1, sizeof(*w->tools));
		for (size_t o = 0; o < w->n_objects && !w->tools_failed; o++) {
			struct buf b = {0};
			char cerr[256];

			/* An object check cannot read is check's to report, later. */
			if (fs_read_file(w->objects[o], &b) < 0 ||
			    check_tool_open_mem(b.data, b.len, fs_basename(w->objects[o]), &w->tools[o], cerr,
						sizeof(cerr)) < 0)
				w->tools_failed = true;
			buf_free(&b);
		}
		if (w->tools_failed) {
			free(w->tools);
			w->tools = NULL;
		}
	}
	if (w->tools) {
		ck = check_kernel_new(kbtf);
		rc = btf_minimize(check_kernel_index(ck), w->objps, w->n_objects, &min, err, sizeof(err));
		for (size_t o = 0; o < w->n_objects && rc == 0; o++)
			if (check_store_verdict(w->cache_dir, &w->tools[o], e, ck) < 0)
				report_debug("%s: check verdict not stored", e->origin);
	} else {
		ix = core_index_new_kinds(kbtf, btf_minimize_kinds(w->objps, w->n_objects));
		rc = btf_minimize(ix, w->objps, w->n_objects, &min, err, sizeof(err));
	}
	if (rc < 0) {
		report_error("%s: cannot minimize its BTF: %s", e->origin, err);
	} else {
		const void *data;
		uint32_t len;

		data = btf__raw_data(min, &len);
		rc = data ? worker_write(out, data, len) : -ENOMEM;
	}
	btf__free(min);
	core_index_free(ix);
	check_kernel_free(ck);
	btf__free(kbtf);
	return rc;
}

/* In a worker, the bpftool engine: kernel I's BTF into MFD, then bpftool
 * minimizes it into OUT (the cache file, or this run's own directory). Returns 0, -errno after reporting, or, when OUT's
 * filesystem cannot take the file (cache_write_error), a positive errno
 * without reporting: the caller then minimizes into a directory of its own. */
static int worker_minimize(struct btfgen_work *w, uint32_t i, const char *out, int mfd, bool *decoded)
{
	const struct btf_source_entry *e = &w->kernels->v[i];
	struct proc_opts popts = PROC_OPTS_INHERIT;
	struct buf log = {0};
	struct strv argv = {0};
	char *tmp = NULL;
	int tfd, rc, err_fd = -1;
	size_t len;
	pid_t pid;

	if (w->kkeys[i]) {
		struct buf raw = {0};

		rc = worker_read_raw(w, i, &raw, decoded);
		if (rc == 0 && (ftruncate(mfd, 0) < 0 || pwrite(mfd, raw.data, raw.len, 0) != (ssize_t)raw.len)) {
			rc = -errno;
			report_error("%s: cannot buffer its BTF: %s", e->origin, strerror(errno));
		}
		buf_free(&raw);
	} else {
		*decoded = true;
		rc = btf_source_read_raw_fd(e, mfd, &len);
	}
	if (rc < 0)
		return rc;
	tmp = xasprintf("%s%sXXXXXX", out, FS_TEMP_MARK);
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0) {
		rc = errno;
		free(tmp);
		if (cache_write_error(rc))
			return rc;
		report_error("cannot create a temp file beside %s: %s", out, strerror(rc));
		return -rc;
	}
	close(tfd);
	worker_tmp = tmp;
	strv_push(&argv, w->opts->bpftool);
	strv_push(&argv, "gen");
	strv_push(&argv, "min_core_btf");
	strv_pushf(&argv, "/proc/self/fd/%d", mfd);
	strv_push(&argv, tmp);
	for (size_t o = 0; o < w->n_objects; o++)
		strv_push(&argv, w->objects[o]);
	err_fd = proc_capture_fd("bpftool");
	popts.stdout_fd = err_fd;
	popts.stderr_fd = err_fd;
	rc = err_fd < 0 ? err_fd : proc_spawn(argv.v, &popts, &pid);
	if (rc == 0) {
		siginfo_t si;

		/* Waits without reaping, so the handler never kills a reused pid. */
		worker_child = pid;
		while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
		worker_child = 0;
		rc = proc_wait(pid);
		if (rc != 0) {
			proc_capture_read(err_fd, &log);
			if (rc < 128 && log_write_error(&log)) {
				rc = log_write_error(&log);
			} else {
				/* bpftool's own words say why; keep them, on one line. */
				for (char *c = log.data; c && *c; c++)
					if (*c == '\n')
						*c = ' ';
				report_error("%s: bpftool gen min_core_btf failed (exit %d): %s",
					     e->origin, rc,
					     log.data && *log.data ? log.data : "no message");
				rc = -EIO;
			}
		}
	}
	if (rc == 0) {
		struct stat st;
		struct statvfs sv;

		/* bpftool may exit 0 after a write that hit a full disk. */
		if (stat(tmp, &st) == 0 && st.st_size == 0) {
			if (statvfs(tmp, &sv) == 0 &&
			    (unsigned long long)sv.f_bavail * sv.f_frsize < (1u << 20)) {
				rc = ENOSPC;
			} else {
				report_error("%s: bpftool gen min_core_btf wrote nothing", e->origin);
				rc = -EIO;
			}
		}
	}
	if (rc == 0 && (chmod(tmp, 0644) < 0 || rename(tmp, out) < 0)) {
		rc = errno;
		if (!cache_write_error(rc)) {
			report_error("cannot write %s: %s", out, strerror(rc));
			rc = -rc;
		}
	}
	if (rc != 0)
		unlink(tmp);
	worker_tmp = NULL;
	free(tmp);
	if (err_fd >= 0)
		close(err_fd);
	strv_free(&argv);
	buf_free(&log);
	return rc;
}

/* A worker's life: minimize the kernels that arrive on SOCK until it is
 * closed. Never returns. */
static void worker_main(int sock, pid_t parent, struct btfgen_work *w)
{
	const struct btf_source_list *kernels = w->kernels;
	struct sigaction sa = { .sa_handler = worker_on_signal };
	int mfd = -1;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* A parent killed outright must not leave workers behind. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	/* Each kernel allocates and frees the same few large buffers (its raw
	 * BTF, libbpf's copy, the index): keep them in the heap instead of
	 * fresh mmaps whose pages fault in again for every kernel. */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	for (;;) {
		struct btfgen_answer ans = {0};
		struct btfgen_request req;
		bool decoded = false;
		uint32_t i;
		ssize_t n = recv(sock, &req, sizeof(req), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(req) || req.index >= kernels->n)
			_exit(0);
		i = req.index;
		req.alt_dir[sizeof(req.alt_dir) - 1] = '\0';
		ans.index = i;
		/* Not MFD_CLOEXEC: bpftool opens it as /proc/self/fd/N. One
		 * for every kernel this worker does, overwritten in place. */
		if (w->opts->engine == BTFGEN_ENGINE_BPFTOOL && mfd < 0 &&
		    (mfd = memfd_create("kernel-btf", 0)) < 0) {
			report_error("%s: cannot buffer its BTF: %s", kernels->v[i].origin, strerror(errno));
			ans.status = -1;
		} else {
			char *out = req.alt_dir[0] ? fallback_path(req.alt_dir, w->paths[i]) :
						     xstrdup(w->paths[i]);
			int rc = w->opts->engine == BTFGEN_ENGINE_NATIVE ?
					 worker_minimize_native(w, i, out, &decoded) :
					 worker_minimize(w, i, out, mfd, &decoded);

			if (rc > 0 && !req.alt_dir[0]) {
				/* The cache cannot take it: the parent says where. */
				ans.status = 2;
				ans.cache_err = rc;
			} else {
				if (rc > 0)
					report_error("cannot write %s: %s", out, strerror(rc));
				ans.status = rc == 0 ? 0 : -1;
			}
			free(out);
		}
		ans.decoded = decoded;
		if (send(sock, &ans, sizeof(ans), MSG_NOSIGNAL) != sizeof(ans))
			_exit(1);
	}
}

static volatile sig_atomic_t btfgen_signal;

static void btfgen_on_signal(int sig)
{
	btfgen_signal = sig;
}

/* The progress bar (lib/report): fits the terminal, names the tool, and is
 * erased when the last kernel is done so the summary line stands alone. */
static void progress_show(const struct btfgen_opts *o, size_t done, size_t total, const char *what)
{
	if (!o->progress)
		return;
	if (done == total && total)
		report_progress_clear();
	else
		report_progress("BTFGEN", o->label, done, total, what ? fs_basename(what) : "");
}

struct btfgen_job {
	size_t index;
	long long size;		/* of the kernel's file: how long it will take */
};

/* Largest first: the kernels that finish last are then the short ones, so
 * no core idles long at the end. Ties keep the list's order. */
static int job_cmp(const void *a, const void *b)
{
	const struct btfgen_job *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct btfgen_worker {
	pid_t pid;
	int sock;		/* -1 once closed */
	size_t job;		/* the kernel it is minimizing */
	bool busy;
};

/* Hands worker W the next kernel of JOBS that is still missing from the
 * cache; closes its socket (it then exits) when there is none. Returns
 * whether it got one. */
/* Sends worker W kernel I, to be written to ALT_DIR (NULL: the cache). */
static bool pool_send(struct btfgen_worker *w, uint32_t i, const char *alt_dir)
{
	struct btfgen_request req = { .index = i };

	if (alt_dir)
		snprintf(req.alt_dir, sizeof(req.alt_dir), "%s", alt_dir);
	return send(w->sock, &req, sizeof(req), MSG_NOSIGNAL) == sizeof(req);
}

static bool pool_dispatch(struct btfgen_worker *w, const struct btfgen_job *jobs, size_t n_jobs,
			  size_t *next, const struct btf_source_list *kernels, char **paths,
			  const char *alt_dir)
{
	while (*next < n_jobs) {
		uint32_t i = (uint32_t)jobs[(*next)++].index;

		/* Another run may have made it meanwhile. */
		if (cache_has(paths[i]))
			continue;
		if (!pool_send(w, i, alt_dir))
			break;
		w->job = i;
		w->busy = true;
		report_debug("minimizing %s", kernels->v[i].origin);
		return true;
	}
	close(w->sock);
	w->sock = -1;
	w->busy = false;
	return false;
}

int btfgen_run(const struct btf_source_list *kernels, char *const objects[], size_t n_objects,
	       const struct btfgen_opts *o, struct btfset_builder *set, struct btfgen_stats *stats)
{
	struct sigaction sa = { .sa_handler = btfgen_on_signal }, old_int, old_term;
	char relo_key[33], tool_id[256];
	char **paths = xcalloc(kernels->n, sizeof(*paths));
	char **kkeys = xcalloc(kernels->n ? kernels->n : 1, sizeof(*kkeys));
	struct kcache kc = {0};
	struct btfgen_work work = { .kernels = kernels, .objects = objects, .n_objects = n_objects, .opts = o,
				    .paths = paths, .kkeys = kkeys, .kc = &kc };
	struct btfgen_job *jobs = xcalloc(kernels->n ? kernels->n : 1, sizeof(*jobs));
	struct btfgen_worker *workers = NULL;
	struct pollfd *pfds = NULL;
	struct hash_memo memo = {0};
	char *cache = o->cache_dir ? xstrdup(o->cache_dir) : btfgen_cache_dir();
	char *dir = NULL;
	/* OWN_DIR: this run's temp directory, for the minimized BTF the cache
	 * cannot take (ALT_DIR), or as the whole cache when it cannot even be
	 * created. Removed at the end. */
	char *own_dir = NULL;
	const char *alt_dir = NULL;
	bool warned = false;
	size_t n_jobs = 0, next = 0, busy = 0, done = 0, total, n_workers = 0, todo = 0;
	struct stat st;
	int rc;

	memset(stats, 0, sizeof(*stats));
	rc = btfgen_relo_key(objects, n_objects, relo_key);
	if (rc < 0)
		goto out;
	if (o->engine == BTFGEN_ENGINE_NATIVE) {
		/* The minimizer is this program: a rebuilt one may minimize
		 * differently, so its identity is in the key. */
		if (stat("/proc/self/exe", &st) < 0)
			memset(&st, 0, sizeof(st));
		snprintf(tool_id, sizeof(tool_id), "native-minimizer-1 %lld %lld.%09ld", (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	} else if (!o->bpftool || stat(o->bpftool, &st) < 0) {
		rc = o->bpftool ? -errno : -ENOENT;
		report_error("cannot run %s: %s", o->bpftool ? o->bpftool : "bpftool", strerror(-rc));
		goto out;
	} else {
		snprintf(tool_id, sizeof(tool_id), "%s %lld %lld", o->bpftool, (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec);
	}
	dir = xasprintf("%s/min-btf/%s", cache, relo_key);
	rc = fs_mkdirs(dir, 0755);
	if (rc < 0) {
		cache_warn(&warned, cache, -rc);
		rc = fs_mkdtemp("bpfpack-btfgen", &own_dir);
		if (rc < 0)
			goto out;
		free(cache);
		cache = xstrdup(own_dir);
		free(dir);
		dir = xasprintf("%s/min-btf/%s", cache, relo_key);
		rc = fs_mkdir_p(dir, 0755);
		if (rc < 0)
			goto out;
	}
	/* A cache that could not be made has been warned about once already:
	 * its temp stand-in is no place to keep decoded kernels. */
	kcache_open(&kc, cache, o->no_kernel_cache || own_dir);
	work.cache_dir = cache;
	memo_load(&memo, cache);
	for (size_t i = 0; i < kernels->n && rc == 0; i++) {
		char file_hash[33];
		bool dup = false;

		rc = hash_file(kernels->v[i].path, &memo, file_hash);
		if (rc < 0)
			break;
		paths[i] = cache_path(cache, relo_key, file_hash, &kernels->v[i], tool_id);
		if (cache_has(paths[i]))
			continue;
		if (kc.dir)
			kkeys[i] = kcache_key(&kernels->v[i], file_hash);
		todo++;
		/* The same kernel given twice is minimized once. */
		for (size_t j = 0; j < n_jobs && !dup; j++)
			dup = !strcmp(paths[jobs[j].index], paths[i]);
		if (dup)
			continue;
		jobs[n_jobs].index = i;
		jobs[n_jobs].size = stat(kernels->v[i].path, &st) == 0 ? (long long)st.st_size : 0;
		n_jobs++;
	}
	if (rc == 0) {
		int mrc = memo_save(&memo);

		if (mrc < 0)
			cache_warn(&warned, cache, -mrc);
	} else {
		memo_save(&memo);
	}
	if (rc < 0)
		goto out;
	stats->cached = kernels->n - todo;
	qsort(jobs, n_jobs, sizeof(*jobs), job_cmp);

	btfgen_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	n_workers = (size_t)(o->parallel > 0 ? o->parallel : 1);
	if (n_workers > n_jobs)
		n_workers = n_jobs;
	workers = xcalloc(n_workers ? n_workers : 1, sizeof(*workers));
	pfds = xcalloc(n_workers ? n_workers : 1, sizeof(*pfds));
	total = n_jobs;
	if (n_jobs)
		progress_show(o, 0, total, NULL);
	for (size_t w = 0; w < n_workers; w++) {
		int sv[2];
		pid_t parent = getpid(), pid;

		workers[w].sock = -1;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			rc = -errno;
			report_error("cannot start a worker: %s", strerror(errno));
			break;
		}
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			rc = -errno;
			report_error("cannot start a worker: %s", strerror(errno));
			close(sv[0]);
			close(sv[1]);
			break;
		}
		if (pid == 0) {
			/* The parent's ends of the workers before it, and its own. */
			for (size_t v = 0; v < w; v++)
				if (workers[v].sock >= 0)
					close(workers[v].sock);
			close(sv[0]);
			worker_main(sv[1], parent, &work);
		}
		close(sv[1]);
		workers[w].pid = pid;
		workers[w].sock = sv[0];
	}
	for (size_t w = 0; w < n_workers && workers[w].pid > 0; w++) {
		if (rc == 0 &&
		    pool_dispatch(&workers[w], jobs, n_jobs, &next, kernels, paths, alt_dir))
			busy++;
		else if (workers[w].sock >= 0) {
			close(workers[w].sock);
			workers[w].sock = -1;
		}
	}
	while (busy && !btfgen_signal) {
		for (size_t w = 0; w < n_workers; w++) {
			pfds[w].fd = workers[w].busy ? workers[w].sock : -1;
			pfds[w].events = POLLIN;
			pfds[w].revents = 0;
		}
		if (poll(pfds, n_workers, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			report_error("cannot wait for the workers: %s", strerror(errno));
			break;
		}
		for (size_t w = 0; w < n_workers; w++) {
			struct btfgen_worker *wk = &workers[w];
			struct btfgen_answer ans;
			ssize_t n;

			if (!wk->busy || !pfds[w].revents)
				continue;
			n = recv(wk->sock, &ans, sizeof(ans), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == sizeof(ans) && ans.index == wk->job && ans.status == 2) {
				/* The cache refused it: again, into a directory of this
				 * run's own (made now, once), as every job after it. */
				cache_warn(&warned, cache, ans.cache_err);
				if (!own_dir && fs_mkdtemp("bpfpack-btfgen", &own_dir) == 0)
					alt_dir = own_dir;
				if (alt_dir && pool_send(wk, wk->job, alt_dir))
					continue;
				report_error("cannot write %s: %s", paths[wk->job],
					     strerror(ans.cache_err));
				ans.status = -1;
			}
			busy--;
			done++;
			if (n == sizeof(ans) && ans.index == wk->job && ans.status == 0) {
				stats->minimized++;
				stats->decoded += ans.decoded ? 1 : 0;
			} else {
				if (n != sizeof(ans) || ans.index != wk->job) {
					/* No answer: it died (killed, out of memory),
					 * or SIGINT/SIGTERM reached it before us. */
					int status = 0, sig = 0;

					if (n != 0)
						kill(wk->pid, SIGKILL);
					if (waitpid(wk->pid, &status, 0) == wk->pid)
						wk->pid = 0;
					if (WIFSIGNALED(status))
						sig = WTERMSIG(status);
					else if (WIFEXITED(status) && WEXITSTATUS(status) > 128)
						sig = WEXITSTATUS(status) - 128;
					if (n == 0 && (sig == SIGINT || sig == SIGTERM))
						btfgen_signal = sig;
					else
						report_error("%s: the worker minimizing it died%s%s",
							     kernels->v[wk->job].origin, sig ? " of " : "",
							     sig ? strsignal(sig) : "");
				}
				if (!rc)
					rc = -EIO;
				/* Stop starting new work; let the running ones end. */
				total = done + busy;
			}
			progress_show(o, done, total, kernels->v[wk->job].origin);
			if (rc == 0 && wk->pid > 0 &&
			    pool_dispatch(wk, jobs, n_jobs, &next, kernels, paths, alt_dir)) {
				busy++;
			} else {
				if (wk->sock >= 0)
					close(wk->sock);
				wk->sock = -1;
				wk->busy = false;
			}
		}
	}
	if (btfgen_signal) {
		for (size_t w = 0; w < n_workers; w++)
			if (workers[w].pid > 0)
				kill(workers[w].pid, SIGTERM);
		rc = -EINTR;
	}
	/* Workers whose socket is closed exit; wait for every one of them. */
	for (size_t w = 0; w < n_workers; w++) {
		if (workers[w].sock >= 0)
			close(workers[w].sock);
		if (workers[w].pid > 0)
			while (waitpid(workers[w].pid, NULL, 0) < 0 && errno == EINTR)
				;
	}
	if (o->progress)
		report_progress_clear();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	/* Bounded: the kernels this run decoded may push older ones out. */
	if (stats->decoded)
		kcache_evict(&kc);
	if (rc < 0)
		goto out;

	for (size_t i = 0; i < kernels->n && rc == 0; i++) {
		struct buf blob = {0};

		/* Made outside the cache, which could not take it. */
		if (alt_dir && !cache_has(paths[i])) {
			char *alt = fallback_path(alt_dir, paths[i]);

			if (fs_exists(alt)) {
				free(paths[i]);
				paths[i] = alt;
			} else {
				free(alt);
			}
		}
		rc = fs_read_file(paths[i], &blob);
		if (rc == 0)
			rc = btfset_builder_add(set, &kernels->v[i].key, blob.data, blob.len);
		buf_free(&blob);
	}
	stats->kernels = kernels->n;
	report_debug("%zu kernel%s minimized: %zu decoded from %s source, %zu read from the "
		     "decoded-kernel cache", stats->minimized, stats->minimized == 1 ? "" : "s", stats->decoded,
		     stats->decoded == 1 ? "its" : "their", stats->minimized - stats->decoded);
out:
	for (size_t i = 0; i < kernels->n; i++) {
		free(paths[i]);
		free(kkeys[i]);
	}
	free(paths);
	free(kkeys);
	kcache_close(&kc);
	free(jobs);
	free(workers);
	free(pfds);
	free(dir);
	free(cache);
	if (own_dir) {
		fs_rm_rf(own_dir);
		free(own_dir);
	}
	return rc;
}
