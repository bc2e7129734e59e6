/* parse_options: one table per command drives parsing, help and errors. */
#include "parse_options.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "report.h"

#define HELP_WIDTH 80
#define HELP_COLUMN 24	/* where help text starts when the option fits before it */

int parse_options_cpu_count(void)
{
	cpu_set_t set;
	long n;

	/* The CPUs we may run on (taskset, cgroups' cpusets), else all online. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void usage_hint(const struct opt_usage *u)
{
	if (u && u->synopsis && u->synopsis[0])
		report_hint("usage: bpfpack%s%s%s%s (see `bpfpack help%s%s`)", *u->name ? " " : "", u->name,
			    *u->synopsis[0] ? " " : "", u->synopsis[0], *u->name ? " " : "", u->name);
}

/* Levenshtein distance with transpositions counted as one edit. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *d = xcalloc((la + 1) * (lb + 1), sizeof(*d));
	size_t r;

#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = D(i - 1, j) + 1;

			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < best)
				best = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

const char *parse_options_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word);

	if (!len)
		return NULL;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);

		/* A prefix of three or more letters is what was meant, too. */
		if (len >= 3 && !strncmp(word, candidates[i], len))
			d = d < 1 ? d : 1;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* Close enough: at most a third of the word wrong, and never all of it. */
	if (best && best_d <= (len + 2) / 3 && best_d < len)
		return best;
	return NULL;
}

static void suggest_option(const char *given, const struct opt *table)
{
	struct strv names = {0};
	const char *s;
	bool is_long = given[1] == '-';
	const char *word = given + (is_long ? 2 : 1);
	char *bare = xstrdup(word);

	bare[strcspn(bare, "=")] = 0;
	if (is_long) {
		for (const struct opt *o = table; o->kind != OPT_KIND_END; o++)
			strv_push(&names, o->long_name);
		strv_push(&names, "help");
		s = parse_options_suggest(bare, (const char *const *)names.v);
		if (s)
			report_hint("did you mean '--%s'?", s);
	}
	free(bare);
	strv_free(&names);
}

static const struct opt help_opt = { .kind = OPT_KIND_CALLBACK_NOARG, .short_name = 'h', .long_name = "help" };

static const struct opt *find_long(const struct opt *table, const char *name, size_t len)
{
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++)
		if (strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	if (len == 4 && !strncmp(name, "help", 4))
		return &help_opt;
	return NULL;
}

static const struct opt *find_short(const struct opt *table, char c)
{
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++)
		if (o->short_name == c)
			return o;
	return c == 'h' ? &help_opt : NULL;
}

static bool opt_takes_arg(const struct opt *o)
{
	switch (o->kind) {
	case OPT_KIND_STRING:
	case OPT_KIND_LIST:
	case OPT_KIND_INT:
	case OPT_KIND_JOBS:
	case OPT_KIND_CALLBACK:
		return true;
	default:
		return false;
	}
}

static int parse_number(const char *arg, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (!*arg || *end || errno || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* Applies O (as the user spelled it: NAME) with ARG to ARGS. */
static int opt_apply(const struct opt *o, const char *name, const char *arg, void *args)
{
	void *field = (char *)args + o->offset;
	long n;

	switch (o->kind) {
	case OPT_KIND_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_KIND_STRING:
		*(const char **)field = arg;
		return 0;
	case OPT_KIND_LIST:
		strv_push((struct strv *)field, arg);
		return 0;
	case OPT_KIND_INT:
		if (parse_number(arg, o->min, o->max, &n) < 0) {
			report_error("option '%s' takes a whole number from %ld to %ld, not '%s'", name, o->min,
				     o->max, arg);
			return -EUSAGE;
		}
		*(int *)field = (int)n;
		return 0;
	case OPT_KIND_JOBS:
		if (parse_number(arg, 1, 1024, &n) < 0) {
			report_error("%s takes a number of jobs from 1 to 1024, not '%s'", name, arg);
			return -EUSAGE;
		}
		*(int *)field = (int)n;
		return 0;
	case OPT_KIND_CALLBACK:
	case OPT_KIND_CALLBACK_NOARG:
		return o->callback(arg, field) < 0 ? -EUSAGE : 0;
	case OPT_KIND_VERBOSE:
		report_set_verbose(report_verbose() + 1);
		return 0;
	case OPT_KIND_END:
		break;
	}
	return -EINVAL;
}

static void jobs_defaults(const struct opt *table, void *args)
{
	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
		int *field = (int *)((char *)args + o->offset);

		if (o->kind == OPT_KIND_JOBS && *field == 0)
			*field = parse_options_cpu_count();
	}
}

int parse_options(int argc, char **argv, const struct opt *table, void *args, const struct opt_usage *u,
		  unsigned flags)
{
	int n_operands = 0, rc = 0;
	bool only_operands = false;
	char **operands = xcalloc((size_t)argc + 1, sizeof(*operands));

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct opt *o;

		if (only_operands || a[0] != '-' || !a[1]) {
			operands[n_operands++] = a;
			if (flags & PARSE_OPT_STOP_AT_NON_OPTION)
				only_operands = true;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_operands = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			char spelled[128];

			snprintf(spelled, sizeof(spelled), "--%.*s", (int)len, name);
			o = find_long(table, name, len);
			if (!o) {
				report_error("unknown option '%s'", spelled);
				suggest_option(a, table);
				rc = -EUSAGE;
				break;
			}
			if (o == &help_opt) {
				rc = PARSE_OPT_HELP;
				break;
			}
			const char *arg = NULL;

			if (opt_takes_arg(o)) {
				if (eq)
					arg = eq + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else {
					report_error("option '%s' needs an argument", spelled);
					rc = -EUSAGE;
					break;
				}
			} else if (eq) {
				report_error("option '%s' takes no argument", spelled);
				rc = -EUSAGE;
				break;
			}
			rc = opt_apply(o, spelled, arg, args);
			if (rc < 0)
				break;
			continue;
		}
		/* One or more short options: -vf, -j4, -j 4. */
		for (char *p = a + 1; *p; p++) {
			char spelled[3] = { '-', *p, 0 };

			o = find_short(table, *p);
			if (!o) {
				report_error("unknown option '%s'", spelled);
				rc = -EUSAGE;
				break;
			}
			if (o == &help_opt) {
				rc = PARSE_OPT_HELP;
				break;
			}
			if (!opt_takes_arg(o)) {
				rc = opt_apply(o, spelled, NULL, args);
				if (rc < 0)
					break;
				continue;
			}
			const char *arg;

			if (p[1])
				arg = p + 1;
			else if (i + 1 < argc)
				arg = argv[++i];
			else {
				report_error("option '%s' needs an argument", spelled);
				rc = -EUSAGE;
				break;
			}
			rc = opt_apply(o, spelled, arg, args);
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc == -EUSAGE)
		usage_hint(u);
	if (rc == 0) {
		jobs_defaults(table, args);
		memcpy(argv + 1, operands, (size_t)n_operands * sizeof(*argv));
		argv[n_operands + 1] = NULL;
		rc = n_operands;
	}
	free(operands);
	return rc;
}

void parse_options_format(const struct opt *o, char *out, size_t size)
{
	if (o->short_name && o->long_name)
		snprintf(out, size, "-%c, --%s%s%s", o->short_name, o->long_name, o->argh ? " " : "",
			 o->argh ? o->argh : "");
	else if (o->short_name)
		snprintf(out, size, "-%c%s%s", o->short_name, o->argh ? " " : "", o->argh ? o->argh : "");
	else
		snprintf(out, size, "    --%s%s%s", o->long_name, o->argh ? " " : "", o->argh ? o->argh : "");
}

/* Prints TEXT wrapped at HELP_WIDTH, the first line already at column COL,
 * the others indented to INDENT. */
static void print_wrapped(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		int room = HELP_WIDTH - col;
		size_t len = strlen(p), cut = len;

		if ((int)len > room) {
			/* The last space that fits, else the first one at all. */
			cut = 0;
			for (int k = room; k > 0; k--)
				if (p[k] == ' ') {
					cut = (size_t)k;
					break;
				}
			if (!cut)
				cut = strcspn(p, " ");
		}
		fprintf(f, "%.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		}
	}
}

void parse_options_print_help(FILE *f, const struct opt *table)
{
	char left[128];

	for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
		int col;

		parse_options_format(o, left, sizeof(left));
		col = fprintf(f, "  %s", left);
		if (col + 2 > HELP_COLUMN) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
		} else {
			fprintf(f, "%*s", HELP_COLUMN - col, "");
		}
		print_wrapped(f, o->help, HELP_COLUMN, HELP_COLUMN);
	}
	fprintf(f, "  -h, --help%*sshow this help\n", HELP_COLUMN - 12, "");
}
