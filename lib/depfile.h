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

#endif
