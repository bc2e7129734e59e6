/* vm_rootfs: the guest's files for vmtest, written as an initramfs. */
#include "vm_rootfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "initramfs.h"
#include "../lib/proc.h"
#include "../lib/report.h"
#include "vm_guest.h"

/* A file to copy in: where it is on the host and where it goes. */
struct add {
	char *host;
	char *guest;
};

struct rootfs {
	const struct vm_rootfs_opts *o;
	struct add *adds;
	size_t n_adds;
	char *busybox;
	struct strv applets;	/* "bin/sh", "usr/bin/awk", ... */
	struct strv argv;	/* the command as the guest runs it */
	char *copy_cmd;		/* the command's host binary, when it is copied in */
	char *copy_cmd_guest;
	char *cwd;
};

/* The e_machine of the programs this bpfpack runs, i.e. of this machine. */
static unsigned int host_elf_machine(void)
{
#if defined(__aarch64__)
	return EM_AARCH64;
#else
	return EM_X86_64;
#endif
}

static unsigned int guest_machine(const struct rootfs *r)
{
	return r->o->elf_machine ? r->o->elf_machine : EM_X86_64;
}

/* 0 when PATH is not ELF or is a static ELF program for the guest's machine;
 * else reports why it cannot run in the guest and returns -EINVAL. */
static int check_runnable(const struct rootfs *r, const char *path, const char *what)
{
	Elf *elf = NULL;
	GElf_Ehdr eh;
	size_t n_ph;
	int fd, err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		report_error("cannot read %s: %s", path, strerror(err));
		return -err;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		goto out;	/* a script or data: the guest will see */
	if (eh.e_machine != guest_machine(r)) {
		report_error("%s %s is built for another machine (ELF machine %u), not %s",
			     what, path, eh.e_machine, r->o->arch ? r->o->arch : "x86-64");
		if (eh.e_machine == EM_X86_64 || eh.e_machine == EM_AARCH64)
			report_hint("it is an %s program: build it for the guest (bpfpack build "
				    "--arch %s) or boot a kernel of its own arch",
				    eh.e_machine == EM_X86_64 ? "x86_64" : "arm64",
				    r->o->arch ? r->o->arch : "x86_64");
		err = -EINVAL;
		goto out;
	}
	if (elf_getphdrnum(elf, &n_ph) < 0)
		goto out;
	for (size_t i = 0; i < n_ph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP) {
			report_error("%s %s is dynamically linked: the guest has no shared libraries",
				     what, path);
			report_hint("give a static program (bpfpack build makes static tools; "
				    "busybox applets such as sh are in the guest)");
			err = -EINVAL;
			break;
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* PATH (absolute) with "//", "/./" and "dir/.." folded away, lexically. */
static char *normalize_path(const char *path)
{
	char *out = xmalloc(strlen(path) + 2), *o = out;
	const char *s = path;

	while (*s) {
		const char *end;
		size_t n;

		while (*s == '/')
			s++;
		end = strchrnul(s, '/');
		n = (size_t)(end - s);
		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > out && *--o != '/')
				;
		} else {
			*o++ = '/';
			memcpy(o, s, n);
			o += n;
		}
		s = end;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* The absolute, symlink-free path of PATH's directory joined with its base
 * name (the name itself stays, so a symlinked tool keeps its name). */
static char *host_abs_path(const char *path)
{
	char *dir = fs_dirname(path), *real = fs_realpath(dir), *abs;
	const char *base = fs_basename(path);

	free(dir);
	if (!real)
		return NULL;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		char *full = fs_realpath(path);

		free(real);
		return full;
	}
	abs = strcmp(real, "/") ? xasprintf("%s/%s", real, base) : xasprintf("/%s", base);
	free(real);
	return abs;
}

/* The applet names of a busybox binary that cannot run here: busybox keeps
 * them as one sorted run of NUL-terminated names, starting "[", "[[". */
static int busybox_names(struct rootfs *r)
{
	static const char first[] = "[\0[[\0";
	struct buf b = {0};
	const char *p, *end;
	int err = fs_read_file(r->busybox, &b);

	if (err)
		return err;
	p = b.data ? memmem(b.data, b.len, first, sizeof(first) - 1) : NULL;
	end = b.data + b.len;
	while (p && p < end && *p) {
		size_t n = strnlen(p, (size_t)(end - p));

		if (p + n >= end)
			break;
		strv_push(&r->applets, p);
		p += n + 1;
	}
	buf_free(&b);
	if (r->applets.n < 2) {
		report_error("cannot list the applets of %s: no table of applet names in it",
			     r->busybox);
		report_hint("give a static busybox (Debian's busybox-static)");
		return -EINVAL;
	}
	return 0;
}

static int find_busybox(struct rootfs *r)
{
	const char *want = r->o->busybox;
	struct buf out = {0};
	char *argv[3];
	int rc;

	if (!want || !*want)
		want = getenv("BUSYBOX");
	if (!want || !*want)
		want = fs_exists("/bin/busybox") ? "/bin/busybox" : "busybox";
	r->busybox = proc_find_program(want);
	if (!r->busybox) {
		report_error("cannot find %s", want);
		report_hint("install it: apt-get install busybox-static (or set BUSYBOX)");
		return -ENOENT;
	}
	rc = check_runnable(r, r->busybox, "busybox");
	if (rc)
		return rc;
	if (guest_machine(r) != host_elf_machine())
		return busybox_names(r);
	argv[0] = r->busybox;
	argv[1] = "--list-full";
	argv[2] = NULL;
	rc = proc_run_capture(argv, &out, NULL);
	if (rc != 0) {
		if (rc > 0)
			report_error("%s --list-full failed (exit %d)", r->busybox, rc);
		buf_free(&out);
		return rc > 0 ? -EIO : rc;
	}
	for (char *save = NULL, *l = strtok_r(out.data, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		if (*l)
			strv_push(&r->applets, l);
	buf_free(&out);
	return 0;
}

/* The canonical path of applet NAME ("bin/sh"; just "sh" when the busybox
 * cannot say where its applets go), or NULL. */
static const char *applet_path(const struct rootfs *r, const char *name)
{
	for (size_t i = 0; i < r->applets.n; i++)
		if (!strcmp(fs_basename(r->applets.v[i]), name))
			return r->applets.v[i];
	return NULL;
}

static int parse_adds(struct rootfs *r, const struct strv *adds)
{
	r->adds = xcalloc(adds->n + 1, sizeof(*r->adds));
	for (size_t i = 0; i < adds->n; i++) {
		const char *arg = adds->v[i], *sep = NULL;
		struct add *a = &r->adds[r->n_adds];
		char *host;

		/* FILE:/GUEST: the last ":/" separates, unless the whole argument
		 * is an existing file. */
		if (!fs_exists(arg))
			for (const char *s = strstr(arg, ":/"); s; s = strstr(s + 1, ":/"))
				sep = s;
		host = sep ? strndup(arg, (size_t)(sep - arg)) : xstrdup(arg);
		if (!*host || !fs_exists(host)) {
			report_error("cannot add %s: %s", *host ? host : arg, strerror(ENOENT));
			free(host);
			return -ENOENT;
		}
		a->host = host;
		a->guest = sep ? normalize_path(sep + 1) : host_abs_path(host);
		r->n_adds++;
		if (!a->guest) {
			report_error("cannot add %s: %s", host, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* The added file with basename NAME, or NULL. */
static const struct add *find_add_named(const struct rootfs *r, const char *name)
{
	for (size_t i = 0; i < r->n_adds; i++)
		if (!strcmp(fs_basename(r->adds[i].guest), name))
			return &r->adds[i];
	return NULL;
}

/* The host file that the --add files put at GUEST_PATH (an added file, or a
 * file inside an added directory); malloc'd, or NULL. */
static char *find_added(const struct rootfs *r, const char *guest_path)
{
	for (size_t i = 0; i < r->n_adds; i++) {
		const struct add *a = &r->adds[i];
		size_t n = strlen(a->guest);

		if (!strcmp(a->guest, guest_path))
			return xstrdup(a->host);
		if (!strncmp(a->guest, guest_path, n) && (guest_path[n] == '/' || n == 1) &&
		    fs_is_dir(a->host))
			return fs_path_join(a->host, guest_path + n + (n != 1));
	}
	return NULL;
}

static bool in_bin_dir(const char *path)
{
	static const char *const dirs[] = { "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])) && !strchr(path + strlen(dirs[i]), '/'))
			return true;
	return false;
}

/* Decides what the guest runs as the command (see the header). */
static int resolve_command(struct rootfs *r, char *const *cmd)
{
	const char *cmd0 = cmd[0];
	const struct add *a;
	const char *applet;
	char *host = NULL, *guest = NULL, *added;
	int err;

	for (size_t i = 0; cmd[i]; i++)
		strv_push(&r->argv, cmd[i]);
	if (strchr(cmd0, '/')) {
		char *joined = fs_path_join(r->cwd, cmd0), *abs = normalize_path(joined);
		char *added = find_added(r, abs);

		free(joined);
		free(abs);
		if (added) {
			err = check_runnable(r, added, "command");
			free(added);
			return err;
		}
		if (in_bin_dir(cmd0) && (applet = applet_path(r, fs_basename(cmd0)))) {
			free(r->argv.v[0]);
			/* No directory known: the guest's PATH finds the applet. */
			r->argv.v[0] = strchr(applet, '/') ? xasprintf("/%s", applet) : xstrdup(applet);
			return 0;
		}
		host = proc_find_program(cmd0);
	} else {
		if ((a = find_add_named(r, cmd0))) {
			free(r->argv.v[0]);
			r->argv.v[0] = xstrdup(a->guest);
			return check_runnable(r, a->host, "command");
		}
		if (applet_path(r, cmd0))
			return 0;
		host = proc_find_program(cmd0);
	}
	if (!host) {
		if (!strchr(cmd0, '/') && fs_exists(cmd0))
			report_error("cannot find the command %s in PATH (for the file here, "
				     "say ./%s)", cmd0, cmd0);
		else if (!strchr(cmd0, '/'))
			report_error("cannot find the command %s in PATH", cmd0);
		else
			report_error("cannot find the command %s on this machine%s", cmd0,
				     fs_exists(cmd0) ? " (not an executable file)" : "");
		report_hint("the guest runs busybox applets, files added with --add, and "
			    "static programs of this machine");
		return -ENOENT;
	}
	err = check_runnable(r, host, "command");
	if (!err && !(guest = host_abs_path(host))) {
		err = -errno;
		report_error("cannot read %s: %s", host, strerror(errno));
	}
	if (err) {
		free(host);
		return err;
	}
	/* Added already (e.g. with its directory): nothing to copy. */
	if ((added = find_added(r, guest))) {
		free(added);
		free(host);
		free(guest);
		return 0;
	}
	r->copy_cmd = host;
	r->copy_cmd_guest = guest;
	if (!strchr(cmd0, '/')) {
		free(r->argv.v[0]);
		r->argv.v[0] = xstrdup(guest);
	}
	return 0;
}

static int add_tree(struct initramfs *ir, const char *host, const char *guest);

/* Adds HOST at GUEST: a file (symlinks followed at the top level), or a
 * directory with everything in it (symlinks inside kept as symlinks). */
static int add_path(struct initramfs *ir, const char *host, const char *guest, bool top)
{
	struct stat st;

	if ((top ? stat(host, &st) : lstat(host, &st)) < 0) {
		int err = errno;

		report_error("cannot add %s: %s", host, strerror(err));
		return -err;
	}
	if (S_ISDIR(st.st_mode)) {
		int err = initramfs_add_dir(ir, guest, st.st_mode & 07777);

		return err ? err : add_tree(ir, host, guest);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(host, target, sizeof(target) - 1);

		if (n < 0) {
			int err = errno;

			report_error("cannot read %s: %s", host, strerror(err));
			return -err;
		}
		target[n] = '\0';
		return initramfs_add_symlink(ir, guest, target);
	}
	if (S_ISREG(st.st_mode))
		return initramfs_add_file(ir, host, guest);
	report_debug("skipping %s: not a file, directory or symlink", host);
	return 0;
}

static int add_tree(struct initramfs *ir, const char *host, const char *guest)
{
	DIR *d = opendir(host);
	struct dirent *e;
	struct strv names = {0};
	int err = 0;

	if (!d) {
		err = errno;
		report_error("cannot read directory %s: %s", host, strerror(err));
		return -err;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(&names, e->d_name);
	closedir(d);
	/* Sorted, so the same tree gives the same archive. */
	strv_sort(&names);
	for (size_t i = 0; i < names.n && !err; i++) {
		char *h = fs_path_join(host, names.v[i]);
		char *g = strcmp(guest, "/") ? xasprintf("%s/%s", guest, names.v[i])
					     : xasprintf("/%s", names.v[i]);

		err = add_path(ir, h, g, false);
		free(h);
		free(g);
	}
	strv_free(&names);
	return err;
}

static const char etc_passwd[] = "root:x:0:0:root:/root:/bin/sh\n";
static const char etc_group[] = "root:x:0:\n";

static int write_archive(struct rootfs *r, const struct vm_rootfs_opts *o, const char *path)
{
	static const char *const dirs[] = {
		"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/dev", "/proc",
		"/sys", "/tmp", "/run", "/root", "/etc",
	};
	struct vm_guest_opts go = {
		.argv = r->argv.v,
		.channel = o->channel,
		.cwd = r->cwd,
		.hide_btf = o->hide_btf,
		.dump_kernel_log = o->dump_kernel_log,
		.watchdog_s = o->watchdog_s,
	};
	struct initramfs *ir;
	char *init;
	int err;

	err = initramfs_create(path, &ir);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !err; i++)
		err = initramfs_add_dir(ir, dirs[i], !strcmp(dirs[i], "/tmp") ? 01777 : 0755);
	if (!err)
		err = initramfs_add_chardev(ir, "/dev/console", 0600, 5, 1);
	if (!err)
		err = initramfs_add_file(ir, r->busybox, "/bin/busybox");
	if (!err)
		err = initramfs_add_data(ir, "/etc/passwd", etc_passwd, strlen(etc_passwd), 0644);
	if (!err)
		err = initramfs_add_data(ir, "/etc/group", etc_group, strlen(etc_group), 0644);
	for (size_t i = 0; i < r->n_adds && !err; i++)
		err = add_path(ir, r->adds[i].host, r->adds[i].guest, true);
	if (!err && r->copy_cmd)
		err = initramfs_add_file(ir, r->copy_cmd, r->copy_cmd_guest);
	if (!err) {
		init = vm_guest_init_script(&go);
		err = initramfs_add_data(ir, "/init", init, strlen(init), 0755);
		free(init);
	}
	if (err) {
		initramfs_abort(ir);
		return err;
	}
	return initramfs_finish(ir);
}

/* The newest busybox-static_*_DEBARCH.deb in DIR, or NULL; malloc'd. */
static char *newest_busybox_deb(const char *dir, const char *deb_arch)
{
	char *pattern = xasprintf("%s/busybox-static_*_%s.deb", dir, deb_arch), *best = NULL;
	glob_t g;

	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (!best || strverscmp(g.gl_pathv[i], best) > 0)
				best = g.gl_pathv[i];
		best = best ? xstrdup(best) : NULL;
		globfree(&g);
	}
	free(pattern);
	return best;
}

char *vm_rootfs_busybox_source(const char *arch, const char *deb_arch, const char *const *dirs,
			       char var[32])
{
	const char *env;
	char *path = NULL;

	snprintf(var, 32, "BUSYBOX_%s", arch);
	for (char *c = var; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	env = getenv(var);
	if (env && *env) {
		path = proc_find_program(env);
		/* A package need not be executable. */
		return path ? path : xstrdup(env);
	}
	for (size_t i = 0; dirs && dirs[i] && !path; i++)
		path = newest_busybox_deb(dirs[i], deb_arch);
	return path;
}

int vm_rootfs_write(const struct vm_rootfs_opts *o, const char *initrd_path)
{
	struct rootfs r = { .o = o };
	int err;

	r.cwd = getcwd(NULL, 0);
	if (!r.cwd)
		r.cwd = xstrdup("/");
	err = find_busybox(&r);
	if (!err)
		err = parse_adds(&r, o->adds);
	if (!err)
		err = resolve_command(&r, o->cmd);
	if (!err)
		err = write_archive(&r, o, initrd_path);
	for (size_t i = 0; i < r.n_adds; i++) {
		free(r.adds[i].host);
		free(r.adds[i].guest);
	}
	free(r.adds);
	free(r.busybox);
	strv_free(&r.applets);
	strv_free(&r.argv);
	free(r.copy_cmd);
	free(r.copy_cmd_guest);
	free(r.cwd);
	return err;
}
