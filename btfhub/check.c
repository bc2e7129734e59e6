/* check: load/attach verdicts of BPF objects on kernels, from BTF (check.h). */
#include "check.h"
#include "kcache.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include "btfgen.h"
#include "core_resolve.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/report.h"

/* ---- names ---------------------------------------------------------------- */

const char *check_verdict_name(int verdict)
{
	switch (verdict) {
	case CHECK_OK: return "ok";
	case CHECK_ATTACH_FAIL: return "attach-fail";
	default: return "load-fail";
	}
}

const char *check_what_name(int what)
{
	static const char *const names[] = {
		"relocation", "helper", "map_type", "prog_type", "attach_type", "attach_target", "kfunc", "ksym",
		"kernel_btf",
	};

	return what >= 0 && what < (int)(sizeof(names) / sizeof(names[0])) ? names[what] : "unknown";
}

/* Helper names of the uapi header this was built with (the id is the
 * index); newer ids print as numbers. */
#ifdef ___BPF_FUNC_MAPPER
/* Newer headers: FN(name, id) with no commas between. */
#define CHECK_HELPER_NAME(x, ...) #x,
static const char *const helper_names[] = { ___BPF_FUNC_MAPPER(CHECK_HELPER_NAME) };
#else
/* Older headers: FN(name), the commas come with the list. */
#define CHECK_HELPER_NAME(x) #x
static const char *const helper_names[] = { __BPF_FUNC_MAPPER(CHECK_HELPER_NAME) };
#endif

static void helper_name(uint32_t id, char *out, size_t size)
{
	if (id < sizeof(helper_names) / sizeof(helper_names[0]))
		snprintf(out, size, "bpf_%s (#%u)", helper_names[id], id);
	else
		snprintf(out, size, "helper #%u", id);
}

/* ---- what needs the kernel's own BTF ------------------------------------------ */

const char *check_prog_needs_kernel_btf(int prog_type)
{
	/* libbpf's prog_needs_vmlinux_btf(); freplace (EXT) programs attach to
	 * another program and use its BTF, not the kernel's. */
	switch (prog_type) {
	case BPF_PROG_TYPE_TRACING: return "fentry/fexit/fmod_ret/tp_btf/iterator programs";
	case BPF_PROG_TYPE_LSM: return "LSM programs";
	case BPF_PROG_TYPE_STRUCT_OPS: return "struct_ops programs";
	default: return NULL;
	}
}

const char *check_extern_needs_kernel_btf(const struct btf *b, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(b, id), *vt;

	if (!t)
		return NULL;
	if (btf_is_func(t) && btf_vlen(t) == BTF_FUNC_EXTERN /* a FUNC keeps its linkage in vlen */)
		return "kfunc";
	if (!btf_is_var(t) || btf_var(t)->linkage != BTF_VAR_GLOBAL_EXTERN)
		return NULL;
	vt = btf__type_by_id(b, t->type);
	while (vt && (btf_is_mod(vt) || btf_is_typedef(vt)))
		vt = btf__type_by_id(b, vt->type);
	/* Untyped ksyms (void) resolve through kallsyms. */
	if (!vt || btf_kind(vt) == BTF_KIND_UNKN || (btf_is_int(vt) && vt->name_off == 0))
		return NULL;
	/* Only externs of .ksyms concern the kernel (not libbpf's .kconfig). */
	for (uint32_t s = 1; s < btf__type_cnt(b); s++) {
		const struct btf_type *ds = btf__type_by_id(b, s);

		if (!btf_is_datasec(ds) || strcmp(btf__name_by_offset(b, ds->name_off), ".ksyms"))
			continue;
		for (int v = 0; v < btf_vlen(ds); v++)
			if (btf_var_secinfos(ds)[v].type == id)
				return "typed ksym";
	}
	return NULL;
}

bool check_helper_needs_kernel_btf(uint32_t id)
{
	switch (id) {
	case BPF_FUNC_get_current_task_btf:
	case BPF_FUNC_task_pt_regs:
	case BPF_FUNC_sock_from_file:
	case BPF_FUNC_skc_to_tcp6_sock:
	case BPF_FUNC_skc_to_tcp_sock:
	case BPF_FUNC_skc_to_tcp_timewait_sock:
	case BPF_FUNC_skc_to_tcp_request_sock:
	case BPF_FUNC_skc_to_udp6_sock:
	case BPF_FUNC_skc_to_unix_sock:
	case BPF_FUNC_skc_to_mptcp_sock:
		return true;
	default:
		return false;
	}
}

/* ---- results -------------------------------------------------------------- */

void check_result_free(struct check_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].program);
		free(r->v[i].detail);
		free(r->v[i].line);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void result_add(struct check_result *r, int verdict, int what, bool approx, const char *program,
		       const char *line, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void result_add(struct check_result *r, int verdict, int what, bool approx, const char *program,
		       const char *line, const char *fmt, ...)
{
	struct check_reason x = { verdict, what, approx, xstrdup(program ? program : ""), NULL,
				  xstrdup(line ? line : "") };
	va_list ap;
	char *d;

	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) < 0)
		d = NULL;
	va_end(ap);
	x.detail = d ? d : xstrdup("");
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].what == what && !strcmp(r->v[i].program, x.program) && !strcmp(r->v[i].detail, x.detail)) {
			free(x.program);
			free(x.detail);
			free(x.line);
			return;
		}
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n++] = x;
	if (verdict > r->verdict)
		r->verdict = verdict;
	if (approx && verdict != CHECK_OK)
		r->approximate = true;
}

/* ---- tools ---------------------------------------------------------------- */

static int libbpf_silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int check_tool_open_mem(const void *data, size_t len, const char *name, struct check_tool *t, char *err,
			size_t err_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);
	libbpf_print_fn_t old;
	struct bpf_object *lo;
	struct bpf_program *p;
	struct bpf_map *m;
	int rc;

	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	rc = bpfobj_read(data, len, name, &t->obj, err, err_len);
	if (rc < 0)
		goto fail;
	if (!t->obj.btf) {
		snprintf(err, err_len, "it has no .BTF section (build it with clang -g)");
		rc = -EINVAL;
		goto fail;
	}
	/* Program and map types as libbpf maps them: let libbpf open it. */
	old = libbpf_set_print(libbpf_silent);
	lo = bpf_object__open_mem(data, len, &oo);
	rc = lo ? 0 : -errno;
	libbpf_set_print(old);
	if (!lo) {
		snprintf(err, err_len, "libbpf cannot open it: %s", strerror(-rc));
		goto fail;
	}
	bpf_object__for_each_program(p, lo) {
		t->progs = xrealloc(t->progs, (t->n_progs + 1) * sizeof(*t->progs));
		t->progs[t->n_progs++] = (struct check_prog){
			xstrdup(bpf_program__name(p)), xstrdup(bpf_program__section_name(p)),
			(int)bpf_program__type(p), (int)bpf_program__expected_attach_type(p),
			bpf_program__autoload(p) };
	}
	bpf_object__for_each_map(m, lo) {
		t->maps = xrealloc(t->maps, (t->n_maps + 1) * sizeof(*t->maps));
		t->maps[t->n_maps++] = (struct check_map){ xstrdup(bpf_map__name(m)), (int)bpf_map__type(m) };
	}
	bpf_object__close(lo);
	return 0;
fail:
	check_tool_free(t);
	return rc < 0 ? rc : -EINVAL;
}

int check_tool_open(const char *path, const char *name, struct check_tool *t)
{
	struct buf b = {0};
	char err[256] = "";
	int rc = fs_read_file(path, &b);

	if (rc < 0) {
		report_error("cannot read %s: %s", path, strerror(-rc));
		buf_free(&b);
		return rc;
	}
	rc = check_tool_open_mem(b.data, b.len, name, t, err, sizeof(err));
	if (rc < 0)
		report_error("%s: %s", path, err);
	else
		t->path = xstrdup(path);
	buf_free(&b);
	return rc;
}

void check_tool_free(struct check_tool *t)
{
	for (size_t i = 0; i < t->n_progs; i++) {
		free(t->progs[i].name);
		free(t->progs[i].sec_name);
	}
	free(t->progs);
	for (size_t i = 0; i < t->n_maps; i++)
		free(t->maps[i].name);
	free(t->maps);
	bpfobj_free(&t->obj);
	free(t->name);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

/* ---- kernels ----------------------------------------------------------------- */

struct check_kernel {
	const struct btf *btf;
	struct core_index *ix;
	const struct btf_type *func_id, *prog_type, *map_type, *attach_type;
	bool ftrace_direct;	/* built with ftrace direct calls (see kernel_has_ftrace_direct) */
};

static uint32_t kernel_type(const struct check_kernel *k, const char *name, int kind);

/* Whether the kernel was built with ftrace direct calls
 * (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS), through which the BPF trampoline
 * of fentry / fexit / fmod_ret / LSM programs attaches to a function ftrace
 * manages (nearly every one). Without them (arm64 before 6.4) such a program
 * loads and its attach fails (-ENOTSUPP). BTF shows it through what only
 * that option builds: struct ftrace_direct_func (5.5 to 6.5),
 * register_ftrace_direct(_multi) (functions: an old pahole leaves those out
 * of BTF) or ftrace_ops.direct_call (6.6 on). */
static bool kernel_has_ftrace_direct(const struct check_kernel *k)
{
	uint32_t ops;

	if (kernel_type(k, "ftrace_direct_func", BTF_KIND_STRUCT) ||
	    kernel_type(k, "register_ftrace_direct", BTF_KIND_FUNC) ||
	    kernel_type(k, "register_ftrace_direct_multi", BTF_KIND_FUNC))
		return true;
	ops = kernel_type(k, "ftrace_ops", BTF_KIND_STRUCT);
	if (ops) {
		const struct btf_type *t = btf__type_by_id(k->btf, ops);

		for (int i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(k->btf, btf_members(t)[i].name_off), "direct_call"))
				return true;
	}
	return false;
}

static const struct btf_type *find_enum(const struct check_kernel *k, const char *name)
{
	uint32_t id;

	if (core_index_find(k->ix, name, strlen(name), BTF_KIND_ENUM, &id, 1) == 0)
		return NULL;
	return btf__type_by_id(k->btf, id);
}

struct check_kernel *check_kernel_new(const struct btf *btf)
{
	struct check_kernel *k = xcalloc(1, sizeof(*k));

	k->btf = btf;
	k->ix = core_index_new(btf);
	k->func_id = find_enum(k, "bpf_func_id");
	k->prog_type = find_enum(k, "bpf_prog_type");
	k->map_type = find_enum(k, "bpf_map_type");
	k->attach_type = find_enum(k, "bpf_attach_type");
	k->ftrace_direct = kernel_has_ftrace_direct(k);
	return k;
}

void check_kernel_free(struct check_kernel *k)
{
	if (!k)
		return;
	core_index_free(k->ix);
	free(k);
}

const struct core_index *check_kernel_index(const struct check_kernel *k)
{
	return k->ix;
}

/* Whether enum T of the kernel has a real (not __MAX) value V; -1 when the
 * kernel has no such enum at all. */
static int enum_has(const struct btf *b, const struct btf_type *t, uint64_t v)
{
	if (!t)
		return -1;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(b, btf_is_enum(t) ? btf_enum(t)[i].name_off
								     : btf_enum64(t)[i].name_off);
		uint64_t x = btf_is_enum(t) ? (uint32_t)btf_enum(t)[i].val : btf_enum64_value(btf_enum64(t) + i);

		if (x == v && n && strncmp(n, "__", 2))
			return 1;
	}
	return 0;
}

/* The id of a kernel type of NAME and KIND (-1 any), 0 when none. */
static uint32_t kernel_type(const struct check_kernel *k, const char *name, int kind)
{
	uint32_t ids[16];
	size_t n = core_index_find(k->ix, name, strlen(name), kind, ids, 16);

	/* The index matches essential names; a flavoured kernel name is not it. */
	for (size_t i = 0; i < n && i < 16; i++) {
		const struct btf_type *t = btf__type_by_id(k->btf, ids[i]);

		if (!strcmp(btf__name_by_offset(k->btf, t->name_off), name))
			return ids[i];
	}
	return 0;
}

/* ---- reachability ---------------------------------------------------------------- */

struct regs {
	uint16_t known;		/* bit r: register r holds a known constant */
	uint64_t v[11];
	const char *kconfig[11];	/* points at this .kconfig extern (ld_imm64) */
};

struct walk {
	const struct check_tool *t;
	const struct check_kernel *k;
	struct bpf_insn **code;	/* per section: instructions patched for this kernel */
	int **relo_at;		/* per section: per insn, index of its relocation + 1 */
	struct core_res **res;	/* per section: resolution of each relocation */
	uint8_t **poison;	/* per section: per insn, poisoned */
	/* per program run */
	struct regs **st;
	uint8_t **seen;
	size_t *stack;		/* pairs (sec, insn) */
	size_t n_stack, cap_stack;
	const char *prog;
	struct check_result *out;
	bool fold;		/* fold branches on known constants */
	bool no_kbtf;		/* the kernel has no BTF of its own */
	struct strv reached_calls;	/* "SEC:INSN" of extern calls some program reaches */
};

static void push(struct walk *w, size_t sec, size_t insn, const struct regs *r)
{
	struct regs *s;

	if (sec >= w->t->obj.n_secs || insn >= w->t->obj.secs[sec].n_insns)
		return;
	if (!w->st[sec]) {
		w->st[sec] = xcalloc(w->t->obj.secs[sec].n_insns, sizeof(**w->st));
		w->seen[sec] = xcalloc(w->t->obj.secs[sec].n_insns, 1);
	}
	s = &w->st[sec][insn];
	if (w->seen[sec][insn]) {
		/* Meet: what both paths agree on stays known. */
		uint16_t known = s->known & r->known;

		bool changed = false;

		for (int i = 0; i < 11; i++) {
			if ((known >> i & 1) && s->v[i] != r->v[i])
				known &= (uint16_t)~(1u << i);
			if (s->kconfig[i] && s->kconfig[i] != r->kconfig[i]) {
				s->kconfig[i] = NULL;
				changed = true;
			}
		}
		if (known == s->known && !changed)
			return;
		s->known = known;
	} else {
		w->seen[sec][insn] = 1;
		*s = *r;
	}
	if (w->n_stack + 2 > w->cap_stack) {
		w->cap_stack = w->cap_stack ? w->cap_stack * 2 : 256;
		w->stack = xrealloc(w->stack, w->cap_stack * sizeof(*w->stack));
	}
	w->stack[w->n_stack++] = sec;
	w->stack[w->n_stack++] = insn;
}

static void set_unknown(struct regs *r, int reg)
{
	if (reg >= 0 && reg < 11) {
		r->known &= (uint16_t)~(1u << reg);
		r->kconfig[reg] = NULL;
	}
}

static void set_known(struct regs *r, int reg, uint64_t v)
{
	if (reg >= 0 && reg < 11) {
		r->known |= (uint16_t)(1u << reg);
		r->v[reg] = v;
		r->kconfig[reg] = NULL;
	}
}

static bool is_known(const struct regs *r, int reg, uint64_t *v)
{
	if (reg < 0 || reg >= 11 || !(r->known >> reg & 1))
		return false;
	*v = r->v[reg];
	return true;
}

static void alu(struct regs *r, const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	uint8_t op = BPF_OP(in->code);
	uint64_t d = 0, s = 0;
	bool dk = is_known(r, in->dst_reg, &d), sk;

	if (BPF_SRC(in->code) == BPF_K) {
		s = is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
		sk = true;
	} else {
		sk = is_known(r, in->src_reg, &s);
	}
	if (op == BPF_END || (op == BPF_MOV && in->off != 0)) {
		set_unknown(r, in->dst_reg);
		return;
	}
	if (op == BPF_MOV) {
		if (sk)
			set_known(r, in->dst_reg, is64 ? s : (uint32_t)s);
		else
			set_unknown(r, in->dst_reg);
		return;
	}
	if (op == BPF_NEG) {
		if (dk)
			set_known(r, in->dst_reg, is64 ? -d : (uint32_t)-d);
		return;
	}
	if (!dk || !sk || in->off != 0) {
		set_unknown(r, in->dst_reg);
		return;
	}
	if (!is64) {
		d = (uint32_t)d;
		s = (uint32_t)s;
	}
	switch (op) {
	case BPF_ADD: d += s; break;
	case BPF_SUB: d -= s; break;
	case BPF_MUL: d *= s; break;
	case BPF_DIV: d = s ? d / s : 0; break;
	case BPF_MOD: d = s ? d % s : d; break;
	case BPF_OR: d |= s; break;
	case BPF_AND: d &= s; break;
	case BPF_XOR: d ^= s; break;
	case BPF_LSH: d = d << (s & (is64 ? 63 : 31)); break;
	case BPF_RSH: d = d >> (s & (is64 ? 63 : 31)); break;
	case BPF_ARSH:
		d = is64 ? (uint64_t)((int64_t)d >> (s & 63)) : (uint32_t)((int32_t)d >> (s & 31));
		break;
	default:
		set_unknown(r, in->dst_reg);
		return;
	}
	set_known(r, in->dst_reg, is64 ? d : (uint32_t)d);
}

/* 1 taken, 0 not taken, -1 unknown. */
static int branch(const struct regs *r, const struct bpf_insn *in)
{
	bool is32 = BPF_CLASS(in->code) == BPF_JMP32;
	uint64_t a, b;

	if (!is_known(r, in->dst_reg, &a))
		return -1;
	if (BPF_SRC(in->code) == BPF_K)
		b = (uint64_t)(int64_t)in->imm;
	else if (!is_known(r, in->src_reg, &b))
		return -1;
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	int64_t sa = is32 ? (int32_t)a : (int64_t)a, sb = is32 ? (int32_t)b : (int64_t)b;

	switch (BPF_OP(in->code)) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return sa > sb;
	case BPF_JSGE: return sa >= sb;
	case BPF_JSLT: return sa < sb;
	case BPF_JSLE: return sa <= sb;
	case BPF_JSET: return (a & b) != 0;
	default: return -1;
	}
}

static const struct bpfobj_call *call_at(const struct bpfobj_sec *s, size_t insn)
{
	for (size_t i = 0; i < s->n_calls; i++)
		if (s->calls[i].insn == insn)
			return &s->calls[i];
	return NULL;
}

static const char *ksym_at(const struct bpfobj_sec *s, size_t insn)
{
	for (size_t i = 0; i < s->n_ksyms; i++)
		if (s->ksyms[i].insn == insn)
			return s->ksyms[i].name;
	return NULL;
}

/* Whether the object's BTF puts extern NAME in DATASEC SEC. */
static bool extern_in_datasec(const struct btf *b, const char *name, const char *sec)
{
	for (uint32_t s = 1; s < btf__type_cnt(b); s++) {
		const struct btf_type *ds = btf__type_by_id(b, s);

		if (!btf_is_datasec(ds) || strcmp(btf__name_by_offset(b, ds->name_off), sec))
			continue;
		for (int v = 0; v < btf_vlen(ds); v++) {
			const struct btf_type *var = btf__type_by_id(b, btf_var_secinfos(ds)[v].type);

			if (var && !strcmp(btf__name_by_offset(b, var->name_off), name))
				return true;
		}
	}
	return false;
}

static uint32_t kernel_type(const struct check_kernel *k, const char *name, int kind);

/* The value libbpf gives a .kconfig extern it computes itself, when it
 * follows from the kernel's BTF (the others, CONFIG_*, come from the
 * kernel's config, which BTF does not carry). */
static bool kconfig_value(const struct check_kernel *k, const char *name, uint64_t *v)
{
	if (!strcmp(name, "LINUX_HAS_BPF_COOKIE")) {
		*v = enum_has(k->btf, k->func_id, BPF_FUNC_get_attach_cookie) > 0;
		return true;
	}
	if (!strcmp(name, "LINUX_HAS_SYSCALL_WRAPPER")) {
		*v = kernel_type(k, "__x64_sys_bpf", BTF_KIND_FUNC) || kernel_type(k, "__arm64_sys_bpf", BTF_KIND_FUNC);
		return true;
	}
	return false;
}

struct walk;
static void extern_address(struct walk *w, const char *name, struct regs *r, int reg);

static bool extern_is_weak(const struct bpfobj *o, const char *name)
{
	for (size_t i = 0; i < o->n_externs; i++)
		if (!strcmp(o->externs[i].name, name))
			return o->externs[i].weak;
	return false;
}

/* The local BTF FUNC of extern NAME (a kfunc), 0 when none. */
static uint32_t local_extern_func(const struct btf *b, const char *name)
{
	for (uint32_t id = 1; id < btf__type_cnt(b); id++) {
		const struct btf_type *t = btf__type_by_id(b, id);

		if (btf_is_func(t) && !strcmp(btf__name_by_offset(b, t->name_off), name))
			return id;
	}
	return 0;
}

static void check_kfunc(struct walk *w, const char *name, size_t sec, size_t insn, bool reached)
{
	const struct bpfobj *o = &w->t->obj;
	uint32_t kid = kernel_type(w->k, name, BTF_KIND_FUNC), lid = local_extern_func(o->btf, name);
	bool weak = extern_is_weak(o, name);
	char line[256];

	bpfobj_line_at(o, sec, insn, true, line, sizeof(line));
	if (kid && lid) {
		const struct btf_type *kt = btf__type_by_id(w->k->btf, kid);
		const struct btf_type *lt = btf__type_by_id(o->btf, lid);

		if (core_types_compat(o->btf, lt->type, w->k->btf, kt->type) > 0)
			return;
		if (weak) {
			if (reached)
				result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_KFUNC, false, w->prog, line,
					   "kfunc %s has another prototype in the kernel and is called", name);
			return;
		}
		result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_KFUNC, false, w->prog, line,
			   "kfunc %s has another prototype in the kernel", name);
		return;
	}
	if (kid)
		return;
	if (!weak)
		result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_KFUNC, false, w->prog, line,
			   "kfunc %s is not in the kernel's BTF", name);
	else if (reached)
		result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_KFUNC, false, w->prog, line,
			   "__weak kfunc %s is not in the kernel's BTF and its call is reachable", name);
	else
		result_add(w->out, CHECK_OK, CHECK_WHAT_KFUNC, false, w->prog, line,
			   "__weak kfunc %s is absent; its call is dead code here", name);
}

/* ld_imm64 of an extern: a .kconfig variable's address (what a load from it
 * gives may be known), or a ksym's / kfunc's address: 0 when the kernel does
 * not have it (a __weak one; bpf_ksym_exists() tests that), else unknown. */
static void extern_address(struct walk *w, const char *name, struct regs *r, int reg)
{
	if (reg < 0 || reg >= 11)
		return;
	if (extern_in_datasec(w->t->obj.btf, name, ".kconfig")) {
		set_unknown(r, reg);
		r->kconfig[reg] = name;
	} else if (kernel_type(w->k, name, BTF_KIND_FUNC) || kernel_type(w->k, name, BTF_KIND_VAR)) {
		set_unknown(r, reg);
	} else if (extern_in_datasec(w->t->obj.btf, name, ".ksyms") &&
		   (local_extern_func(w->t->obj.btf, name) || extern_is_weak(&w->t->obj, name))) {
		set_known(r, reg, 0);
	} else {
		set_unknown(r, reg);
	}
}

/* One walk of the program from (SEC, START): with FOLD, branches on known
 * constants take one side, as the verifier's dead code elimination does. */
static void walk_program(struct walk *w, size_t sec0, size_t start)
{
	const struct bpfobj *o = &w->t->obj;
	struct regs r0 = {0};

	push(w, sec0, start, &r0);
	while (w->n_stack) {
		size_t i = w->stack[--w->n_stack];
		size_t sec = w->stack[--w->n_stack];
		const struct bpfobj_sec *s = &o->secs[sec];
		const struct bpf_insn *in = &w->code[sec][i];
		struct regs r = w->st[sec][i];
		uint8_t cls = BPF_CLASS(in->code);
		char line[256];

		if (w->poison[sec][i]) {
			const struct core_res *res = &w->res[sec][w->relo_at[sec][i] - 1];

			if (w->fold) {
				bpfobj_line_at(o, sec, i, true, line, sizeof(line));
				result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_RELOCATION, false, w->prog, line,
					   "%s: %s", res->what,
					   res->fail_memsz ? "the field's size changes in a way libbpf cannot adjust"
							   : res->why);
			}
			continue;	/* the verifier stops here */
		}
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			alu(&r, in);
			push(w, sec, i + 1, &r);
			break;
		case BPF_LD:
			if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < s->n_insns) {
				const char *ext = ksym_at(s, i);

				if (ext)
					extern_address(w, ext, &r, in->dst_reg);
				else if (in->src_reg == 0)
					set_known(&r, in->dst_reg,
						  (uint32_t)in->imm | (uint64_t)(uint32_t)w->code[sec][i + 1].imm << 32);
				else
					set_unknown(&r, in->dst_reg);
				push(w, sec, i + 2, &r);
				break;
			}
			for (int k = 0; k <= 5; k++)
				set_unknown(&r, k);
			push(w, sec, i + 1, &r);
			break;
		case BPF_LDX: {
			const char *kc = in->src_reg < 11 ? r.kconfig[in->src_reg] : NULL;
			uint64_t v;

			if (kc && in->off == 0 && kconfig_value(w->k, kc, &v))
				set_known(&r, in->dst_reg, v);
			else
				set_unknown(&r, in->dst_reg);
			push(w, sec, i + 1, &r);
			break;
		}
		case BPF_ST:
		case BPF_STX:
			if (BPF_MODE(in->code) == BPF_ATOMIC) {
				set_unknown(&r, in->src_reg);
				set_unknown(&r, 0);
			}
			push(w, sec, i + 1, &r);
			break;
		case BPF_JMP:
		case BPF_JMP32: {
			uint8_t op = BPF_OP(in->code);

			if (op == BPF_EXIT)
				break;
			if (op == BPF_CALL) {
				const struct bpfobj_call *c = call_at(s, i);

				if (c && c->extern_name) {
					char key[48];

					snprintf(key, sizeof(key), "%zu:%zu", sec, i);
					if (!strv_contains(&w->reached_calls, key))
						strv_push(&w->reached_calls, key);
					if (w->fold)
						check_kfunc(w, c->extern_name, sec, i, true);
				} else if (c) {
					struct regs e = {0};

					push(w, c->target_sec, c->target_insn, &e);
				} else if (in->src_reg == BPF_PSEUDO_CALL) {
					struct regs e = {0};

					push(w, sec, (size_t)((long long)i + in->imm + 1), &e);
				} else if (in->src_reg == 0 && w->fold) {
					int has = enum_has(w->k->btf, w->k->func_id, (uint32_t)in->imm);

					char hn[96];

					helper_name((uint32_t)in->imm, hn, sizeof(hn));
					if (has <= 0) {
						bpfobj_line_at(o, sec, i, true, line, sizeof(line));
						result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_HELPER, false, w->prog,
							   line, "helper %s is not in the kernel's enum bpf_func_id%s",
							   hn, has < 0 ? " (the kernel has no such enum)" : "");
					} else if (w->no_kbtf && check_helper_needs_kernel_btf((uint32_t)in->imm)) {
						bpfobj_line_at(o, sec, i, true, line, sizeof(line));
						result_add(w->out, CHECK_LOAD_FAIL, CHECK_WHAT_KERNEL_BTF, false, w->prog,
							   line, "needs kernel BTF: helper %s returns a pointer typed "
							   "by the kernel's BTF, and this kernel has none", hn);
					}
				}
				for (int k = 0; k <= 5; k++)
					set_unknown(&r, k);
				push(w, sec, i + 1, &r);
				break;
			}
			if (op == BPF_JA) {
				long long off = cls == BPF_JMP32 ? in->imm : in->off;

				push(w, sec, (size_t)((long long)i + off + 1), &r);
				break;
			}
			int taken = w->fold ? branch(&r, in) : -1;

			if (taken != 0)
				push(w, sec, (size_t)((long long)i + in->off + 1), &r);
			if (taken != 1)
				push(w, sec, i + 1, &r);
			break;
		}
		default:
			push(w, sec, i + 1, &r);
			break;
		}
		/* Callbacks (bpf_loop etc.): ld_imm64 of a function. */
		if (cls == BPF_LD && in->src_reg == BPF_PSEUDO_FUNC) {
			const struct bpfobj_call *c = call_at(s, i);
			struct regs e = {0};

			if (c && !c->extern_name)
				push(w, c->target_sec, c->target_insn, &e);
		}
	}
}

static void walk_reset(struct walk *w)
{
	for (size_t s = 0; s < w->t->obj.n_secs; s++) {
		free(w->st[s]);
		free(w->seen[s]);
		w->st[s] = NULL;
		w->seen[s] = NULL;
	}
	w->n_stack = 0;
}

/* ---- attach targets --------------------------------------------------------------- */

static const char *after_slash(const char *sec)
{
	const char *p = strchr(sec, '/');

	return p && p[1] ? p + 1 : NULL;
}

static bool sec_is(const char *sec, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(sec, prefix, n) && (sec[n] == '/' || sec[n] == '\0');
}

/* A syscall's function in the kernel's BTF, for ksyscall and syscall
 * tracepoints. */
static bool kernel_has_syscall(const struct check_kernel *k, const char *name)
{
	static const char *const fmts[] = { "__x64_sys_%s", "__arm64_sys_%s", "__se_sys_%s", "__do_sys_%s",
					    "sys_%s" };
	char fn[160];

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(fn, sizeof(fn), fmts[i], name);
		if (kernel_type(k, fn, BTF_KIND_FUNC))
			return true;
	}
	return false;
}

/* Whether syscall NAME of an arm64 kernel has no number in its native table:
 * arm64 takes the asm-generic syscall ABI, which has only the newer form of
 * these legacy calls (openat for open, ...). The function is still built
 * (and in BTF: __arm64_sys_open, for the compat table), but its syscall
 * tracepoints are not registered. The list is the ABI's, not a kernel's. */
static bool arm64_without_syscall(const struct check_kernel *k, const char *name)
{
	static const char *const legacy[] = {
		"open", "creat", "link", "unlink", "mknod", "chmod", "chown", "lchown", "mkdir", "rmdir",
		"access", "rename", "readlink", "symlink", "utimes", "utime", "futimesat", "newstat",
		"newlstat", "pipe", "dup2", "epoll_create", "epoll_wait", "inotify_init", "eventfd",
		"signalfd", "poll", "select", "getpgrp", "fork", "vfork", "alarm", "pause", "time",
		"getdents", "uselib", "ustat", "sysfs", "arch_prctl", "iopl", "ioperm", "modify_ldt",
	};
	char fn[160];

	snprintf(fn, sizeof(fn), "__arm64_sys_%s", name);
	if (!kernel_type(k, fn, BTF_KIND_FUNC))
		return false;	/* not an arm64 kernel */
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		if (!strcmp(legacy[i], name))
			return true;
	return false;
}

static void check_attach(const struct check_prog *p, const struct check_kernel *k, struct check_result *out,
			 const char *line)
{
	const char *sec = p->sec_name, *target = after_slash(sec);
	char name[256];

	if (!target)
		return;	/* attached to what user space says at run time */
	if (p->prog_type == BPF_PROG_TYPE_TRACING || p->prog_type == BPF_PROG_TYPE_LSM) {
		const char *fmt = "%s";
		int kind = BTF_KIND_FUNC;
		const char *what = "function";

		if (p->prog_type == BPF_PROG_TYPE_LSM) {
			fmt = "bpf_lsm_%s";
			what = "LSM hook";
		} else if (p->attach_type == BPF_TRACE_RAW_TP) {
			fmt = "btf_trace_%s";
			kind = BTF_KIND_TYPEDEF;
			what = "BTF tracepoint";
		} else if (p->attach_type == BPF_TRACE_ITER) {
			fmt = "bpf_iter_%s";
			what = "iterator";
		}
		snprintf(name, sizeof(name), fmt, target);
		if (!kernel_type(k, name, kind))
			result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_ATTACH_TARGET, false, p->name, line,
				   "%s %s is not in the kernel's BTF (no %s %s)", what, target,
				   kind == BTF_KIND_FUNC ? "FUNC" : "TYPEDEF", name);
		else if (!k->ftrace_direct &&
			 (p->attach_type == BPF_TRACE_FENTRY || p->attach_type == BPF_TRACE_FEXIT ||
			  p->attach_type == BPF_MODIFY_RETURN || p->attach_type == BPF_LSM_MAC))
			result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
				   "the kernel has no ftrace direct calls (no struct ftrace_direct_func, "
				   "register_ftrace_direct or ftrace_ops.direct_call in its BTF): the BPF trampoline "
				   "cannot attach to %s %s (approximate: a function ftrace does not manage is "
				   "patched directly)", what, target);
		return;
	}
	if (sec_is(sec, "kprobe") || sec_is(sec, "kretprobe")) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(target, "+"), target);
		if (!kernel_type(k, name, BTF_KIND_FUNC))
			result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
				   "function %s is not in the kernel's BTF (approximate: a function can be "
				   "probe-able without a BTF entry, e.g. when inlined or static)", name);
		return;
	}
	if (sec_is(sec, "ksyscall") || sec_is(sec, "kretsyscall")) {
		if (!kernel_has_syscall(k, target))
			result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
				   "syscall %s has no function in the kernel's BTF (approximate)", target);
		return;
	}
	if (sec_is(sec, "tp") || sec_is(sec, "tracepoint")) {
		const char *ev = strchr(target, '/');
		char cat[128];

		if (!ev)
			return;
		snprintf(cat, sizeof(cat), "%.*s", (int)(ev - target), target);
		ev++;
		snprintf(name, sizeof(name), "btf_trace_%s", ev);
		if (kernel_type(k, name, BTF_KIND_TYPEDEF))
			return;
		snprintf(name, sizeof(name), "trace_event_raw_%s", ev);
		if (kernel_type(k, name, BTF_KIND_STRUCT))
			return;
		if (!strcmp(cat, "syscalls") && (!strncmp(ev, "sys_enter_", 10) || !strncmp(ev, "sys_exit_", 9))) {
			const char *sc = ev + (ev[4] == 'e' && ev[5] == 'n' ? 10 : 9);

			if (!kernel_has_syscall(k, sc))
				result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
					   "tracepoint %s/%s: the kernel's BTF has no function of syscall %s "
					   "(approximate: syscall tracepoints have no BTF of their own)",
					   cat, ev, sc);
			else if (arm64_without_syscall(k, sc))
				result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
					   "tracepoint %s/%s: syscall %s is not in arm64's syscall table (its "
					   "asm-generic ABI has only the newer call; approximate: syscall "
					   "tracepoints have no BTF of their own)", cat, ev, sc);
			return;
		}
		result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
			   "tracepoint %s/%s is not in the kernel's BTF (no btf_trace_%s, no trace_event_raw_%s; "
			   "approximate: a tracepoint of a module is not in vmlinux BTF)", cat, ev, ev, ev);
		return;
	}
	if (sec_is(sec, "raw_tp") || sec_is(sec, "raw_tracepoint") || sec_is(sec, "raw_tp.w") ||
	    sec_is(sec, "raw_tracepoint.w")) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		if (!kernel_type(k, name, BTF_KIND_TYPEDEF))
			result_add(out, CHECK_ATTACH_FAIL, CHECK_WHAT_ATTACH_TARGET, true, p->name, line,
				   "raw tracepoint %s is not in the kernel's BTF (approximate: a tracepoint of a "
				   "module is not in vmlinux BTF)", target);
	}
}

/* ---- one tool on one kernel ---------------------------------------------------------- */

static void upper(const char *s, char *out, size_t size)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < size; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

/* Typed ksyms: extern variables of .ksyms whose type is not void. */
static void check_ksyms(const struct check_tool *t, const struct check_kernel *k, struct check_result *out)
{
	const struct btf *b = t->obj.btf;

	for (uint32_t s = 1; s < btf__type_cnt(b); s++) {
		const struct btf_type *ds = btf__type_by_id(b, s);

		if (!btf_is_datasec(ds) || strcmp(btf__name_by_offset(b, ds->name_off), ".ksyms"))
			continue;
		for (int v = 0; v < btf_vlen(ds); v++) {
			const struct btf_type *var = btf__type_by_id(b, btf_var_secinfos(ds)[v].type);
			const struct btf_type *vt;
			const char *name;

			if (!var || !btf_is_var(var))
				continue;
			name = btf__name_by_offset(b, var->name_off);
			vt = btf__type_by_id(b, var->type);
			while (vt && (btf_is_mod(vt) || btf_is_typedef(vt)))
				vt = btf__type_by_id(b, vt->type);
			if (!vt || btf_kind(vt) == BTF_KIND_UNKN || (btf_is_int(vt) && vt->name_off == 0))
				continue;	/* untyped: kallsyms, not BTF */
			if (kernel_type(k, name, BTF_KIND_VAR))
				continue;
			if (extern_is_weak(&t->obj, name))
				result_add(out, CHECK_OK, CHECK_WHAT_KSYM, false, "", "",
					   "__weak ksym %s is absent (reads as 0)", name);
			else
				result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_KSYM, false, "", "",
					   "ksym %s is not a variable in the kernel's BTF", name);
		}
	}
}

static void find_entry(const struct bpfobj *o, const char *name, size_t *sec, size_t *start, bool *found)
{
	*found = false;
	for (size_t i = 0; i < o->n_funcs; i++)
		if (o->funcs[i].entry && !strcmp(o->funcs[i].name, name)) {
			*sec = o->funcs[i].sec;
			*start = o->funcs[i].start;
			*found = true;
			return;
		}
}

/* On a kernel without BTF: what libbpf loads the kernel's BTF for fails
 * the load of the whole object (libbpf's obj_needs_vmlinux_btf()). */
static void check_kernel_btf_needs(const struct check_tool *t, struct check_result *out)
{
	const struct bpfobj *o = &t->obj;
	char line[256];

	for (size_t p = 0; p < t->n_progs; p++) {
		const struct check_prog *pr = &t->progs[p];
		const char *why = check_prog_needs_kernel_btf(pr->prog_type);
		size_t sec = 0, start = 0;
		bool found;

		if (!pr->autoload || !why)
			continue;
		find_entry(o, pr->name, &sec, &start, &found);
		line[0] = '\0';
		if (found)
			bpfobj_line_at(o, sec, start, false, line, sizeof(line));
		result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_KERNEL_BTF, false, pr->name, line,
			   "needs kernel BTF: %s (section %s) need the kernel's own BTF, and this kernel has none",
			   why, pr->sec_name);
	}
	for (uint32_t id = 1; id < btf__type_cnt(o->btf); id++) {
		const char *kind = check_extern_needs_kernel_btf(o->btf, id);

		if (kind)
			result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_KERNEL_BTF, false, "", "",
				   "needs kernel BTF: %s %s is resolved against the kernel's own BTF, and this kernel has none",
				   kind, btf__name_by_offset(o->btf, btf__type_by_id(o->btf, id)->name_off));
	}
}

void check_tool_kernel(const struct check_tool *t, const struct check_kernel *k, struct check_result *out)
{
	check_tool_kernel_btf(t, k, false, out);
}

void check_tool_kernel_btf(const struct check_tool *t, const struct check_kernel *k, bool no_kernel_btf,
			   struct check_result *out)
{
	const struct bpfobj *o = &t->obj;
	size_t ns = o->n_secs ? o->n_secs : 1;
	struct walk w = { .t = t, .k = k, .out = out, .no_kbtf = no_kernel_btf };
	char up[96], line[256];

	memset(out, 0, sizeof(*out));
	if (no_kernel_btf)
		check_kernel_btf_needs(t, out);
	w.code = xcalloc(ns, sizeof(*w.code));
	w.relo_at = xcalloc(ns, sizeof(*w.relo_at));
	w.res = xcalloc(ns, sizeof(*w.res));
	w.poison = xcalloc(ns, sizeof(*w.poison));
	w.st = xcalloc(ns, sizeof(*w.st));
	w.seen = xcalloc(ns, sizeof(*w.seen));

	/* Maps: libbpf creates every one at load. */
	for (size_t i = 0; i < t->n_maps; i++) {
		int has = enum_has(k->btf, k->map_type, (uint32_t)t->maps[i].type);

		if (has <= 0) {
			upper(libbpf_bpf_map_type_str(t->maps[i].type), up, sizeof(up));
			result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_MAP_TYPE, false, "", "",
				   "map %s: BPF_MAP_TYPE_%s (%d) is not in the kernel's enum bpf_map_type",
				   t->maps[i].name, up[0] ? up : "?", t->maps[i].type);
		}
	}
	check_ksyms(t, k, out);

	/* Relocations patched into a copy of the code, as libbpf does. */
	for (size_t s = 0; s < o->n_secs; s++) {
		const struct bpfobj_sec *sec = &o->secs[s];
		size_t n = sec->n_insns;

		w.code[s] = xmalloc(n * sizeof(struct bpf_insn) + 1);
		memcpy(w.code[s], sec->insns, n * sizeof(struct bpf_insn));
		w.relo_at[s] = xcalloc(n + 1, sizeof(int));
		w.poison[s] = xcalloc(n + 1, 1);
		if (!sec->ext || !sec->ext->n_relos)
			continue;
		w.res[s] = xcalloc(sec->ext->n_relos, sizeof(struct core_res));
		for (size_t r = 0; r < sec->ext->n_relos; r++) {
			const struct core_relo *cr = &sec->ext->relos[r];
			struct core_res *res = &w.res[s][r];
			size_t i = cr->insn_off / 8;
			struct bpf_insn *in;

			if (i >= n)
				continue;
			core_resolve(o->btf, cr, k->ix, res);
			w.relo_at[s][i] = (int)r + 1;
			in = &w.code[s][i];
			if (res->status == CORE_RES_ERROR) {
				const struct bpfobj_func *f = bpfobj_func_at(o, s, i);

				bpfobj_line_at(o, s, i, true, line, sizeof(line));
				result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_RELOCATION, false, f ? f->name : "", line,
					   "%s: %s", res->what, res->why);
				continue;
			}
			uint8_t cls = BPF_CLASS(in->code);

			if (res->status == CORE_RES_POISON ||
			    (res->fail_memsz && (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX))) {
				w.poison[s][i] = 1;
				continue;
			}
			if (cls == BPF_ALU || cls == BPF_ALU64)
				in->imm = (int32_t)res->new_val;
			else if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX)
				in->off = (int16_t)res->new_val;
			else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < n) {
				in->imm = (int32_t)(uint32_t)res->new_val;
				w.code[s][i + 1].imm = (int32_t)(res->new_val >> 32);
			}
		}
	}

	for (size_t p = 0; p < t->n_progs; p++) {
		const struct check_prog *pr = &t->progs[p];
		size_t sec = 0, start = 0;
		bool found;

		if (!pr->autoload)
			continue;
		w.prog = pr->name;
		find_entry(o, pr->name, &sec, &start, &found);
		line[0] = '\0';
		if (found)
			bpfobj_line_at(o, sec, start, false, line, sizeof(line));
		if (enum_has(k->btf, k->prog_type, (uint32_t)pr->prog_type) <= 0) {
			upper(libbpf_bpf_prog_type_str(pr->prog_type), up, sizeof(up));
			result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_PROG_TYPE, false, pr->name, line,
				   "BPF_PROG_TYPE_%s (section %s) is not in the kernel's enum bpf_prog_type", up,
				   pr->sec_name);
		}
		if (pr->attach_type != 0 && enum_has(k->btf, k->attach_type, (uint32_t)pr->attach_type) <= 0) {
			upper(libbpf_bpf_attach_type_str(pr->attach_type), up, sizeof(up));
			result_add(out, CHECK_LOAD_FAIL, CHECK_WHAT_ATTACH_TYPE, false, pr->name, line,
				   "BPF_%s (section %s) is not in the kernel's enum bpf_attach_type", up, pr->sec_name);
		}
		check_attach(pr, k, out, line);
		if (!found)
			continue;
		/* What the verifier reaches with this kernel's constants. */
		w.fold = true;
		walk_program(&w, sec, start);
		walk_reset(&w);
	}
	/* Kfuncs never called from live code still need resolving (or __weak). */
	for (size_t s = 0; s < o->n_secs; s++)
		for (size_t c = 0; c < o->secs[s].n_calls; c++) {
			const struct bpfobj_call *call = &o->secs[s].calls[c];
			const struct bpfobj_func *f;

			char key[48];

			if (!call->extern_name)
				continue;
			snprintf(key, sizeof(key), "%zu:%zu", s, call->insn);
			if (strv_contains(&w.reached_calls, key))
				continue;	/* judged where it was reached */
			f = bpfobj_func_at(o, s, call->insn);
			w.prog = f ? f->name : "";
			check_kfunc(&w, call->extern_name, s, call->insn, false);
		}
	for (size_t s = 0; s < o->n_secs; s++) {
		free(w.code[s]);
		free(w.relo_at[s]);
		free(w.res[s]);
		free(w.poison[s]);
	}
	walk_reset(&w);
	free(w.code);
	free(w.relo_at);
	free(w.res);
	free(w.poison);
	free(w.st);
	free(w.seen);
	free(w.stack);
	strv_free(&w.reached_calls);
}

/* ---- the cache ---------------------------------------------------------------------- */

/* A result as text: "V verdict approximate" then one line per reason,
 * "R verdict what approximate\tprogram\tdetail\tline", fields escaped. */
static void esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_append_str(b, "\\\\");
		else if (*s == '\t')
			buf_append_str(b, "\\t");
		else if (*s == '\n')
			buf_append_str(b, "\\n");
		else
			buf_append(b, s, 1);
	}
}

static char *unesc(const char *s, size_t n)
{
	char *o = xmalloc(n + 1), *p = o;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*p++ = s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return o;
}

static void result_serialize(const struct check_result *r, struct buf *b)
{
	buf_printf(b, "V %d %d\n", r->verdict, r->approximate);
	for (size_t i = 0; i < r->n; i++) {
		buf_printf(b, "R %d %d %d\t", r->v[i].verdict, r->v[i].what, r->v[i].approximate);
		esc(b, r->v[i].program);
		buf_append_str(b, "\t");
		esc(b, r->v[i].detail);
		buf_append_str(b, "\t");
		esc(b, r->v[i].line);
		buf_append_str(b, "\n");
	}
}

/* 0, or -EINVAL for text that is not a result (a damaged cache file). */
static int result_parse(const char *text, struct check_result *r)
{
	const char *p = text;
	int v, a, n = 0;

	memset(r, 0, sizeof(*r));
	if (sscanf(p, "V %d %d\n%n", &v, &a, &n) != 2 || n == 0 || v < 0 || v > CHECK_LOAD_FAIL)
		return -EINVAL;
	r->verdict = v;
	r->approximate = a != 0;
	p += n;
	while (*p) {
		const char *nl = strchr(p, '\n'), *f[4];
		struct check_reason x;
		int w;

		if (!nl || sscanf(p, "R %d %d %d\t", &v, &w, &a) != 3)
			goto bad;
		f[0] = strchr(p, '\t');
		f[1] = f[0] ? memchr(f[0] + 1, '\t', (size_t)(nl - f[0] - 1)) : NULL;
		f[2] = f[1] ? memchr(f[1] + 1, '\t', (size_t)(nl - f[1] - 1)) : NULL;
		if (!f[2] || f[0] > nl)
			goto bad;
		x.verdict = v;
		x.what = w;
		x.approximate = a != 0;
		x.program = unesc(f[0] + 1, (size_t)(f[1] - f[0] - 1));
		x.detail = unesc(f[1] + 1, (size_t)(f[2] - f[1] - 1));
		x.line = unesc(f[2] + 1, (size_t)(nl - f[2] - 1));
		r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
		r->v[r->n++] = x;
		p = nl + 1;
	}
	return 0;
bad:
	check_result_free(r);
	return -EINVAL;
}

/* What identifies this engine: the running binary (any rebuild changes the
 * verdicts it may give, so it invalidates the cache). */
static void engine_id(struct buf *b)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) == 0)
		buf_printf(b, "exe %lld %lld.%09ld\n", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			   st.st_mtim.tv_nsec);
	buf_printf(b, "check-engine-1\n");
}

static char *hex128(XXH128_hash_t v)
{
	return xasprintf("%016llx%016llx", (unsigned long long)v.high64, (unsigned long long)v.low64);
}

/* The kernel's part of a cache key: where its BTF is and that file's
 * identity (device, inode, size, modification time), as btf gen's memo of
 * source hashes does; NULL when the file cannot be stat'ed. */
static char *kernel_key(const struct btf_source_entry *e)
{
	struct buf b = {0};
	struct stat st;
	char *k;

	if (stat(e->path, &st) < 0)
		return NULL;
	buf_printf(&b, "%s\n%s\n%s\n%d\n%llu %llu %lld %lld.%09ld\n", e->path, e->origin, e->member ? e->member : "",
		   e->kind, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (long long)st.st_size,
		   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	/* The same BTF standing in for a kernel without BTF gives other verdicts. */
	if (e->no_kernel_btf)
		buf_printf(&b, "no-kernel-btf\n");
	k = hex128(XXH3_128bits(b.data, b.len));
	buf_free(&b);
	return k;
}

/* The tool's part of a cache key: the engine and the object's bytes. */
static char *tool_key(const struct check_tool *t, const struct buf *eng)
{
	XXH3_state_t *h = XXH3_createState();
	char *k;

	XXH3_128bits_reset(h);
	XXH3_128bits_update(h, eng->data, eng->len);
	XXH3_128bits_update(h, t->obj.bytes, t->obj.len);
	k = hex128(XXH3_128bits_digest(h));
	XXH3_freeState(h);
	return k;
}

int check_store_verdict(const char *cache_dir, const struct check_tool *t, const struct btf_source_entry *e,
			const struct check_kernel *k)
{
	struct check_result r = {0};
	struct buf eng = {0}, b = {0};
	char *tk, *kk = kernel_key(e), *dir, *path;
	int rc = 0;

	if (!kk)
		return -ENOENT;
	engine_id(&eng);
	tk = tool_key(t, &eng);
	dir = xasprintf("%s/check/%s", cache_dir, tk);
	path = xasprintf("%s/%s", dir, kk);
	if (!fs_exists(path)) {
		check_tool_kernel_btf(t, k, e->no_kernel_btf, &r);
		result_serialize(&r, &b);
		check_result_free(&r);
		/* Quietly: a verdict not stored is computed again by check. */
		char *top = xasprintf("%s/check", cache_dir);

		if ((mkdir(top, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0755) < 0 && errno != EEXIST))
			rc = -errno;
		free(top);
		if (rc == 0) {
			char *tmp = xasprintf("%s.tmp-XXXXXX", path);
			int fd = mkostemp(tmp, O_CLOEXEC);

			if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len || close(fd) < 0 ||
			    chmod(tmp, 0644) < 0 || rename(tmp, path) < 0) {
				rc = -EIO;
				unlink(tmp);
			}
			free(tmp);
		}
	}
	buf_free(&b);
	buf_free(&eng);
	free(tk);
	free(kk);
	free(dir);
	free(path);
	return rc;
}

/* ---- the corpus ------------------------------------------------------------------------ */

int check_mark_no_kernel_btf(struct btf_source_list *ks, char *const specs[], size_t n_specs, const char *what)
{
	struct btf_filter *f = xcalloc(n_specs + 1, sizeof(*f));
	int rc = 0;

	for (size_t i = 0; i < n_specs && rc == 0; i++)
		rc = btf_filter_parse(specs[i], &f[i]);
	for (size_t i = 0; i < n_specs && rc == 0; i++) {
		size_t matched = 0;

		for (size_t k = 0; k < ks->n; k++)
			if (btf_filter_match(&f[i], &ks->v[k].key)) {
				ks->v[k].no_kernel_btf = true;
				matched++;
			}
		/* A declaration that names no kernel is likely a typo. */
		if (!matched)
			report_warn("%s %s matches none of the kernels", what, specs[i]);
	}
	for (size_t i = 0; i < n_specs; i++)
		btf_filter_free(&f[i]);
	free(f);
	return rc;
}

struct run_ctx {
	const struct btf_source_list *kernels;
	struct check_tool *tools;
	size_t n_tools;
	struct check_result *results;
	uint8_t *have;		/* [t * n + k]: result known (from the cache) */
	char **cache_paths;	/* [t * n + k], NULL: not cached */
	size_t *todo;		/* kernels to decode */
	size_t n_todo;
	atomic_size_t next;
	atomic_int failed;
	atomic_size_t done;
	atomic_flag cache_warned;
	bool progress;
	const struct kcache *kc;	/* btf gen's decoded kernels, read only */
};

static void *run_worker(void *arg)
{
	struct run_ctx *c = arg;
	struct buf raw = {0};
	size_t n = c->kernels->n;

	for (;;) {
		size_t j = atomic_fetch_add(&c->next, 1), i;
		struct btf *btf = NULL;
		struct check_kernel *k;

		if (j >= c->n_todo || atomic_load(&c->failed))
			break;
		i = c->todo[j];
		/* The same decode as btf gen's: a kernel it decoded is read back
		 * from the decoded-kernel cache, not decoded again. */
		char *kkey = c->kc->dir ? kcache_key(&c->kernels->v[i], NULL) : NULL;
		int rrc = kcache_read_raw(c->kc, &c->kernels->v[i], kkey, &raw, NULL);

		free(kkey);
		if (rrc < 0 || btf_source_parse(&c->kernels->v[i], &raw, &btf) < 0) {
			atomic_store(&c->failed, 1);
			break;
		}
		k = check_kernel_new(btf);
		for (size_t t = 0; t < c->n_tools; t++) {
			struct buf b = {0};

			if (c->have[t * n + i])
				continue;
			check_tool_kernel_btf(&c->tools[t], k, c->kernels->v[i].no_kernel_btf, &c->results[t * n + i]);
			if (c->cache_paths[t * n + i]) {
				result_serialize(&c->results[t * n + i], &b);
				/* A cache that cannot be written costs time, not
				 * results: one warning a run, as btf gen does. */
				int wrc = fs_write_atomic_quiet(c->cache_paths[t * n + i],
								b.data, b.len, 0644);

				if (wrc < 0 && !atomic_flag_test_and_set(&c->cache_warned))
					report_warn("cannot write the cache %s: %s; going on without it",
						    c->cache_paths[t * n + i], strerror(-wrc));
				buf_free(&b);
			}
		}
		check_kernel_free(k);
		btf__free(btf);
		size_t d = atomic_fetch_add(&c->done, 1) + 1;

		/* The one progress bar (lib/report): fits the terminal, gone when done. */
		if (c->progress) {
			if (d == c->n_todo)
				report_progress_clear();
			else
				report_progress("CHECK", NULL, d, c->n_todo, "kernels");
		}
	}
	buf_free(&raw);
	return NULL;
}

int check_run(const struct btf_source_list *kernels, struct check_tool *tools, size_t n_tools,
	      const struct check_opts *opts, struct check_result *results)
{
	struct run_ctx c = { .kernels = kernels, .tools = tools, .n_tools = n_tools, .results = results,
			     .progress = opts->progress };
	size_t n = (size_t)(opts->parallel > 0 ? opts->parallel : 1), nk = kernels->n, started = 0;
	char *cache = NULL, **tool_keys = xcalloc(n_tools ? n_tools : 1, sizeof(char *));
	struct buf eng = {0};
	struct kcache kc;
	pthread_t *th;

	kcache_open_read_only(&kc, opts->cache_dir, opts->no_cache || opts->no_kernel_cache);
	c.kc = &kc;
	c.have = xcalloc(n_tools * nk + 1, 1);
	c.cache_paths = xcalloc(n_tools * nk + 1, sizeof(char *));
	c.todo = xcalloc(nk + 1, sizeof(size_t));
	if (!opts->no_cache) {
		cache = opts->cache_dir ? xstrdup(opts->cache_dir) : btfgen_cache_dir();
		engine_id(&eng);
		for (size_t t = 0; t < n_tools; t++)
			tool_keys[t] = tool_key(&tools[t], &eng);
	}
	for (size_t k = 0; k < nk; k++) {
		char *kk = cache ? kernel_key(&kernels->v[k]) : NULL;
		bool need = false;

		for (size_t t = 0; t < n_tools; t++) {
			struct buf text = {0};
			char *path;

			if (!kk) {
				need = true;
				continue;
			}
			path = xasprintf("%s/check/%s/%s", cache, tool_keys[t], kk);
			c.cache_paths[t * nk + k] = path;
			if (fs_exists(path) && fs_read_file(path, &text) == 0 && text.data &&
			    result_parse(text.data, &results[t * nk + k]) == 0)
				c.have[t * nk + k] = 1;
			else
				need = true;
			buf_free(&text);
		}
		if (need)
			c.todo[c.n_todo++] = k;
		free(kk);
	}
	/* cached_only: the cache's verdicts or none; nothing is decoded or
	 * written (the results of kernels it lacks stay empty). */
	bool incomplete = opts->cached_only && c.n_todo;

	if (incomplete)
		c.n_todo = 0;
	for (size_t t = 0; cache && t < n_tools; t++) {
		char *dir = xasprintf("%s/check/%s", cache, tool_keys[t]);
		int mrc = c.n_todo ? fs_mkdirs(dir, 0755) : 0;

		if (mrc < 0 && !atomic_flag_test_and_set(&c.cache_warned))
			report_warn("cannot write the cache %s: %s; going on without it",
				    dir, strerror(-mrc));
		if (mrc < 0)
			for (size_t k = 0; k < nk; k++) {
				free(c.cache_paths[t * nk + k]);
				c.cache_paths[t * nk + k] = NULL;
			}
		free(dir);
	}
	if (n > c.n_todo)
		n = c.n_todo ? c.n_todo : 1;
	th = xcalloc(n, sizeof(*th));
	for (size_t i = 1; i < n; i++)
		if (pthread_create(&th[i], NULL, run_worker, &c) == 0)
			started = i;
		else
			break;
	run_worker(&c);
	for (size_t i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	free(th);
	for (size_t i = 0; i < n_tools * nk; i++)
		free(c.cache_paths[i]);
	for (size_t t = 0; t < n_tools; t++)
		free(tool_keys[t]);
	free(tool_keys);
	free(c.cache_paths);
	free(c.have);
	free(c.todo);
	free(cache);
	buf_free(&eng);
	kcache_close(&kc);
	if (incomplete)
		return -ENODATA;
	return atomic_load(&c.failed) ? -EIO : 0;
}

int check_build_summary(const char *object, const char *name, const struct btf_source_list *kernels,
			int parallel)
{
	/* Only what btf gen left in the cache: this line must not decode the
	 * corpus a second time (nor warn again about a cache it could not
	 * write); without every verdict there, no line. */
	struct check_opts o = { .parallel = parallel, .cached_only = true };
	struct check_result *res;
	struct check_tool t;
	size_t bad = 0;
	int rc = check_tool_open(object, name, &t);

	if (rc < 0)
		return rc;
	res = xcalloc(kernels->n + 1, sizeof(*res));
	rc = check_run(kernels, &t, 1, &o, res);
	for (size_t k = 0; k < kernels->n; k++) {
		if (rc == 0 && res[k].verdict != CHECK_OK)
			bad++;
		check_result_free(&res[k]);
	}
	free(res);
	check_tool_free(&t);
	if (rc < 0)
		return rc;
	if (bad)
		printf("  %-9s %zu of %zu kernel%s will not load %s: bpfpack check\n", "CHECK", bad, kernels->n,
		       kernels->n == 1 ? "" : "s", name);
	return (int)bad;
}
