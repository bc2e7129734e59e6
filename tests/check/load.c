/* load: what a kernel really does with BPF objects, for comparing with
 * `bpfpack check`'s prediction in VMs (tests/vm/check.sh,
 * tests/e2e/t-check-vm.sh). For each OBJECT: libbpf opens and loads it, then
 * every program is attached; prints one line "NAME VERDICT" (ok, load-fail,
 * attach-fail; NAME is the object's base name without .bpf.o) and, on
 * failure, libbpf's last message as "# ..." lines. Exit status 0 whatever
 * the verdicts (they are the output). Built static, so it runs in vmtest's
 * busybox guest.
 *
 *   load [--btf FILE] OBJECT...
 *
 * --btf FILE: on a kernel without BTF (no /sys/kernel/btf/vmlinux), libbpf
 * gets FILE as btf_custom_path, which is what a tool with embedded BTF does
 * there (the runtime hands libbpf the matching BTF): CO-RE relocations are
 * resolved against FILE; what needs the kernel's own BTF still fails. On a
 * kernel with BTF, FILE is not used. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static char last[1024];

static int keep_last(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		vsnprintf(last, sizeof(last), fmt, ap);
		last[strcspn(last, "\n")] = '\0';
	}
	return 0;
}

static const char *name_of(const char *path, char *out, size_t size)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	snprintf(out, size, "%.*s", (int)(strstr(b, ".bpf.o") ? (size_t)(strstr(b, ".bpf.o") - b) : strlen(b)), b);
	return out;
}

int main(int argc, char **argv)
{
	const char *btf = NULL;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--btf")) {
		/* As the runtime: the kernel's own BTF first, FILE only without it. */
		if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
			btf = argv[2];
		i = 3;
	}
	libbpf_set_print(keep_last);
	for (; i < argc; i++) {
		LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf);
		struct bpf_object *obj;
		struct bpf_program *p;
		const char *verdict = "ok";
		char name[256];

		last[0] = '\0';
		name_of(argv[i], name, sizeof(name));
		obj = bpf_object__open_file(argv[i], &oo);
		if (!obj) {
			printf("%s load-fail\n# open: %s\n", name, last);
			continue;
		}
		if (bpf_object__load(obj)) {
			verdict = "load-fail";
		} else {
			bpf_object__for_each_program(p, obj) {
				/* EOPNOTSUPP: libbpf cannot attach it on its own (xdp,
				 * tc, a kprobe without a function in its section):
				 * the tool attaches it with what it knows. */
				if (!bpf_program__attach(p) && errno != EOPNOTSUPP) {
					verdict = "attach-fail";
					break;
				}
			}
		}
		printf("%s %s\n", name, verdict);
		if (strcmp(verdict, "ok"))
			printf("# %s\n", last);
		fflush(stdout);
		bpf_object__close(obj);
	}
	return 0;
}
