/* inspect: `bpfpack inspect TOOL` shows, without running the tool, what a
 * bpfpack-built binary carries: its BPF programs and the kernels of its
 * embedded BTF set. It reads the set with the runtime's own reader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "cmd.h"
#include "../btfhub/embed.h"
#include "../formats/elf_file.h"
#include "../lib/buf.h"
#include "../lib/json.h"
#include "../lib/report.h"
#include "../runtime/btfset.h"

/* With J, adds to the JSON document; else prints text. */
static int print_programs(const struct buf *obj, const char *tool, struct json *j)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "tool");
	struct bpf_object *o = bpf_object__open_mem(obj->data, obj->len, &opts);
	struct bpf_program *prog;
	int n = 0;

	if (!o) {
		report_error("%s: its BPF object (section %s) does not open: %s", tool,
			     EMBED_SECTION_OBJ, strerror(errno));
		return -EINVAL;
	}
	if (!j) {
		printf("BPF object: %zu bytes\n", obj->len);
	} else {
		json_key(j, "bpf_object_bytes");
		json_uint(j, obj->len);
		json_key(j, "programs");
		json_array_begin(j);
	}
	bpf_object__for_each_program(prog, o) {
		if (j) {
			json_object_begin(j);
			json_key(j, "name");
			json_string(j, bpf_program__name(prog));
			json_key(j, "section");
			json_string(j, bpf_program__section_name(prog));
			json_object_end(j);
		} else {
			printf("  program %-24s %s\n", bpf_program__name(prog),
			       bpf_program__section_name(prog));
		}
		n++;
	}
	if (j)
		json_array_end(j);
	bpf_object__close(o);
	return 0;
}

static int print_btfset(const struct buf *sec, const struct buf *obj, const char *tool,
			struct json *j)
{
	struct btfset *set;
	char err[256];
	uint32_t nk, nb;
	uint32_t *users;
	uint32_t *sizes;

	if (btfset_open_dict(sec->data, sec->len, obj->data, obj->len, &set, err, sizeof(err)) < 0) {
		report_error("%s: its embedded BTF set is damaged: %s", tool, err);
		return -EINVAL;
	}
	nk = btfset_kernel_count(set);
	nb = btfset_blob_count(set);
	users = calloc(nb ? nb : 1, sizeof(*users));
	sizes = calloc(nb ? nb : 1, sizeof(*sizes));
	for (uint32_t i = 0; i < nk; i++) {
		const struct btfset_kernel *k = btfset_kernel_at(set, i);

		if (k->blob < nb)
			users[k->blob]++;
	}
	for (uint32_t b = 0; b < nb; b++) {
		const void *data;

		if (btfset_blob_get(set, b, &data, &sizes[b], err, sizeof(err)) < 0) {
			report_error("%s: embedded BTF blob %u is damaged: %s", tool, b, err);
			free(users);
			free(sizes);
			btfset_close(set);
			return -EINVAL;
		}
	}
	if (j) {
		json_key(j, "btf");
		json_object_begin(j);
		json_key(j, "section_bytes");
		json_uint(j, sec->len);
		json_key(j, "kernels");
		json_array_begin(j);
		for (uint32_t i = 0; i < nk; i++) {
			const struct btfset_kernel *k = btfset_kernel_at(set, i);

			json_object_begin(j);
			json_key(j, "distro");
			json_string(j, k->distro);
			json_key(j, "version");
			json_string(j, k->version);
			json_key(j, "arch");
			json_string(j, k->arch);
			json_key(j, "release");
			json_string(j, k->release);
			json_key(j, "blob");
			json_uint(j, k->blob);
			json_object_end(j);
		}
		json_array_end(j);
		json_key(j, "blobs");
		json_array_begin(j);
		for (uint32_t b = 0; b < nb; b++) {
			json_object_begin(j);
			json_key(j, "bytes");
			json_uint(j, sizes[b]);
			json_key(j, "kernels");
			json_uint(j, users[b]);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	} else {
		size_t raw = 0;

		for (uint32_t b = 0; b < nb; b++)
			raw += sizes[b];
		printf("embedded BTF: %u kernel%s, %u distinct blob%s (%zu bytes), section %zu bytes\n",
		       nk, nk == 1 ? "" : "s", nb, nb == 1 ? "" : "s", raw, sec->len);
		printf("  %-10s %-8s %-8s %-36s %s\n", "DISTRO", "VERSION", "ARCH", "RELEASE", "BLOB");
		for (uint32_t i = 0; i < nk; i++) {
			const struct btfset_kernel *k = btfset_kernel_at(set, i);

			printf("  %-10s %-8s %-8s %-36s %u\n", *k->distro ? k->distro : "-",
			       *k->version ? k->version : "-", *k->arch ? k->arch : "-", k->release,
			       k->blob);
		}
		printf("  %-5s %-8s %s\n", "BLOB", "BYTES", "KERNELS");
		for (uint32_t b = 0; b < nb; b++)
			printf("  %-5u %-8u %u\n", b, sizes[b], users[b]);
	}
	free(users);
	free(sizes);
	btfset_close(set);
	return 0;
}

struct inspect_args {
	bool json;
};

static const struct opt inspect_options[] = {
	OPT_FLAG(0, "json", struct inspect_args, json, "the same as JSON"),
	OPT_END(),
};

static const char *const inspect_synopsis[] = { "TOOL [--json]", NULL };

const struct command command_inspect = {
	.name = "inspect",
	.path = "inspect",
	.fn = cmd_inspect,
	.summary = "show what a built tool carries (programs, embedded BTF)",
	.synopsis = inspect_synopsis,
	.description = "Lists, without running TOOL, its BPF programs and the kernels of its embedded\n"
		       "BTF set: distro, version, arch, release, which distinct blob each uses, and\n"
		       "the sizes.\n",
	.options = inspect_options,
	.operands = "@file",
};

int cmd_inspect(int argc, char **argv)
{
	struct inspect_args a = {0};
	struct buf obj = {0}, sec = {0};
	struct stat st;
	struct json doc, *j = NULL;
	bool json;
	const char *tool;
	int n, rc;

	n = cmd_parse_options(&command_inspect, argc, argv, &a, 0);
	if (n < 0)
		return n == PARSE_OPT_HELP ? 0 : n;
	if (n != 1) {
		report_error("%s", n == 0 ? "missing TOOL" : "inspect takes one TOOL");
		cmd_usage_hint(&command_inspect);
		return -EUSAGE;
	}
	json = a.json;
	tool = argv[1];
	if (stat(tool, &st) < 0) {
		rc = -errno;
		report_error("cannot read %s: %s", tool, strerror(errno));
		return rc;
	}
	rc = elf_file_read_section(tool, EMBED_SECTION_OBJ, &obj, NULL);
	if (rc == -ENOENT)
		report_error("%s was not built by bpfpack: it has no %s section", tool, EMBED_SECTION_OBJ);
	if (rc < 0)
		return rc;
	/* The JSON document is written whole at the end: when a step fails it
	 * is still valid, with "error" saying which part is missing. */
	if (json) {
		json_init(&doc, 1);
		json_object_begin(&doc);
		json_key(&doc, "tool");
		json_string(&doc, tool);
		json_key(&doc, "bytes");
		json_int(&doc, (long long)st.st_size);
		j = &doc;
	} else {
		printf("%s: %lld bytes\n", tool, (long long)st.st_size);
	}
	libbpf_set_print(NULL);
	rc = print_programs(&obj, tool, j);
	if (rc == 0) {
		rc = elf_file_read_section(tool, EMBED_SECTION_BTF, &sec, NULL);
		if (rc == -ENOENT) {
			if (j) {
				json_key(j, "btf");
				json_null(j);
			} else {
				printf("embedded BTF: none (the tool needs a kernel with BTF; "
				       "`bpfpack btf embed` adds it)\n");
			}
			rc = 0;
		} else if (rc == 0) {
			rc = print_btfset(&sec, &obj, tool, j);
		} else if (j) {
			json_key(j, "btf");
			json_null(j);
		}
	}
	if (j) {
		if (rc < 0) {
			json_key(j, "error");
			json_string(j, "the tool's BPF object or BTF set could not be read (see stderr)");
		}
		json_write(j, stdout);
		json_free(j);
	}
	buf_free(&obj);
	buf_free(&sec);
	return rc < 0 ? rc : 0;
}
