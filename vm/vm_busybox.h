/* vm_busybox: the busybox of a guest of another arch than this machine's,
 * found once for vmtest (which boots with it) and doctor (which checks it):
 * the program or package $BUSYBOX_<ARCH> names, else the newest
 * busybox-static_*_<DEB_ARCH>.deb in bpfpack's cache or apt's archive
 * cache. A package's bin/busybox (usr/bin/busybox since trixie's merged
 * /usr) is extracted into a directory the caller gives. */
#ifndef BPFPACK_VM_BUSYBOX_H
#define BPFPACK_VM_BUSYBOX_H

#include <stdbool.h>
#include <stddef.h>

struct vm_busybox {
	char *path;	/* the program to use (extracted from SOURCE when FROM_DEB) */
	char *source;	/* the program or package it came from */
	bool from_deb;
	char *member;	/* FROM_DEB: the package's file it is ("bin/busybox") */
	char *fix;	/* what the user can do when it failed */
};

/* Finds the busybox for guests of ARCH ("arm64"; DEB_ARCH: its Debian
 * name) looking in CACHE_DIR (may be NULL) and apt's cache; a package's
 * busybox is extracted into WORK_DIR. Returns 0, or -errno with WHY
 * saying what is missing and B->fix what to do (nothing is reported: vmtest
 * and doctor say it their way). Free B with vm_busybox_free(). */
int vm_busybox_find(const char *arch, const char *deb_arch, const char *cache_dir,
		    const char *work_dir, struct vm_busybox *b, char *why, size_t why_len);
void vm_busybox_free(struct vm_busybox *b);

#endif
