/* testutil: helpers shared by the unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "testutil.h"

void stderr_capture_begin(struct stderr_capture *c)
{
	c->file = tmpfile();
	assert_non_null(c->file);
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

char *stderr_capture_end(struct stderr_capture *c)
{
	struct buf text = { 0 };
	char chunk[4096];
	size_t n;

	fflush(stderr);
	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	rewind(c->file);
	while ((n = fread(chunk, 1, sizeof(chunk), c->file)) > 0)
		buf_append(&text, chunk, n);
	buf_append(&text, "", 0);
	fclose(c->file);
	return text.data;
}
