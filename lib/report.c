/* report: one-line error and progress reporting for every command. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>

static const char *report_cmd;
static int report_level;

void report_set_command(const char *cmd) { report_cmd = cmd; }
void report_set_verbose(int level) { report_level = level; }
int report_verbose(void) { return report_level; }

static void report_vprint(const char *kind, const char *fmt, va_list ap)
{
	/* Build the whole line first so parallel writers do not interleave. */
	char line[4096];
	int n;

	if (report_cmd)
		n = snprintf(line, sizeof(line), "bpfpack: %s: %s", report_cmd, kind);
	else
		n = snprintf(line, sizeof(line), "bpfpack: %s", kind);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s\n", line);
}

void report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint("", fmt, ap);
	va_end(ap);
}

void report_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint("", fmt, ap);
	va_end(ap);
}

void report_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint("warning: ", fmt, ap);
	va_end(ap);
}

void report_hint(const char *fmt, ...)
{
	va_list ap;

	fputs("hint: ", stderr);
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
	report_vprint("", fmt, ap);
	va_end(ap);
}

void report_step(const char *what, const char *target)
{
	printf("  %-9s %s\n", what, target);
	fflush(stdout);
}
