/* report: the one place that talks to the user about failures and progress.
 * Every message about a failure goes through report_error(), which prints
 * "bpfpack: <command>: <message>" on one line. Functions return 0 or a negative
 * errno-style code after reporting; their callers do not report again.
 *
 * The kinds of line look different: an error is "bpfpack: CMD: what failed:
 * why"; a warning says "warning:"; an info line ("no work to do") is a plain
 * statement. On a terminal (unless NO_COLOR is set, or TERM=dumb) errors are
 * red, warnings yellow, hints and info lines dim, so an info line is never
 * mistaken for a failure. */
#ifndef BPFPACK_REPORT_H
#define BPFPACK_REPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes of the driver (documented in README). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed: bad input, a tool failed */
	EXIT_USAGE = 2,		/* wrong flags or arguments */
	EXIT_INTERRUPTED = 130,	/* SIGINT/SIGTERM */
};

/* Commands return 0 or a negative errno; -EUSAGE is a usage error (bad flags
 * or arguments, reported). main alone maps them: 0 -> EXIT_OK, -EUSAGE ->
 * EXIT_USAGE, -EINTR -> EXIT_INTERRUPTED, any other -> EXIT_FAIL. */
#define EUSAGE 1001

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

/* Whether to colour what goes to FD: a terminal, NO_COLOR unset or empty, and
 * TERM not "dumb". */
bool report_color(int fd);
/* The width of the terminal on FD (TIOCGWINSZ, else $COLUMNS, else 80). */
int report_term_width(int fd);
/* A progress bar on stderr, when it is a terminal: "  STEP  NAME [###   ] 3/10
 * WHAT", redrawn in place, cut to the terminal's width. */
void report_progress(const char *step, const char *name, size_t done, size_t total, const char *what);
/* Erases the progress bar (if one is shown). */
void report_progress_clear(void);

#endif
