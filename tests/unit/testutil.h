/* testutil: helpers shared by the unit tests (linked into each of them). */
#ifndef BPFPACK_TESTUTIL_H
#define BPFPACK_TESTUTIL_H

#include <stdio.h>

/* Redirects stderr into a temp file, so a test can read what was reported. */
struct stderr_capture {
	int saved_fd;
	FILE *file;
};

void stderr_capture_begin(struct stderr_capture *c);
/* Restores stderr; returns what was written meanwhile (malloc'd, NUL-terminated). */
char *stderr_capture_end(struct stderr_capture *c);

#endif
