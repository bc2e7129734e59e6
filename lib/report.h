/* report: the one place that talks to the user about failures and progress.
 * Every message about a failure goes through report_error(), which prints
 * "bpfpack: <command>: <message>" on one line. Functions return 0 or a negative
 * errno-style code after reporting; their callers do not report again. */
#ifndef BPFPACK_REPORT_H
#define BPFPACK_REPORT_H

#include <stdbool.h>

/* Exit codes of the driver (documented in README). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed: bad input, a tool failed */
	EXIT_USAGE = 2,		/* wrong flags or arguments */
	EXIT_INTERRUPTED = 130,	/* SIGINT/SIGTERM */
};

void report_set_command(const char *cmd);
void report_set_verbose(int level);
int report_verbose(void);

/* "bpfpack: CMD: message" on stderr. */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "hint: message" on stderr, after an error. */
void report_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "bpfpack: CMD: MESSAGE" on stderr: something the user should know that is
 * neither an error nor a warning (e.g. waiting for a lock). */
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "bpfpack: CMD: warning: message" on stderr. */
void report_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only with -v, on stderr. */
void report_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A progress line on stdout ("  CC       foo.c"). */
void report_step(const char *what, const char *target);

#endif
