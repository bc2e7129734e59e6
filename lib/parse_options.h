/* parse_options: the one command-line parser of the driver (git's
 * parse-options is the model). A command declares its options once, in a
 * table; the parser, the usage text, `help`, the man pages and the bash
 * completion are all made from that table, so an option cannot be accepted
 * without being documented, nor documented without being accepted.
 *
 * A table is a static array of struct opt ending with OPT_END(). Each entry
 * stores into one field of the command's own argument struct (given by
 * offsetof, so the table needs no pointers to locals). Adding an option is one
 * line; the argument struct gets one field:
 *
 *	struct clean_args { const char *dir; };
 *	static const struct opt clean_options[] = {
 *		OPT_STRING('C', "dir", struct clean_args, dir, "DIR", "@dir",
 *			   "clean the project in DIR"),
 *		OPT_END(),
 *	};
 *
 * The macros, all (SHORT, LONG, TYPE, FIELD, ..., HELP); SHORT is 0 for a
 * long-only option, LONG is always given (help, man pages and "did you mean"
 * use it); long options are never abbreviated; ARGH names the argument in help ("DIR", "N");
 * COMPLETE says what the shell completes for the argument: "@file", "@dir",
 * "@template", "@command", a space-separated word list ("x86_64 arm64"), or
 * NULL for free text.
 *	OPT_FLAG     bool FIELD = true
 *	OPT_STRING   const char *FIELD = the argument (the last one given wins)
 *	OPT_LIST     struct strv FIELD gets each argument (repeatable)
 *	OPT_INT      int FIELD = the argument, a whole number in [MIN, MAX]
 *	OPT_JOBS     int FIELD = -j's number of jobs (1..1024); left 0 it becomes
 *	             the number of CPUs: one parser and one default for every -j
 *	OPT_CALLBACK FN(arg, &FIELD) parses the argument itself; it reports its
 *	             own error and returns a negative errno (a usage error)
 *	OPT_CALLBACK_NOARG the same without an argument (FN gets arg NULL)
 *	OPT_VERBOSE  -v, --verbose: one more level of report_verbose()
 * -h and --help are in every table implicitly.
 *
 * Help strings are one line each; the help printer wraps them. Errors are the
 * same for every command: "option '-j' needs an argument", "unknown option
 * '--bogus'" (with a "did you mean" hint when a known option is close), each
 * followed by the command's synopsis as a hint. */
#ifndef BPFPACK_PARSE_OPTIONS_H
#define BPFPACK_PARSE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_kind {
	OPT_KIND_END,
	OPT_KIND_FLAG,
	OPT_KIND_STRING,
	OPT_KIND_LIST,
	OPT_KIND_INT,
	OPT_KIND_JOBS,
	OPT_KIND_CALLBACK,
	OPT_KIND_CALLBACK_NOARG,
	OPT_KIND_VERBOSE,
};

struct opt {
	enum opt_kind kind;
	char short_name;	/* 0: long only */
	const char *long_name;
	size_t offset;		/* of the field in the command's argument struct */
	const char *argh;	/* the argument's name in help; NULL: takes none */
	const char *complete;	/* what completes the argument (see above) */
	const char *help;
	long min, max;		/* OPT_INT */
	int (*callback)(const char *arg, void *field);
};

#define OPT_END() { .kind = OPT_KIND_END }
#define OPT_FLAG(s, l, T, f, h) \
	{ .kind = OPT_KIND_FLAG, .short_name = (s), .long_name = (l), .offset = offsetof(T, f), .help = (h) }
#define OPT_STRING(s, l, T, f, a, c, h)                                                              \
	{ .kind = OPT_KIND_STRING, .short_name = (s), .long_name = (l), .offset = offsetof(T, f),   \
	  .argh = (a), .complete = (c), .help = (h) }
#define OPT_LIST(s, l, T, f, a, c, h)                                                                \
	{ .kind = OPT_KIND_LIST, .short_name = (s), .long_name = (l), .offset = offsetof(T, f),     \
	  .argh = (a), .complete = (c), .help = (h) }
#define OPT_INT(s, l, T, f, a, lo, hi, h)                                                            \
	{ .kind = OPT_KIND_INT, .short_name = (s), .long_name = (l), .offset = offsetof(T, f),      \
	  .argh = (a), .min = (lo), .max = (hi), .help = (h) }
#define OPT_JOBS(T, f, h)                                                                            \
	{ .kind = OPT_KIND_JOBS, .short_name = 'j', .long_name = "jobs", .offset = offsetof(T, f),  \
	  .argh = "N", .help = (h) }
#define OPT_CALLBACK(s, l, T, f, a, c, fn, h)                                                        \
	{ .kind = OPT_KIND_CALLBACK, .short_name = (s), .long_name = (l), .offset = offsetof(T, f), \
	  .argh = (a), .complete = (c), .callback = (fn), .help = (h) }
#define OPT_CALLBACK_NOARG(s, l, T, f, fn, h)                                                        \
	{ .kind = OPT_KIND_CALLBACK_NOARG, .short_name = (s), .long_name = (l),                      \
	  .offset = offsetof(T, f), .callback = (fn), .help = (h) }
#define OPT_VERBOSE(h) { .kind = OPT_KIND_VERBOSE, .short_name = 'v', .long_name = "verbose", .help = (h) }

/* What parse_options() stops at. */
enum {
	PARSE_OPT_STOP_AT_NON_OPTION = 1,	/* options only before the first operand */
};

/* The help a usage error points to: the command's name ("btf gen") and its
 * synopsis lines (without "usage: bpfpack NAME"). */
struct opt_usage {
	const char *name;
	const char *const *synopsis;	/* NULL-terminated */
};

/* Parses the options of ARGV[1..ARGC) into ARGS by TABLE. Operands (and all
 * after "--", which is dropped) are moved, in order, to ARGV[1..] and their
 * count is returned. Returns PARSE_OPT_HELP when -h/--help was given (the
 * caller prints its help), or -EUSAGE after a usage error (reported, with
 * U's synopsis as a hint). OPT_JOBS fields left 0 get the number of CPUs. */
#define PARSE_OPT_HELP (-1000)
int parse_options(int argc, char **argv, const struct opt *table, void *args, const struct opt_usage *u,
		  unsigned flags);

/* The number of CPUs this process may use (at least 1): -j's default. */
int parse_options_cpu_count(void);

/* Prints TABLE's options, one per entry ("  -j, --jobs N   help"), the help
 * wrapped to 80 columns. */
void parse_options_print_help(FILE *f, const struct opt *table);
/* "-j, --jobs N" / "--btf SOURCE" / "-f, --force": how help shows an option. */
void parse_options_format(const struct opt *o, char *out, size_t size);

/* Of CANDIDATES (NULL-terminated), the one closest to WORD if it is close
 * enough to be what was meant (a typo, a transposition, a prefix), else NULL. */
const char *parse_options_suggest(const char *word, const char *const *candidates);

#endif
