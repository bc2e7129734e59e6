/* json: building a JSON document in memory (see json.h). */
#include "json.h"

#include <errno.h>
#include <string.h>

void json_init(struct json *j, int pretty)
{
	memset(j, 0, sizeof(*j));
	j->pretty = pretty;
	buf_append(&j->out, "", 0);
}

void json_escape(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	buf_append(out, "\"", 1);
	while (p < end) {
		unsigned char c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			   (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n && (size_t)(end - p) >= n;

		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		/* Overlong forms, surrogates and code points past U+10FFFF are
		 * not UTF-8 either. */
		if (ok && n == 2)
			ok = c >= 0xc2;
		else if (ok && n == 3)
			ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
		else if (ok && n == 4)
			ok = !(c == 0xf0 && p[1] < 0x90) && c <= 0xf4 && !(c == 0xf4 && p[1] >= 0x90);
		if (!ok) {
			buf_append_str(out, "\\ufffd");
			p++;
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			buf_append(out, e, 2);
		} else if (c == '\n') {
			buf_append_str(out, "\\n");
		} else if (c == '\t') {
			buf_append_str(out, "\\t");
		} else if (c == '\r') {
			buf_append_str(out, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\u%04x", c);
		} else {
			buf_append(out, p, n);
		}
		p += n;
	}
	buf_append(out, "\"", 1);
}

static void json_indent(struct json *j, int level)
{
	buf_append(&j->out, "\n", 1);
	for (int i = 0; i < level; i++)
		buf_append(&j->out, "  ", 2);
}

/* Before a value or a key: the comma and line break its container wants. */
static void json_before(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->has_members[j->depth - 1])
		buf_append(&j->out, ",", 1);
	if (j->depth <= j->pretty)
		json_indent(j, j->depth);
	else if (j->has_members[j->depth - 1])
		buf_append(&j->out, " ", 1);
	j->has_members[j->depth - 1] = true;
}

static void json_open(struct json *j, char open, char close)
{
	json_before(j);
	buf_append(&j->out, &open, 1);
	if (j->depth < JSON_MAX_DEPTH) {
		j->closer[j->depth] = close;
		j->has_members[j->depth] = false;
	}
	j->depth++;
}

static void json_close(struct json *j)
{
	char close;

	if (j->depth == 0)
		return;
	if (j->after_key) {	/* a key without its value: give it one */
		buf_append_str(&j->out, "null");
		j->after_key = false;
	}
	j->depth--;
	close = j->depth < JSON_MAX_DEPTH ? j->closer[j->depth] : '}';
	if (j->depth < JSON_MAX_DEPTH && j->has_members[j->depth] && j->depth + 1 <= j->pretty)
		json_indent(j, j->depth);
	buf_append(&j->out, &close, 1);
}

void json_object_begin(struct json *j)
{
	json_open(j, '{', '}');
}

void json_object_end(struct json *j)
{
	json_close(j);
}

void json_array_begin(struct json *j)
{
	json_open(j, '[', ']');
}

void json_array_end(struct json *j)
{
	json_close(j);
}

void json_key(struct json *j, const char *key)
{
	json_before(j);
	json_escape(&j->out, key, strlen(key));
	buf_append(&j->out, ": ", 2);
	j->after_key = true;
}

void json_string_len(struct json *j, const char *s, size_t len)
{
	json_before(j);
	json_escape(&j->out, s ? s : "", s ? len : 0);
}

void json_string(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_string_len(j, s, strlen(s));
}

void json_int(struct json *j, long long v)
{
	json_before(j);
	buf_printf(&j->out, "%lld", v);
}

void json_uint(struct json *j, unsigned long long v)
{
	json_before(j);
	buf_printf(&j->out, "%llu", v);
}

void json_double(struct json *j, double v, int decimals)
{
	json_before(j);
	if (v != v || v - v != 0)	/* NaN and infinities have no JSON form */
		buf_append_str(&j->out, "null");
	else
		buf_printf(&j->out, "%.*f", decimals, v);
}

void json_bool(struct json *j, bool v)
{
	json_before(j);
	buf_append_str(&j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_before(j);
	buf_append_str(&j->out, "null");
}

const char *json_finish(struct json *j)
{
	while (j->depth > 0)
		json_close(j);
	if (j->out.len && j->out.data[j->out.len - 1] != '\n')
		buf_append(&j->out, "\n", 1);
	return j->out.data;
}

int json_write(struct json *j, FILE *f)
{
	json_finish(j);
	if (j->out.len == 0)
		return 0;
	if (fwrite(j->out.data, 1, j->out.len, f) != j->out.len || fflush(f) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

void json_free(struct json *j)
{
	buf_free(&j->out);
	j->depth = 0;
}
