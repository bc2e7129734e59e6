/* objcache: files a build makes that do not depend on the project, kept in
 * bpfpack's cache so the next project takes them instead of making them
 * again (bpfpack's runtime archive). An entry is found by a key (a hash of
 * what made it: the commands with the project's own paths taken out and the
 * identity of the programs) and is valid while every file the commands'
 * depfiles named (sources and headers) keeps the size and modification time
 * it had: ccache's "direct mode". */
#ifndef BPFPACK_LIB_OBJCACHE_H
#define BPFPACK_LIB_OBJCACHE_H

#include "buf.h"
#include "hash.h"

/* KEY from WHAT. */
void objcache_key(const void *what, size_t len, char key[HASH_HEX_LEN + 1]);

/* The entry's file (DIR/KEY.NAME, malloc'd) when DIR holds a valid one,
 * else NULL: missing, damaged, or a file its manifest names has changed. */
char *objcache_lookup(const char *dir, const char *key, const char *name);

/* Keeps a copy of FILE as KEY's entry, valid while the files of DEPS
 * (absolute paths) stay as they are now. Returns 0 or -errno without a
 * report: the cache is an optimization, the caller warns. */
int objcache_store(const char *dir, const char *key, const char *name, const char *file,
		   const struct strv *deps);

#endif
