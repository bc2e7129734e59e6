/* fs: file helpers every command needs: reading whole files, atomic writes
 * (temp file beside the target, then rename), directories, temp dirs. */
#ifndef BPFPACK_FS_H
#define BPFPACK_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"

/* Suffix of every temp file the driver creates beside a target; stale ones
 * (left by SIGKILL) are recognised by it. */
#define FS_TEMP_MARK ".bpfpack-tmp."

/* Reads all of PATH into OUT. Reports and returns -errno on failure. */
int fs_read_file(const char *path, struct buf *out);
/* Writes DATA to PATH atomically with MODE. Reports on failure. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* fs_write_atomic without the report (returns -errno): for files that are an
 * optimization (the cache), whose failure the caller turns into a warning. */
int fs_write_atomic_quiet(const char *path, const void *data, size_t len, mode_t mode);
/* Like fs_write_atomic, but leaves PATH untouched when it already holds DATA. */
int fs_write_if_changed(const char *path, const void *data, size_t len, mode_t mode);

/* Creates an empty temp file beside TARGET (same directory, so rename(2) is
 * atomic); returns its fd and sets *tmp_path (malloc'd). Reports on failure. */
int fs_temp_beside(const char *target, char **tmp_path);
/* Removes the temp files (FS_TEMP_MARK in their name) a killed run left in
 * DIR: those of the files named in TARGETS (NAME + FS_TEMP_MARK...), or every
 * one when TARGETS is NULL. Call it only while holding the lock of whatever
 * writes them. Failures are ignored: a leftover temp file harms nothing. */
void fs_sweep_temps(const char *dir, const struct strv *targets);
/* Renames TMP over TARGET after setting MODE; unlinks TMP on failure. */
int fs_commit_temp(const char *tmp, const char *target, mode_t mode);

int fs_mkdir_p(const char *path, mode_t mode);
/* fs_mkdir_p without the report: for directories that are an optimization
 * (the cache), whose failure the caller turns into a warning. */
int fs_mkdirs(const char *path, mode_t mode);
/* Creates a fresh temp directory under $TMPDIR (or /tmp); *path is malloc'd. */
int fs_mkdtemp(const char *prefix, char **path);
/* Removes PATH recursively (no error when it does not exist). */
int fs_rm_rf(const char *path);

bool fs_exists(const char *path);
bool fs_is_dir(const char *path);
/* 1 if the directory has no entries, 0 if it has some, -errno on error. */
int fs_dir_is_empty(const char *path);
/* Modification time in nanoseconds, or -1 when PATH does not exist. */
long long fs_mtime_ns(const char *path);

/* "a/b" from A and B; B absolute stays as is. malloc'd. */
char *fs_path_join(const char *a, const char *b);
/* Last component of PATH (points into PATH). */
const char *fs_basename(const char *path);
/* Directory part of PATH, malloc'd ("." when none). */
char *fs_dirname(const char *path);
/* Absolute, symlink-free path of an existing file; malloc'd, or NULL. */
char *fs_realpath(const char *path);

#endif
