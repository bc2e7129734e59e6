/* test_core_relo: btfhub/core_relo reads .BTF.ext as libbpf lays it out
 * (header, line info and CO-RE relocation blocks, per-section records) and
 * refuses every malformed variant with a message naming what is wrong:
 * bad magic, short header, a block outside the section, a record size too
 * small, more records than bytes, a section name or type id or access string
 * outside the BTF, an unknown kind, an unaligned instruction offset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <linux/bpf.h>

#include "../../btfhub/core_relo.h"
#include "../../lib/buf.h"

static struct btf *local;
static uint32_t s_sec, s_acc, s_file, s_line;
static int t_struct;

static int setup(void **state)
{
	int i;

	(void)state;
	local = btf__new_empty();
	i = btf__add_int(local, "int", 4, BTF_INT_SIGNED);
	t_struct = btf__add_struct(local, "task_struct", 4);
	btf__add_field(local, "pid", i, 0, 0);
	s_sec = (uint32_t)btf__add_str(local, "tp/sched/sched_process_exec");
	s_acc = (uint32_t)btf__add_str(local, "0:0");
	s_file = (uint32_t)btf__add_str(local, "/src/x.bpf.c");
	s_line = (uint32_t)btf__add_str(local, "\tint pid = t->pid;");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	btf__free(local);
	return 0;
}

static void put32(struct buf *b, uint32_t v)
{
	buf_append(b, &v, 4);
}

/* .BTF.ext with one section: N_LINES line records, N_RELOS relocations. */
static void make_ext(struct buf *b, uint32_t n_lines, uint32_t n_relos, uint32_t relo_insn_off)
{
	struct buf line = {0}, core = {0};

	put32(&line, 16);
	put32(&line, s_sec);
	put32(&line, n_lines);
	for (uint32_t i = 0; i < n_lines; i++) {
		put32(&line, i * 16);
		put32(&line, s_file);
		put32(&line, s_line);
		put32(&line, (10 + i) << 10 | 2);
	}
	put32(&core, 16);
	put32(&core, s_sec);
	put32(&core, n_relos);
	for (uint32_t i = 0; i < n_relos; i++) {
		put32(&core, relo_insn_off);
		put32(&core, (uint32_t)t_struct);
		put32(&core, s_acc);
		put32(&core, BPF_CORE_FIELD_BYTE_OFFSET);
	}
	buf_reset(b);
	/* magic 0xeB9F, version 1, flags 0, hdr_len 32 */
	buf_append(b, "\x9f\xeb\x01\x00", 4);
	put32(b, 32);
	put32(b, 0);		/* func info: none */
	put32(b, 0);
	put32(b, 0);		/* line info at 0 */
	put32(b, (uint32_t)line.len);
	put32(b, (uint32_t)line.len);	/* core relos after it */
	put32(b, (uint32_t)core.len);
	buf_append(b, line.data, line.len);
	buf_append(b, core.data, core.len);
	buf_free(&line);
	buf_free(&core);
}

static void test_reads_records(void **state)
{
	struct buf b = {0};
	struct core_ext ext;
	char err[256] = "";
	const struct core_ext_sec *s;

	(void)state;
	make_ext(&b, 3, 2, 8);
	assert_int_equal(core_ext_parse(b.data, b.len, local, &ext, err, sizeof(err)), 0);
	s = core_ext_find(&ext, "tp/sched/sched_process_exec");
	assert_non_null(s);
	assert_int_equal(s->n_lines, 3);
	assert_int_equal(s->lines[2].line_col >> 10, 12);
	assert_int_equal(s->n_relos, 2);
	assert_int_equal(s->relos[1].insn_off, 8);
	assert_int_equal(s->relos[1].type_id, (uint32_t)t_struct);
	assert_int_equal(s->relos[1].kind, BPF_CORE_FIELD_BYTE_OFFSET);
	assert_null(core_ext_find(&ext, ".text"));
	core_ext_free(&ext);
	buf_free(&b);
}

/* Parses B and expects -EINVAL with WANT in the message. */
static void expect_bad(struct buf *b, const char *want)
{
	struct core_ext ext;
	char err[256] = "";

	assert_int_equal(core_ext_parse(b->data, b->len, local, &ext, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("message '%s' does not say '%s'", err, want);
	assert_int_equal(ext.n, 0);
}

static void set32(struct buf *b, size_t off, uint32_t v)
{
	memcpy(b->data + off, &v, 4);
}

static void test_refuses_malformed(void **state)
{
	struct buf b = {0};
	/* Offsets in make_ext's layout: header 32; line block 12 + 16 * n;
	 * core block after it, its first record 12 bytes in. */
	size_t core = 32 + 12 + 16 * 1;

	(void)state;
	make_ext(&b, 1, 1, 0);
	b.data[0] = 0;
	expect_bad(&b, "magic");

	make_ext(&b, 1, 1, 0);
	expect_bad(&(struct buf){ b.data, 20, 20 }, "too short");

	make_ext(&b, 1, 1, 0);
	set32(&b, 28, 4096);	/* core relo block length */
	expect_bad(&b, "outside the section");

	make_ext(&b, 1, 1, 0);
	set32(&b, core, 8);	/* record size */
	expect_bad(&b, "bad record size");

	make_ext(&b, 1, 1, 0);
	set32(&b, core + 8, 1000);	/* record count */
	expect_bad(&b, "do not fit");

	make_ext(&b, 1, 1, 0);
	set32(&b, core + 4, 0x7fffffff);	/* section name */
	expect_bad(&b, "section name");

	make_ext(&b, 1, 1, 0);
	set32(&b, core + 12 + 4, 9999);	/* type id */
	expect_bad(&b, "type id 9999");

	make_ext(&b, 1, 1, 0);
	set32(&b, core + 12 + 8, 0x7fffffff);	/* access string */
	expect_bad(&b, "access string");

	make_ext(&b, 1, 1, 0);
	set32(&b, core + 12 + 12, 99);	/* kind */
	expect_bad(&b, "unknown kind 99");

	make_ext(&b, 1, 1, 3);	/* insn offset not a multiple of 8 */
	expect_bad(&b, "not aligned");

	make_ext(&b, 1, 1, 0);
	set32(&b, core + 8, 0);	/* a section with no records */
	expect_bad(&b, "no records");
	buf_free(&b);
}

static void test_object_reader_refuses_non_bpf(void **state)
{
	struct bpfobj o;
	char err[256] = "";
	static const char junk[] = "\177ELF this is not an object";

	(void)state;
	assert_int_equal(bpfobj_read(junk, sizeof(junk), "junk", &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ELF"));
	assert_int_equal(bpfobj_read("", 0, "empty", &o, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_records),
		cmocka_unit_test(test_refuses_malformed),
		cmocka_unit_test(test_object_reader_refuses_non_bpf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
