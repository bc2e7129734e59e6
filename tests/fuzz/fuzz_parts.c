/* fuzz_parts: the partial results of sharded runs, files that travel
 * between CI jobs: partial BTF sets (btfhub/btfset_part.c, btfset_part_read)
 * and partial check results (btfhub/check_part.c, check_part_merge_mem). The
 * input is read as a partial set, and, split at each "\n--\n" into up to 4
 * parts, as partial check results merged. Checked beyond the sanitizers: a
 * part read has a shard in 1..N and no more kernels than its selection; a
 * merge that succeeds gives every kernel of the selection a key with a
 * release, and tools with names. */
#include <errno.h>

#include "../../btfhub/btfset_part.h"
#include "../../btfhub/check_part.h"
#include "../../lib/report.h"
#include "../../runtime/btfset.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report_set_command("fuzz");	/* errors go to stderr, closed by run.sh */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btfset_part p;
	struct buf parts[4];
	const char *names[4] = { "p1", "p2", "p3", "p4" };
	struct strv tools = {0};
	struct btf_source_list kernels = {0};
	struct check_result *results = NULL;
	size_t n = 0, start = 0;

	if (btfset_part_read(data, size, "part", &p) == 0) {
		if (p.info.shard < 1 || p.info.shard > p.info.nshards || p.info.count > p.info.total)
			fuzz_fail("part %u/%u with %u of %u kernels", p.info.shard, p.info.nshards, p.info.count,
				  p.info.total);
		if (p.info.count && btfset_kernel_count(p.set) != p.info.count)
			fuzz_fail("part says %u kernels, its set holds %u", p.info.count, btfset_kernel_count(p.set));
		btfset_part_free(&p);
	}

	memset(parts, 0, sizeof(parts));
	for (size_t i = 0; i <= size && n < 4; i++) {
		if (i == size || (i + 4 <= size && !memcmp(data + i, "\n--\n", 4))) {
			buf_append(&parts[n], data + start, i - start + (i < size));	/* keep the newline */
			n++;
			start = i + 4;
			i += 3;
		}
	}
	if (check_part_merge_mem(parts, names, n, &tools, &kernels, &results) == 0) {
		if (!tools.n)
			fuzz_fail("a merge with no tool");
		for (size_t t = 0; t < tools.n; t++)
			if (!tools.v[t])
				fuzz_fail("tool %zu has no name", t);
		for (size_t k = 0; k < kernels.n; k++)
			if (!kernels.v[k].origin)
				fuzz_fail("kernel %zu was never given", k);
		for (size_t i = 0; i < tools.n * kernels.n; i++)
			check_result_free(&results[i]);
		free(results);
		strv_free(&tools);
		btf_source_list_free(&kernels);
	}
	for (size_t i = 0; i < 4; i++)
		buf_free(&parts[i]);
	return 0;
}
