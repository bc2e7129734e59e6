/* report: one-line error and progress reporting for every command. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *report_cmd;
static int report_level;
static bool progress_shown;

#define C_RED "\033[1;31m"
#define C_YELLOW "\033[1;33m"
#define C_CYAN "\033[36m"
#define C_RESET "\033[0m"

void report_set_command(const char *cmd) { report_cmd = cmd; }
void report_set_verbose(int level) { report_level = level; }
int report_verbose(void) { return report_level; }

bool report_color(int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (no && *no)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fd);
}

int report_term_width(int fd)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols && atoi(cols) > 0)
		return atoi(cols);
	return 80;
}

enum line_kind { LINE_ERROR, LINE_WARNING, LINE_INFO, LINE_DEBUG };

static void report_vprint(enum line_kind kind, const char *fmt, va_list ap)
{
	/* Build the whole line first so parallel writers do not interleave. */
	char line[4096];
	bool color = report_color(2);
	const char *pre = "", *post = "", *label = "";
	int n;

	if (color && kind == LINE_ERROR) {
		pre = C_RED;
		post = C_RESET;
	}
	if (kind == LINE_WARNING)
		label = color ? C_YELLOW "warning:" C_RESET " " : "warning: ";
	/* Information says so, so that in a log it does not read as an error. */
	if (kind == LINE_INFO)
		label = "note: ";
	if (report_cmd)
		n = snprintf(line, sizeof(line), "%sbpfpack: %s:%s %s", pre, report_cmd, post, label);
	else
		n = snprintf(line, sizeof(line), "%sbpfpack:%s %s", pre, post, label);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	report_progress_clear();
	fflush(stdout);
	fprintf(stderr, "%s\n", line);
}

void report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint(LINE_ERROR, fmt, ap);
	va_end(ap);
}

void report_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint(LINE_INFO, fmt, ap);
	va_end(ap);
}

void report_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint(LINE_WARNING, fmt, ap);
	va_end(ap);
}

void report_hint(const char *fmt, ...)
{
	va_list ap;

	report_progress_clear();
	fputs(report_color(2) ? C_CYAN "hint:" C_RESET " " : "hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void report_debug(const char *fmt, ...)
{
	va_list ap;

	if (report_level < 1)
		return;
	va_start(ap, fmt);
	report_vprint(LINE_DEBUG, fmt, ap);
	va_end(ap);
}

void report_step(const char *what, const char *target)
{
	report_progress_clear();
	printf("  %-9s %s\n", what, target);
	fflush(stdout);
}

void report_progress(const char *step, const char *name, size_t done, size_t total, const char *what)
{
	char head[256], tail[64], line[1024];
	int width, bar, fill, n;

	if (!isatty(2))
		return;
	width = report_term_width(2);
	if (width > (int)sizeof(line) - 1)
		width = (int)sizeof(line) - 1;
	snprintf(head, sizeof(head), "  %-9s %s ", step, name ? name : "");
	snprintf(tail, sizeof(tail), " %zu/%zu ", done, total);
	/* The bar takes what is left of a third of the line, at least 10. */
	bar = width / 3 - 2;
	if (bar < 10)
		bar = 10;
	fill = total ? (int)(done * (size_t)bar / total) : bar;
	n = snprintf(line, sizeof(line), "%s[%.*s%*s]%s%s", head, fill,
		     "################################################################################"
		     "################################################################################",
		     bar - fill, "", tail, what ? what : "");
	/* Never wider than the terminal: a wrapped line cannot be redrawn. */
	if (n > width - 1)
		n = width - 1;
	if (n < 0)
		n = 0;
	fprintf(stderr, "\r%.*s\033[K", n, line);
	fflush(stderr);
	progress_shown = true;
}

void report_progress_clear(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = false;
}
