/* btf_source: the one entry point for "open a kernel BTF source". Today a
 * source is the running kernel, a raw BTF file or an ELF file (vmlinux) with a
 * .BTF section; kernel images, archives and packages will be added here, so
 * callers never need to know what kind of file they were given. */
#ifndef BPFPACK_BTF_SOURCE_H
#define BPFPACK_BTF_SOURCE_H

struct btf;

/* Where the running kernel exposes its BTF. */
#define BTF_SOURCE_KERNEL_PATH "/sys/kernel/btf/vmlinux"

/* Loads the kernel BTF at PATH (NULL: the running kernel's) into *OUT, which
 * the caller frees with btf__free(). The kind of file is detected from its
 * first bytes, not from its name. Returns 0, or a negative errno after
 * reporting one line: missing file, not BTF (naming what it is instead),
 * truncated or corrupt BTF, ELF without .BTF, or a kernel without BTF. */
int btf_source_load(const char *path, struct btf **out);

#endif
