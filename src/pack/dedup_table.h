/*
 * dedup_table.h - the map from a block's content hash to where its stored bytes already are.
 *
 * For a thin archive it also holds every block of the base chain, marked as such, so that
 * content the base already has becomes a reference to it rather than new stored bytes.
 *
 * A typed front end on common/hash_set.h (owned by one thread, no lock; grown at 3/4 load), keyed
 * by the hash at the start of the slot: 56 bytes a slot plus a bit, so between 75 and 150 bytes
 * per unique block (docs/PERFORMANCE.md states the figure).
 */
#ifndef HX_DEDUP_TABLE_H
#define HX_DEDUP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash_set.h"
#include "hash/hash.h"

enum { HX_DEDUP_EMPTY = 0, HX_DEDUP_STORED = 1, HX_DEDUP_BASE = 2 };

typedef struct {
    uint8_t hash[HX_HASH_LEN];
    uint64_t
        stored_offset; /* STORED: where the bytes are; BASE: logical offset in the base stream */
    uint64_t stored_checksum; /* STORED only */
    uint32_t stored_length;   /* STORED: stored bytes; BASE: the block's logical length */
    uint16_t base_stream;     /* BASE only: stream index in the base */
    uint8_t codec;            /* STORED only */
    uint8_t used;             /* HX_DEDUP_STORED or HX_DEDUP_BASE (EMPTY is stored as STORED) */
} hx_dedup_slot;

typedef hx_hash_set hx_dedup_table;

void hx_dedup_init(hx_dedup_table *t);
void hx_dedup_free(hx_dedup_table *t);
/* The slot holding `hash`, or NULL. */
const hx_dedup_slot *hx_dedup_find(const hx_dedup_table *t, const uint8_t hash[HX_HASH_LEN]);
/* Inserts a copy of `slot` (its hash must not be present). Returns 0 or HEXZ_ENOMEM. */
int hx_dedup_insert(hx_dedup_table *t, const hx_dedup_slot *slot);
/* Walks the slots: start with *pos = 0; NULL at the end (see hx_hash_set_next). */
const hx_dedup_slot *hx_dedup_next(const hx_dedup_table *t, size_t *pos);

#endif
