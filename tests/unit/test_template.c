/* test_template: template_render replaces {{NAME}} and {{NAME_UPPER}} and
 * refuses unknown, unterminated and split placeholders; template_instantiate
 * renders a template directory (names, contents, modes, subdirectories),
 * skips DESCRIPTION and refuses links and names that would leave the
 * project; template_list and template_summary read the templates dir. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/buf.h"
#include "../../lib/fs.h"
#include "../../lib/proc.h"
#include "../../lib/project.h"
#include "../../lib/template.h"

static const struct template_vars vars_demo = { .name = "my_tool1" };

/* Renders TEXT (a C string) with VARS; returns the code, output in OUT. */
static int render(const char *text, const struct template_vars *vars, struct buf *out)
{
	return template_render(text, strlen(text), vars, "test", out);
}

static void check_render(const char *text, const char *expected)
{
	struct buf out = {0};

	assert_int_equal(render(text, &vars_demo, &out), 0);
	assert_non_null(out.data);
	assert_string_equal(out.data, expected);
	assert_int_equal(out.len, strlen(expected));
	buf_free(&out);
}

/* Renders TEXT, expecting -EINVAL and one reported line that holds WHY. */
static void check_render_einval_says(const char *text, const char *why)
{
	struct buf out = {0}, err = {0};
	int saved = dup(2), fd = memfd_create("stderr", MFD_CLOEXEC), rc;

	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	rc = render(text, &vars_demo, &out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(proc_capture_read(fd, &err), 0);
	close(fd);
	fputs(err.data, stderr);
	assert_int_equal(rc, -EINVAL);
	/* The user sees one line, naming where it is and what is wrong. */
	assert_non_null(strstr(err.data, "test: "));
	assert_non_null(strstr(err.data, why));
	assert_non_null(strchr(err.data, '\n'));
	assert_true(strchr(err.data, '\n') == err.data + err.len - 1);
	buf_free(&err);
	buf_free(&out);
}

static void test_render_placeholders(void **state)
{
	(void)state;
	check_render("hello {{NAME}}, {{NAME_UPPER}}!\n", "hello my_tool1, MY_TOOL1!\n");
	check_render("#ifndef __{{NAME_UPPER}}_H\n#include \"{{NAME}}.skel.h\"\n",
		     "#ifndef __MY_TOOL1_H\n#include \"my_tool1.skel.h\"\n");
	check_render("{{NAME}}", "my_tool1");
	/* Only a-z change case. */
	{
		const struct template_vars mixed = { .name = "Ab_9z" };
		struct buf out = {0};

		assert_int_equal(render("{{NAME_UPPER}}/{{NAME}}", &mixed, &out), 0);
		assert_string_equal(out.data, "AB_9Z/Ab_9z");
		buf_free(&out);
	}
}

static void test_render_no_placeholders(void **state)
{
	struct buf out = {0};
	static const char bin[] = { 'a', '\0', 'b', '\n', '\0' };

	(void)state;
	check_render("int main(void)\n{\n\treturn 0;\n}\n", "int main(void)\n{\n\treturn 0;\n}\n");
	check_render("", "");
	/* Bytes after a NUL are kept too: LEN counts, not strlen. */
	assert_int_equal(template_render(bin, sizeof(bin), &vars_demo, "test", &out), 0);
	assert_int_equal(out.len, sizeof(bin));
	assert_memory_equal(out.data, bin, sizeof(bin));
	/* OUT is replaced, not appended to. */
	assert_int_equal(render("x", &vars_demo, &out), 0);
	assert_string_equal(out.data, "x");
	buf_free(&out);
}

static void test_render_adjacent(void **state)
{
	(void)state;
	check_render("{{NAME}}{{NAME}}", "my_tool1my_tool1");
	check_render("{{NAME_UPPER}}{{NAME}}.", "MY_TOOL1my_tool1.");
}

static void test_render_lone_braces(void **state)
{
	(void)state;
	check_render("struct x { int a; };\n", "struct x { int a; };\n");
	check_render("{", "{");
	check_render("}", "}");
	check_render("}}", "}}");
	check_render("{NAME}", "{NAME}");
	check_render("{ {NAME} }", "{ {NAME} }");
	check_render("a}}b{{NAME}}", "a}}bmy_tool1");
	check_render("{{NAME}}}", "my_tool1}");
}

static void test_render_unknown_placeholder(void **state)
{
	(void)state;
	check_render_einval_says("{{FOO}}", "unknown placeholder '{{FOO}}'");
	check_render_einval_says("x {{name}} y", "unknown placeholder '{{name}}'");
	check_render_einval_says("{{ NAME }}", "unknown placeholder '{{ NAME }}'");
	check_render_einval_says("{{}}", "unknown placeholder '{{}}'");
	check_render_einval_says("{{NAME}} then {{NAMES}}", "unknown placeholder '{{NAMES}}'");
}

static void test_render_unterminated(void **state)
{
	(void)state;
	check_render_einval_says("{{", "unterminated placeholder");
	check_render_einval_says("abc {{NAME", "unterminated placeholder");
	check_render_einval_says("{{NAME}", "unterminated placeholder");
	check_render_einval_says("ok {{NAME}} but not {{NAME_UPPER", "unterminated placeholder");
}

static void test_render_split_across_newline(void **state)
{
	(void)state;
	/* Unterminated on its line, not an unknown name with a newline in it. */
	check_render_einval_says("{{NA\nME}}", "unterminated placeholder");
	check_render_einval_says("{{NAME\n}}", "unterminated placeholder");
	check_render_einval_says("{{\nNAME}}", "unterminated placeholder");
	/* The "}}" on a later line does not close it, even after a good one. */
	check_render_einval_says("{{NAME}}\n{{NAME\n}}\n", "unterminated placeholder");
}

/* A temp dir holding templates/ and a destination for instantiating. */
struct fixture {
	char *dir;
	char *templates;
	char *dest;
};

static char *path2(const char *a, const char *b)
{
	return fs_path_join(a, b);
}

static void write_file(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char *p = path2(dir, rel);
	char *parent = fs_dirname(p);

	assert_int_equal(fs_mkdir_p(parent, 0755), 0);
	assert_int_equal(fs_write_atomic(p, text, strlen(text), mode), 0);
	free(parent);
	free(p);
}

/* The content of DIR/REL, or NULL when it does not exist. malloc'd. */
static char *read_text(const char *dir, const char *rel)
{
	char *p = path2(dir, rel);
	struct buf b = {0};

	if (!fs_exists(p)) {
		free(p);
		return NULL;
	}
	assert_int_equal(fs_read_file(p, &b), 0);
	free(p);
	return b.data;
}

static bool exists_in(const char *dir, const char *rel)
{
	char *p = path2(dir, rel);
	struct stat st;
	bool found = lstat(p, &st) == 0;

	free(p);
	return found;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (fs_mkdtemp("bpfpack-test-template", &f->dir) < 0) {
		free(f);
		return -1;
	}
	f->templates = path2(f->dir, "templates");
	f->dest = path2(f->dir, "dest");
	if (fs_mkdir_p(f->templates, 0755) < 0 || fs_mkdir_p(f->dest, 0755) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fs_rm_rf(f->dir);
	free(f->dir);
	free(f->templates);
	free(f->dest);
	free(f);
	return 0;
}

static void test_instantiate_renders_tree(void **state)
{
	struct fixture *f = *state;
	const struct template_vars vars = { .name = "demo" };
	char *text, *p;
	struct stat st;

	write_file(f->templates, "basic/DESCRIPTION", "a basic tool\nsecond line\n", 0644);
	write_file(f->templates, "basic/{{NAME}}.bpf.c",
		   "// {{NAME}}\n#include \"{{NAME}}.h\"\nstruct s { int a; };\n", 0644);
	write_file(f->templates, "basic/{{NAME}}.h", "#ifndef __{{NAME_UPPER}}_H\n", 0644);
	write_file(f->templates, "basic/run-{{NAME}}.sh", "#!/bin/sh\nexec ./{{NAME}}\n", 0755);
	write_file(f->templates, "basic/README", "no placeholders { here }\n", 0644);
	write_file(f->templates, "basic/.gitignore", "/{{NAME}}\n/.output/\n", 0644);
	write_file(f->templates, "basic/sub_{{NAME}}/{{NAME_UPPER}}.txt", "in {{NAME}}\n", 0644);
	write_file(f->templates, "basic/sub_{{NAME}}/deeper/plain.txt", "plain\n", 0600);

	assert_int_equal(template_instantiate(f->templates, "basic", &vars, f->dest), 0);

	text = read_text(f->dest, "demo.bpf.c");
	assert_non_null(text);
	assert_string_equal(text, "// demo\n#include \"demo.h\"\nstruct s { int a; };\n");
	free(text);
	text = read_text(f->dest, "demo.h");
	assert_non_null(text);
	assert_string_equal(text, "#ifndef __DEMO_H\n");
	free(text);
	text = read_text(f->dest, "README");
	assert_non_null(text);
	assert_string_equal(text, "no placeholders { here }\n");
	free(text);
	text = read_text(f->dest, "sub_demo/DEMO.txt");
	assert_non_null(text);
	assert_string_equal(text, "in demo\n");
	free(text);
	text = read_text(f->dest, "sub_demo/deeper/plain.txt");
	assert_non_null(text);
	assert_string_equal(text, "plain\n");
	free(text);

	/* Unrendered names and DESCRIPTION are not there. */
	assert_false(exists_in(f->dest, "DESCRIPTION"));
	assert_false(exists_in(f->dest, "{{NAME}}.bpf.c"));
	assert_false(exists_in(f->dest, "sub_{{NAME}}"));
	/* Hidden files are template files too. */
	text = read_text(f->dest, ".gitignore");
	assert_non_null(text);
	assert_string_equal(text, "/demo\n/.output/\n");
	free(text);
	/* demo.bpf.c demo.h run-demo.sh README .gitignore sub_demo */
	assert_int_equal(count_entries(f->dest), 6);

	/* The executable bit is kept, and only there. */
	p = path2(f->dest, "run-demo.sh");
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(st.st_mode & S_IXUSR);
	free(p);
	p = path2(f->dest, "demo.h");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0111, 0);
	free(p);
	p = path2(f->dest, "sub_demo");
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(p);
}

static void test_instantiate_unknown_template(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(template_instantiate(f->templates, "nope", &vars_demo, f->dest), -ENOENT);
	assert_int_equal(count_entries(f->dest), 0);
}

static void test_instantiate_bad_placeholder(void **state)
{
	struct fixture *f = *state;

	write_file(f->templates, "bad/{{NAME}}.c", "int {{OOPS}};\n", 0644);
	assert_int_equal(template_instantiate(f->templates, "bad", &vars_demo, f->dest), -EINVAL);
	assert_false(exists_in(f->dest, "my_tool1.c"));

	write_file(f->templates, "badname/{{NAMEX}}.c", "int x;\n", 0644);
	assert_int_equal(template_instantiate(f->templates, "badname", &vars_demo, f->dest),
			 -EINVAL);
	assert_int_equal(count_entries(f->dest), 0);
}

static void test_instantiate_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	char *link = path2(f->templates, "linked/{{NAME}}.c");
	char *dlink = path2(f->templates, "linkdir/sub");

	write_file(f->templates, "linked/target.txt", "secret\n", 0644);
	assert_int_equal(symlink("target.txt", link), 0);
	assert_int_equal(template_instantiate(f->templates, "linked", &vars_demo, f->dest),
			 -EINVAL);
	/* Nothing written for the link: no file, no link, no temp file. */
	assert_false(exists_in(f->dest, "my_tool1.c"));
	assert_false(exists_in(f->dest, "{{NAME}}.c"));
	{
		DIR *d = opendir(f->dest);
		struct dirent *e;

		assert_non_null(d);
		while ((e = readdir(d)))
			assert_null(strstr(e->d_name, FS_TEMP_MARK));
		closedir(d);
	}

	/* A link to a directory is refused too, not followed. */
	write_file(f->dir, "outside/x.txt", "x\n", 0644);
	write_file(f->templates, "linkdir/plain.txt", "p\n", 0644);
	assert_int_equal(symlink("../../outside", dlink), 0);
	assert_int_equal(template_instantiate(f->templates, "linkdir", &vars_demo, f->dest),
			 -EINVAL);
	assert_false(exists_in(f->dest, "sub"));
	free(link);
	free(dlink);
}

static void test_instantiate_name_stays_inside(void **state)
{
	struct fixture *f = *state;
	const struct template_vars ok = { .name = "good" };
	const struct template_vars dotdot = { .name = ".." };
	const struct template_vars up = { .name = "../escaped" };
	const struct template_vars slash = { .name = "a/b" };
	char *abs_target = path2(f->dir, "abs_escaped");
	const struct template_vars absolute = { .name = abs_target };
	int before = count_entries(f->dir);
	char *text;

	write_file(f->templates, "named/{{NAME}}", "file {{NAME}}\n", 0644);

	assert_int_equal(template_instantiate(f->templates, "named", &dotdot, f->dest), -EINVAL);
	assert_int_equal(template_instantiate(f->templates, "named", &up, f->dest), -EINVAL);
	assert_int_equal(template_instantiate(f->templates, "named", &slash, f->dest), -EINVAL);
	assert_int_equal(template_instantiate(f->templates, "named", &absolute, f->dest),
			 -EINVAL);
	assert_false(exists_in(f->dir, "escaped"));
	assert_false(exists_in(f->dir, "abs_escaped"));
	assert_false(exists_in(f->dest, "a"));
	assert_int_equal(count_entries(f->dest), 0);
	assert_int_equal(count_entries(f->dir), before);

	/* The same for a directory whose name renders to "..". */
	write_file(f->templates, "nameddir/{{NAME}}/f.txt", "f\n", 0644);
	assert_int_equal(template_instantiate(f->templates, "nameddir", &dotdot, f->dest),
			 -EINVAL);
	assert_false(exists_in(f->dir, "f.txt"));
	assert_int_equal(count_entries(f->dest), 0);

	/* An ordinary name still works. */
	assert_int_equal(template_instantiate(f->templates, "named", &ok, f->dest), 0);
	text = read_text(f->dest, "good");
	assert_non_null(text);
	assert_string_equal(text, "file good\n");
	free(text);
	free(abs_target);
}

static void test_list_sorted(void **state)
{
	struct fixture *f = *state;
	struct strv names = {0};

	write_file(f->templates, "zeta/DESCRIPTION", "z\n", 0644);
	write_file(f->templates, "alpha/x.c", "\n", 0644);
	write_file(f->templates, "mid/x.c", "\n", 0644);
	write_file(f->templates, "Upper/x.c", "\n", 0644);
	write_file(f->templates, ".hidden/x.c", "\n", 0644);
	write_file(f->templates, "not-a-template.txt", "\n", 0644);

	assert_int_equal(template_list(f->templates, &names), 0);
	assert_int_equal(names.n, 4);
	assert_string_equal(names.v[0], "Upper");
	assert_string_equal(names.v[1], "alpha");
	assert_string_equal(names.v[2], "mid");
	assert_string_equal(names.v[3], "zeta");
	assert_null(names.v[4]);
	strv_free(&names);

	assert_true(template_list(f->dest, &names) == 0 && names.n == 0);
	strv_free(&names);
	{
		char *missing = path2(f->dir, "missing");

		assert_true(template_list(missing, &names) < 0);
		free(missing);
	}
	strv_free(&names);
}

static void test_summary_first_line(void **state)
{
	struct fixture *f = *state;
	char *s;

	write_file(f->templates, "two/DESCRIPTION", "First line here\nSecond line\n", 0644);
	write_file(f->templates, "one/DESCRIPTION", "only line, no newline", 0644);
	write_file(f->templates, "empty/DESCRIPTION", "", 0644);
	write_file(f->templates, "none/x.c", "\n", 0644);

	s = template_summary(f->templates, "two");
	assert_string_equal(s, "First line here");
	free(s);
	s = template_summary(f->templates, "one");
	assert_string_equal(s, "only line, no newline");
	free(s);
	s = template_summary(f->templates, "empty");
	assert_string_equal(s, "");
	free(s);
	s = template_summary(f->templates, "none");
	assert_string_equal(s, "");
	free(s);
	s = template_summary(f->templates, "does-not-exist");
	assert_string_equal(s, "");
	free(s);
}

/* The templates/ of this source tree, found from the working directory or
 * from BPFPACK_HOME; NULL when neither has one. */
static char *find_real_templates(void)
{
	const char *home = getenv("BPFPACK_HOME");
	char *p;

	if (home && *home) {
		p = path2(home, "templates");
		if (fs_is_dir(p))
			return p;
		free(p);
	}
	p = xstrdup("templates");
	if (fs_is_dir(p))
		return p;
	free(p);
	return NULL;
}

/* The shipped default template renders completely and gives a project with
 * exactly one tool of the chosen name. */
static void test_real_default_template(void **state)
{
	struct fixture *f = *state;
	const struct template_vars vars = { .name = "execsnoop2" };
	char *templates = find_real_templates();
	struct project p;
	char *summary;

	if (!templates)
		skip();
	assert_int_equal(template_instantiate(templates, TEMPLATE_DEFAULT, &vars, f->dest), 0);
	assert_false(exists_in(f->dest, "DESCRIPTION"));
	{
		DIR *d = opendir(f->dest);
		struct dirent *e;

		assert_non_null(d);
		while ((e = readdir(d))) {
			char *path, *text;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			assert_null(strstr(e->d_name, "{{"));
			path = path2(f->dest, e->d_name);
			if (!fs_is_dir(path)) {
				text = read_text(f->dest, e->d_name);
				assert_non_null(text);
				assert_null(strstr(text, "{{"));
				free(text);
			}
			free(path);
		}
		closedir(d);
	}
	assert_int_equal(project_discover(f->dest, &p), 0);
	assert_int_equal(project_scan(&p), 0);
	assert_int_equal(p.tools.n, 1);
	assert_string_equal(p.tools.v[0], "execsnoop2");
	project_free(&p);

	summary = template_summary(templates, TEMPLATE_DEFAULT);
	assert_true(strlen(summary) > 0);
	assert_null(strchr(summary, '\n'));
	free(summary);
	free(templates);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_placeholders),
		cmocka_unit_test(test_render_no_placeholders),
		cmocka_unit_test(test_render_adjacent),
		cmocka_unit_test(test_render_lone_braces),
		cmocka_unit_test(test_render_unknown_placeholder),
		cmocka_unit_test(test_render_unterminated),
		cmocka_unit_test(test_render_split_across_newline),
		cmocka_unit_test_setup_teardown(test_instantiate_renders_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instantiate_unknown_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instantiate_bad_placeholder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instantiate_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instantiate_name_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_first_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_default_template, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
