/* embed: replacing bpfpack's sections in a tool binary (reading them is
 * formats/elf_file's). */
#include "embed.h"

#include <stdlib.h>

#include "../lib/proc.h"

void embed_objcopy_argv(struct strv *argv, const char *objcopy, const char *in, const char *out,
			const char *btf_file, const char *obj_file)
{
	strv_push(argv, objcopy);
	if (btf_file) {
		strv_push(argv, "--remove-section");
		strv_push(argv, EMBED_SECTION_BTF);
		strv_push(argv, "--add-section");
		strv_pushf(argv, "%s=%s", EMBED_SECTION_BTF, btf_file);
	}
	if (obj_file) {
		strv_push(argv, "--remove-section");
		strv_push(argv, EMBED_SECTION_OBJ);
		strv_push(argv, "--add-section");
		strv_pushf(argv, "%s=%s", EMBED_SECTION_OBJ, obj_file);
	}
	strv_push(argv, in);
	strv_push(argv, out);
}

char *embed_find_objcopy(void)
{
	const char *v = getenv("OBJCOPY");

	return proc_find_program(v && *v ? v : "objcopy");
}
