/* btf_source_internal: what the parts of btf_source (btf_source.c: the
 * list, reading files, expand and read; btf_key.c: keys and filters;
 * btf_source_archive.c: tars and .deb; btf_source_tree.c: btfhub trees)
 * share. Not for other modules: they use btf_source.h. */
#ifndef BPFPACK_BTF_SOURCE_INTERNAL_H
#define BPFPACK_BTF_SOURCE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <archive.h>

#include "btf_source.h"
#include "../formats/deb.h"

/* How deep a btfhub tree may nest below the directory given (the layout
 * needs 3; a little slack for a checkout's own top directory). */
#define BTF_SOURCE_MAX_DEPTH 6

/* btf_key.c */
bool key_valid_release(const char *s, size_t n);
void key_set(char *field, size_t size, const char *v, size_t n);
bool key_release_from_name(const char *name, char *out, size_t size);

/* btf_source.c */
char *source_ctx(const char *path, const char *member);
struct btf_source_entry *list_push(struct btf_source_list *l, const struct btf_key *k,
				   const char *path, const char *origin, int kind,
				   const char *member);
void list_truncate(struct btf_source_list *l, size_t n);

/* btf_source_archive.c */
struct source_deb {
	struct deb_control c;
	char *member;		/* path of the kernel in data.tar */
	char release[128];
	/* What the walk looks for (see source_deb_walk). */
	const char *want, *ctx;
	bool debug_only;
	struct buf *data;
	int fd;
};
int source_expand_tar(struct archive *a, const char *path, struct btf_source_list *list);
int source_read_tar(const char *path, const char *member, struct buf *data, int fd,
		    char **found);
int source_deb_walk(const char *path, const char *want, bool debug_only,
		    struct source_deb *d, struct buf *data, int fd);
int source_expand_deb(const char *path, struct btf_source_list *list);

/* btf_source_tree.c */
int source_expand_dir(const char *path, struct btf_source_list *list);

#endif
