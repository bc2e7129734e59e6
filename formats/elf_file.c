/* elf_file: section lookup in ELF files and images (see elf_file.h). */
#include "elf_file.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../lib/report.h"

int elf_file_find_section(Elf *elf, const char *name, Elf_Scn **scn_out, GElf_Shdr *sh_out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) < 0)
		return -ENOEXEC;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh) || !(sname = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (strcmp(sname, name))
			continue;
		if (scn_out)
			*scn_out = scn;
		if (sh_out)
			*sh_out = sh;
		return 0;
	}
	return -ENOENT;
}

/* Copies section NAME of ELF into OUT; LABEL names the file in messages. */
static int elf_section_copy(Elf *elf, const char *label, const char *name, struct buf *out,
			    off_t *file_offset)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	Elf_Data *d;
	int rc = elf_file_find_section(elf, name, &scn, &sh);

	if (rc == -ENOEXEC)
		report_error("%s is not an ELF file", label);
	if (rc)
		return rc;
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

int elf_file_read_section(const char *path, const char *name, struct buf *out,
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

int elf_mem_read_section(const void *image, size_t size, const char *label, const char *name,
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

int elf_file_machine(const char *path)
{
	unsigned char h[EI_NIDENT + 4];	/* e_ident, e_type, e_machine: same in ELF32 and ELF64 */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (h[EI_DATA] == ELFDATA2MSB)
		return h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3];
	return h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8;
}
