/* check_part: partial results of `bpfpack check --shard K/N` and their merge
 * (`check --merge PART...`) into the results of one full run, so the report
 * printed from them (table, markdown, JSON, --require) is the same.
 *
 * A part is text, one record a line, fields separated by tabs, each field
 * percent-escaped (%, tab, CR, LF and other control bytes as %XX):
 *   bpfpack-check-part	2
 *   shard	K	N	TOTAL	SELECTION-HEX	OBJECTS-HEX
 *   tool	NAME				(once per tool, in order)
 *   kernel	POS	DISTRO	VERSION	ARCH	RELEASE	ORIGIN	KBTF
 *   result	TOOL	POS	VERDICT	APPROX
 *   reason	TOOL	POS	VERDICT	WHAT	APPROX	PROGRAM	DETAIL	LINE
 *   end	KERNELS
 * POS is the kernel's index in the whole selection (what orders the merged
 * report as the full run's), TOOL an index into the tool lines; VERDICT and
 * WHAT are check.h's numbers, APPROX 0 or 1, KBTF 1 for a kernel with BTF of
 * its own, 0 for one declared without (check --no-kernel-btf); version 1
 * parts (no KBTF) are read too, every kernel with BTF. The end line makes a truncated
 * part an error. */
#ifndef BPFPACK_CHECK_PART_H
#define BPFPACK_CHECK_PART_H

#include <stdint.h>
#include <stdio.h>

#include "btf_source.h"
#include "check.h"
#include "../lib/buf.h"

struct check_part_info {
	uint32_t shard, nshards, total;
	unsigned char selection[16];
	unsigned char objects[16];
};

/* Writes the part: INFO, the tool names, the shard's KERNELS (POS[i] their
 * indices in the whole selection) and RESULTS[t * kernels->n + k]. */
void check_part_write(struct buf *out, const struct check_part_info *info, const struct check_tool *tools,
		      size_t n_tools, const struct btf_source_list *kernels, const size_t *pos,
		      const struct check_result *results);

/* The merge of the parts at PATHS: TOOL_NAMES gets the tools, KERNELS the
 * whole selection in its order (key and origin; no path), *RESULTS
 * (malloc'd) tool_names->n x kernels->n results. Checks that the parts are
 * of one run (tools, objects, selection, N), that each shard is there once
 * and every kernel once. Reports and returns -errno. */
int check_part_merge(char *const paths[], size_t n, struct strv *tool_names, struct btf_source_list *kernels,
		     struct check_result **results);
/* The same on parts in memory; NAMES are for messages (and must outlive
 * nothing: they are not kept). For the fuzzer. */
int check_part_merge_mem(const struct buf *parts, const char *const names[], size_t n, struct strv *tool_names,
			 struct btf_source_list *kernels, struct check_result **results);

#endif
