/*
 * block_set.c - see block_set.h. Open addressing, linear probing, grown at half load.
 */
#include "read/block_set.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

void hx_block_set_init(hx_block_set *s) { memset(s, 0, sizeof *s); }

void hx_block_set_free(hx_block_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static size_t slot_of(uint64_t off, size_t capacity)
{
    off ^= off >> 31;
    off *= 0x9E3779B97F4A7C15ull;
    off ^= off >> 29;
    return (size_t)off & (capacity - 1);
}

const hx_block_entry *hx_block_set_find(const hx_block_set *s, uint64_t stored_offset)
{
    if (!s->capacity) return NULL;
    for (size_t i = slot_of(stored_offset, s->capacity);; i = (i + 1) & (s->capacity - 1)) {
        const hx_block_entry *e = &s->slots[i];
        if (e->logical_length == 0) return NULL;
        if (e->stored_offset == stored_offset) return e;
    }
}

static void place(hx_block_entry *slots, size_t capacity, const hx_block_entry *e)
{
    size_t i = slot_of(e->stored_offset, capacity);
    while (slots[i].logical_length != 0) i = (i + 1) & (capacity - 1);
    slots[i] = *e;
}

int hx_block_set_add(hx_block_set *s, const hx_block_entry *e)
{
    if ((s->count + 1) * 2 > s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 1024;
        hx_block_entry *slots = calloc(cap, sizeof *slots);
        if (!slots) return hx_error(HEXZ_ENOMEM, "out of memory for %zu blocks", cap);
        for (size_t i = 0; i < s->capacity; i++)
            if (s->slots[i].logical_length) place(slots, cap, &s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->capacity = cap;
    }
    place(s->slots, s->capacity, e);
    s->count++;
    return 0;
}
