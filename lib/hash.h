/* hash: content hashes for cache keys (XXH3-128 as 32 hex digits). */
#ifndef BPFPACK_LIB_HASH_H
#define BPFPACK_LIB_HASH_H

#define HASH_HEX_LEN 32

/* Hashes what is left to read of FD (read to its end; FD stays open) into
 * OUT as HASH_HEX_LEN hex digits and a NUL. 0, or -errno of the failed
 * read (not reported: the caller names the file). */
int hash_fd_hex(int fd, char out[HASH_HEX_LEN + 1]);

#endif
