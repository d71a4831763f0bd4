/*
 * cache.h - a thread-safe LRU cache of immutable, reference-counted objects keyed by a u64.
 *
 * The reader keeps three: decoded index pages, decoded manifest pages and verified,
 * decompressed blocks. The cache is split into shards by key, each with its own lock and its
 * share of the capacity, so threads reading different blocks rarely wait for each other. A lock
 * is held only to look up, insert, and unlink; never during I/O, hashing or decompression, which
 * happen before hx_cache_put(). An object evicted while still referenced lives until its last
 * release.
 */
#ifndef HX_CACHE_H
#define HX_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hx_cache_item hx_cache_item;
struct hx_cache_item {
    uint64_t key;
    void *data;    /* owned by the item; freed with free() when the item dies */
    size_t size;   /* bytes charged against the capacity */
    unsigned refs; /* holders outside the cache, plus 1 while it is in the cache */
    int in_cache;
    hx_cache_item *hash_next, *lru_prev, *lru_next;
};

typedef struct {
    pthread_mutex_t lock;
    hx_cache_item **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
    size_t bytes, capacity;
    hx_cache_item *lru_head, *lru_tail; /* head = most recently used */
} hx_cache_shard;

#define HX_CACHE_SHARDS 8

typedef struct {
    hx_cache_shard shards[HX_CACHE_SHARDS];
} hx_cache;

int hx_cache_init(hx_cache *c, size_t capacity_bytes);
void hx_cache_destroy(hx_cache *c);
/* The item for `key` with a reference taken, or NULL. */
hx_cache_item *hx_cache_get(hx_cache *c, uint64_t key);
/* Inserts `data` (taking ownership) and returns it referenced. If another thread inserted the
 * same key meanwhile, frees `data` and returns that item instead. NULL only on out of memory
 * (then `data` is freed). */
hx_cache_item *hx_cache_put(hx_cache *c, uint64_t key, void *data, size_t size);
void hx_cache_release(hx_cache *c, hx_cache_item *item);
/* Changes the capacity; items over it are evicted by later inserts. */
void hx_cache_set_capacity(hx_cache *c, size_t capacity_bytes);

#endif
