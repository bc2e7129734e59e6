/* fuzz_core_relo: what `bpfpack check` reads from a BPF object. An input that
 * starts with the ELF magic is a whole object: btfhub/core_relo's reader
 * (sections, symbols, relocations, .BTF.ext), libbpf's open, then the whole
 * check of it (relocations resolved, the reachability pass) against a small
 * kernel BTF made here. Any other input is the bytes of a .BTF.ext section,
 * parsed against a small local BTF. Contract: a record the parser accepts
 * lies inside the input, its strings resolve, its type ids exist. */
#include <errno.h>
#include <stdbool.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "../../btfhub/check.h"
#include "../../btfhub/core_relo.h"
#include "fuzz.h"

static struct btf *local, *kernel;
static struct check_kernel *kern;

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l;
	(void)f;
	(void)ap;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i, l, e;

	(void)argc;
	(void)argv;
	libbpf_set_print(quiet);
	local = btf__new_empty();
	i = btf__add_int(local, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(local, "task_struct", 8);
	btf__add_field(local, "pid", i, 0, 0);
	btf__add_field(local, "__state", i, 32, 0);
	e = btf__add_enum(local, "bpf_func_id", 4);
	btf__add_enum_value(local, "BPF_FUNC_unspec", 0);
	btf__add_str(local, "tp/sched/sched_process_exec");
	btf__add_str(local, ".text");
	btf__add_str(local, "0:1");
	btf__add_str(local, "0:0:0");
	btf__add_str(local, "0");

	kernel = btf__new_empty();
	i = btf__add_int(kernel, "int", 4, BTF_INT_SIGNED);
	l = btf__add_int(kernel, "long", 8, BTF_INT_SIGNED);
	btf__add_struct(kernel, "task_struct", 16);
	btf__add_field(kernel, "state", l, 0, 0);
	btf__add_field(kernel, "pid", i, 64, 0);
	btf__add_enum(kernel, "bpf_func_id", 4);
	for (int v = 0; v < 200; v++) {
		char n[32];

		snprintf(n, sizeof(n), "BPF_FUNC_%d", v);
		btf__add_enum_value(kernel, n, v);
	}
	btf__add_enum(kernel, "bpf_map_type", 4);
	for (int v = 0; v < 30; v++) {
		char n[32];

		snprintf(n, sizeof(n), "BPF_MAP_TYPE_%d", v);
		btf__add_enum_value(kernel, n, v);
	}
	btf__add_enum(kernel, "bpf_prog_type", 4);
	for (int v = 0; v < 30; v++) {
		char n[32];

		snprintf(n, sizeof(n), "BPF_PROG_TYPE_%d", v);
		btf__add_enum_value(kernel, n, v);
	}
	if (e <= 0)
		fuzz_fail("cannot make the fuzzer's BTF");
	kern = check_kernel_new(kernel);
	return 0;
}

static void check_ext(const struct core_ext *ext, const struct btf *btf)
{
	for (size_t s = 0; s < ext->n; s++) {
		const struct core_ext_sec *sec = &ext->secs[s];

		if (!sec->name || !*sec->name)
			fuzz_fail("a section without a name was accepted");
		for (size_t r = 0; r < sec->n_relos; r++) {
			const struct core_relo *c = &sec->relos[r];

			if (c->type_id == 0 || c->type_id >= btf__type_cnt(btf))
				fuzz_fail("relocation with type id %u accepted", c->type_id);
			if (!btf__name_by_offset(btf, c->access_str_off))
				fuzz_fail("relocation with access string offset %u accepted", c->access_str_off);
			if (c->insn_off % 8 || c->kind > BPF_CORE_TYPE_MATCHES)
				fuzz_fail("relocation at %u of kind %u accepted", c->insn_off, c->kind);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	if (size >= 4 && !memcmp(data, "\177ELF", 4)) {
		struct check_tool t;

		if (check_tool_open_mem(data, size, "fuzz", &t, err, sizeof(err)) == 0) {
			struct check_result r;

			check_ext(&t.obj.ext, t.obj.btf);
			for (size_t s = 0; s < t.obj.n_secs; s++)
				for (size_t c = 0; c < t.obj.secs[s].n_calls; c++) {
					const struct bpfobj_call *call = &t.obj.secs[s].calls[c];

					if (call->insn >= t.obj.secs[s].n_insns)
						fuzz_fail("a call outside its section was accepted");
					if (!call->extern_name && (call->target_sec >= t.obj.n_secs ||
								   call->target_insn >= t.obj.secs[call->target_sec].n_insns))
						fuzz_fail("a call to outside the code was accepted");
				}
			check_tool_kernel(&t, kern, &r);
			if (r.verdict < CHECK_OK || r.verdict > CHECK_LOAD_FAIL)
				fuzz_fail("verdict %d", r.verdict);
			check_result_free(&r);
			check_tool_free(&t);
		}
		return 0;
	}
	struct core_ext ext;

	if (core_ext_parse(data, size, local, &ext, err, sizeof(err)) == 0) {
		check_ext(&ext, local);
		core_ext_free(&ext);
	} else if (ext.n) {
		fuzz_fail("a failed parse left %zu sections", ext.n);
	}
	return 0;
}
