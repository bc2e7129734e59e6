/* depfile: reading the make-style dependency files that clang and gcc write
 * with -MD, so a build knows every header an object was compiled from. */
#ifndef BPFPACK_DEPFILE_H
#define BPFPACK_DEPFILE_H

#include <stddef.h>

#include "buf.h"

/* Parses TEXT ("target: dep1 dep2 \\\n dep3", with `\ ` escaping spaces and
 * `$$` escaping '$'), appending the prerequisites of every rule to DEPS
 * (without duplicates, in order). Phony rules from -MP ("hdr.h:") add nothing.
 * Returns 0, or -EINVAL when TEXT is not a depfile (no ':' before the first
 * prerequisite). */
int depfile_parse(const char *text, size_t len, struct strv *deps);

/* A compiler's depfile lists a few hundred headers: one past this size is
 * not one (a damaged or hostile file), and is not read into memory. */
#define DEPFILE_MAX_BYTES (16u << 20)

/* Reads and parses the depfile PATH into DEPS. Returns 0, -ENOENT when it
 * is missing, -EFBIG when it is larger than DEPFILE_MAX_BYTES, -ENODATA
 * when empty (what a build killed while the compiler rewrote it leaves), or
 * -EINVAL. Reports nothing: a depfile that cannot be read only makes its
 * job run again. */
int depfile_read(const char *path, struct strv *deps);

#endif
