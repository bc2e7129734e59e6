/* depfile: parser for make-style dependency files written by -MD. */
#include "depfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

/* Reads one word starting at *pos, undoing make's escapes; returns its length
 * in WORD, or 0 at a line end. Sets *colon when the word ends a target list. */
static size_t next_word(const char *t, size_t len, size_t *pos, struct buf *word, int *colon,
			int *newline)
{
	size_t i = *pos;

	*colon = 0;
	*newline = 0;
	buf_reset(word);
	/* Skip blanks and line continuations. */
	while (i < len) {
		if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r') {
			i++;
		} else if (t[i] == '\\' && i + 1 < len && t[i + 1] == '\n') {
			i += 2;
		} else if (t[i] == '\\' && i + 2 < len && t[i + 1] == '\r' && t[i + 2] == '\n') {
			i += 3;
		} else {
			break;
		}
	}
	if (i < len && t[i] == '\n') {
		*newline = 1;
		*pos = i + 1;
		return 0;
	}
	while (i < len) {
		char c = t[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			break;
		if (c == '\\' && i + 1 < len && (t[i + 1] == ' ' || t[i + 1] == '#' || t[i + 1] == '\\')) {
			/* "\\ " is an escaped space; a lone "\\" before '\n' ends the word. */
			buf_append(word, &t[i + 1], 1);
			i += 2;
			continue;
		}
		if (c == '\\' && i + 1 < len && (t[i + 1] == '\n' || t[i + 1] == '\r'))
			break;
		if (c == '$' && i + 1 < len && t[i + 1] == '$') {
			buf_append(word, "$", 1);
			i += 2;
			continue;
		}
		if (c == ':' && (i + 1 >= len || t[i + 1] == ' ' || t[i + 1] == '\t' ||
				 t[i + 1] == '\n' || t[i + 1] == '\r')) {
			*colon = 1;
			i++;
			break;
		}
		buf_append(word, &c, 1);
		i++;
	}
	*pos = i;
	return word->len ? word->len : (*colon ? 1 : 0);
}

int depfile_parse(const char *text, size_t len, struct strv *deps)
{
	struct buf word = {0};
	size_t pos = 0;
	int in_prereqs = 0, seen_rule = 0, colon, newline;

	/* Compilers never write NUL; a file with one is damaged (e.g. NUL-filled
	 * after a crash) and its words would come out empty or cut short. */
	if (memchr(text, '\0', len))
		return -EINVAL;
	while (pos < len) {
		size_t n = next_word(text, len, &pos, &word, &colon, &newline);

		if (newline) {
			in_prereqs = 0;
			continue;
		}
		if (n == 0)
			break;
		if (!in_prereqs) {
			/* Still reading targets; the word may carry the colon itself. */
			if (colon) {
				in_prereqs = 1;
				seen_rule = 1;
			}
			continue;
		}
		if (colon) {
			/* "a: b c:" cannot happen in compiler output; treat as garbage. */
			buf_free(&word);
			return -EINVAL;
		}
		if (word.len && !strv_contains(deps, word.data))
			strv_push(deps, word.data);
	}
	buf_free(&word);
	if (!seen_rule && len)
		return -EINVAL;
	return 0;
}

int depfile_read(const char *path, struct strv *deps)
{
	struct buf text = {0};
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
	} else if (st.st_size > (off_t)DEPFILE_MAX_BYTES) {
		err = -EFBIG;
	} else {
		char chunk[65536];

		while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				err = -errno;
				break;
			}
			buf_append(&text, chunk, (size_t)n);
			/* It may grow while we read. */
			if (text.len > DEPFILE_MAX_BYTES) {
				err = -EFBIG;
				break;
			}
		}
	}
	close(fd);
	if (!err && text.len == 0)
		err = -ENODATA;
	if (!err)
		err = depfile_parse(text.data, text.len, deps);
	buf_free(&text);
	return err;
}
