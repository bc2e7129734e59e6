/* bench/scale_lookup.c: the start-up lookup of bench/scale.sh. What a tool's
 * runtime does with its embedded set before libbpf sees any BTF, and what
 * grows with the kernel count: open the set (CRC32 of the stored bytes,
 * decompression against the BPF object, validation of the whole index),
 * match the running system's key, fetch the blob. The libbpf hand-off after
 * it costs the same for any set and is left out.
 *
 * usage: scale_lookup RUNS SET OBJ DISTRO VERSION ARCH RELEASE
 * Prints "lookup found|missing MEDIAN_US MAX_US KERNELS PAYLOAD_BYTES" (one
 * untimed warm-up, then RUNS timed lookups). Exit status 0, 1 on a failed
 * open, 2 on bad usage.
 *
 * Build: cc -std=gnu11 -D_GNU_SOURCE -O2 -Iinclude scale_lookup.c
 *        runtime/bpfpack_btf.c runtime/btfset.c -lbpf -lelf -lz -lzstd */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../include/bpfpack.h"
#include "../runtime/btfset.h"

static void *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto fail;
	p = malloc(n ? (size_t)n : 1);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		goto fail;
	fclose(f);
	*size = (size_t)n;
	return p;
fail:
	fprintf(stderr, "scale_lookup: cannot read %s: %s\n", path, strerror(errno));
	if (f)
		fclose(f);
	free(p);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* One lookup; returns 1 found, 0 missing, -1 on an error (printed). */
static int lookup(const void *set, size_t size, const void *obj, size_t obj_size,
		  const struct bpfpack_sysinfo *si, uint32_t *nkernels, size_t *payload)
{
	struct btfset *s;
	char err[256];
	uint32_t idx, bsize;
	const char *how;
	const void *blob;
	int found;

	if (btfset_open_dict(set, size, obj, obj_size, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "scale_lookup: %s\n", err);
		return -1;
	}
	found = bpfpack_btf_match(s, si, &idx, &how) == 0;
	if (found && btfset_blob_get(s, btfset_kernel_at(s, idx)->blob, &blob, &bsize, err, sizeof(err)) < 0) {
		fprintf(stderr, "scale_lookup: %s\n", err);
		btfset_close(s);
		return -1;
	}
	*nkernels = btfset_kernel_count(s);
	*payload = btfset_payload_size(s);
	btfset_close(s);
	return found;
}

int main(int argc, char **argv)
{
	struct bpfpack_sysinfo si;
	size_t size, obj_size, payload = 0;
	void *set, *obj;
	long long *t;
	uint32_t nk = 0;
	int runs, found = 0;

	if (argc != 8 || (runs = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: scale_lookup RUNS SET OBJ DISTRO VERSION ARCH RELEASE\n");
		return 2;
	}
	memset(&si, 0, sizeof(si));
	snprintf(si.id, sizeof(si.id), "%s", argv[4]);
	snprintf(si.version_id, sizeof(si.version_id), "%s", argv[5]);
	snprintf(si.arch, sizeof(si.arch), "%s", argv[6]);
	snprintf(si.release, sizeof(si.release), "%s", argv[7]);
	set = read_all(argv[2], &size);
	obj = read_all(argv[3], &obj_size);
	t = calloc((size_t)runs, sizeof(*t));
	if (!t || lookup(set, size, obj, obj_size, &si, &nk, &payload) < 0)
		return 1;
	for (int i = 0; i < runs; i++) {
		long long t0 = now_ns();

		found = lookup(set, size, obj, obj_size, &si, &nk, &payload);
		t[i] = now_ns() - t0;
		if (found < 0)
			return 1;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_ll);
	printf("lookup %s %.1f %.1f %u %zu\n", found ? "found" : "missing", t[runs / 2] / 1e3, t[runs - 1] / 1e3,
	       nk, payload);
	free(t);
	free(set);
	free(obj);
	return 0;
}
