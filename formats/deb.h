/* deb: the one reader of Debian packages (.deb: an ar archive holding
 * debian-binary, control.tar.* and data.tar.*). btfhub/ reads kernels and
 * their BTF from packages through it, the VM engine kernels, modules and
 * busybox. Every entry of the package's tars passes the archive_reader
 * safety checks (a package with an entry leaving its directory is refused
 * whole) and every read is capped. */
#ifndef BPFPACK_DEB_H
#define BPFPACK_DEB_H

#include <stdbool.h>
#include <stddef.h>

#include "archive_reader.h"

/* Fields of the package's control file ("" when absent). */
struct deb_control {
	char package[128];
	char version[64];
	char arch[32];
	char maintainer[128];
	bool has_data;		/* the package has a data.tar member */
};

/* Called for each regular file of data.tar (PATH without "./"), after the
 * control file was read into CONTROL. Reads the entry's data from DATA if it
 * wants (archive_reader_read_entry). Returns 0 to go on, > 0 to stop (the
 * walk returns it), < 0 on a failure it reported. */
typedef int (*deb_walk_fn)(void *ctx, const char *path, struct archive *data,
			   const struct deb_control *control);

/* Walks the package PATH; messages start with CTX (e.g. "cannot read
 * package X"). Fills CONTROL (may be NULL). Returns what FN stopped with,
 * 0 after the last entry, or -errno after reporting (not a .deb, corrupt,
 * an unsafe entry). */
int deb_walk(const char *path, const char *ctx, struct deb_control *control, deb_walk_fn fn,
	     void *fn_ctx);

/* Writes the first file of data.tar matching the fnmatch PATTERN into
 * OUT_FD (at most LIMIT bytes) and sets *MEMBER (may be NULL) to its path.
 * -ENOENT without a word when there is none. */
int deb_extract(const char *deb, const char *pattern, size_t limit, int out_fd, char **member);

/* Whether HEAD (the first LEN bytes of a file) starts a Debian package. */
bool deb_is_deb(const unsigned char *head, size_t len);

#endif
