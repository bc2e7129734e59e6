/* bpfpack.h: the runtime API that every tool built by bpfpack links (the
 * code is runtime/bpfpack_btf.c and runtime/btfset.c, compiled into the
 * tool). Its job: decide which kernel BTF libbpf should use on the machine the
 * tool runs on, including kernels without BTF, where the tool falls back on
 * the minimized BTF that `bpfpack build --btf SOURCE` embedded in its own
 * binary (ELF section BPFPACK_BTF_SECTION).
 *
 * Use, in the tool's main(), before opening the skeleton:
 *
 *	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
 *	if (bpfpack_btf_setup(&open_opts, "mytool", env.verbose))
 *		return 1;
 *	skel = mytool_bpf__open_opts(&open_opts);
 *	err = mytool_bpf__load(skel);
 *	bpfpack_btf_cleanup();	// right after load: libbpf has read the BTF
 *
 * The call is optional: `bpfpack build` links every tool with libbpf's
 * object-open functions wrapped (runtime/bpfpack_open.c), so an object opened
 * with no btf_custom_path gets the same choice anyway. Calling setup gives the
 * tool its own -v line and error handling, and nothing is decided twice.
 */
#ifndef BPFPACK_H
#define BPFPACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The non-allocated ELF section of a tool that holds its BTF set. */
#define BPFPACK_BTF_SECTION ".bpfpack.btf"
/* The non-allocated ELF section that holds the tool's BPF object: the
 * dictionary the set is compressed against. */
#define BPFPACK_OBJ_SECTION ".bpfpack.bpfobj"

struct bpf_object_open_opts;
struct btfset;

/* Decides which BTF libbpf should use for this kernel; when it is not the
 * kernel's own, sets opts->btf_custom_path. Call before NAME_bpf__open_opts().
 * PROG names the tool in messages; VERBOSE makes it say which BTF it chose
 * and why (one line on stderr). Returns 0, or a negative errno after printing
 * one clear line "PROG: ..." on stderr.
 *
 * Order: the kernel's own BTF when /sys/kernel/btf/vmlinux is readable
 * (btf_custom_path stays NULL); the file named by BPFPACK_BTF; a vmlinux with
 * BTF at one of libbpf's usual places for this release (/boot/vmlinux-R,
 * /lib/modules/R/vmlinux-R, /lib/modules/R/build/vmlinux,
 * /usr/lib/modules/R/kernel/vmlinux, /usr/lib/debug/boot/vmlinux-R,
 * /usr/lib/debug/boot/vmlinux-R.debug, /usr/lib/debug/lib/modules/R/vmlinux),
 * handed over explicitly; the BTF set embedded in the tool's own binary,
 * matched against /etc/os-release (else /usr/lib/os-release) and uname,
 * decompressed against the tool's BPF object (section BPFPACK_OBJ_SECTION), its
 * blob checked against its CRC32 and handed to libbpf through a memfd
 * (/proc/self/fd/N). BPFPACK_BTF_FORCE_EMBEDDED=1 skips straight to the
 * embedded set, even on a kernel with BTF (for tests). No other environment
 * variable is read, and in a process running with elevated privileges
 * (AT_SECURE: setuid, setgid or file capabilities) neither is: the caller
 * must not choose the file a privileged process parses (with VERBOSE it says
 * which variables it ignored). A btf_custom_path the tool already set is left
 * alone. */
int bpfpack_btf_setup(struct bpf_object_open_opts *opts, const char *prog, int verbose);
/* Closes the memfd (or removes the temp file) made by bpfpack_btf_setup and
 * returns the memory the embedded set used. Call it right after the
 * skeleton's load (libbpf has read the BTF by then), so a tool that runs for
 * hours holds nothing of the set. Safe to call more than once, and when setup
 * chose no file; a later bpfpack_btf_setup() decides afresh. */
void bpfpack_btf_cleanup(void);

/* ---- the matcher, exposed for tests ---------------------------------------
 * A running system as btfhub-archive keys kernels: ID and VERSION_ID from
 * os-release (quotes and escapes removed), the arch as btfhub names it
 * ("arm64" for aarch64, "x86_64" for amd64/x86_64), the release of uname -r. */
struct bpfpack_sysinfo {
	char id[64], version_id[64], arch[32], release[128];
};

/* Fills OUT from the text of an os-release file (may be NULL: unknown distro)
 * and uname's release and machine. Returns 0, or -EINVAL when UNAME_RELEASE
 * is empty or too long. */
int bpfpack_sysinfo_parse(const char *os_release_text, const char *uname_release,
			  const char *uname_machine, struct bpfpack_sysinfo *out);

/* Finds the kernel of S that fits SI, trying, in order:
 *   "exact"          distro, version, arch and release equal;
 *   "major version"  the set keys the distro by major version (ol 7 for
 *                    VERSION_ID 7.9, rhel 8 for 8.6; amzn 1 for 2018.03);
 *   "release only"   same arch and release under another version or distro
 *                    (the same distro first), e.g. CentOS/RHEL rebuilds.
 * A release matches with or without a trailing ".<machine>" (old btfhub names
 * of CentOS 7 kernels lack it). A kernel whose arch is unknown ("") matches
 * any arch. Returns 0 with *KERNEL_INDEX and *HOW (a static string), or
 * -ENOENT when nothing fits. */
int bpfpack_btf_match(const struct btfset *s, const struct bpfpack_sysinfo *si,
		      uint32_t *kernel_index, const char **how);

#ifdef __cplusplus
}
#endif

#endif
