/*
 * hash_set.c - see hash_set.h.
 */
#include "common/hash_set.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "hexz.h"

#define FIRST_CAPACITY 1024

void hx_hash_set_init(hx_hash_set *s, size_t slot_size, size_t key_offset, size_t key_len,
                      hx_hash_set_hash_fn hash, const char *oom_format)
{
    memset(s, 0, sizeof *s);
    s->slot_size = slot_size;
    s->key_offset = key_offset;
    s->key_len = key_len;
    s->hash = hash;
    s->oom_format = oom_format;
}

void hx_hash_set_free(hx_hash_set *s)
{
    free(s->slots);
    free(s->used);
    s->slots = NULL;
    s->used = NULL;
    s->capacity = 0;
    s->count = 0;
}

static int in_use(const uint64_t *used, size_t i)
{
    return (int)(used[i / 64] >> (i % 64) & 1);
}

static unsigned char *slot_at(unsigned char *slots, const hx_hash_set *s, size_t i)
{
    return slots + i * s->slot_size;
}

const void *hx_hash_set_find(const hx_hash_set *s, const void *key)
{
    if (s->capacity == 0) return NULL;
    size_t mask = s->capacity - 1;
    for (size_t i = (size_t)s->hash(key) & mask; in_use(s->used, i); i = (i + 1) & mask) {
        const unsigned char *slot = slot_at(s->slots, s, i);
        if (memcmp(slot + s->key_offset, key, s->key_len) == 0) return slot;
    }
    return NULL;
}

/* Copies `slot` into the first free place of its probe sequence in (slots, used, capacity). */
static void place(const hx_hash_set *s, unsigned char *slots, uint64_t *used, size_t capacity,
                  const unsigned char *slot)
{
    size_t mask = capacity - 1;
    size_t i = (size_t)s->hash(slot + s->key_offset) & mask;
    while (in_use(used, i)) i = (i + 1) & mask;
    memcpy(slot_at(slots, s, i), slot, s->slot_size);
    used[i / 64] |= (uint64_t)1 << (i % 64);
}

static int grow(hx_hash_set *s)
{
    size_t capacity = s->capacity ? s->capacity * 2 : FIRST_CAPACITY;
    unsigned char *slots = malloc(capacity * s->slot_size);
    uint64_t *used = calloc(capacity / 64, sizeof *used);
    if (!slots || !used) {
        free(slots);
        free(used);
        return hx_error(HEXZ_ENOMEM, s->oom_format, capacity);
    }
    for (size_t i = 0; i < s->capacity; i++)
        if (in_use(s->used, i)) place(s, slots, used, capacity, slot_at(s->slots, s, i));
    free(s->slots);
    free(s->used);
    s->slots = slots;
    s->used = used;
    s->capacity = capacity;
    return 0;
}

int hx_hash_set_insert(hx_hash_set *s, const void *slot)
{
    if ((s->count + 1) * 4 > s->capacity * 3) {
        int rc = grow(s);
        if (rc) return rc;
    }
    place(s, s->slots, s->used, s->capacity, slot);
    s->count++;
    return 0;
}

const void *hx_hash_set_next(const hx_hash_set *s, size_t *pos)
{
    for (; *pos < s->capacity; (*pos)++)
        if (in_use(s->used, *pos)) return slot_at(s->slots, s, (*pos)++);
    return NULL;
}
