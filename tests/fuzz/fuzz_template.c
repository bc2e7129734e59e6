/* fuzz_template: rendering a template file (lib/template.c template_render),
 * the text of every file `bpfpack new` writes and of every file name in a
 * template. On success every placeholder was replaced: the output holds no
 * "{{" and, without placeholders, is the input unchanged. On failure the
 * caller gets -EINVAL and nothing else. */
#include <errno.h>

#include "../../lib/report.h"
#include "../../lib/template.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report_set_command("fuzz");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct template_vars vars = { .name = "mytool" };
	const char *text = (const char *)data;
	struct buf out = {0};
	int rc = template_render(text, size, &vars, "fuzz", &out);

	if (rc == 0) {
		if (!out.data || out.data[out.len] != '\0')
			fuzz_fail("output is not terminated");
		if (memmem(out.data, out.len, "{{", 2))
			fuzz_fail("output still holds '{{'");
		if (!memmem(text, size, "{{", 2) && (out.len != size || memcmp(out.data, text, size)))
			fuzz_fail("text without placeholders changed");
	} else if (rc != -EINVAL) {
		fuzz_fail("render returned %d", rc);
	} else if (!memmem(text, size, "{{", 2)) {
		fuzz_fail("text without placeholders refused");
	}
	buf_free(&out);
	return 0;
}
