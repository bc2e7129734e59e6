/* buf: growable byte buffers and NULL-terminated string vectors (argv arrays).
 * Allocation failure aborts: the driver cannot do anything useful without memory. */
#ifndef BPFPACK_BUF_H
#define BPFPACK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

struct strv {
	char **v;	/* NULL-terminated */
	size_t n;
	size_t cap;
};

void strv_push(struct strv *s, const char *str);
void strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_push_all(struct strv *s, const struct strv *from);
int strv_contains(const struct strv *s, const char *str);
/* Sorts the strings in strcmp order. */
void strv_sort(struct strv *s);
void strv_free(struct strv *s);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
