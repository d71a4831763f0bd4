/*
 * hash_set.h - one generic hash set of fixed-size slots, for the tables libhexz keeps in memory:
 * the writer's dedup table (pack/dedup_table.h: content hash -> stored bytes) and the reader's
 * set of stored blocks (read/block_set.h: stored offset -> index entry) are typed front ends on it.
 *
 * Each slot is `slot_size` bytes copied in by the caller; its key is the `key_len` bytes at
 * `key_offset` inside it, compared with memcmp. The caller chooses the 64-bit hash of a key (a
 * content hash is already uniform; an offset wants mixing). Open addressing with linear probing
 * over a power-of-two array (1024 slots first), grown (doubled) before an insert would pass 3/4
 * load. Which slots are in use is a bitmap beside the slots, so a slot's bytes are all the
 * caller's: memory is slot_size bytes plus one bit a slot. No lock: a set is owned by one thread.
 */
#ifndef HX_HASH_SET_H
#define HX_HASH_SET_H

#include <stddef.h>
#include <stdint.h>

/* The hash of the key_len key bytes at `key`. */
typedef uint64_t (*hx_hash_set_hash_fn)(const void *key);

typedef struct {
    unsigned char *slots; /* capacity * slot_size bytes */
    uint64_t *used;       /* capacity bits: slot i is in use */
    size_t capacity;      /* a power of two, or 0 before the first insert */
    size_t count;
    size_t slot_size, key_offset, key_len;
    hx_hash_set_hash_fn hash;
    const char *oom_format; /* hx_error format with one %zu (the capacity that failed) */
} hx_hash_set;

/* An empty set that allocates nothing until the first insert. `oom_format` (static, with one
 * %zu for the slot count) words the HEXZ_ENOMEM message. */
void hx_hash_set_init(hx_hash_set *s, size_t slot_size, size_t key_offset, size_t key_len,
                      hx_hash_set_hash_fn hash, const char *oom_format);
/* Frees the slots; the set is empty again and may be reused. */
void hx_hash_set_free(hx_hash_set *s);
/* The slot whose key equals `key`, or NULL. Valid until the next insert or free. */
const void *hx_hash_set_find(const hx_hash_set *s, const void *key);
/* Copies `slot` in (its key must not be present). Returns 0 or HEXZ_ENOMEM (last error set; the
 * set is unchanged). */
int hx_hash_set_insert(hx_hash_set *s, const void *slot);
/* Iteration in slot order: start with *pos = 0; returns the next slot in use, or NULL at the
 * end. The set must not change during the walk. */
const void *hx_hash_set_next(const hx_hash_set *s, size_t *pos);

#endif
