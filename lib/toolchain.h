/* toolchain: finding the programs and files a build needs (clang, bpftool, the
 * C compiler, libbpf's headers and static libraries) and what clang knows
 * about its own include directories. CLANG, BPFTOOL and CC override the search. */
#ifndef BPFPACK_TOOLCHAIN_H
#define BPFPACK_TOOLCHAIN_H

#include "buf.h"

struct toolchain {
	char *clang;		/* full path */
	char *bpftool;		/* full path */
	char *cc;		/* full path */
	struct strv clang_sys_includes;	/* clang's own system include dirs, for -idirafter */
};

/* Finds clang, bpftool and cc. Reports the first one missing and returns
 * -ENOENT. */
int toolchain_find(struct toolchain *tc);
/* Fills tc->clang_sys_includes, using CACHE_PATH (may be NULL) to skip
 * running clang when the same clang binary was asked before. */
int toolchain_probe_includes(struct toolchain *tc, const char *cache_path);
void toolchain_free(struct toolchain *tc);

/* Individual lookups (doctor uses them to report each one on its own);
 * NULL when not found. Each honours its environment variable. */
char *toolchain_find_clang(void);
char *toolchain_find_bpftool(void);
char *toolchain_find_cc(void);
/* The clang major version from `clang --version`, or -errno. */
int toolchain_clang_major(const char *clang);

/* bpfpack's own data: the directory holding templates/ and include/ (the
 * source tree, or PREFIX/share/bpfpack once installed). BPFPACK_HOME overrides. */
const char *toolchain_data_dir(void);

#endif
