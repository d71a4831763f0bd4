/*
 * writer_base.c - the writer's side of thin archives (docs/FORMAT.md §13): the base's blocks go
 * into the dedup table as BASE slots (so that content the base holds becomes a reference instead
 * of stored bytes), and the base is recorded by relative path, archive id and root hash for the
 * BASES section. Opening and checking the base is done above pack/, by ops/writer_open.c, which
 * feeds its blocks here; this file never sees a reader.
 */
#include <string.h>

#include "pack/writer_impl.h"

int hx_writer_add_base_block(hexz_writer *w, const uint8_t hash[HX_HASH_LEN], uint32_t stream,
                             uint64_t logical_offset, uint32_t length)
{
    if (hx_dedup_find(&w->dedup, hash)) return 0;
    hx_dedup_slot slot = {.stored_offset = logical_offset,
                          .stored_length = length,
                          .base_stream = (uint16_t)stream,
                          .used = HX_DEDUP_BASE};
    memcpy(slot.hash, hash, HX_HASH_LEN);
    return hx_dedup_insert(&w->dedup, &slot);
}

void hx_writer_set_base(hexz_writer *w, const hx_base_ref *ref)
{
    w->base_ref = *ref;
    w->thin = 1;
}
