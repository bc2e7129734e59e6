/* fuzz_depfile: the make-style dependency files clang and gcc write with
 * -MD (lib/depfile.c), which a build reads back to know every header of an
 * object. Checked beyond the sanitizers: every prerequisite is non-empty and
 * listed once, and garbage is refused rather than half-read. */
#include <errno.h>

#include "../../lib/depfile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv deps = {0};
	int rc = depfile_parse((const char *)data, size, &deps);

	if (rc != 0 && rc != -EINVAL)
		fuzz_fail("parse returned %d", rc);
	if (deps.n && (!deps.v || deps.v[deps.n] != NULL))
		fuzz_fail("the list is not NULL-terminated");
	for (size_t i = 0; i < deps.n; i++) {
		if (!deps.v[i][0])
			fuzz_fail("prerequisite %zu is empty", i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(deps.v[i], deps.v[j]))
				fuzz_fail("prerequisite '%s' is listed twice", deps.v[i]);
	}
	strv_free(&deps);
	return 0;
}
