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
#include <zstd.h>

#include "../../btfhub/btfset_write.h"
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

/* The decompressed payload of a valid SET. */
static void payload_of(const struct buf *set, struct buf *out)
{
	size_t usize = le32(set->data + 28);
	char *p = xmalloc(usize);

	assert_int_equal(ZSTD_decompress(p, usize, set->data + BTFSET_HEADER_SIZE,
					 le32(set->data + 24)), usize);
	buf_reset(out);
	buf_append(out, p, usize);
	free(p);
}

/* A set with PAYLOAD and the counts K, B, every size and checksum right: what
 * a forger (or a fuzzer that learnt CRC32) hands the reader. */
static void forge(const struct buf *payload, uint32_t K, uint32_t B, struct buf *out)
{
	size_t bound = ZSTD_compressBound(payload->len);
	char *z = xmalloc(bound);
	size_t zn = ZSTD_compress(z, bound, payload->data, payload->len, 3);
	unsigned char h[BTFSET_HEADER_SIZE] = { 0 };

	assert_false(ZSTD_isError(zn));
	memcpy(h, BTFSET_MAGIC, 8);
	h[8] = BTFSET_VERSION;
	h[10] = BTFSET_HEADER_SIZE;
	put_le32(h + 16, K);
	put_le32(h + 20, B);
	put_le32(h + 24, (uint32_t)zn);
	put_le32(h + 28, (uint32_t)payload->len);
	put_le32(h + 32, crc(z, zn));
	put_le32(h + 40, crc(h, 40));
	buf_reset(out);
	buf_append(out, h, sizeof(h));
	buf_append(out, z, zn);
	free(z);
}

/* Fixes the header CRC after an edit of the header. */
static void reseal_header(struct buf *set)
{
	put_le32(set->data + 40, crc(set->data, 40));
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
	EXPECT_REFUSED(&b, -EPROTONOSUPPORT, "unsupported format version");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[16] ^= 4;	/* the kernel count */
	EXPECT_REFUSED(&b, -EBADMSG, "header checksum mismatch");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[12] = 2;	/* unknown flag */
	reseal_header(&b);
	EXPECT_REFUSED(&b, -EBADMSG, "bad header");

	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	b.data[36] = 1;	/* a dictionary checksum without the dictionary flag */
	reseal_header(&b);
	EXPECT_REFUSED(&b, -EBADMSG, "bad header");

	/* Garbage glued after the set; zero padding is accepted. */
	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len);
	buf_append(&b, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(open_err(&b, err, sizeof(err)), 0);
	buf_append(&b, "x", 1);
	EXPECT_REFUSED(&b, -EBADMSG, "unexpected bytes after the payload");

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
	buf_append(&b, fx->set.data, 20);
	EXPECT_REFUSED(&b, -EBADMSG, "truncated: 20 bytes");
	buf_reset(&b);
	buf_append(&b, fx->set.data, fx->set.len - 1);
	EXPECT_REFUSED(&b, -EBADMSG, "truncated: the header announces");
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

static void test_refuses_forged_sizes_offsets_and_counts(void **state)
{
	struct fixture *fx = *state;
	struct buf p = { 0 }, q = { 0 }, b = { 0 };
	uint32_t K, B, N, R, D, G, W, blobnums, sizes, crcs;

	need_data(fx);
	K = le32(fx->set.data + 16);
	B = le32(fx->set.data + 20);
	payload_of(&fx->set, &p);
	N = le32(p.data);
	R = le32(p.data + 4);
	D = le32(p.data + 8);
	G = le32(p.data + 12);
	W = B <= 256 ? 1 : B <= 65536 ? 2 : 4;
	blobnums = 16 + 16 * G;
	sizes = blobnums + W * K;
	crcs = sizes + 4 * B;
	assert_int_equal(p.len, 16 + 16 * G + W * K + 8 * B + N + R + D);
	assert_int_equal(W, 1);	/* the edits below write one-byte blob numbers */

	/* The forger itself is right: an unchanged payload opens. */
	forge(&p, K, B, &b);
	EXPECT_REFUSED(&b, 0, "");

	/* Huge counts, with every checksum valid. */
	forge(&p, 0xffffffffu, B, &b);
	EXPECT_REFUSED(&b, -E2BIG, "over the limit");
	forge(&p, BTFSET_MAX_KERNELS, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "counts do not fit");
	forge(&p, K, K + 1, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "counts do not fit");
	forge(&p, 0, 0, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "holds no kernels");
	forge(&p, K + 1, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "index sizes do not add up");

	/* A payload size over the cap, and one that disagrees with the frame. */
	forge(&p, K, B, &b);
	put_le32(b.data + 28, BTFSET_MAX_PAYLOAD + 1);
	reseal_header(&b);
	EXPECT_REFUSED(&b, -E2BIG, "over the limit");
	forge(&p, K, B, &b);
	put_le32(b.data + 28, (uint32_t)p.len + 1);
	reseal_header(&b);
	EXPECT_REFUSED(&b, -EBADMSG, "the payload frame holds");

	/* Payload CRC mismatch alone. */
	forge(&p, K, B, &b);
	put_le32(b.data + 32, le32(b.data + 32) ^ 1);
	reseal_header(&b);
	EXPECT_REFUSED(&b, -EBADMSG, "payload checksum mismatch");

	/* Sizes in the payload that do not add up. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	put_le32(q.data + 8, D + 1);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "index sizes do not add up");

	/* A group name offset past the name table. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	put_le32(q.data + 16, N + 100);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "lies outside the name table");

	/* Group counts that claim more kernels than there are, or zero. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	put_le32(q.data + 16 + 12, K + 1);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "claims");
	put_le32(q.data + 16 + 12, 0);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "claims 0 kernels");

	/* More groups than kernels. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	put_le32(q.data + 12, K + 1);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "key groups");

	/* A blob number past the blob table. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	q.data[blobnums] = (char)B;
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "points at blob");

	/* A blob size past the blob data, and blob data no blob owns. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	put_le32(q.data + sizes, D + 1);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "does not fit in the");
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	put_le32(q.data + sizes, le32(q.data + sizes) - 1);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "belong to no blob");
	put_le32(q.data + sizes, 0);
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "does not fit");

	/* Name table without its final NUL. */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	q.data[crcs + 4 * B + N - 1] = 'x';
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "not NUL-terminated");

	/* Releases: one missing its NUL (runs into the next), the last one
	 * running off the end, two kernels swapped (unsorted). */
	buf_reset(&q);
	buf_append(&q, p.data, p.len);
	q.data[crcs + 4 * B + N + R - 1] = 'x';
	forge(&q, K, B, &b);
	EXPECT_REFUSED(&b, -EBADMSG, "the releases end before kernel");
	if (K >= 2) {
		const char *r0 = p.data + crcs + 4 * B + N;
		size_t l0 = strlen(r0), l1 = strlen(r0 + l0 + 1);
		char *swapped = xmalloc(l0 + l1 + 2);

		memcpy(swapped, r0 + l0 + 1, l1 + 1);
		memcpy(swapped + l1 + 1, r0, l0 + 1);
		buf_reset(&q);
		buf_append(&q, p.data, p.len);
		memcpy(q.data + crcs + 4 * B + N, swapped, l0 + l1 + 2);
		forge(&q, K, B, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "is out of order or a duplicate");
		free(swapped);
	}

	/* A release longer than any uname -r. */
	{
		struct buf r = { 0 };
		char longrel[200];

		memset(longrel, 'a', sizeof(longrel) - 1);
		longrel[sizeof(longrel) - 1] = '\0';
		buf_append(&r, p.data, crcs + 4 * B + N);
		buf_append(&r, longrel, sizeof(longrel));
		buf_append(&r, p.data + crcs + 4 * B + N + strlen(p.data + crcs + 4 * B + N) + 1,
			   p.len - (crcs + 4 * B + N + strlen(p.data + crcs + 4 * B + N) + 1));
		put_le32(r.data + 4, R - (uint32_t)strlen(p.data + crcs + 4 * B + N) - 1 +
					     (uint32_t)sizeof(longrel));
		forge(&r, K, B, &b);
		EXPECT_REFUSED(&b, -EBADMSG, "has a release of 199 bytes");
		buf_free(&r);
	}

	/* Not zstd at all, with valid checksums. */
	buf_reset(&b);
	{
		unsigned char h[BTFSET_HEADER_SIZE] = { 0 };
		static const char junk[] = "not a zstd frame at all";

		memcpy(h, BTFSET_MAGIC, 8);
		h[8] = BTFSET_VERSION;
		h[10] = BTFSET_HEADER_SIZE;
		put_le32(h + 16, 1);
		put_le32(h + 20, 1);
		put_le32(h + 24, sizeof(junk));
		put_le32(h + 28, 64);
		put_le32(h + 32, crc(junk, sizeof(junk)));
		put_le32(h + 40, crc(h, 40));
		buf_append(&b, h, sizeof(h));
		buf_append(&b, junk, sizeof(junk));
		EXPECT_REFUSED(&b, -EBADMSG, "not a zstd frame");
	}
	buf_free(&p);
	buf_free(&q);
	buf_free(&b);
}

/* A set compressed against its BPF object: the same kernels and blobs as
 * without, smaller, and unreadable without the very same object. */
static void test_dictionary_set(void **state)
{
	struct fixture *fx = *state;
	struct btfset_builder b;
	struct buf set = { 0 }, other = { 0 };
	struct btfset *plain, *s = NULL;
	char err[256];
	size_t i;

	need_data(fx);
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
	assert_int_equal(le32(set.data + 12), BTFSET_FLAG_DICT);

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
		assert_int_equal(n, np);
		assert_memory_equal(d, dp, n);
	}
	/* A dictionary given to a set without one is ignored. */
	btfset_close(plain);
	assert_int_equal(btfset_open_dict(fx->set.data, fx->set.len, other.data, other.len, &plain,
					  err, sizeof(err)), 0);
	btfset_close(plain);
	btfset_close(s);
	buf_free(&set);
	buf_free(&other);
}

static void test_blob_checksum_checked_on_get(void **state)
{
	struct fixture *fx = *state;
	struct buf p = { 0 }, b = { 0 };
	uint32_t K, B, G, W, crcs, size;
	struct btfset *s;
	const void *data;
	char err[256];

	need_data(fx);
	K = le32(fx->set.data + 16);
	B = le32(fx->set.data + 20);
	payload_of(&fx->set, &p);
	G = le32(p.data + 12);
	W = B <= 256 ? 1 : B <= 65536 ? 2 : 4;
	crcs = 16 + 16 * G + W * K + 4 * B;
	put_le32(p.data + crcs, le32(p.data + crcs) ^ 0x80);	/* blob 0's CRC */
	forge(&p, K, B, &b);
	assert_int_equal(btfset_open(b.data, b.len, &s, err, sizeof(err)), 0);
	assert_int_equal(btfset_blob_get(s, 0, &data, &size, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "blob 0 checksum mismatch"));
	if (B > 1)
		assert_int_equal(btfset_blob_get(s, 1, &data, &size, err, sizeof(err)), 0);
	assert_int_equal(btfset_blob_get(s, B, &data, &size, err, sizeof(err)), -ERANGE);
	btfset_close(s);
	buf_free(&p);
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
		cmocka_unit_test(test_blob_checksum_checked_on_get),
		cmocka_unit_test(test_size_against_targz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
