/* elf_file: finding a section in an ELF file or image, and the machine an
 * ELF file is for. The one section lookup of the tree: tools' embedded
 * sections (btfhub/embed), a BPF object's .BTF (btfhub), a vmlinux's .BTF
 * (formats/kimage), a module's .modinfo (vm/vm_modules), and doctor's check
 * of a busybox's machine all go through it. */
#ifndef BPFPACK_ELF_FILE_H
#define BPFPACK_ELF_FILE_H

#include <gelf.h>
#include <libelf.h>
#include <sys/types.h>

#include "../lib/buf.h"

/* Finds section NAME in ELF; sets *SCN and *SH (either may be NULL).
 * Returns 0, -ENOENT when there is no such section, -ENOEXEC when ELF is no
 * ELF object or has no section name table. Reports nothing. */
int elf_file_find_section(Elf *elf, const char *name, Elf_Scn **scn, GElf_Shdr *sh);

/* Reads section NAME of the ELF file PATH into OUT and sets *FILE_OFFSET (may
 * be NULL) to where its bytes lie in the file, for a caller that rewrites
 * them in place. Returns -ENOENT without reporting when the file has no such
 * section; reports other failures. */
int elf_file_read_section(const char *path, const char *name, struct buf *out,
			  off_t *file_offset);

/* The same for an ELF image in memory (IMAGE, SIZE bytes); LABEL names it in
 * messages. */
int elf_mem_read_section(const void *image, size_t size, const char *label, const char *name,
			 struct buf *out);

/* e_machine of the ELF file at PATH, or -errno (-ENOEXEC: not ELF). Reads
 * only the header, so it works on any file (a busybox of another arch). */
int elf_file_machine(const char *path);

#endif
