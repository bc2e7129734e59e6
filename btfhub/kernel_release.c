/* kernel_release: kernel releases (uname -r) compared as versions, so the
 * "newest" kernel of a set is 6.12 rather than the alphabetically first, and
 * the up-front check that a kernel going into a BTF set has a release. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "kernel_release.h"
#include "../lib/report.h"

/* Compares the runs of digits at *PA and *PB as numbers and advances both. */
static int number_cmp(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb;
	size_t la, lb;
	int c;

	while (*a == '0' && isdigit((unsigned char)a[1]))
		a++;
	while (*b == '0' && isdigit((unsigned char)b[1]))
		b++;
	for (la = 0; isdigit((unsigned char)a[la]); la++)
		;
	for (lb = 0; isdigit((unsigned char)b[lb]); lb++)
		;
	*pa = a + la;
	*pb = b + lb;
	if (la != lb)
		return la < lb ? -1 : 1;
	c = memcmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

int kernel_release_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			int c = number_cmp(&a, &b);

			if (c)
				return c;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

long kernel_release_newest(const struct btf_source_list *list, const char *arch, size_t *count)
{
	long best = -1;
	size_t n = 0;

	for (size_t i = 0; i < list->n; i++) {
		const struct btf_key *k = &list->v[i].key;

		if (strcmp(k->arch, arch))
			continue;
		n++;
		if (best < 0 || kernel_release_cmp(k->release, list->v[best].key.release) > 0)
			best = (long)i;
	}
	if (count)
		*count = n;
	return best;
}

int kernel_release_check_known(const struct btf_source_entry *e)
{
	if (e->key.release[0])
		return 0;
	if (e->kind == BTF_SOURCE_RAW || e->kind == BTF_SOURCE_COMPRESSED) {
		/* Raw BTF holds types only: no uname, no banner, no init_uts_ns
		 * initializer; the file name is all there is to go on. */
		report_error("%s: raw BTF does not say which kernel release it is, and its name is "
			     "not <release>.btf", e->origin);
		report_hint("name it after the kernel's `uname -r`: <release>.btf, e.g. "
			    "6.1.0-13-amd64.btf (compressed: 6.1.0-13-amd64.btf.xz), or give the "
			    "kernel image, vmlinux or package it came from");
	} else {
		report_error("%s: cannot tell which kernel release this %s is", e->origin,
			     btf_source_kind_name(e->kind));
		report_hint("give the kernel's BTF as <release>.btf, named after its `uname -r`");
	}
	return -EINVAL;
}
