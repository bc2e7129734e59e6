/* btf_source: the one reader of kernel BTF sources, used everywhere a kernel
 * BTF is accepted. A source is the running kernel, a raw BTF file, a vmlinux
 * ELF with a .BTF section, a compressed kernel image (bzImage, vmlinuz,
 * Image.gz), a compressed file (vmlinux.xz, X.btf.gz), a tar archive
 * (btfhub-archive's <release>.btf.tar.xz), a directory in btfhub-archive
 * layout (<distro>/<version>/<arch>/<release>.btf.tar.xz), or a distro kernel
 * package (.deb) holding an image or a debug vmlinux. Kinds are told apart by
 * content, never by file name; callers never need to know which they got.
 *
 * Use: btf_source_expand() turns a path into kernel entries (cheaply, from
 * headers and names), btf_source_read_raw() pulls one entry's BTF bytes out,
 * btf_source_load() does both for a source that holds exactly one kernel.
 *
 * btfhub trees: a file that does not fit the layout (wrong depth, an arch
 * directory other than x86_64/arm64/aarch64, a name other than
 * <release>.btf.tar.xz or <release>.btf, a release with characters uname -r
 * never has) is skipped with one warning naming it and saying why; hidden
 * entries (.git) and documents (README*, LICENSE*, COPYING*, *.md, *.txt)
 * are skipped silently; a symlink to a directory is not followed (warning);
 * a kernel found twice (X.btf beside X.btf.tar.xz) is kept once (warning);
 * a tree with no kernel at all is an error. Files of the tree are not
 * opened while listing: a broken archive is reported when it is read. Archives are never extracted to disk, but an entry whose path
 * leaves the archive's directory (absolute, "..", a symlink or hardlink
 * pointing outside) makes the whole archive an error: such an archive was
 * not made by btfhub and is not to be trusted. A .deb's data.tar is read only
 * as far as its kernel (boot/vmlinuz-* comes early), so entries after it are
 * not checked: dpkg itself refuses such packages, and nothing is written. */
#ifndef BPFPACK_BTF_SOURCE_H
#define BPFPACK_BTF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"

struct btf;

/* Where the running kernel exposes its BTF. */
#define BTF_SOURCE_KERNEL_PATH "/sys/kernel/btf/vmlinux"

/* Which kernel a BTF belongs to, named as btfhub names it. */
struct btf_key {	/* "" when unknown */
	char distro[32];	/* btfhub distro id: "debian", "ubuntu", "centos", ... */
	char version[32];	/* distro version as btfhub names it: "12", "20.04", "7" */
	char arch[16];		/* btfhub arch: "x86_64" or "arm64" */
	char release[128];	/* kernel release, uname -r */
};

enum btf_source_kind {
	BTF_SOURCE_RAW = 1,	/* a raw BTF file (.btf, /sys/kernel/btf/vmlinux) */
	BTF_SOURCE_ELF,		/* a vmlinux ELF file with a .BTF section */
	BTF_SOURCE_IMAGE,	/* a compressed kernel image: bzImage, vmlinuz, EFI zboot */
	BTF_SOURCE_COMPRESSED,	/* one compressed file: vmlinux.xz, Image.gz, X.btf.zst */
	BTF_SOURCE_ARCHIVE,	/* a file in a tar archive: btfhub's <release>.btf.tar.xz */
	BTF_SOURCE_DEB,		/* the kernel in a .deb: boot/vmlinuz-* or a debug vmlinux */
};

struct btf_source_entry {
	struct btf_key key;
	char *path;	/* the file that holds this kernel's BTF */
	char *origin;	/* for messages, e.g. "debian/12/x86_64/6.1.0-50-amd64.btf.tar.xz" */
	int kind;	/* enum btf_source_kind */
	/* ARCHIVE, DEB: the member of PATH holding the kernel ("6.1.0-50-amd64.btf",
	 * "./boot/vmlinuz-6.1.0-50-amd64"); NULL for a btfhub archive found by
	 * walking a tree: its one BTF file, whatever it is named. */
	char *member;
	/* Declared a kernel without BTF of its own (check --no-kernel-btf,
	 * [btf] no_kernel_btf): this BTF stands in for it the way embedded BTF
	 * does, for CO-RE relocations only. */
	bool no_kernel_btf;
};

struct btf_source_list {
	struct btf_source_entry *v;
	size_t n;
	size_t cap;
};

/* Short name of a kind for messages and listings ("raw BTF", "kernel image"). */
const char *btf_source_kind_name(int kind);

/* Expands PATH (any source file, or a directory in btfhub-archive layout) into
 * kernel entries appended to LIST; cheap: reads only headers / names, does not
 * decompress whole kernels. The key comes from the btfhub path when there is
 * one, else from the content (the "Linux version <release>" banner of an
 * ELF/image, the .deb's package name/version: Debian version suffixes like
 * +deb12u1, ~deb11, ~bpo12 give the distro version) or the file name.
 * Reports and returns -errno on failure (LIST keeps what it had before). */
int btf_source_expand(const char *path, struct btf_source_list *list);

/* Reads the raw BTF bytes (the .BTF section / the .btf file) of one entry into
 * OUT (replacing its contents), decompressing and extracting in memory as
 * needed. Checks that the BTF header fits the bytes (a truncated file is
 * an error), not that libbpf can parse them. Reports and returns -errno. */
int btf_source_read_raw(const struct btf_source_entry *e, struct buf *out);

/* Like btf_source_read_raw(), but leaves the BTF in FD (from offset 0, FD
 * truncated to its length; older bytes in FD are overwritten in place) and
 * its length in *LEN. A btfhub archive's member is decompressed straight into
 * FD, never held whole in memory. Reports and returns -errno. */
int btf_source_read_raw_fd(const struct btf_source_entry *e, int fd, size_t *len);

/* Loads the kernel BTF at PATH (NULL: the running kernel's) into *OUT, which
 * the caller frees with btf__free(). PATH must hold exactly one kernel (a
 * directory or archive with several is an error that says how many and hints
 * at picking one). Returns 0, or a negative errno after reporting one line:
 * missing file, not a BTF source (naming what it is instead), truncated or
 * corrupt BTF, a kernel without BTF, an archive or package without a kernel. */
int btf_source_load(const char *path, struct btf **out);

/* Parses the BTF bytes of entry E (from btf_source_read_raw) with libbpf,
 * reporting corrupt or empty BTF against E's name. */
int btf_source_parse(const struct btf_source_entry *e, const struct buf *raw, struct btf **out);

void btf_source_list_free(struct btf_source_list *list);

/* Writes the vmlinux with debug info of the .deb at PATH (a -dbg or -dbgsym
 * package: usr/lib/debug/boot/vmlinux-*) to FD, for pahole; *MEMBER gets its
 * path in the package (malloc'd). Reports and returns -errno; -ENOENT when
 * the package holds no such file. */
int btf_source_deb_extract(const char *path, int fd, char **member);

/* Key derivation, independent of the machine it runs on (never reads
 * /etc/os-release or uname). */

/* Fills K from a btfhub-archive path ".../<distro>/<version>/<arch>/<release>.btf.tar.xz"
 * (or "<release>.btf"): true when the last four components fit the layout;
 * else false with WHY (may be NULL) saying what does not fit. "aarch64" is
 * taken as "arm64". */
bool btf_key_from_btfhub_path(const char *path, struct btf_key *k, char *why, size_t why_len);

/* What is known about a kernel besides its BTF; NULL when unknown. */
struct btf_key_hints {
	const char *release;	/* uname -r */
	const char *banner;	/* after "Linux version ": "6.1.0-50-amd64 (debian-kernel@...) ... Debian 6.1.176-1 (...)" */
	const char *pkg_version;	/* package version: "6.1.176-1", "6.12.95-1~bpo12+1" */
	const char *pkg_arch;	/* package architecture: "amd64", "arm64" */
	const char *maintainer;	/* package maintainer: "Debian Kernel Team <debian-kernel@lists.debian.org>" */
	const char *arch;	/* from the binary: "x86_64", "arm64" */
	const char *file_name;	/* to fall back on for the release: "vmlinuz-6.1.0-50-amd64", "6.1.0-50-amd64.btf" */
};

/* Fills the fields of K that are "" from HINTS: the release (or the one in
 * the file name); the distro and its version from the release's and
 * package version's suffixes (+deb12, 0.deb11., ~bpo12, ~20.04, .el7, .fc38,
 * amzn2), the banner ("Debian", "-Ubuntu") and the maintainer, falling back
 * on which kernel series each Debian and Ubuntu release shipped; the arch
 * from the binary, the package or the release's flavour. Unknown stays "". */
void btf_key_derive(struct btf_key *k, const struct btf_key_hints *hints);

/* "debian/12/x86_64/6.1.0-50-amd64" with "?" for unknown parts, into OUT. */
const char *btf_key_format(const struct btf_key *k, char *out, size_t size);

/* --filter: comma-separated terms; each is DISTRO, DISTRO:VERSION, an arch
 * (x86_64, arm64, aarch64 = arm64; amd64 = x86_64) or release=R (the kernel
 * release, uname -r, exactly or as a glob: release=6.1.192, release=4.*; the
 * "=" sets it apart from the others, which never contain one). A kernel
 * passes when it matches one of the distro terms (if any were given), one of
 * the arch terms (if any) and one of the release terms (if any). A kernel
 * whose distro, arch or release is unknown fails a filter that names them. */
struct btf_filter_term {
	char distro[32];
	char version[32];	/* "" matches every version */
};

struct btf_filter {
	struct btf_filter_term *distros;
	size_t n_distros;
	bool x86_64;		/* arch terms given */
	bool arm64;
	char **releases;	/* release=R terms: fnmatch patterns */
	size_t n_releases;
};

/* -EINVAL + report on a bad spec (empty term, "debian:", bad characters);
 * F is left empty then. An empty spec is an error too: pass no filter. */
int btf_filter_parse(const char *spec, struct btf_filter *f);
bool btf_filter_match(const struct btf_filter *f, const struct btf_key *k);
void btf_filter_free(struct btf_filter *f);

#endif
