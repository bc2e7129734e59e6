/* test_btfset: the embedded BTF set, written by btfhub/btfset_write and read
 * by runtime/btfset. The data is real: a small CO-RE program compiled here
 * with clang and minimized with `bpftool gen min_core_btf` against the 40
 * Debian kernels of ../shared/btf-corpus (against the running kernel's BTF
 * when the corpus is absent). Checked: the round trip keeps every kernel's key
 * and a type graph equal to what bpftool wrote; identical BTFs are stored
 * once; the bytes do not depend on the order kernels are added; every kind of
 * corruption (bad magic, any truncation, any flipped bit, forged sizes,
 * offsets and counts with valid checksums) is refused with a message; and
 * the size of the set against a tar.gz of the same per-kernel files. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <bpf/btf.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* magicless frames */
#include <zstd.h>

#include "../../btfhub/btfset_write.h"
#include "../../btfhub/embed.h"
#include "../../formats/elf_file.h"
#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"
#include "../../lib/toolchain.h"
#include "../../runtime/btfset.h"

/* A tracepoint tool's worth of CO-RE reads: task, mm, file, dentry, inode,
 * creds, namespaces, tty. Declared here (no vmlinux.h), so the test does not
 * depend on the running kernel; the fields moved between 5.10, 6.1 and 6.12. */
static const char core_prog[] =
	"typedef unsigned int u32; typedef unsigned long long u64; typedef unsigned short u16;\n"
	"#define __pai __attribute__((preserve_access_index))\n"
	"#define SEC(n) __attribute__((section(n), used))\n"
	"typedef struct { u32 val; } __pai kuid_t;\n"
	"struct qstr { u32 len; const unsigned char *name; } __pai;\n"
	"struct super_block { u32 s_dev; char s_id[32]; unsigned long s_magic; } __pai;\n"
	"struct inode { unsigned long i_ino; u16 i_mode; long long i_size; struct super_block *i_sb;"
	" u32 i_nlink; } __pai;\n"
	"struct dentry { struct qstr d_name; struct dentry *d_parent; struct inode *d_inode; } __pai;\n"
	"struct vfsmount { struct dentry *mnt_root; } __pai;\n"
	"struct path { struct vfsmount *mnt; struct dentry *dentry; } __pai;\n"
	"struct file { struct path f_path; struct inode *f_inode; unsigned int f_flags; long long f_pos; } __pai;\n"
	"struct mm_struct { struct file *exe_file; unsigned long arg_start, arg_end, env_start;"
	" unsigned long total_vm; } __pai;\n"
	"struct cred { kuid_t uid, euid; u32 securebits; } __pai;\n"
	"struct ns_common { u32 inum; } __pai;\n"
	"struct pid_namespace { struct ns_common ns; u32 level; } __pai;\n"
	"struct net { struct ns_common ns; } __pai;\n"
	"struct uts_namespace { struct ns_common ns; } __pai;\n"
	"struct nsproxy { struct pid_namespace *pid_ns_for_children; struct net *net_ns;"
	" struct uts_namespace *uts_ns; } __pai;\n"
	"struct tty_struct { char name[64]; int index; } __pai;\n"
	"struct signal_struct { struct tty_struct *tty; int nr_threads; } __pai;\n"
	"struct sched_entity { u64 sum_exec_runtime; u64 vruntime; } __pai;\n"
	"struct task_struct { struct task_struct *real_parent, *group_leader; int pid, tgid;"
	" unsigned int flags, __state; int prio; struct mm_struct *mm;"
	" const struct cred *cred, *real_cred; struct nsproxy *nsproxy;"
	" struct signal_struct *signal; char comm[16]; struct sched_entity se;"
	" u64 start_time; int exit_code; } __pai;\n"
	"static long (*bpf_probe_read_kernel)(void *dst, u32 size, const void *src) = (void *)113;\n"
	"static long (*bpf_get_current_task)(void) = (void *)35;\n"
	"#define R(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))\n"
	"u64 sink[64];\n"
	"SEC(\"tp/sched/sched_process_exec\")\n"
	"int handle_exec(void *ctx)\n"
	"{\n"
	"	struct task_struct *t = (void *)bpf_get_current_task(), *p;\n"
	"	struct mm_struct *mm; struct file *f; struct dentry *d; struct inode *in;\n"
	"	struct super_block *sb; const struct cred *c; struct nsproxy *ns;\n"
	"	struct pid_namespace *pns; struct net *net; struct uts_namespace *uts;\n"
	"	struct signal_struct *sig; struct tty_struct *tty; struct vfsmount *mnt;\n"
	"	const unsigned char *nm; int i = 0;\n"
	"	R(p, t->real_parent); R(sink[i++], p->tgid); R(sink[i++], t->pid); R(sink[i++], t->tgid);\n"
	"	R(sink[i++], t->flags); R(sink[i++], t->__state); R(sink[i++], t->prio);\n"
	"	R(sink[i++], t->comm); R(sink[i++], t->se.sum_exec_runtime); R(sink[i++], t->se.vruntime);\n"
	"	R(sink[i++], t->start_time); R(sink[i++], t->exit_code); R(p, t->group_leader);\n"
	"	R(mm, t->mm); R(sink[i++], mm->arg_start); R(sink[i++], mm->arg_end);\n"
	"	R(sink[i++], mm->env_start); R(sink[i++], mm->total_vm); R(f, mm->exe_file);\n"
	"	R(sink[i++], f->f_flags); R(sink[i++], f->f_pos); R(d, f->f_path.dentry);\n"
	"	R(mnt, f->f_path.mnt); R(d, mnt->mnt_root); R(in, f->f_inode);\n"
	"	R(sink[i++], d->d_name.len); R(nm, d->d_name.name); R(d, d->d_parent); R(in, d->d_inode);\n"
	"	R(sink[i++], in->i_ino); R(sink[i++], in->i_mode); R(sink[i++], in->i_size);\n"
	"	R(sink[i++], in->i_nlink); R(sb, in->i_sb); R(sink[i++], sb->s_dev);\n"
	"	R(sink[i++], sb->s_id); R(sink[i++], sb->s_magic); R(c, t->cred);\n"
	"	R(sink[i++], c->uid.val); R(sink[i++], c->euid.val); R(sink[i++], c->securebits);\n"
	"	R(c, t->real_cred); R(ns, t->nsproxy); R(pns, ns->pid_ns_for_children);\n"
	"	R(sink[i++], pns->ns.inum); R(sink[i++], pns->level); R(net, ns->net_ns);\n"
	"	R(sink[i++], net->ns.inum); R(uts, ns->uts_ns); R(sink[i++], uts->ns.inum);\n"
	"	R(sig, t->signal); R(tty, sig->tty); R(sink[i++], tty->name); R(sink[i++], tty->index);\n"
	"	R(sink[i++], sig->nr_threads);\n"
	"	sink[i] = (u64)nm;\n"
	"	return 0;\n"
	"}\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

struct kernel {
	struct btf_key key;
	struct buf btf;		/* minimized by bpftool */
};

struct fixture {
	char *dir;
	struct kernel *k;
	size_t n;
	bool corpus;		/* the 40 Debian kernels (else the running kernel only) */
	struct buf set;		/* all kernels, added in corpus order */
	struct buf obj;		/* the BPF object they were minimized for */
};

/* ---- making the data ---------------------------------------------------- */

static char *corpus_dir(void)
{
	const char *root = getenv("BPFPACK_ROOT");
	char *self, *d, *p;

	if (root && *root)
		return xasprintf("%s/../shared/btf-corpus", root);
	/* build/tests/test_btfset -> the source root */
	self = fs_realpath("/proc/self/exe");
	if (!self)
		return NULL;
	d = fs_dirname(self);
	p = xasprintf("%s/../../../shared/btf-corpus", d);
	free(d);
	free(self);
	return p;
}

/* The one .btf member of a btfhub .btf.tar.xz, through libarchive. */
static int untar_btf(const char *path, struct buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = -1;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK)
		goto out;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char chunk[65536];
		la_ssize_t n;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		buf_reset(out);
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			buf_append(out, chunk, (size_t)n);
		rc = n == 0 ? 0 : -1;
		break;
	}
out:
	archive_read_free(a);
	return rc;
}

/* bpftool gen min_core_btf KERNEL_BTF OUT PROG_O, read back into K->btf. */
static int minimize(const char *bpftool, const char *kernel_btf, const char *prog_o,
		    const char *dir, struct kernel *k)
{
	char *out = fs_path_join(dir, "min.btf");
	char *argv[] = { (char *)bpftool, "gen", "min_core_btf", (char *)kernel_btf, out,
			 (char *)prog_o, NULL };
	struct buf err = { 0 };
	int rc = proc_run_capture(argv, NULL, &err);

	if (rc != 0)
		printf("# bpftool gen min_core_btf %s: exit %d: %.*s\n", kernel_btf, rc,
		       (int)err.len, err.data ? err.data : "");
	else
		rc = fs_read_file(out, &k->btf);
	buf_free(&err);
	free(out);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_kernel(struct fixture *fx, const char *distro, const char *version,
		       const char *arch, const char *release)
{
	struct kernel *k;

	fx->k = xrealloc(fx->k, (fx->n + 1) * sizeof(*fx->k));
	k = &fx->k[fx->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->key.distro, sizeof(k->key.distro), "%s", distro);
	snprintf(k->key.version, sizeof(k->key.version), "%s", version);
	snprintf(k->key.arch, sizeof(k->key.arch), "%s", arch);
	snprintf(k->key.release, sizeof(k->key.release), "%s", release);
}

/* Every <release>.btf.tar.xz of btf-corpus/debian/<version>/x86_64. */
static int load_corpus(struct fixture *fx, const char *corpus, const char *bpftool,
		       const char *prog_o)
{
	static const char *const versions[] = { "11", "12", "13" };
	char *kernel_btf = fs_path_join(fx->dir, "kernel.btf");
	struct buf raw = { 0 };
	size_t v;
	int rc = 0;

	for (v = 0; v < 3 && rc == 0; v++) {
		char *d = xasprintf("%s/debian/%s/x86_64", corpus, versions[v]);
		char **names = NULL;
		size_t nn = 0, i;
		struct dirent *e;
		DIR *dir = opendir(d);

		if (!dir) {
			free(d);
			rc = -1;
			break;
		}
		while ((e = readdir(dir))) {
			size_t len = strlen(e->d_name);

			if (len > 11 && !strcmp(e->d_name + len - 11, ".btf.tar.xz")) {
				names = xrealloc(names, (nn + 1) * sizeof(*names));
				names[nn++] = xstrdup(e->d_name);
			}
		}
		closedir(dir);
		qsort(names, nn, sizeof(*names), cmp_names);
		for (i = 0; i < nn; i++) {
			char *path = xasprintf("%s/%s", d, names[i]);
			char *release = xstrdup(names[i]);

			release[strlen(release) - 11] = '\0';
			if (rc == 0 && (untar_btf(path, &raw) != 0 ||
					fs_write_atomic(kernel_btf, raw.data, raw.len, 0644) != 0)) {
				printf("# cannot extract %s\n", path);
				rc = -1;
			}
			if (rc == 0) {
				add_kernel(fx, "debian", versions[v], "x86_64", release);
				rc = minimize(bpftool, kernel_btf, prog_o, fx->dir, &fx->k[fx->n - 1]);
			}
			free(path);
			free(release);
			free(names[i]);
		}
		free(names);
		free(d);
	}
	buf_free(&raw);
	free(kernel_btf);
	return rc;
}

static int build_set(struct kernel *k, size_t n, const size_t *order, int canonical,
		     struct buf *out)
{
	struct btfset_builder b;
	size_t i;
	int rc = 0;

	btfset_builder_init(&b);
	b.canonical = canonical;
	for (i = 0; i < n && rc == 0; i++) {
		struct kernel *x = &k[order ? order[i] : i];

		rc = btfset_builder_add(&b, &x->key, x->btf.data, x->btf.len);
	}
	if (rc == 0)
		rc = btfset_builder_write(&b, out);
	btfset_builder_free(&b);
	return rc;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *clang = toolchain_find_clang(), *bpftool = toolchain_find_bpftool();
	char *corpus = corpus_dir();
	char *src, *obj;
	int rc;

	if (!fx || fs_mkdtemp("test-btfset", &fx->dir))
		return -1;
	*state = fx;
	if (!clang || !bpftool) {
		printf("# no clang or bpftool: the tests that need real BTF skip\n");
		goto out;
	}
	src = fs_path_join(fx->dir, "prog.bpf.c");
	obj = fs_path_join(fx->dir, "prog.bpf.o");
	rc = fs_write_atomic(src, core_prog, sizeof(core_prog) - 1, 0644);
	if (rc == 0) {
		char *argv[] = { clang, "-g", "-O2", "-target", "bpf", "-c", src, "-o", obj, NULL };
		struct buf err = { 0 };

		rc = proc_run_capture(argv, NULL, &err);
		if (rc)
			printf("# clang: %.*s\n", (int)err.len, err.data ? err.data : "");
		buf_free(&err);
	}
	if (rc == 0 && corpus && fs_is_dir(corpus)) {
		rc = load_corpus(fx, corpus, bpftool, obj);
		fx->corpus = rc == 0;
	} else if (rc == 0 && fs_exists("/sys/kernel/btf/vmlinux")) {
		/* No corpus: the running kernel's BTF under a few keys, two of
		 * them in one distro/version/arch group. */
		static const char *const keys[][4] = {
			{ "debian", "12", "x86_64", "6.1.0-53-amd64" },
			{ "debian", "12", "x86_64", "6.1.0-50-amd64" },
			{ "ubuntu", "20.04", "arm64", "5.4.0-100-generic" },
		};
		size_t i;

		printf("# no btf-corpus at %s: using the running kernel's BTF\n", corpus ? corpus : "?");
		add_kernel(fx, keys[0][0], keys[0][1], keys[0][2], keys[0][3]);
		rc = minimize(bpftool, "/sys/kernel/btf/vmlinux", obj, fx->dir, &fx->k[0]);
		for (i = 1; rc == 0 && i < sizeof(keys) / sizeof(keys[0]); i++) {
			add_kernel(fx, keys[i][0], keys[i][1], keys[i][2], keys[i][3]);
			buf_append(&fx->k[i].btf, fx->k[0].btf.data, fx->k[0].btf.len);
		}
	}
	if (rc != 0) {
		printf("# could not make minimized BTF: the tests that need it fail\n");
		return -1;
	}
	if (fx->n && build_set(fx->k, fx->n, NULL, 1, &fx->set) != 0)
		return -1;
	if (fs_read_file(obj, &fx->obj))
		return -1;
	free(src);
	free(obj);
out:
	free(clang);
	free(bpftool);
	free(corpus);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < fx->n; i++)
		buf_free(&fx->k[i].btf);
	free(fx->k);
	buf_free(&fx->set);
	buf_free(&fx->obj);
	fs_rm_rf(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* ---- type graphs, independent of type IDs --------------------------------- */

static void describe(const struct btf *b, __u32 id, struct buf *out, int depth);

static void describe_ref(const struct btf *b, __u32 id, struct buf *out, int depth)
{
	const struct btf_type *t = btf__type_by_id(b, id);

	/* Named aggregates and typedefs end the walk (they are described on
	 * their own), so cycles through pointers terminate. */
	if (id && t && t->name_off && (btf_is_composite(t) || btf_is_typedef(t) || btf_is_fwd(t) ||
				       btf_is_any_enum(t) || btf_is_func(t) || btf_is_var(t))) {
		buf_printf(out, "%u:%s", btf_kind(t), btf__name_by_offset(b, t->name_off));
		return;
	}
	describe(b, id, out, depth + 1);
}

/* Kind, name, sizes, and members with their offsets and (recursively) types. */
static void describe(const struct btf *b, __u32 id, struct buf *out, int depth)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	__u16 i, vlen;

	if (!id) {
		buf_append_str(out, "void");
		return;
	}
	if (!t || depth > 32) {
		buf_append_str(out, "?");
		return;
	}
	vlen = btf_vlen(t);
	buf_printf(out, "%u:%s:%#x", btf_kind(t), btf__name_by_offset(b, t->name_off), t->info);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		buf_printf(out, "/%u/%#x", t->size, *(const __u32 *)(t + 1));
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		buf_printf(out, "/%u{", t->size);
		for (i = 0; i < vlen; i++) {
			const struct btf_member *m = btf_members(t) + i;

			buf_printf(out, "%s@%u:", btf__name_by_offset(b, m->name_off), m->offset);
			describe_ref(b, m->type, out, depth);
			buf_append_str(out, ";");
		}
		buf_append_str(out, "}");
		break;
	case BTF_KIND_ENUM:
		buf_printf(out, "/%u{", t->size);
		for (i = 0; i < vlen; i++)
			buf_printf(out, "%s=%d;", btf__name_by_offset(b, btf_enum(t)[i].name_off),
				   btf_enum(t)[i].val);
		buf_append_str(out, "}");
		break;
	case BTF_KIND_ARRAY:
		buf_printf(out, "[%u]", btf_array(t)->nelems);
		describe_ref(b, btf_array(t)->type, out, depth);
		buf_append_str(out, ",");
		describe_ref(b, btf_array(t)->index_type, out, depth);
		break;
	case BTF_KIND_FUNC_PROTO:
		buf_append_str(out, "(");
		for (i = 0; i < vlen; i++) {
			describe_ref(b, btf_params(t)[i].type, out, depth);
			buf_append_str(out, ",");
		}
		buf_append_str(out, ")");
		describe_ref(b, t->type, out, depth);
		break;
	case BTF_KIND_ENUM64:
		buf_printf(out, "/%u{", t->size);
		for (i = 0; i < vlen; i++)
			buf_printf(out, "%s=%u:%u;", btf__name_by_offset(b, btf_enum64(t)[i].name_off),
				   btf_enum64(t)[i].val_hi32, btf_enum64(t)[i].val_lo32);
		buf_append_str(out, "}");
		break;
	case BTF_KIND_DATASEC:
		buf_printf(out, "/%u{", t->size);
		for (i = 0; i < vlen; i++) {
			const struct btf_var_secinfo *v = btf_var_secinfos(t) + i;

			buf_printf(out, "%u+%u:", v->offset, v->size);
			describe_ref(b, v->type, out, depth);
			buf_append_str(out, ";");
		}
		buf_append_str(out, "}");
		break;
	case BTF_KIND_VAR:
		buf_printf(out, "/%u->", btf_var(t)->linkage);
		describe_ref(b, t->type, out, depth);
		break;
	case BTF_KIND_DECL_TAG:
		buf_printf(out, "/%d->", btf_decl_tag(t)->component_idx);
		describe_ref(b, t->type, out, depth);
		break;
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
		buf_append_str(out, "->");
		describe_ref(b, t->type, out, depth);
		break;
	default:
		buf_printf(out, "/%u", t->size);
		break;
	}
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted descriptions of every type: equal lists mean the same type graph,
 * whatever the IDs and string offsets. */
static char *graph_of(const void *data, size_t size)
{
	struct btf *b = btf__new(data, size);
	struct buf all = { 0 };
	char **v;
	__u32 n, i;

	assert_non_null(b);
	n = btf__type_cnt(b);
	v = xcalloc(n, sizeof(*v));
	for (i = 1; i < n; i++) {
		struct buf d = { 0 };

		describe(b, i, &d, 0);
		buf_append(&d, "", 0);
		v[i - 1] = d.data;
	}
	qsort(v, n - 1, sizeof(*v), cmp_strp);
	for (i = 0; i + 1 < n; i++) {
		buf_append_str(&all, v[i]);
		buf_append_str(&all, "\n");
		free(v[i]);
	}
	free(v);
	btf__free(b);
	buf_append(&all, "", 0);
	return all.data;
}

static void need_data(const struct fixture *fx)
{
	if (!fx->n)
		skip();
}

/* ---- round trip, dedup, determinism ----------------------------------------- */

static void test_round_trip_keeps_keys_and_types(void **state)
{
	struct fixture *fx = *state;
	struct btfset *s;
	char err[256];
	size_t i, found = 0;

	need_data(fx);
	assert_int_equal(btfset_open(fx->set.data, fx->set.len, &s, err, sizeof(err)), 0);
	assert_int_equal(btfset_kernel_count(s), fx->n);
	assert_int_equal(btfset_compressed_size(s), fx->set.len);
	if (fx->corpus)
		assert_int_equal(fx->n, 40);
	for (i = 0; i < fx->n; i++) {
		const struct kernel *k = &fx->k[i];
		uint32_t j;

		for (j = 0; j < btfset_kernel_count(s); j++) {
			const struct btfset_kernel *x = btfset_kernel_at(s, j);
			const void *blob;
			uint32_t size;
			char *want, *got;

			if (strcmp(x->distro, k->key.distro) || strcmp(x->version, k->key.version) ||
			    strcmp(x->arch, k->key.arch) || strcmp(x->release, k->key.release))
				continue;
			assert_int_equal(btfset_blob_get(s, x->blob, &blob, &size, err, sizeof(err)), 0);
			want = graph_of(k->btf.data, k->btf.len);
			got = graph_of(blob, size);
			assert_string_equal(got, want);
			free(want);
			free(got);
			found++;
			break;
		}
	}
	assert_int_equal(found, fx->n);
	assert_null(btfset_kernel_at(s, btfset_kernel_count(s)));
	btfset_close(s);
}

static void test_sorted_by_key(void **state)
{
	struct fixture *fx = *state;
	struct btfset *s;
	char err[256];
	uint32_t i;

	need_data(fx);
	assert_int_equal(btfset_open(fx->set.data, fx->set.len, &s, err, sizeof(err)), 0);
	for (i = 1; i < btfset_kernel_count(s); i++) {
		const struct btfset_kernel *a = btfset_kernel_at(s, i - 1), *b = btfset_kernel_at(s, i);
		int c = strcmp(a->distro, b->distro);

		if (!c)
			c = strcmp(a->version, b->version);
		if (!c)
			c = strcmp(a->arch, b->arch);
		if (!c)
			c = strcmp(a->release, b->release);
		assert_true(c < 0);
	}
	btfset_close(s);
}

static void test_identical_btf_stored_once(void **state)
{
	struct fixture *fx = *state;
	struct btfset *s;
	char err[256];
	size_t i, j, distinct = 0;

	need_data(fx);
	assert_int_equal(btfset_open(fx->set.data, fx->set.len, &s, err, sizeof(err)), 0);
	for (i = 0; i < fx->n; i++) {
		for (j = 0; j < i; j++)
			if (fx->k[j].btf.len == fx->k[i].btf.len &&
			    !memcmp(fx->k[j].btf.data, fx->k[i].btf.data, fx->k[i].btf.len))
				break;
		distinct += j == i;
	}
	printf("# %zu kernels, %zu distinct minimized BTFs from bpftool, %u blobs in the set\n",
	       fx->n, distinct, btfset_blob_count(s));
	assert_true(btfset_blob_count(s) <= distinct);
	assert_true(btfset_blob_count(s) < fx->n);
	/* Kernels with byte-identical BTF share one blob. */
	for (i = 0; i < fx->n; i++) {
		for (j = 0; j < i; j++) {
			uint32_t a, b, x;

			if (fx->k[j].btf.len != fx->k[i].btf.len ||
			    memcmp(fx->k[j].btf.data, fx->k[i].btf.data, fx->k[i].btf.len))
				continue;
			a = b = UINT32_MAX;
			for (x = 0; x < btfset_kernel_count(s); x++) {
				const struct btfset_kernel *k = btfset_kernel_at(s, x);

				if (!strcmp(k->release, fx->k[i].key.release) &&
				    !strcmp(k->version, fx->k[i].key.version))
					a = k->blob;
				if (!strcmp(k->release, fx->k[j].key.release) &&
				    !strcmp(k->version, fx->k[j].key.version))
					b = k->blob;
			}
			assert_int_not_equal(a, UINT32_MAX);
			assert_int_equal(a, b);
		}
	}
	btfset_close(s);
}

static void test_same_bytes_in_any_add_order(void **state)
{
	struct fixture *fx = *state;
	struct buf rev = { 0 }, shuf = { 0 };
	unsigned seed = 12345;
	size_t *order, i;

	need_data(fx);
	order = xcalloc(fx->n, sizeof(*order));
	for (i = 0; i < fx->n; i++)
		order[i] = fx->n - 1 - i;
	assert_int_equal(build_set(fx->k, fx->n, order, 1, &rev), 0);
	for (i = fx->n; i > 1; i--) {	/* Fisher-Yates with a fixed LCG */
		size_t j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	assert_int_equal(build_set(fx->k, fx->n, order, 1, &shuf), 0);
	assert_int_equal(rev.len, fx->set.len);
	assert_memory_equal(rev.data, fx->set.data, rev.len);
	assert_int_equal(shuf.len, fx->set.len);
	assert_memory_equal(shuf.data, fx->set.data, shuf.len);
	buf_free(&rev);
	buf_free(&shuf);
	free(order);
}

static void test_uncanonical_round_trip_is_byte_exact(void **state)
{
	struct fixture *fx = *state;
	struct buf raw = { 0 };
	struct btfset *s;
	char err[256];
	uint32_t j;

	need_data(fx);
	assert_int_equal(build_set(fx->k, fx->n, NULL, 0, &raw), 0);
	assert_int_equal(btfset_open(raw.data, raw.len, &s, err, sizeof(err)), 0);
	for (j = 0; j < btfset_kernel_count(s); j++) {
		const struct btfset_kernel *x = btfset_kernel_at(s, j);
		const void *blob;
		uint32_t size;
		size_t i;

		assert_int_equal(btfset_blob_get(s, x->blob, &blob, &size, err, sizeof(err)), 0);
		for (i = 0; i < fx->n; i++)
			if (!strcmp(fx->k[i].key.release, x->release) &&
			    !strcmp(fx->k[i].key.version, x->version))
				break;
		assert_true(i < fx->n);
		assert_int_equal(size, fx->k[i].btf.len);
		assert_memory_equal(blob, fx->k[i].btf.data, size);
	}
	btfset_close(s);
	buf_free(&raw);
}

/* Every BTF kind (functions, variables, sections, decl tags, enum64...) goes
 * through the canonical renumbering unchanged in meaning: a whole kernel's
 * BTF comes back with the same type graph, and as canonical bytes (not the
 * original ones, which the writer keeps when a renumbering does not verify). */
static void test_canonical_order_of_a_whole_kernel(void **state)
{
	struct fixture *fx = *state;
	struct buf raw = { 0 }, set = { 0 };
	struct btfset_builder b;
	struct btf_key key = { .distro = "debian", .version = "12", .arch = "x86_64",
			       .release = "running" };
	struct btfset *s;
	const void *blob;
	uint32_t size;
	char err[256], *want, *got;

	(void)fx;
	if (!fs_exists("/sys/kernel/btf/vmlinux"))
		skip();
	assert_int_equal(fs_read_file("/sys/kernel/btf/vmlinux", &raw), 0);
	btfset_builder_init(&b);
	b.level = 1;	/* the format is the same at any level; 19 takes seconds here */
	assert_int_equal(btfset_builder_add(&b, &key, raw.data, raw.len), 0);
	assert_int_equal(btfset_builder_write(&b, &set), 0);
	btfset_builder_free(&b);
	assert_int_equal(btfset_open(set.data, set.len, &s, err, sizeof(err)), 0);
	assert_int_equal(btfset_blob_get(s, 0, &blob, &size, err, sizeof(err)), 0);
	assert_false(size == raw.len && !memcmp(blob, raw.data, size));
	want = graph_of(raw.data, raw.len);
	got = graph_of(blob, size);
	assert_true(strlen(want) > 1000000);
	assert_true(strcmp(got, want) == 0);	/* not assert_string_equal: megabytes */
	free(want);
	free(got);
	btfset_close(s);
	buf_free(&set);
	buf_free(&raw);
}

/* ---- the builder's refusals ------------------------------------------------- */

static void test_builder_refuses_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct btfset_builder b;
	struct btf_key key = { .distro = "debian", .version = "12", .arch = "x86_64",
			       .release = "6.1.0-50-amd64" };
	struct buf out = { 0 };
	static const char not_btf[] = "this is not BTF at all, just text";

	need_data(fx);
	btfset_builder_init(&b);
	assert_int_equal(btfset_builder_write(&b, &out), -EINVAL);	/* empty */
	assert_int_not_equal(btfset_builder_add(&b, &key, not_btf, sizeof(not_btf)), 0);
	assert_int_equal(btfset_builder_add(&b, &key, fx->k[0].btf.data, 0), -EINVAL);
	key.release[0] = '\0';
	assert_int_equal(btfset_builder_add(&b, &key, fx->k[0].btf.data, fx->k[0].btf.len), -EINVAL);
	snprintf(key.release, sizeof(key.release), "6.1.0-50\namd64");
	assert_int_equal(btfset_builder_add(&b, &key, fx->k[0].btf.data, fx->k[0].btf.len), -EINVAL);
	memset(key.arch, 'x', sizeof(key.arch));	/* not terminated */
	snprintf(key.release, sizeof(key.release), "6.1.0-50-amd64");
	assert_int_equal(btfset_builder_add(&b, &key, fx->k[0].btf.data, fx->k[0].btf.len), -EINVAL);
	snprintf(key.arch, sizeof(key.arch), "x86_64");

	/* The same kernel twice: fine with the same BTF, an error with another. */
	assert_int_equal(btfset_builder_add(&b, &key, fx->k[0].btf.data, fx->k[0].btf.len), 0);
	assert_int_equal(btfset_builder_add(&b, &key, fx->k[0].btf.data, fx->k[0].btf.len), 0);
	assert_int_equal(b.nkernels, 1);
	if (fx->n > 1 && (fx->k[fx->n - 1].btf.len != fx->k[0].btf.len ||
			  memcmp(fx->k[fx->n - 1].btf.data, fx->k[0].btf.data, fx->k[0].btf.len)))
		assert_int_equal(btfset_builder_add(&b, &key, fx->k[fx->n - 1].btf.data,
						    fx->k[fx->n - 1].btf.len), -EEXIST);
	assert_int_equal(b.nkernels, 1);
	assert_int_equal(btfset_builder_write(&b, &out), 0);
	btfset_builder_free(&b);
	buf_free(&out);
}

/* ---- corruption --------------------------------------------------------------- */

static uint32_t le32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_le32(void *p, uint32_t v)
{
	unsigned char *b = p;

	b[0] = v;
	b[1] = v >> 8;
	b[2] = v >> 16;
	b[3] = v >> 24;
}

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(crc32(0, Z_NULL, 0), p, (uInt)n);
}

/* The payload of a set, cut into its parts (format in runtime/btfset.h), so
 * a test can change one part and put the payload together again. */
struct parts {
	uint32_t K, B, G;
	struct buf groups, nums, sizes, rels, data;
};

static void parts_free(struct parts *pt)
{
	buf_free(&pt->groups);
	buf_free(&pt->nums);
	buf_free(&pt->sizes);
	buf_free(&pt->rels);
	buf_free(&pt->data);
}

static uint32_t get_varint(const char **p)
{
	uint32_t v = 0;
	int shift = 0;
	unsigned char b;

	do {
		b = (unsigned char)*(*p)++;
		v |= (uint32_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

static void put_varint(struct buf *b, uint32_t v)
{
	do {
		char c = (char)(v & 0x7f);

		v >>= 7;
		if (v)
			c = (char)(c | 0x80);
		buf_append(b, &c, 1);
	} while (v);
}

/* The decompressed payload of a valid SET (no padding after it). */
static void payload_of(const struct buf *set, struct buf *out)
{
	const char *z = set->data + BTFSET_HEADER_SIZE;
	size_t zn = set->len - BTFSET_HEADER_SIZE, n;
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_frameHeader fh;
	char *p;

	assert_int_equal(ZSTD_getFrameHeader_advanced(&fh, z, zn, ZSTD_f_zstd1_magicless), 0);
	p = xmalloc(fh.frameContentSize);
	assert_false(ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_format,
							  ZSTD_f_zstd1_magicless)));
	n = ZSTD_decompressDCtx(d, p, fh.frameContentSize, z, zn);
	assert_int_equal(n, fh.frameContentSize);
	ZSTD_freeDCtx(d);
	buf_reset(out);
	buf_append(out, p, n);
	free(p);
}

static void parts_of(const struct buf *set, struct parts *pt)
{
	struct buf pl = { 0 };
	const char *p, *q;
	uint64_t dsize = 0;
	uint32_t i, W;

	payload_of(set, &pl);
	memset(pt, 0, sizeof(*pt));
	p = pl.data;
	pt->K = get_varint(&p);
	pt->B = get_varint(&p);
	pt->G = get_varint(&p);
	for (q = p, i = 0; i < pt->G; i++) {
		q += strlen(q) + 1;
		q += strlen(q) + 1;
		q += strlen(q) + 1;
		(void)get_varint(&q);
	}
	buf_append(&pt->groups, p, (size_t)(q - p));
	W = pt->B <= 256 ? 1 : pt->B <= 65536 ? 2 : 4;
	buf_append(&pt->nums, q, (size_t)W * pt->K);
	p = q + (size_t)W * pt->K;
	for (q = p, i = 0; i < pt->B; i++)
		dsize += get_varint(&q);
	buf_append(&pt->sizes, p, (size_t)(q - p));
	for (p = q, i = 0; i < pt->K; i++)
		q += strlen(q) + 1;
	buf_append(&pt->rels, p, (size_t)(q - p));
	buf_append(&pt->data, q, (size_t)(pl.data + pl.len - q));
	assert_int_equal(pt->data.len, dsize);
	buf_free(&pl);
}

static void parts_join(const struct parts *pt, struct buf *out)
{
	buf_reset(out);
	put_varint(out, pt->K);
	put_varint(out, pt->B);
	put_varint(out, pt->G);
	buf_append(out, pt->groups.data, pt->groups.len);
	buf_append(out, pt->nums.data, pt->nums.len);
	buf_append(out, pt->sizes.data, pt->sizes.len);
	buf_append(out, pt->rels.data, pt->rels.len);
	buf_append(out, pt->data.data, pt->data.len);
}

/* Sets the CRC32 of SET (no padding after its frame) after an edit. */
static void reseal(struct buf *set)
{
	uint32_t c = crc(set->data, 15);

	c = (uint32_t)crc32(c, (const Bytef *)set->data + BTFSET_HEADER_SIZE,
			    (uInt)(set->len - BTFSET_HEADER_SIZE));
	put_le32(set->data + 15, c);
}

/* A set (no dictionary) holding PAYLOAD, its frame and checksum right: what
 * a forger (or a fuzzer that learnt CRC32) hands the reader. */
static void forge(const struct buf *payload, struct buf *out)
{
	size_t bound = ZSTD_compressBound(payload->len), zn;
	char *z = xmalloc(bound);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	unsigned char h[BTFSET_HEADER_SIZE] = { 0 };

	ZSTD_CCtx_setParameter(c, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	zn = ZSTD_compress2(c, z, bound, payload->data, payload->len);
	ZSTD_freeCCtx(c);
	assert_false(ZSTD_isError(zn));
	memcpy(h, BTFSET_MAGIC, 8);
	h[8] = BTFSET_VERSION;
	buf_reset(out);
	buf_append(out, h, sizeof(h));
	buf_append(out, z, zn);
	free(z);
	reseal(out);
}

static void forge_parts(const struct parts *pt, struct buf *out)
{
	struct buf pl = { 0 };

	parts_join(pt, &pl);
	forge(&pl, out);
	buf_free(&pl);
}

static int open_err(const struct buf *b, char *err, size_t errlen)
{
	struct btfset *s = NULL;
	int rc;

	err[0] = '\0';
	rc = btfset_open(b->data, b->len, &s, err, errlen);
	if (rc == 0)
		btfset_close(s);
	else
		assert_null(s);
	return rc;
}

#define EXPECT_REFUSED(b, code, text)                                                   \
	do {                                                                            \
		char e_[512];                                                           \
		int rc_ = open_err((b), e_, sizeof(e_));                                \
		if (rc_ != (code) || !strstr(e_, (text)))                               \
			printf("# got %d \"%s\", expected %d \"%s\"\n", rc_, e_, (code), (text)); \
		assert_int_equal(rc_, (code));                                          \
		assert_non_null(strstr(e_, (text)));                                    \
	} while (0)

static void test_refuses_bad_magic_version_and_header(void **state)
{
	struct fixture *fx = *state;
	struct buf b = { 0 };
	char err[256];

	need_data(fx);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[0] = 'X';
	EXPECT_REFUSED(&b, -EBADMSG, "bad magic");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[8] = BTFSET_VERSION + 1;	/* checked first: a later version may lay its header out anew */
	EXPECT_REFUSED(&b, -EPROTONOSUPPORT, "unsupported format version 4 (" BTFSET_READER_TAG ")");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[15] ^= 4;	/* the checksum */
	EXPECT_REFUSED(&b, -EBADMSG, "checksum mismatch");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[10] = 2;	/* an unknown flag: the checksum catches it... */
	EXPECT_REFUSED(&b, -EBADMSG, "checksum mismatch");
	reseal(&b);	/* ...or, when it was written so, the flag itself */
	EXPECT_REFUSED(&b, -EPROTONOSUPPORT, "unknown flags 0x2");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[11] = 1;	/* a dictionary checksum without the dictionary flag */
	reseal(&b);
	EXPECT_REFUSED(&b, -EBADMSG, "a dictionary checksum without the dictionary flag");

	/* Garbage glued after the set; zero padding is accepted. */
	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	buf_append(&b, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(open_err(&b, err, sizeof(err)), 0);
	buf_append(&b, "x", 1);
	EXPECT_REFUSED(&b, -EBADMSG, "8 unexpected bytes after the payload");

	{
		struct btfset *none = (struct btfset *)&b;

		assert_int_equal(btfset_open(NULL, 0, &none, err, sizeof(err)), -EBADMSG);
		assert_null(none);
	}
	buf_free(&b);
}

static void test_refuses_every_truncation(void **state)
{
	struct fixture *fx = *state;
	struct buf b = { 0 };
	char err[256];
	size_t n;

	need_data(fx);
	for (n = 0; n < fx->set.len; n++) {
		buf_reset(&b);
		buf_append(&b, fx->set.data, n);
		if (open_err(&b, err, sizeof(err)) != -EBADMSG || !err[0]) {
			printf("# truncated to %zu bytes: \"%s\"\n", n, err);
			fail();
		}
	}
	buf_reset(&b);
	buf_append(&b, fx->set.data, 15);
	EXPECT_REFUSED(&b, -EBADMSG, "truncated: 15 bytes");
	buf_reset(&b);
	buf_append(&b, fx->set.data, BTFSET_HEADER_SIZE + 1);
	EXPECT_REFUSED(&b, -EBADMSG, "truncated: the payload's frame header");
	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len - 1);
	EXPECT_REFUSED(&b, -EBADMSG, "truncated: the payload's zstd frame stops at byte");
	buf_free(&b);
}

static void test_refuses_every_flipped_bit(void **state)
{
	struct fixture *fx = *state;
	struct buf b = { 0 };
	char err[256];
	size_t i;
	int bit;

	need_data(fx);
	buf_append(&b, fx->set.data, fx->set.len);
	for (i = 0; i < b.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			b.data[i] ^= (char)(1 << bit);
			if (open_err(&b, err, sizeof(err)) >= 0 || !err[0]) {
				printf("# bit %d of byte %zu flipped: accepted\n", bit, i);
				fail();
			}
			b.data[i] ^= (char)(1 << bit);
		}
	}
	EXPECT_REFUSED(&fx->set, 0, "");
	buf_free(&b);
}

/* Copies the parts of FX's set into Q, for one edit. */
static void parts_fresh(const struct fixture *fx, struct parts *q)
{
	parts_free(q);
	parts_of(&fx->set, q);
}

static void test_refuses_forged_sizes_offsets_and_counts(void **state)
{
	struct fixture *fx = *state;
	struct parts q = { 0 };
	struct buf b = { 0 }, t = { 0 };
	uint32_t K, B, i;

	need_data(fx);
	parts_fresh(fx, &q);
	K = q.K;
	B = q.B;
	assert_true(B <= 256);	/* the edits below write one-byte blob numbers */

	/* The forger itself is right: an unchanged payload opens. */
	forge_parts(&q, &b);
	EXPECT_REFUSED(&b, 0, "");

	/* Huge or inconsistent counts, with the checksum valid. */
	{
		const uint32_t G = q.G;
		const struct {
			uint32_t K, B, G;
			int code;
			const char *text;
		} bad[] = {
			{ 0xffffffffu, B, G, -E2BIG, "over the limit" },
			{ BTFSET_MAX_KERNELS, B, G, -EBADMSG, "counts do not fit" },
			{ K, K + 1, G, -EBADMSG, "counts do not fit" },
			{ 0, 0, G, -EBADMSG, "holds no kernels" },
			{ K + 1, B, G, -EBADMSG, "the key groups hold" },
			{ K, B, K + 1, -EBADMSG, "key groups for" },
			{ K, B, 0, -EBADMSG, "key groups for" },
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			q.K = bad[i].K;
			q.B = bad[i].B;
			q.G = bad[i].G;
			forge_parts(&q, &b);
			EXPECT_REFUSED(&b, bad[i].code, bad[i].text);
		}
	}

	/* Counts that are not varints: one over 32 bits, one that never ends. */
	buf_reset(&t);
	buf_append(&t, "\xff\xff\xff\xff\x7f\x01\x01", 7);
	forge(&t, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "does not start with its counts");
	buf_reset(&t);
	buf_append(&t, "\x01\x81\x81", 3);
	forge(&t, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "does not start with its counts");

	/* A frame that claims a payload over the cap: refused before any
	 * allocation (single-segment frame header with a checksum and an
	 * 8-byte content size, one empty raw block, zstd's checksum). */
	{
		unsigned char h[BTFSET_HEADER_SIZE + 16] = { 0 };
		uint64_t big = (uint64_t)BTFSET_MAX_PAYLOAD + 1;

		memcpy(h, BTFSET_MAGIC, 8);
		h[8] = BTFSET_VERSION;
		h[BTFSET_HEADER_SIZE] = 0xe4;
		for (i = 0; i < 8; i++)
			h[BTFSET_HEADER_SIZE + 1 + i] = (unsigned char)(big >> (8 * i));
		h[BTFSET_HEADER_SIZE + 9] = 1;	/* last block, raw, 0 bytes */
		buf_reset(&b);
		buf_append(&b, h, sizeof(h));
		reseal(&b);
		EXPECT_REFUSED(&b, -E2BIG, "over the limit");
	}

	/* Checksum mismatch alone; a frame without zstd's checksum. */
	parts_fresh(fx, &q);
	forge_parts(&q, &b);
	b.data[15] ^= 1;
	EXPECT_REFUSED(&b, -EBADMSG, "checksum mismatch");
	{
		struct buf pl = { 0 };
		size_t bound, zn;
		ZSTD_CCtx *c = ZSTD_createCCtx();

		parts_join(&q, &pl);
		bound = ZSTD_compressBound(pl.len);
		buf_reset(&b);
		buf_append(&b, fx->set.data, BTFSET_HEADER_SIZE);
		b.data = xrealloc(b.data, BTFSET_HEADER_SIZE + bound);
		ZSTD_CCtx_setParameter(c, ZSTD_c_format, ZSTD_f_zstd1_magicless);
		zn = ZSTD_compress2(c, b.data + BTFSET_HEADER_SIZE, bound, pl.data, pl.len);
		ZSTD_freeCCtx(c);
		assert_false(ZSTD_isError(zn));
		b.len = BTFSET_HEADER_SIZE + zn;
		b.data[10] = 0;
		reseal(&b);
		EXPECT_REFUSED(&b, -EBADMSG, "not a zstd frame of known size with a checksum");
		buf_free(&pl);
	}

	/* A group name too long, and group counts that claim more kernels
	 * than there are, or zero. */
	parts_fresh(fx, &q);
	buf_reset(&q.groups);
	buf_append(&q.groups, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 41);
	forge_parts(&q, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "a name is too long or runs off the payload");
	parts_fresh(fx, &q);
	if (q.G == 1) {
		buf_reset(&q.groups);
		buf_append(&q.groups, "debian\00012\000x86_64", 17);
		put_varint(&q.groups, K + 1);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "claims");
		buf_reset(&q.groups);
		buf_append(&q.groups, "debian\00012\000x86_64", 17);
		put_varint(&q.groups, 0);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "claims 0 kernels");
	} else {
		/* The first group's count is the varint before the second
		 * group's distro: make it zero, then too many. */
		const char *g = q.groups.data;
		size_t off;

		g += strlen(g) + 1;
		g += strlen(g) + 1;
		g += strlen(g) + 1;
		off = (size_t)(g - q.groups.data);
		assert_true((unsigned char)*g < 0x80);
		q.groups.data[off] = 0;
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "claims 0 kernels");
		q.groups.data[off] = (char)(K < 127 ? K + 1 : 127);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "claims");
	}

	/* A blob number past the blob table; blob numbers running off. */
	parts_fresh(fx, &q);
	q.nums.data[0] = (char)B;
	forge_parts(&q, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "points at blob");
	parts_fresh(fx, &q);
	buf_reset(&q.sizes);
	buf_reset(&q.rels);
	buf_reset(&q.data);
	q.nums.len = K - 1;
	forge_parts(&q, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "counts do not fit");

	/* Blob sizes: past the data, short of it, zero, far past the payload,
	 * and running off the payload. */
	parts_fresh(fx, &q);
	{
		const char *p = q.sizes.data;
		uint32_t s0 = get_varint(&p);
		struct buf rest = { 0 };

		buf_append(&rest, p, (size_t)(q.sizes.data + q.sizes.len - p));
		buf_reset(&q.sizes);
		put_varint(&q.sizes, s0 + 1);
		buf_append(&q.sizes, rest.data, rest.len);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "the blobs need");
		buf_reset(&q.sizes);
		put_varint(&q.sizes, s0 - 1);
		buf_append(&q.sizes, rest.data, rest.len);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "1 bytes of blob data belong to no blob");
		buf_reset(&q.sizes);
		put_varint(&q.sizes, 0);
		buf_append(&q.sizes, rest.data, rest.len);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "blob 0 is empty");
		buf_reset(&q.sizes);
		put_varint(&q.sizes, 0xffffffffu);
		buf_append(&q.sizes, rest.data, rest.len);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "blob 0 (size 4294967295) does not fit in the payload");
		buf_free(&rest);
	}

	/* Releases: the last one running off the end, two kernels swapped
	 * (unsorted), an empty one, one longer than any uname -r. */
	parts_fresh(fx, &q);
	buf_reset(&q.data);
	buf_reset(&q.sizes);
	for (i = 0; i < B; i++)
		put_varint(&q.sizes, 1);
	q.rels.len--;	/* drops the last NUL; nothing follows */
	forge_parts(&q, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "the releases end before kernel");
	if (K >= 2 && q.G == 1) {
		const char *r0, *r1;
		struct buf sw = { 0 };

		parts_fresh(fx, &q);
		r0 = q.rels.data;
		r1 = r0 + strlen(r0) + 1;
		buf_append(&sw, r1, strlen(r1) + 1);
		buf_append(&sw, r0, strlen(r0) + 1);
		memcpy(q.rels.data, sw.data, sw.len);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "is out of order or a duplicate");
		buf_free(&sw);
	}
	{
		char longrel[200];
		const char *r0;
		struct buf r = { 0 };

		parts_fresh(fx, &q);
		r0 = q.rels.data;
		buf_append(&r, "", 1);
		buf_append(&r, r0 + strlen(r0) + 1, q.rels.len - strlen(r0) - 1);
		buf_reset(&q.rels);
		buf_append(&q.rels, r.data, r.len);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "kernel 0 has an empty release");

		memset(longrel, 'a', sizeof(longrel) - 1);
		longrel[sizeof(longrel) - 1] = '\0';
		buf_reset(&q.rels);
		buf_append(&q.rels, longrel, sizeof(longrel));
		buf_append(&q.rels, r.data + 1, r.len - 1);
		forge_parts(&q, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "has a release of 199 bytes");
		buf_free(&r);
	}

	/* Not zstd at all, with a valid checksum over nothing. */
	{
		unsigned char h[BTFSET_HEADER_SIZE] = { 0 };
		static const char junk[] = "not a zstd frame at all";

		memcpy(h, BTFSET_MAGIC, 8);
		h[8] = BTFSET_VERSION;
		buf_reset(&b);
		buf_append(&b, h, sizeof(h));
		buf_append(&b, junk, sizeof(junk));
		reseal(&b);
		EXPECT_REFUSED(&b, -EBADMSG, "not a zstd frame");
	}
	parts_free(&q);
	buf_free(&b);
	buf_free(&t);
}

/* Whether the strings of BTF blob D (N bytes) that OSTRS (a string table of
 * OLEN bytes) holds come first and in the order they have there. */
static bool strings_in_order(const void *d, size_t n, const char *ostrs, size_t olen)
{
	const unsigned char *p = d;
	uint32_t so = p[16] | p[17] << 8 | p[18] << 16 | (uint32_t)p[19] << 24;
	uint32_t sl = p[20] | p[21] << 8 | p[22] << 16 | (uint32_t)p[23] << 24, off;
	const char *strs = (const char *)p + 24 + so;
	size_t last = 0;
	bool missing = false, found_any = false;

	assert_true(24 + (uint64_t)so + sl <= n);
	for (off = 1; off < sl; off += (uint32_t)strlen(strs + off) + 1) {
		size_t len = strlen(strs + off);
		char *needle = xmalloc(len + 2);
		const char *hit;

		needle[0] = '\0';
		memcpy(needle + 1, strs + off, len + 1);
		hit = memmem(ostrs, olen, needle, len + 2);
		free(needle);
		if (!hit) {
			missing = true;
			continue;
		}
		if (missing || (found_any && (size_t)(hit - ostrs) <= last))
			return false;
		last = (size_t)(hit - ostrs);
		found_any = true;
	}
	return found_any;
}

/* A set compressed against its BPF object: the same kernels and blobs as
 * without, smaller, and unreadable without the very same object. */
static void test_dictionary_set(void **state)
{
	struct fixture *fx = *state;
	struct btfset_builder b;
	struct buf set = { 0 }, other = { 0 }, obtf = { 0 };
	struct btfset *plain, *s = NULL;
	const char *ostrs;
	char err[256], *want, *got;
	size_t i, olen;

	need_data(fx);
	assert_int_equal(elf_mem_read_section(fx->obj.data, fx->obj.len, "object", ".BTF", &obtf),
			 0);
	olen = le32(obtf.data + 20);
	ostrs = obtf.data + le32(obtf.data + 4) + le32(obtf.data + 16);
	btfset_builder_init(&b);
	for (i = 0; i < fx->n; i++)
		assert_int_equal(btfset_builder_add(&b, &fx->k[i].key, fx->k[i].btf.data,
						    fx->k[i].btf.len), 0);
	btfset_builder_set_dict(&b, fx->obj.data, fx->obj.len);
	assert_int_equal(btfset_builder_write(&b, &set), 0);
	btfset_builder_free(&b);
	printf("# %zu kernels: %zu bytes compressed against the %zu-byte object, %zu without\n",
	       fx->n, set.len, fx->obj.len, fx->set.len);
	assert_true(set.len < fx->set.len);
	assert_int_equal((unsigned char)set.data[10], BTFSET_FLAG_DICT);

	assert_int_equal(btfset_open(set.data, set.len, &s, err, sizeof(err)), -ENOKEY);
	assert_null(s);
	assert_non_null(strstr(err, "BPF object, which is missing"));
	buf_append(&other, fx->obj.data, fx->obj.len);
	other.data[other.len / 2] ^= 0x20;
	assert_int_equal(btfset_open_dict(set.data, set.len, other.data, other.len, &s, err,
					  sizeof(err)), -ENOKEY);
	assert_non_null(strstr(err, "made for another BPF object"));

	assert_int_equal(btfset_open_dict(set.data, set.len, fx->obj.data, fx->obj.len, &s, err,
					  sizeof(err)), 0);
	assert_int_equal(btfset_open(fx->set.data, fx->set.len, &plain, err, sizeof(err)), 0);
	assert_int_equal(btfset_kernel_count(s), btfset_kernel_count(plain));
	assert_int_equal(btfset_blob_count(s), btfset_blob_count(plain));
	for (i = 0; i < btfset_kernel_count(s); i++) {
		const struct btfset_kernel *k = btfset_kernel_at(s, (uint32_t)i);
		const struct btfset_kernel *kp = btfset_kernel_at(plain, (uint32_t)i);
		const void *d, *dp;
		uint32_t n, np;

		assert_string_equal(k->release, kp->release);
		assert_int_equal(k->blob, kp->blob);
		assert_int_equal(btfset_blob_get(s, k->blob, &d, &n, err, sizeof(err)), 0);
		assert_int_equal(btfset_blob_get(plain, kp->blob, &dp, &np, err, sizeof(err)), 0);
		/* The same types; the names in the object's order. */
		assert_int_equal(n, np);
		want = graph_of(dp, np);
		got = graph_of(d, n);
		assert_string_equal(got, want);
		free(want);
		free(got);
		assert_true(strings_in_order(d, n, ostrs, olen));
	}
	/* A dictionary given to a set without one is ignored. */
	btfset_close(plain);
	assert_int_equal(btfset_open_dict(fx->set.data, fx->set.len, other.data, other.len, &plain,
					  err, sizeof(err)), 0);
	btfset_close(plain);
	btfset_close(s);
	buf_free(&set);
	buf_free(&other);
	buf_free(&obtf);
}

/* zstd's checksum covers the decompressed payload: a frame whose content
 * does not match it (the stored CRC32 right) is caught at open, before any
 * blob is handed out. */
static void test_blob_bytes_are_checksummed(void **state)
{
	struct fixture *fx = *state;
	struct parts q = { 0 };
	struct buf b = { 0 };
	struct btfset *s;
	const void *data;
	uint32_t size;
	char err[256];

	need_data(fx);
	parts_of(&fx->set, &q);
	forge_parts(&q, &b);
	EXPECT_REFUSED(&b, 0, "");
	b.data[b.len - 1] ^= 0x20;	/* the last byte of zstd's checksum */
	reseal(&b);
	EXPECT_REFUSED(&b, -EBADMSG, "cannot decompress the payload (Restored data doesn't "
				     "match checksum): the set is corrupt");

	assert_int_equal(btfset_open(fx->set.data, fx->set.len, &s, err, sizeof(err)), 0);
	assert_int_equal(btfset_blob_get(s, 0, &data, &size, err, sizeof(err)), 0);
	assert_int_equal(btfset_blob_get(s, q.B, &data, &size, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "no blob"));
	btfset_close(s);
	parts_free(&q);
	buf_free(&b);
}

/* ---- size against tar.gz ------------------------------------------------------ */

/* A tar.gz (libarchive: ustar, gzip) of the per-kernel files in btfhub
 * layout: what a tool would carry without the set. */
static size_t targz_size(const struct fixture *fx)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20, used = 0, i;
	char *mem = xmalloc(cap);

	archive_write_set_format_ustar(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_memory(a, mem, cap, &used), ARCHIVE_OK);
	for (i = 0; i < fx->n; i++) {
		struct archive_entry *e = archive_entry_new();
		char *name = xasprintf("%s/%s/%s/%s.btf", fx->k[i].key.distro, fx->k[i].key.version,
				       fx->k[i].key.arch, fx->k[i].key.release);

		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)fx->k[i].btf.len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, fx->k[i].btf.data, fx->k[i].btf.len),
				 (la_ssize_t)fx->k[i].btf.len);
		archive_entry_free(e);
		free(name);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	free(mem);
	return used;
}

static void test_size_against_targz(void **state)
{
	struct fixture *fx = *state;
	struct buf raw = { 0 };
	size_t tgz, raw_bytes = 0, i;
	double ratio;

	need_data(fx);
	if (!fx->corpus) {
		printf("# skipped: the size check needs ../shared/btf-corpus (40 Debian kernels)\n");
		skip();
	}
	tgz = targz_size(fx);
	for (i = 0; i < fx->n; i++)
		raw_bytes += fx->k[i].btf.len;
	assert_int_equal(build_set(fx->k, fx->n, NULL, 0, &raw), 0);
	ratio = (double)fx->set.len / (double)tgz;
	printf("# %zu kernels, %zu bytes of minimized BTF: tar.gz %zu bytes; set %zu bytes "
	       "(%.2fx the tar.gz); without canonical type order %zu bytes (%.2fx)\n",
	       fx->n, raw_bytes, tgz, fx->set.len, ratio, raw.len, (double)raw.len / (double)tgz);
	/* Measured on the Debian corpus with clang 19 and bpftool 7.5: 0.44x
	 * (0.60x without the canonical order). Most of the set is the first
	 * blob (~1.1 KB compressed, a quarter of the tar.gz on its own) and the
	 * index, so 0.3x is out of reach for this data; the bound catches a
	 * regression. */
	assert_true(ratio <= 0.50);
	assert_true(fx->set.len < raw.len);
	buf_free(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_keeps_keys_and_types),
		cmocka_unit_test(test_sorted_by_key),
		cmocka_unit_test(test_identical_btf_stored_once),
		cmocka_unit_test(test_same_bytes_in_any_add_order),
		cmocka_unit_test(test_uncanonical_round_trip_is_byte_exact),
		cmocka_unit_test(test_canonical_order_of_a_whole_kernel),
		cmocka_unit_test(test_builder_refuses_bad_input),
		cmocka_unit_test(test_refuses_bad_magic_version_and_header),
		cmocka_unit_test(test_refuses_every_truncation),
		cmocka_unit_test(test_refuses_every_flipped_bit),
		cmocka_unit_test(test_refuses_forged_sizes_offsets_and_counts),
		cmocka_unit_test(test_dictionary_set),
		cmocka_unit_test(test_blob_bytes_are_checksummed),
		cmocka_unit_test(test_size_against_targz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
