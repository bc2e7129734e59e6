/* test_json: the kit's JSON writer escapes every string so the document
 * stays valid (quotes, control bytes, invalid UTF-8 as U+FFFD, overlong
 * forms and surrogates), lays out members as asked, and closes whatever is
 * still open when a command stops midway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/json.h"

static void escapes_to(const char *in, size_t len, const char *want)
{
	struct buf b = {0};

	json_escape(&b, in, len);
	buf_append(&b, "", 0);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void test_escape(void **state)
{
	(void)state;
	escapes_to("plain", 5, "\"plain\"");
	escapes_to("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	escapes_to("l1\nl2\tx\r", 8, "\"l1\\nl2\\tx\\r\"");
	escapes_to("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	escapes_to("nul\0in", 6, "\"nul\\u0000in\"");
	/* Valid UTF-8 passes through: é, €, 😀. */
	escapes_to("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* A lone continuation byte, a cut-off sequence, a byte never valid. */
	escapes_to("a\x80z", 3, "\"a\\ufffdz\"");
	escapes_to("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	escapes_to("\xff", 1, "\"\\ufffd\"");
	/* Overlong "/", a UTF-16 surrogate, past U+10FFFF. */
	escapes_to("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	escapes_to("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	escapes_to("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_layout(void **state)
{
	struct json j;

	(void)state;
	json_init(&j, 1);
	json_object_begin(&j);
	json_key(&j, "name");
	json_string(&j, "x");
	json_key(&j, "list");
	json_array_begin(&j);
	json_int(&j, -1);
	json_uint(&j, 2);
	json_bool(&j, true);
	json_null(&j);
	json_double(&j, 1.5, 2);
	json_array_end(&j);
	json_key(&j, "empty");
	json_object_begin(&j);
	json_object_end(&j);
	json_key(&j, "none");
	json_string(&j, NULL);
	json_object_end(&j);
	assert_string_equal(json_finish(&j),
			    "{\n  \"name\": \"x\",\n  \"list\": [-1, 2, true, null, 1.50],\n"
			    "  \"empty\": {},\n  \"none\": null\n}\n");
	json_free(&j);

	json_init(&j, 0);
	json_array_begin(&j);
	json_object_begin(&j);
	json_key(&j, "a");
	json_int(&j, 1);
	json_key(&j, "b");
	json_int(&j, 2);
	json_object_end(&j);
	json_array_end(&j);
	assert_string_equal(json_finish(&j), "[{\"a\": 1, \"b\": 2}]\n");
	json_free(&j);
}

/* A command that fails midway (inside an array, after a key) still leaves
 * a complete document. */
static void test_closes_what_is_open(void **state)
{
	struct json j;

	(void)state;
	json_init(&j, 0);
	json_object_begin(&j);
	json_key(&j, "programs");
	json_array_begin(&j);
	json_object_begin(&j);
	json_key(&j, "name");
	assert_string_equal(json_finish(&j), "{\"programs\": [{\"name\": null}]}\n");
	json_free(&j);

	/* Nothing written: nothing to print. */
	json_init(&j, 0);
	assert_string_equal(json_finish(&j), "");
	json_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_closes_what_is_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
