/* template: rendering a project template (templates/<name>/) into a new
 * project. A template is a directory of plain files; in file contents and file
 * names, {{NAME}} becomes the project name and {{NAME_UPPER}} its upper-case
 * form. The first line of the template's DESCRIPTION file is its summary for
 * `bpfpack new --list`; DESCRIPTION itself is not copied. */
#ifndef BPFPACK_TEMPLATE_H
#define BPFPACK_TEMPLATE_H

#include "buf.h"

#define TEMPLATE_DEFAULT "tracepoint"

struct template_vars {
	const char *name;
};

/* Renders TEXT into OUT. Reports and returns -EINVAL on an unknown or
 * unterminated placeholder (naming WHERE, e.g. the template file). */
int template_render(const char *text, size_t len, const struct template_vars *vars,
		    const char *where, struct buf *out);

/* Lists template names under TEMPLATES_DIR, sorted. */
int template_list(const char *templates_dir, struct strv *names);
/* The one-line summary of a template, malloc'd ("" when it has none). */
char *template_summary(const char *templates_dir, const char *name);

/* Renders every file of TEMPLATES_DIR/NAME into DEST_DIR (which must exist),
 * creating subdirectories; each file is written atomically. Refuses any file
 * name that would land outside DEST_DIR. */
int template_instantiate(const char *templates_dir, const char *name,
			 const struct template_vars *vars, const char *dest_dir);
/* template_instantiate into DEST_DIR (a staging directory) whose errors name
 * the files as SHOWN_DIR/FILE, where they will end up. */
int template_instantiate_as(const char *templates_dir, const char *name,
			    const struct template_vars *vars, const char *dest_dir,
			    const char *shown_dir);

#endif
