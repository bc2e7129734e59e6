/* kernel_release: kernel releases (uname -r) as versions: their order, the
 * newest kernel of an arch among BTF sources, and the check that a kernel
 * headed for a BTF set has a release at all. */
#ifndef BPFPACK_KERNEL_RELEASE_H
#define BPFPACK_KERNEL_RELEASE_H

#include "btf_source.h"

/* Version order of two releases: <0, 0, >0 like strcmp. Runs of digits
 * compare as numbers ("5.4" < "5.10", "6.1.0-9" < "6.1.0-13"), the rest
 * byte by byte; "" sorts before any release. */
int kernel_release_cmp(const char *a, const char *b);

/* The index in LIST of the newest kernel (by kernel_release_cmp) whose arch
 * is ARCH, the first of equals; -1 when there is none. *COUNT (may be NULL)
 * gets how many kernels of ARCH LIST holds. */
long kernel_release_newest(const struct btf_source_list *list, const char *arch, size_t *count);

/* 0 when E's kernel release is known; else reports one line naming E's file
 * and how to give the release (a raw BTF file carries none: its name must be
 * <release>.btf) and returns -EINVAL. */
int kernel_release_check_known(const struct btf_source_entry *e);

#endif
