/*
 * cache.c - see cache.h. In each shard, chained hash buckets for lookup and a doubly linked list
 * for recency; both are touched only under the shard's mutex.
 */
#include "read/cache.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return key;
}

static size_t bucket_of(const hx_cache_shard *c, uint64_t key)
{
    return (size_t)mix(key) & (c->bucket_count - 1);
}

/* The high bits pick the shard, the low bits the bucket within it. */
static hx_cache_shard *shard_of(hx_cache *c, uint64_t key)
{
    return &c->shards[mix(key) >> 61];
}

static int shard_init(hx_cache_shard *c, size_t capacity_bytes)
{
    memset(c, 0, sizeof *c);
    c->capacity = capacity_bytes;
    c->bucket_count = 256;
    c->buckets = calloc(c->bucket_count, sizeof *c->buckets);
    if (!c->buckets) return -1;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->buckets);
        return -1;
    }
    return 0;
}

static void item_free(hx_cache_item *it)
{
    free(it->data);
    free(it);
}

static void shard_destroy(hx_cache_shard *c)
{
    if (!c->buckets) return;
    for (hx_cache_item *it = c->lru_head, *next; it; it = next) {
        next = it->lru_next;
        item_free(it);
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof *c);
}

static void lru_unlink(hx_cache_shard *c, hx_cache_item *it)
{
    if (it->lru_prev) it->lru_prev->lru_next = it->lru_next;
    else c->lru_head = it->lru_next;
    if (it->lru_next) it->lru_next->lru_prev = it->lru_prev;
    else c->lru_tail = it->lru_prev;
    it->lru_prev = it->lru_next = NULL;
}

static void lru_push_front(hx_cache_shard *c, hx_cache_item *it)
{
    it->lru_prev = NULL;
    it->lru_next = c->lru_head;
    if (c->lru_head) c->lru_head->lru_prev = it;
    c->lru_head = it;
    if (!c->lru_tail) c->lru_tail = it;
}

static hx_cache_item *find(const hx_cache_shard *c, uint64_t key)
{
    for (hx_cache_item *it = c->buckets[bucket_of(c, key)]; it; it = it->hash_next)
        if (it->key == key) return it;
    return NULL;
}

static void hash_unlink(hx_cache_shard *c, hx_cache_item *it)
{
    hx_cache_item **pp = &c->buckets[bucket_of(c, it->key)];
    while (*pp != it) pp = &(*pp)->hash_next;
    *pp = it->hash_next;
}

/* Takes `it` out of the cache; it dies now or at its last release. Returns it if it must be
 * freed by the caller (outside the lock). */
static hx_cache_item *evict(hx_cache_shard *c, hx_cache_item *it)
{
    hash_unlink(c, it);
    lru_unlink(c, it);
    it->in_cache = 0;
    c->count--;
    c->bytes -= it->size;
    return --it->refs == 0 ? it : NULL;
}

static void grow_buckets(hx_cache_shard *c)
{
    size_t n = c->bucket_count * 2;
    hx_cache_item **b = calloc(n, sizeof *b);
    if (!b) return; /* keep the old table: lookups stay correct, only slower */
    hx_cache_item **old = c->buckets;
    size_t old_n = c->bucket_count;
    c->buckets = b;
    c->bucket_count = n;
    for (size_t i = 0; i < old_n; i++) {
        for (hx_cache_item *it = old[i], *next; it; it = next) {
            next = it->hash_next;
            size_t k = bucket_of(c, it->key);
            it->hash_next = b[k];
            b[k] = it;
        }
    }
    free(old);
}

hx_cache_item *hx_cache_get(hx_cache *cache, uint64_t key)
{
    hx_cache_shard *c = shard_of(cache, key);
    pthread_mutex_lock(&c->lock);
    hx_cache_item *it = find(c, key);
    if (it) {
        it->refs++;
        if (c->lru_head != it) {
            lru_unlink(c, it);
            lru_push_front(c, it);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return it;
}

hx_cache_item *hx_cache_put(hx_cache *cache, uint64_t key, void *data, size_t size)
{
    hx_cache_shard *c = shard_of(cache, key);
    hx_cache_item *fresh = calloc(1, sizeof *fresh);
    if (!fresh) {
        free(data);
        return NULL;
    }
    fresh->key = key;
    fresh->data = data;
    fresh->size = size;
    fresh->refs = 2; /* the caller's and the cache's */
    fresh->in_cache = 1;

    hx_cache_item *dead[8];
    int ndead = 0;
    pthread_mutex_lock(&c->lock);
    hx_cache_item *it = find(c, key);
    if (it) {
        it->refs++;
    } else {
        it = fresh;
        fresh = NULL;
        size_t k = bucket_of(c, key);
        it->hash_next = c->buckets[k];
        c->buckets[k] = it;
        lru_push_front(c, it);
        c->count++;
        c->bytes += size;
        if (c->count > c->bucket_count) grow_buckets(c);
        /* Evict from the cold end, but never the item just inserted. */
        while (c->bytes > c->capacity && c->lru_tail != it && ndead < 8) {
            hx_cache_item *victim = evict(c, c->lru_tail);
            if (victim) dead[ndead++] = victim;
        }
    }
    pthread_mutex_unlock(&c->lock);
    for (int i = 0; i < ndead; i++) item_free(dead[i]);
    if (fresh) item_free(fresh);
    return it;
}

void hx_cache_set_capacity(hx_cache *cache, size_t capacity_bytes)
{
    for (int i = 0; i < HX_CACHE_SHARDS; i++) {
        hx_cache_shard *c = &cache->shards[i];
        pthread_mutex_lock(&c->lock);
        c->capacity = capacity_bytes / HX_CACHE_SHARDS;
        pthread_mutex_unlock(&c->lock);
    }
}

int hx_cache_init(hx_cache *c, size_t capacity_bytes)
{
    for (int i = 0; i < HX_CACHE_SHARDS; i++) {
        if (shard_init(&c->shards[i], capacity_bytes / HX_CACHE_SHARDS) != 0) {
            while (i-- > 0) shard_destroy(&c->shards[i]);
            return -1;
        }
    }
    return 0;
}

void hx_cache_destroy(hx_cache *c)
{
    for (int i = 0; i < HX_CACHE_SHARDS; i++) shard_destroy(&c->shards[i]);
}

void hx_cache_release(hx_cache *cache, hx_cache_item *it)
{
    if (!it) return;
    hx_cache_shard *c = shard_of(cache, it->key);
    pthread_mutex_lock(&c->lock);
    int last = --it->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last) item_free(it);
}
