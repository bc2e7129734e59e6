/* embed: reading and replacing bpfpack's sections in a tool binary. */
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
#include "../lib/report.h"

int embed_section_read(const char *path, const char *name, struct buf *out)
{
	return embed_section_read_at(path, name, out, NULL);
}

/* Copies section NAME of ELF into OUT; LABEL names the file in messages. */
static int elf_section_copy(Elf *elf, const char *label, const char *name, struct buf *out,
			    off_t *file_offset)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) < 0) {
		report_error("%s is not an ELF file", label);
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(sname = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (strcmp(sname, name))
			continue;
		d = elf_rawdata(scn, NULL);
		if (sh.sh_type == SHT_NOBITS || !d) {
			report_error("%s: section %s has no data", label, name);
			return -EINVAL;
		}
		buf_reset(out);
		buf_append(out, d->d_buf, d->d_size);
		if (file_offset)
			*file_offset = (off_t)sh.sh_offset;
		return 0;
	}
	return -ENOENT;
}

int embed_section_read_at(const char *path, const char *name, struct buf *out,
			  off_t *file_offset)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	Elf *elf;

	if (fd < 0) {
		rc = -errno;
		report_error("cannot read %s: %s", path, strerror(errno));
		return rc;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		report_error("%s is not an ELF file", path);
		close(fd);
		return -ENOEXEC;
	}
	rc = elf_section_copy(elf, path, name, out, file_offset);
	elf_end(elf);
	close(fd);
	return rc;
}

int embed_section_read_mem(const void *image, size_t size, const char *label, const char *name,
			   struct buf *out)
{
	Elf *elf;
	int rc;

	elf_version(EV_CURRENT);
	/* libelf only reads an image opened for reading: the cast is safe. */
	elf = elf_memory((char *)image, size);
	if (!elf) {
		report_error("%s is not an ELF file", label);
		return -ENOEXEC;
	}
	rc = elf_section_copy(elf, label, name, out, NULL);
	elf_end(elf);
	return rc;
}

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
