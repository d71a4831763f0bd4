/*
 * block_set.c - see block_set.h.
 */
#include "read/block_set.h"

#include <string.h>

/* Stored offsets are far from uniform (aligned, increasing): mix them before masking. */
static uint64_t offset_hash(const void *key)
{
    uint64_t off;
    memcpy(&off, key, sizeof off);
    off ^= off >> 31;
    off *= 0x9E3779B97F4A7C15ull;
    off ^= off >> 29;
    return off;
}

void hx_block_set_init(hx_block_set *s)
{
    hx_hash_set_init(s, sizeof(hx_block_entry), offsetof(hx_block_entry, stored_offset),
                     sizeof(uint64_t), offset_hash, "out of memory for %zu blocks");
}

void hx_block_set_free(hx_block_set *s)
{
    hx_hash_set_free(s);
}

const hx_block_entry *hx_block_set_find(const hx_block_set *s, uint64_t stored_offset)
{
    return hx_hash_set_find(s, &stored_offset);
}

int hx_block_set_add(hx_block_set *s, const hx_block_entry *e)
{
    return hx_hash_set_insert(s, e);
}
