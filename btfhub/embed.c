/* embed: replacing bpfpack's sections in a tool binary (reading them is
 * formats/elf_file's). */
#include "embed.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int embed_runtime_linked(const char *path)
{
	static const char *const entry[] = {
		"bpfpack_btf_setup",
		"__wrap_bpf_object__open_skeleton",
		"__wrap_bpf_object__open_file",
		"__wrap_bpf_object__open_mem",
		"__wrap_bpf_object__open",
	};
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd, found = 0;
	bool symtab = false;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		return -EIO;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		symtab = true;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && !found && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (size_t k = 0; name && k < sizeof(entry) / sizeof(entry[0]); k++)
				found |= !strcmp(name, entry[k]);
		}
	}
	elf_end(elf);
	close(fd);
	return found ? 1 : symtab ? 0 : -ENODATA;
}
