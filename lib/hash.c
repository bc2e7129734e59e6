/* hash: content hashes for cache keys, one streaming loop for every file
 * the caches key by content (btfhub's min-BTF cache, the decoded-kernel
 * cache). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <xxhash.h>

#include "hash.h"

int hash_fd_hex(int fd, char out[HASH_HEX_LEN + 1])
{
	char chunk[1 << 16];
	XXH3_state_t *h = XXH3_createState();
	XXH128_hash_t v;
	ssize_t n;

	if (!h)
		return -ENOMEM;
	XXH3_128bits_reset(h);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		XXH3_128bits_update(h, chunk, (size_t)n);
	v = XXH3_128bits_digest(h);
	XXH3_freeState(h);
	if (n < 0)
		return -errno;
	snprintf(out, HASH_HEX_LEN + 1, "%016llx%016llx", (unsigned long long)v.high64,
		 (unsigned long long)v.low64);
	return 0;
}
