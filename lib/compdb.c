/* compdb: writing compile_commands.json (JSON Compilation Database). */
#include "compdb.h"

#include <string.h>

#include "fs.h"
#include "json.h"

static void compdb_string(struct buf *b, const char *s)
{
	json_escape(b, s, strlen(s));
}

void compdb_add(struct compdb *db, const char *dir, const char *file, char *const argv[],
		const char *output)
{
	struct buf *b = &db->json;

	buf_append_str(b, db->n++ ? ",\n  {\n    \"directory\": " : "[\n  {\n    \"directory\": ");
	compdb_string(b, dir);
	buf_append_str(b, ",\n    \"file\": ");
	compdb_string(b, file);
	buf_append_str(b, ",\n    \"output\": ");
	compdb_string(b, output);
	buf_append_str(b, ",\n    \"arguments\": [");
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_append_str(b, ", ");
		compdb_string(b, argv[i]);
	}
	buf_append_str(b, "]\n  }");
}

int compdb_write(struct compdb *db, const char *path)
{
	buf_append_str(&db->json, db->n ? "\n]\n" : "[]\n");
	return fs_write_if_changed(path, db->json.data, db->json.len, 0644);
}

void compdb_free(struct compdb *db)
{
	buf_free(&db->json);
	db->n = 0;
}
