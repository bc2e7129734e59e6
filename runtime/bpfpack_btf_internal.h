/* bpfpack_btf_internal: the steps of bpfpack_btf_setup() that take their
 * inputs as arguments instead of from the running system, so the unit tests
 * (and a tool that carries its set somewhere else) can drive them. Not part
 * of the tools' API in include/bpfpack.h. */
#ifndef BPFPACK_BTF_INTERNAL_H
#define BPFPACK_BTF_INTERNAL_H

#include <stddef.h>

#include "../include/bpfpack.h"

struct btfset;

/* Reads section SECTION (BPFPACK_BTF_SECTION, BPFPACK_OBJ_SECTION) of the
 * ELF file PATH into *DATA (malloc'd) and *SIZE. Returns 0; -ENOENT when the
 * file has no such section (ERR says so); another negative errno when PATH
 * cannot be read or is not ELF. */
int bpfpack_btf_read_section(const char *path, const char *section, void **data, size_t *size,
			     char *err, size_t errlen);

/* The embedded-set step of bpfpack_btf_setup() on the set SET/SIZE, with the
 * tool's BPF object OBJ/OBJ_SIZE (NULL when the binary has none) as its
 * dictionary, for the system SI: validates the set, matches SI, checks the
 * blob's CRC and hands it to libbpf through a memfd (opts->btf_custom_path =
 * "/proc/self/fd/N"). FORCED only changes the -v line. Prints "PROG: ..." on
 * failure. */
int bpfpack_btf_use_set(struct bpf_object_open_opts *opts, const void *set, size_t size,
			const void *obj, size_t obj_size, const struct bpfpack_sysinfo *si,
			const char *prog, int verbose, int forced);

/* bpfpack_btf_setup()'s decision with the kernel's BTF looked for at
 * KERNEL_BTF (instead of /sys/kernel/btf/vmlinux) and the usual vmlinux
 * places filled in with RELEASE (NULL: uname -r), so a test on a kernel with
 * BTF can walk the steps meant for kernels without. Does not remember the
 * decision; bpfpack_btf_cleanup() undoes it. */
int bpfpack_btf_decide(struct bpf_object_open_opts *opts, const char *prog, int verbose,
		       const char *kernel_btf, const char *release);

/* The explanation printed when no kernel of S fits SI: names the kernel and
 * the distro, says how many kernels the binary carries and what to do. */
void bpfpack_btf_describe_miss(const struct btfset *s, const struct bpfpack_sysinfo *si,
			       char *buf, size_t len);

/* Sends the runtime's message lines ("PROG: ...", without a newline) to
 * SINK instead of stderr; NULL restores stderr. The open wrappers
 * (bpfpack_open.c) route them through libbpf's print callback. */
void bpfpack_btf_set_say_sink(void (*sink)(const char *line));

/* Releases everything the fallback holds: closes the memfd (or removes the
 * temp file) that handed the BTF to libbpf, frees the remembered path, and
 * gives the freed heap (the set, its decompressed payload) back to the
 * system. Call it once libbpf has loaded the objects that used the BTF
 * (bpf_object__load, NAME_bpf__load): libbpf has read it by then. A later
 * bpfpack_btf_setup() decides afresh. Idempotent; bpfpack_btf_cleanup() is
 * this function under its public name. */
void bpfpack_btf_release(void);

#endif
