/* json: the one JSON writer (inspect --json, vmtest --json,
 * compile_commands.json). The document is built in memory and written whole
 * by json_write(), which first closes whatever is still open: a command that
 * fails midway writes valid JSON or nothing, never half a document. Strings
 * are escaped; bytes that are not valid UTF-8 become U+FFFD.
 *
 * Containers up to PRETTY levels deep put each member on its own line,
 * indented by two spaces a level; deeper ones stay on one line. */
#ifndef BPFPACK_JSON_H
#define BPFPACK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf out;
	int depth;
	int pretty;				/* levels written one member a line */
	bool after_key;
	bool has_members[JSON_MAX_DEPTH];
	char closer[JSON_MAX_DEPTH];		/* '}' or ']' */
};

/* Starts a document; PRETTY as above (0: all on one line). */
void json_init(struct json *j, int pretty);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
/* The key of the next value in an object. */
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);	/* NULL: null */
void json_string_len(struct json *j, const char *s, size_t len);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Closes every container still open, ends the document with a newline and
 * writes it to F. Returns 0 or -errno. Frees nothing: call json_free(). */
int json_write(struct json *j, FILE *f);
/* Closes every container still open and returns the text (owned by J). */
const char *json_finish(struct json *j);
void json_free(struct json *j);

/* Appends S (LEN bytes) to OUT as a JSON string, quotes included. */
void json_escape(struct buf *out, const char *s, size_t len);

#endif
