/*
 * dedup_table.c - see dedup_table.h.
 */
#include "pack/dedup_table.h"

#include <string.h>

/* The content hash is already uniformly distributed: its first 8 bytes are a fine index. */
static uint64_t content_hash_bits(const void *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return h;
}

void hx_dedup_init(hx_dedup_table *t)
{
    hx_hash_set_init(t, sizeof(hx_dedup_slot), offsetof(hx_dedup_slot, hash), HX_HASH_LEN,
                     content_hash_bits, "out of memory growing the dedup table to %zu slots");
}

void hx_dedup_free(hx_dedup_table *t)
{
    hx_hash_set_free(t);
}

const hx_dedup_slot *hx_dedup_find(const hx_dedup_table *t, const uint8_t hash[HX_HASH_LEN])
{
    return hx_hash_set_find(t, hash);
}

int hx_dedup_insert(hx_dedup_table *t, const hx_dedup_slot *slot)
{
    hx_dedup_slot copy = *slot;
    if (copy.used == HX_DEDUP_EMPTY) copy.used = HX_DEDUP_STORED;
    return hx_hash_set_insert(t, &copy);
}

const hx_dedup_slot *hx_dedup_next(const hx_dedup_table *t, size_t *pos)
{
    return hx_hash_set_next(t, pos);
}
