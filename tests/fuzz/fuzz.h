/* fuzz.h: what every fuzz target shares. A target is one libFuzzer entry
 * point (LLVMFuzzerTestOneInput) driving one parser of outside input with
 * the bytes it is given; besides the sanitizers' checks it asserts the
 * parser's own contract (fields NUL-terminated, offsets inside the input, a
 * match that really matches), and fuzz_fail() turns a broken contract into a
 * crash that libFuzzer saves as a reproducer. */
#ifndef BPFPACK_FUZZ_H
#define BPFPACK_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "../../lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn, unused));

/* A broken contract: say which and crash, so libFuzzer keeps the input.
 * The line goes through the sanitizers' report channel too: with
 * -close_fd_mask=2 (tests/fuzz/run.sh) the target's own stderr is closed. */
static void fuzz_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "fuzz: contract broken: ");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", msg);
	__sanitizer_report_error_summary(msg);
	abort();
}

/* Whether S is NUL-terminated within CAP bytes (a fixed-size field). */
static inline int fuzz_terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* DATA as a malloc'd C string (the parsers under test take strings). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
