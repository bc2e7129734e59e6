/* vm_modules: kernel modules for a vmtest guest, from the Debian kernel
 * package its kernel came from. The cloud kernels build much as modules
 * (tc's sch_ingress/clsact, cls_bpf, ...), and a guest booted from a bare
 * image has none; `vmtest --modules NAME,...` takes each named module and
 * the modules it depends on (its .modinfo "depends=") from the package's
 * lib/modules/RELEASE/, decompressed when the package ships them compressed
 * (.ko.xz, .ko.zst, .ko.gz), and writes them with their load order as a
 * second initramfs, which the kernel unpacks over the first. The guest's
 * /init loads them with insmod, dependencies first, before the command. A
 * module the package lists in modules.builtin is part of the kernel: nothing
 * to load. */
#ifndef BPFPACK_VM_MODULES_H
#define BPFPACK_VM_MODULES_H

#include "../lib/buf.h"

/* Where the load order is in the guest: one module path a line. */
#define VM_MODULES_LIST "/etc/bpfpack-modules"

/* Finds NAMES (module names; '-' and '_' are the same) and what they depend
 * on in the package DEB of kernel RELEASE and writes them, with
 * VM_MODULES_LIST, as a gzip'd cpio archive at PATH. LOADED (may be NULL)
 * gets the modules to load in order, BUILTIN (may be NULL) those the kernel
 * has built in. Reports and returns -ENOENT when the package has no such
 * module, or another -errno. */
int vm_modules_write(const char *deb, const char *release, const struct strv *names,
		     const char *path, struct strv *loaded, struct strv *builtin);

/* Appends to INITRD (an initramfs file) the archive at EXTRA. Reports and
 * returns -errno on failure. */
int vm_modules_append(const char *initrd, const char *extra, const char *out);

#endif
