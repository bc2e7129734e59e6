/* compdb: compile_commands.json, so clangd understands both the BPF and the
 * user-space sources of a project. */
#ifndef BPFPACK_COMPDB_H
#define BPFPACK_COMPDB_H

#include "buf.h"

struct compdb {
	struct buf json;
	int n;
};

/* Adds one entry: DIR is the working directory, FILE the source, ARGV the
 * compiler command, OUTPUT the object it makes. */
void compdb_add(struct compdb *db, const char *dir, const char *file, char *const argv[],
		const char *output);
/* Writes the database to PATH (only when its content changed). */
int compdb_write(struct compdb *db, const char *path);
void compdb_free(struct compdb *db);

#endif
