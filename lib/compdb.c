/* compdb: writing compile_commands.json (JSON Compilation Database). */
#include "compdb.h"

#include "fs.h"

static void json_string(struct buf *b, const char *s)
{
	buf_append(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_append(b, "\\", 1);
			buf_append(b, s, 1);
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_append(b, s, 1);
		}
	}
	buf_append(b, "\"", 1);
}

void compdb_add(struct compdb *db, const char *dir, const char *file, char *const argv[],
		const char *output)
{
	struct buf *b = &db->json;

	buf_append_str(b, db->n++ ? ",\n  {\n    \"directory\": " : "[\n  {\n    \"directory\": ");
	json_string(b, dir);
	buf_append_str(b, ",\n    \"file\": ");
	json_string(b, file);
	buf_append_str(b, ",\n    \"output\": ");
	json_string(b, output);
	buf_append_str(b, ",\n    \"arguments\": [");
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_append_str(b, ", ");
		json_string(b, argv[i]);
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
