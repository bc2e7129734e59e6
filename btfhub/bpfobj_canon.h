/* bpfobj_canon: makes a BPF object's BTF independent of where it was built.
 *
 * clang 19 emits the BTF forward declarations (FWD) of a BPF object in the
 * order of their heap addresses (LLVM's BTFDebug keeps FixupDerivedTypes in
 * a std::map keyed by pointers), and the heap layout moves with the length
 * of the project's path, so the same sources built in two directories give
 * objects whose FWD records sit in another order (and the pointers to them
 * name other IDs), though the string table and every other type are the
 * same. bpfobj_canon_fwd() puts the FWD records, among the positions they
 * already hold, in order of name and kind, and renumbers the references to
 * them: the same type graph, the same sizes and offsets, so the object
 * stays byte for byte the same everywhere else. */
#ifndef BPFPACK_BPFOBJ_CANON_H
#define BPFPACK_BPFOBJ_CANON_H

/* Rewrites the .BTF section of the BPF ELF object PATH in place. Leaves the
 * file untouched when the FWDs are already in order, when two FWDs have the
 * same name and kind, when .BTF.ext names a FWD (a CO-RE relocation or a
 * function), or when the BTF holds a kind this code does not know. Returns
 * 0, or a negative errno after reporting (unreadable file, not ELF, a .BTF
 * section that is not valid BTF). */
int bpfobj_canon_fwd(const char *path);

#endif
