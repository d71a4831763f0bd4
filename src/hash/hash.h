/*
 * hash.h - the two digests of the format: BLAKE3-256 for content and structure hashes (the
 * root hash chain), and XXH3-64 for the fast checksum of each block's stored bytes.
 *
 * BLAKE3 is the official C implementation with its SIMD kernels and runtime dispatch, built from
 * the sources Debian ships (see CMakeLists.txt). Only this header includes blake3.h.
 */
#ifndef HX_HASH_H
#define HX_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HX_HASH_LEN 32

#include "blake3.h"

/* Incremental BLAKE3. The state is a caller-allocated value; it never fails or allocates. */
typedef blake3_hasher hx_hasher;

void hx_hasher_init(hx_hasher *h);
void hx_hasher_update(hx_hasher *h, const void *data, size_t len);
void hx_hasher_final(hx_hasher *h, uint8_t out[HX_HASH_LEN]);

/* One-shot BLAKE3-256 of data[0..len). */
void hx_hash(const void *data, size_t len, uint8_t out[HX_HASH_LEN]);

/* Keyed BLAKE3-256 of data[0..len) under a 32-byte key. */
void hx_hash_keyed(const uint8_t key[HX_HASH_LEN], const void *data, size_t len,
                   uint8_t out[HX_HASH_LEN]);

/* XXH3-64 of data[0..len), the stored-bytes checksum. */
uint64_t hx_checksum64(const void *data, size_t len);

#endif
