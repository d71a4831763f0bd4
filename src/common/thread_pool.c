/*
 * thread_pool.c - see thread_pool.h. One mutex guards the queue (a ring of jobs) and the stop
 * flag; `has_job` wakes threads when a job is queued or the pool stops, `has_room` wakes
 * submitters waiting for room. The lock is never held while a job runs.
 */
#include "common/thread_pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "hexz.h"

typedef struct {
    hx_pool_fn fn;
    void *arg;
} job;

struct hx_pool {
    pthread_mutex_t lock;
    pthread_cond_t has_job;  /* signalled under lock by submitters; broadcast by free */
    pthread_cond_t has_room; /* signalled under lock by threads taking a job */
    job *queue;              /* queue_len jobs; set at create, then read-only */
    size_t queue_len;        /* set at create, then read-only */
    size_t head, count;      /* guarded by lock: the oldest job, and how many wait */
    int stop;                /* guarded by lock: set once by free; threads exit when idle */
    pthread_t *threads;      /* set at create; joined by free */
    unsigned thread_count;   /* set at create, then read-only */
};

static void *thread_main(void *arg)
{
    hx_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->count == 0) pthread_cond_wait(&p->has_job, &p->lock);
        if (p->count == 0) break; /* stopping, and nothing left to run */
        job j = p->queue[p->head];
        p->head = (p->head + 1) % p->queue_len;
        p->count--;
        pthread_cond_signal(&p->has_room);
        pthread_mutex_unlock(&p->lock);
        j.fn(j.arg);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int hx_pool_create(hx_pool **out, unsigned threads, size_t queue_len)
{
    hx_pool *p = calloc(1, sizeof *p);
    if (!p) return HEXZ_ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->has_job, NULL);
    pthread_cond_init(&p->has_room, NULL);
    p->queue_len = queue_len ? queue_len : 1;
    p->queue = calloc(p->queue_len, sizeof *p->queue);
    p->threads = calloc(threads ? threads : 1, sizeof *p->threads);
    int ok = p->queue && p->threads;
    for (unsigned i = 0; ok && i < threads; i++) {
        ok = pthread_create(&p->threads[i], NULL, thread_main, p) == 0;
        if (ok) p->thread_count++;
    }
    if (!ok || p->thread_count == 0) {
        hx_pool_free(p);
        return HEXZ_ENOMEM;
    }
    *out = p;
    return 0;
}

/* Appends a job; the queue has room. Lock held. */
static void push_locked(hx_pool *p, hx_pool_fn fn, void *arg)
{
    p->queue[(p->head + p->count) % p->queue_len] = (job){fn, arg};
    p->count++;
    pthread_cond_signal(&p->has_job);
}

void hx_pool_submit(hx_pool *p, hx_pool_fn fn, void *arg)
{
    pthread_mutex_lock(&p->lock);
    while (p->count == p->queue_len) pthread_cond_wait(&p->has_room, &p->lock);
    push_locked(p, fn, arg);
    pthread_mutex_unlock(&p->lock);
}

int hx_pool_try_submit(hx_pool *p, hx_pool_fn fn, void *arg)
{
    pthread_mutex_lock(&p->lock);
    int full = p->count == p->queue_len;
    if (!full) push_locked(p, fn, arg);
    pthread_mutex_unlock(&p->lock);
    return full;
}

unsigned hx_pool_threads(const hx_pool *p)
{
    return p->thread_count;
}

void hx_pool_free(hx_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->has_job);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->thread_count; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    free(p->queue);
    pthread_cond_destroy(&p->has_room);
    pthread_cond_destroy(&p->has_job);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
