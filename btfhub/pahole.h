/* pahole: BTF from DWARF, for kernels built without CONFIG_DEBUG_INFO_BTF.
 * Runs pahole (dwarves) on the vmlinux with debug info of the same build:
 * `pahole --btf_encode_detached=OUT vmlinux`. */
#ifndef BPFPACK_PAHOLE_H
#define BPFPACK_PAHOLE_H

/* Encodes the BTF of INPUT's DWARF into OUTPUT (a raw .btf file). INPUT is a
 * vmlinux with DWARF, possibly compressed (vmlinux.xz, .gz, .zst: unpacked to
 * a temp file first), or a -dbg/-dbgsym .deb holding one
 * (usr/lib/debug/boot/vmlinux-*). The result must parse as BTF and hold
 * struct task_struct (so it is a kernel's) before it is renamed into place;
 * OUTPUT is never left half-written. Returns 0, or a negative errno after
 * reporting one line: pahole missing (hint: install dwarves), no DWARF in
 * INPUT, a package without a debug vmlinux, pahole failing (its own last
 * message quoted), or output that is not a kernel's BTF. */
int btf_from_debug(const char *input, const char *output);

#endif
