/*
 * thread_pool.h - the library's one thread pool: N threads running jobs (a function and its
 * argument) from a bounded FIFO queue.
 *
 * Used by the packing pipeline (pack/pipeline.c: the in-order committer and the per-chunk
 * workers) and by read-ahead (read/prefetch.c). A pool is a context object: nothing here is
 * global. Jobs start in submission order (with one thread they also finish in it); what a job
 * does, and how it reports a result, is up to the job.
 */
#ifndef HX_COMMON_THREAD_POOL_H
#define HX_COMMON_THREAD_POOL_H

#include <stddef.h>

typedef struct hx_pool hx_pool;
typedef void (*hx_pool_fn)(void *arg);

/* Starts `threads` (>= 1) threads with room for `queue_len` (>= 1) waiting jobs. All threads
 * start or none: 0, or HEXZ_ENOMEM with no thread left running (no message is set: the caller
 * names what could not start). */
int hx_pool_create(hx_pool **out, unsigned threads, size_t queue_len);
/* Queues fn(arg), waiting while the queue is full. Not after hx_pool_free() has begun. */
void hx_pool_submit(hx_pool *p, hx_pool_fn fn, void *arg);
/* Queues fn(arg) if there is room: 0, or 1 if the queue is full (nothing queued). Never waits
 * for room (only for the queue's lock). */
int hx_pool_try_submit(hx_pool *p, hx_pool_fn fn, void *arg);
/* The number of threads. */
unsigned hx_pool_threads(const hx_pool *p);
/* Lets the threads run every job still queued, joins them and frees the pool. A job that must
 * not do its work any more (its owner is shutting down) has to learn that from its argument.
 * NULL is a no-op. */
void hx_pool_free(hx_pool *p);

#endif
