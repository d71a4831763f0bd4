/*
 * prefetch.c - see prefetch.h. A ring of hinted entries under one mutex; the threads take
 * entries from it and load them through the same path as any reader (resolve, then the block
 * cache), so whatever they load is verified exactly as a direct read would be.
 */
#include "read/prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "read/reader_impl.h"

#define QUEUE_LEN 64

struct hx_prefetcher {
    hexz_reader *r;
    pthread_mutex_t lock;
    pthread_cond_t has_work;
    hx_block_entry queue[QUEUE_LEN];
    unsigned head, count; /* guarded by lock */
    int stop;
    pthread_t *threads;
    unsigned thread_count;
};

static void load(hexz_reader *r, const hx_block_entry *e)
{
    hexz_reader *owner;
    hx_block_entry target;
    hx_cache_item *it;
    if (hx_resolve_entry(r, e, &owner, &target, NULL) != 0) return;
    if (hx_get_block(owner, &target, &it) != 0) return;
    hx_cache_release(&owner->blocks, it);
}

static void *worker(void *arg)
{
    hx_prefetcher *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->count == 0) pthread_cond_wait(&p->has_work, &p->lock);
        if (p->stop) break;
        hx_block_entry e = p->queue[p->head];
        p->head = (p->head + 1) % QUEUE_LEN;
        p->count--;
        pthread_mutex_unlock(&p->lock);
        load(p->r, &e);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int hx_prefetcher_create(hx_prefetcher **out, hexz_reader *r, unsigned threads)
{
    hx_prefetcher *p = calloc(1, sizeof *p);
    if (!p) return HEXZ_ENOMEM;
    p->r = r;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->has_work, NULL);
    p->threads = calloc(threads, sizeof *p->threads);
    for (unsigned i = 0; p->threads && i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) break;
        p->thread_count++;
    }
    if (p->thread_count == 0) {
        hx_prefetcher_free(p);
        return HEXZ_ENOMEM;
    }
    *out = p;
    return 0;
}

void hx_prefetcher_free(hx_prefetcher *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->has_work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->thread_count; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->has_work);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void hx_prefetcher_hint(hx_prefetcher *p, const hx_block_entry *e)
{
    if (e->kind == HX_BLOCK_HOLE) return;
    pthread_mutex_lock(&p->lock);
    if (p->count < QUEUE_LEN) {
        p->queue[(p->head + p->count) % QUEUE_LEN] = *e;
        p->count++;
        pthread_cond_signal(&p->has_work);
    }
    pthread_mutex_unlock(&p->lock);
}

unsigned hx_prefetcher_window(const hx_prefetcher *p) { return 2 * p->thread_count + 2; }
