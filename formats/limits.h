/* limits: how much a reader of outside input unpacks or allocates at most.
 * Each cap is a few times what real inputs need, so a corrupt or hostile
 * input (a decompression bomb: a small stream claiming gigabytes, a tar with
 * a huge sparse entry) ends in a clear error instead of taking the machine's
 * memory. Streams written to disk get a larger cap than ones held in memory. */
#ifndef BPFPACK_FORMATS_LIMITS_H
#define BPFPACK_FORMATS_LIMITS_H

/* A kernel unpacked in memory: a vmlinux without DWARF is ~60 MB, an arm64
 * Image ~40 MB. Kept under half of a 512 MB address space, so the error
 * comes before the allocator fails. */
#define FORMATS_MAX_IMAGE (256ULL << 20)
/* A vmlinux with DWARF unpacked to a file for pahole (Debian's -dbg
 * vmlinux is under 1 GiB). */
#define FORMATS_MAX_DEBUG_VMLINUX (4ULL << 30)
/* One kernel's raw BTF: a few MB in practice. */
#define FORMATS_MAX_BTF (64ULL << 20)
/* One kernel module unpacked in memory (the largest are ~30 MB). */
#define FORMATS_MAX_MODULE (128ULL << 20)
/* A package's control file. */
#define FORMATS_MAX_CONTROL (1ULL << 20)

#endif
