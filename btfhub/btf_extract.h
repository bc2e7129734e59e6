/* btf_extract: one kernel's minimized BTF back out of a BTF set, for
 * debugging and for users who need the file (`bpfpack btf extract`). */
#ifndef BPFPACK_BTF_EXTRACT_H
#define BPFPACK_BTF_EXTRACT_H

/* Writes to OUTPUT (atomically) the raw BTF that the set in INPUT carries for
 * KERNEL: a release ("6.1.0-50-cloud-amd64") or a full key
 * "DISTRO/VERSION/ARCH/RELEASE". INPUT is a tool built by bpfpack (its
 * .bpfpack.btf section, decompressed against its .bpfpack.bpfobj) or a set
 * file (.output/X.btfset, with OBJECT or the X.bpf.o beside it as its
 * dictionary when it needs one). A release carried under several keys with
 * different BTF is ambiguous: the error lists the keys. Reports and returns
 * a negative errno on failure. */
int btf_extract(const char *input, const char *object, const char *kernel, const char *output);

#endif
