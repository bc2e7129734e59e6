/* archive_reader: the safety checks and size caps every reader of an outside
 * archive (btfhub's .btf.tar.xz, .deb packages, a tar inside a .deb) goes
 * through, on top of libarchive. Nothing here extracts to the file system:
 * entries are read into memory or into a file descriptor the caller owns. */
#ifndef BPFPACK_ARCHIVE_READER_H
#define BPFPACK_ARCHIVE_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <archive.h>
#include <archive_entry.h>

#include "../lib/buf.h"
#include "limits.h"

/* A libarchive reader with bpfpack's decompressors (no external programs)
 * and the formats asked for. Aborts when out of memory. */
struct archive *archive_reader_new(bool tar, bool raw, bool ar);

/* libarchive's reason for A's last failure, never empty. */
const char *archive_reader_why(struct archive *a);

/* Whether entry E stays inside the archive's directory (no absolute path, no
 * "..", no link pointing out); else WHY says how it leaves. An archive with
 * such an entry was not made by btfhub or dpkg and is refused whole. */
bool archive_reader_entry_safe(struct archive_entry *e, char *why, size_t why_len);

/* Reads the data of A's current entry into OUT, or when FD >= 0 writes it to
 * FD from offset 0 and truncates FD to its length (FD may hold older bytes:
 * holes are written as zeros); at most LIMIT bytes, else -EFBIG. A sparse
 * entry's holes count against LIMIT before anything is allocated. Reports
 * with CTX in front. */
int archive_reader_read_entry(struct archive *a, const char *ctx, size_t limit, struct buf *out,
			      int fd);

/* Opens INNER on the data of OUTER's current entry (a tar inside an ar). */
int archive_reader_open_nested(struct archive *inner, struct archive *outer);

/* PATH without "./" in front, so names compare as users write them. */
const char *archive_reader_member_name(const char *path);

#endif
