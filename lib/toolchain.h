/* toolchain: finding the programs and files a build needs (clang, bpftool, the
 * C compiler, libbpf's headers and static libraries) and what clang knows
 * about its own include directories, for this machine or, with a target
 * architecture, for cross builds. CLANG, BPFTOOL and CC override the search;
 * for a cross build CROSS_COMPILE (a prefix such as "aarch64-linux-gnu-")
 * names the cross toolchain. */
#ifndef BPFPACK_TOOLCHAIN_H
#define BPFPACK_TOOLCHAIN_H

#include <stdbool.h>

#include "buf.h"
#include "proc.h"

/* A target architecture: the names each part of the build uses for it. */
struct toolchain_arch {
	const char *name;	/* btfhub's and --arch's name: "x86_64", "arm64" */
	const char *bpf_name;	/* the kernel's, for -D__TARGET_ARCH_<bpf_name>: "x86", "arm64" */
	const char *triplet;	/* GNU multiarch triplet: "x86_64-linux-gnu", "aarch64-linux-gnu" */
	const char *deb_arch;	/* Debian's architecture: "amd64", "arm64" */
	const char *uname;	/* uname -m: "x86_64", "aarch64" */
	unsigned int elf_machine;	/* e_machine of its programs: EM_X86_64, EM_AARCH64 */
};

/* The architecture NAME names ("x86_64", "amd64", "x86"; "arm64", "aarch64"),
 * or NULL. */
const struct toolchain_arch *toolchain_arch_find(const char *name);
/* The architecture whose programs have ELF e_machine MACHINE (EM_AARCH64 ->
 * arm64), or NULL. */
const struct toolchain_arch *toolchain_arch_by_elf_machine(unsigned int machine);
/* This machine's architecture, or NULL when bpfpack knows no target for it. */
const struct toolchain_arch *toolchain_arch_host(void);
/* Whether building for ARCH is a cross build (ARCH is not this machine's). */
bool toolchain_arch_is_cross(const struct toolchain_arch *arch);
/* "x86_64, arm64": the names --arch takes, for messages. */
const char *toolchain_arch_list(void);
/* The Debian package of the cross C compiler for ARCH ("gcc-aarch64-linux-gnu"),
 * for hints; static storage. */
const char *toolchain_cross_gcc_package(const struct toolchain_arch *arch);

struct toolchain {
	char *clang;		/* full path */
	char *bpftool;		/* full path */
	char *cc;		/* full path */
	struct strv clang_sys_includes;	/* clang's own system include dirs, for -idirafter */
	int clang_major;	/* set by toolchain_probe_includes(); 0: unknown */
	/* Set by toolchain_find_for(): */
	const struct toolchain_arch *arch;	/* the target; NULL: this machine's */
	char *ar;		/* full path: $AR or ar; for a cross target, PREFIXar */
	char *objcopy;		/* full path: $OBJCOPY or objcopy; cross: PREFIXobjcopy */
};

/* Finds clang, bpftool and cc. Reports the first one missing and returns
 * -ENOENT. */
int toolchain_find(struct toolchain *tc);
/* Finds clang, bpftool and the C compiler, ar and objcopy that build for
 * ARCH (NULL or this machine's architecture: toolchain_find() plus $AR/ar and
 * $OBJCOPY/objcopy; another one: PREFIXgcc, PREFIXar and PREFIXobjcopy with
 * PREFIX from CROSS_COMPILE, else "<triplet>-"). Reports the first one
 * missing and returns -ENOENT. */
int toolchain_find_for(struct toolchain *tc, const struct toolchain_arch *arch);
/* The cross program PREFIX+TOOL for ARCH ("gcc", "ar", "objcopy"), found in
 * PATH; NULL when it is not there. *NAME (may be NULL) gets the name looked
 * for, malloc'd. */
char *toolchain_find_cross(const struct toolchain_arch *arch, const char *tool, char **name);
/* Fills tc->clang_sys_includes and tc->clang_major (from `clang -v`),
 * using CACHE_PATH (may be NULL) to skip running clang when the same clang
 * binary was asked before. For a cross
 * target (tc->arch), the host's multiarch include directory
 * (/usr/include/x86_64-linux-gnu) is replaced by the target's when that
 * exists, so <asm/...> headers are the target's. */
int toolchain_probe_includes(struct toolchain *tc, const char *cache_path);
/* The same in two steps, so the caller can work while clang runs: start
 * (0 or -errno; nothing to finish then), then finish (0 or -errno, reported)
 * before tc's include dirs are used. */
struct toolchain_probe {
	bool done;		/* answered from the cache, or finished */
	struct proc_capture run;
	struct buf key;
	char *cache_path;
};
int toolchain_probe_start(struct toolchain *tc, const char *cache_path, struct toolchain_probe *pr);
int toolchain_probe_finish(struct toolchain *tc, struct toolchain_probe *pr);
void toolchain_free(struct toolchain *tc);

/* Individual lookups (doctor uses them to report each one on its own);
 * NULL when not found. Each honours its environment variable. */
char *toolchain_find_clang(void);
char *toolchain_find_bpftool(void);
char *toolchain_find_cc(void);
/* The clang major version from `clang --version`, or -errno. */
int toolchain_clang_major(const char *clang);

/* bpfpack's own data: the directory holding templates/, include/ and runtime/
 * (the source tree, or PREFIX/share/bpfpack once installed). BPFPACK_HOME
 * overrides. toolchain_data_dir_find() returns NULL when there is none;
 * toolchain_data_dir_require() then also reports it in one line with the
 * fix; toolchain_data_dir() returns "." instead. */
const char *toolchain_data_dir_find(void);
const char *toolchain_data_dir_require(void);
const char *toolchain_data_dir(void);

#endif
