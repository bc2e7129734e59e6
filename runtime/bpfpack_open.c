/* bpfpack_open: the embedded-BTF fallback for tools that never call
 * bpfpack_btf_setup(). `bpfpack build` links every tool with
 *   -Wl,--wrap=bpf_object__open_skeleton,--wrap=bpf_object__open_file,
 *   --wrap=bpf_object__open_mem,--wrap=bpf_object__open
 * so the tool's (and its helpers') calls to those libbpf functions land here.
 * When the caller gave no btf_custom_path, the runtime makes the same choice
 * bpfpack_btf_setup() makes (kernel BTF, BPFPACK_BTF, libbpf's usual places,
 * the embedded set) and hands libbpf a copy of the options with the chosen
 * path; then the real libbpf function runs. A tool that called setup itself
 * already carries the path in its options, or setup remembered that the
 * kernel's own BTF is used: nothing is done twice.
 *
 * libbpf reads btf_custom_path when it loads an object, not when it opens
 * it; so bpf_object__load, bpf_object__load_skeleton, bpf_object__close and
 * bpf_object__destroy_skeleton are wrapped too: once every object that was
 * handed the runtime's path has loaded (or was closed unloaded), the memfd
 * and all the runtime holds are released, as an explicit
 * bpfpack_btf_cleanup() after load would do.
 *
 * Only this file refers to __real_* symbols, which exist only under those
 * --wrap flags; it lives in libbpfpack.a, and the linker takes it only when
 * a wrapped function is called. The driver does not link it (Makefile). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* program_invocation_short_name */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bpfpack_btf_internal.h"

struct bpf_object *__real_bpf_object__open(const char *path);
struct bpf_object *__real_bpf_object__open_file(const char *path,
						const struct bpf_object_open_opts *opts);
struct bpf_object *__real_bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
					       const struct bpf_object_open_opts *opts);
int __real_bpf_object__open_skeleton(struct bpf_object_skeleton *s,
				     const struct bpf_object_open_opts *opts);
int __real_bpf_object__load(struct bpf_object *obj);
int __real_bpf_object__load_skeleton(struct bpf_object_skeleton *s);
void __real_bpf_object__close(struct bpf_object *obj);
void __real_bpf_object__destroy_skeleton(struct bpf_object_skeleton *s);

struct bpf_object *__wrap_bpf_object__open(const char *path);
struct bpf_object *__wrap_bpf_object__open_file(const char *path,
						const struct bpf_object_open_opts *opts);
struct bpf_object *__wrap_bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
					       const struct bpf_object_open_opts *opts);
int __wrap_bpf_object__open_skeleton(struct bpf_object_skeleton *s,
				     const struct bpf_object_open_opts *opts);
int __wrap_bpf_object__load(struct bpf_object *obj);
int __wrap_bpf_object__load_skeleton(struct bpf_object_skeleton *s);
void __wrap_bpf_object__close(struct bpf_object *obj);
void __wrap_bpf_object__destroy_skeleton(struct bpf_object_skeleton *s);

/* Set once the decision failed (nothing fits, the set is damaged): said
 * once, and later opens go to libbpf unchanged, which works for objects that
 * need no kernel BTF and fails with libbpf's own message for the others. */
static bool auto_failed;

static void libbpf_print_line(libbpf_print_fn_t fn, enum libbpf_print_level level,
			      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fn(level, fmt, ap);
	va_end(ap);
}

/* The runtime's lines go through libbpf's print callback, as libbpf's own
 * do: "BTF: ..." (what was chosen) at debug level, which a tool shows with
 * its -v; problems at warning level. */
static void say_through_libbpf(const char *line)
{
	libbpf_print_fn_t fn = libbpf_set_print(NULL);
	const char *colon = strstr(line, ": ");
	bool report = colon && !strncmp(colon + 2, "BTF: ", 5);

	libbpf_set_print(fn);
	if (fn)
		libbpf_print_line(fn, report ? LIBBPF_DEBUG : LIBBPF_WARN, "%s\n", line);
}

/* Options for libbpf: GIVEN itself when the tool chose a BTF, when the
 * kernel's own is used, or when the decision failed; else COPY, a copy of
 * GIVEN (or of defaults) with btf_custom_path set. */
static const struct bpf_object_open_opts *open_opts_for(const struct bpf_object_open_opts *given,
							 struct bpf_object_open_opts *copy)
{
	size_t given_sz = given ? given->sz : 0;
	int err;

	/* Options from a libbpf too old to have the field, or set by the tool. */
	if (given && (given_sz < offsetof(struct bpf_object_open_opts, btf_custom_path) +
				 sizeof(given->btf_custom_path) ||
		      given->btf_custom_path))
		return given;
	if (auto_failed)
		return given;
	memset(copy, 0, sizeof(*copy));
	if (given)
		memcpy(copy, given, given_sz < sizeof(*copy) ? given_sz : sizeof(*copy));
	copy->sz = sizeof(*copy);
	bpfpack_btf_set_say_sink(say_through_libbpf);
	err = bpfpack_btf_setup(copy, program_invocation_short_name, 1);
	bpfpack_btf_set_say_sink(NULL);
	if (err) {
		auto_failed = true;
		return given;
	}
	return copy->btf_custom_path ? copy : given;
}

/* Objects opened with the runtime's path that have not loaded yet. A tool
 * with more open at once than this keeps the memfd until it exits. */
#define PENDING_MAX 64
static struct bpf_object *pending[PENDING_MAX];
static size_t n_pending;
static bool pending_overflow;

static void pending_add(struct bpf_object *obj)
{
	if (!obj)
		return;
	if (n_pending == PENDING_MAX) {
		pending_overflow = true;
		return;
	}
	pending[n_pending++] = obj;
}

/* OBJ has loaded or is being closed: libbpf no longer needs the path for
 * it; when it was the last, release what the runtime holds. */
static void pending_done(struct bpf_object *obj)
{
	for (size_t i = 0; obj && i < n_pending; i++) {
		if (pending[i] != obj)
			continue;
		pending[i] = pending[--n_pending];
		if (n_pending == 0 && !pending_overflow)
			bpfpack_btf_release();
		return;
	}
}

int __wrap_bpf_object__open_skeleton(struct bpf_object_skeleton *s,
				     const struct bpf_object_open_opts *opts)
{
	struct bpf_object_open_opts copy;
	const struct bpf_object_open_opts *o = open_opts_for(opts, &copy);
	int err = __real_bpf_object__open_skeleton(s, o);

	if (!err && o == &copy && s->obj)
		pending_add(*s->obj);
	return err;
}

struct bpf_object *__wrap_bpf_object__open_file(const char *path,
						const struct bpf_object_open_opts *opts)
{
	struct bpf_object_open_opts copy;
	const struct bpf_object_open_opts *o = open_opts_for(opts, &copy);
	struct bpf_object *obj = __real_bpf_object__open_file(path, o);

	if (o == &copy && !libbpf_get_error(obj))
		pending_add(obj);
	return obj;
}

struct bpf_object *__wrap_bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
					       const struct bpf_object_open_opts *opts)
{
	struct bpf_object_open_opts copy;
	const struct bpf_object_open_opts *o = open_opts_for(opts, &copy);
	struct bpf_object *obj = __real_bpf_object__open_mem(obj_buf, obj_buf_sz, o);

	if (o == &copy && !libbpf_get_error(obj))
		pending_add(obj);
	return obj;
}

/* bpf_object__open(PATH) is bpf_object__open_file(PATH, NULL). */
struct bpf_object *__wrap_bpf_object__open(const char *path)
{
	struct bpf_object_open_opts copy;
	const struct bpf_object_open_opts *o = open_opts_for(NULL, &copy);
	struct bpf_object *obj;

	if (!o)
		return __real_bpf_object__open(path);
	obj = __real_bpf_object__open_file(path, o);
	if (!libbpf_get_error(obj))
		pending_add(obj);
	return obj;
}

int __wrap_bpf_object__load(struct bpf_object *obj)
{
	int err = __real_bpf_object__load(obj);

	pending_done(obj);
	return err;
}

int __wrap_bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	int err = __real_bpf_object__load_skeleton(s);

	if (s && s->obj)
		pending_done(*s->obj);
	return err;
}

void __wrap_bpf_object__close(struct bpf_object *obj)
{
	pending_done(obj);
	__real_bpf_object__close(obj);
}

void __wrap_bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
{
	if (s && s->obj)
		pending_done(*s->obj);
	__real_bpf_object__destroy_skeleton(s);
}
