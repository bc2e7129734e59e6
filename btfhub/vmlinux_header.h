/* vmlinux_header: writes vmlinux.h, the C declarations of a kernel's BTF
 * types, natively through libbpf's btf_dump API. The text is byte for byte
 * what `bpftool btf dump file X format c` of bpftool 7.5 prints: the same
 * guard and pragmas, the same sorted type order, the kfunc prototypes. */
#ifndef BPFPACK_VMLINUX_HEADER_H
#define BPFPACK_VMLINUX_HEADER_H

#include <stdio.h>

struct btf;

/* Writes the header for BTF to OUT. OUT_NAME names the destination in error
 * messages ("stdout", a path). The stream is flushed and checked, so a short
 * write (full disk, closed pipe) is an error; closing OUT stays with the
 * caller. Returns 0, or a negative errno after reporting one line. */
int vmlinux_header_write(const struct btf *btf, FILE *out, const char *out_name);

/* Writes the header for BTF to OUTPUT atomically (a temp file beside it,
 * renamed into place): a reader never sees half a header and a failure leaves
 * nothing behind. Returns 0 or a negative errno after reporting. */
int vmlinux_header_write_file(const struct btf *btf, const char *output);

#endif
