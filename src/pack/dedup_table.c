/*
 * dedup_table.c - see dedup_table.h.
 */
#include "pack/dedup_table.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "hexz.h"

void hx_dedup_init(hx_dedup_table *t) { memset(t, 0, sizeof *t); }

void hx_dedup_free(hx_dedup_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* The content hash is already uniformly distributed: its first 8 bytes are a fine index. */
static size_t slot_index(const uint8_t hash[HX_HASH_LEN], size_t capacity)
{
    uint64_t h;
    memcpy(&h, hash, sizeof h);
    return (size_t)h & (capacity - 1);
}

const hx_dedup_slot *hx_dedup_find(const hx_dedup_table *t, const uint8_t hash[HX_HASH_LEN])
{
    if (t->capacity == 0) return NULL;
    for (size_t i = slot_index(hash, t->capacity);; i = (i + 1) & (t->capacity - 1)) {
        const hx_dedup_slot *s = &t->slots[i];
        if (!s->used) return NULL;
        if (memcmp(s->hash, hash, HX_HASH_LEN) == 0) return s;
    }
}

static void place(hx_dedup_slot *slots, size_t capacity, const hx_dedup_slot *slot)
{
    size_t i = slot_index(slot->hash, capacity);
    while (slots[i].used) i = (i + 1) & (capacity - 1);
    slots[i] = *slot;
    if (!slots[i].used) slots[i].used = HX_DEDUP_STORED;
}

static int grow(hx_dedup_table *t)
{
    size_t capacity = t->capacity ? t->capacity * 2 : 1024;
    hx_dedup_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return hx_error(HEXZ_ENOMEM, "out of memory growing the dedup table to %zu slots", capacity);
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].used) place(slots, capacity, &t->slots[i]);
    free(t->slots);
    t->slots = slots;
    t->capacity = capacity;
    return 0;
}

int hx_dedup_insert(hx_dedup_table *t, const hx_dedup_slot *slot)
{
    if ((t->count + 1) * 4 > t->capacity * 3) {
        int rc = grow(t);
        if (rc) return rc;
    }
    place(t->slots, t->capacity, slot);
    t->count++;
    return 0;
}
