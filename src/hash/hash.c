/*
 * hash.c - BLAKE3-256 (content and structure hashes) and XXH3-64 (stored-bytes checksums).
 *
 * Thin wrappers, so the rest of the library names one digest API and xxhash.h is included here
 * only. The NULL checks let callers hash an empty range given as (NULL, 0).
 */
#include "hash/hash.h"

#include <xxhash.h>

void hx_hasher_init(hx_hasher *h)
{
    blake3_hasher_init(h);
}

void hx_hasher_update(hx_hasher *h, const void *data, size_t len)
{
    if (len) blake3_hasher_update(h, data, len);
}

void hx_hasher_final(hx_hasher *h, uint8_t out[HX_HASH_LEN])
{
    blake3_hasher_finalize(h, out, HX_HASH_LEN);
}

void hx_hash(const void *data, size_t len, uint8_t out[HX_HASH_LEN])
{
    hx_hasher h;
    hx_hasher_init(&h);
    hx_hasher_update(&h, data, len);
    hx_hasher_final(&h, out);
}

void hx_hash_keyed(const uint8_t key[HX_HASH_LEN], const void *data, size_t len,
                   uint8_t out[HX_HASH_LEN])
{
    blake3_hasher h;
    blake3_hasher_init_keyed(&h, key);
    blake3_hasher_update(&h, data, len);
    blake3_hasher_finalize(&h, out, HX_HASH_LEN);
}

uint64_t hx_checksum64(const void *data, size_t len)
{
    /* XXH3 accepts (NULL, 0), but pass a valid pointer anyway for sanitizers' sake. */
    static const uint8_t empty[1];
    return XXH3_64bits(len ? data : empty, len);
}
