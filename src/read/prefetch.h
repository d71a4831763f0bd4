/*
 * prefetch.h - loading blocks ahead of a long sequential read, in parallel.
 *
 * A long read (extract, cat, a big read_at) walks its blocks in order on one thread; a few
 * prefetch threads decompress and verify the next blocks into the reader's block cache
 * meanwhile, so the walker mostly finds them ready. Hints are best effort: a full queue drops
 * them, and a prefetch error is ignored (the walker meets the same error and reports it).
 *
 * The prefetcher knows nothing of the reader: it is given a loader ("load this block entry into
 * the cache") at creation, and calls nothing else but the thread pool (common/thread_pool.h).
 */
#ifndef HX_PREFETCH_H
#define HX_PREFETCH_H

#include "format/format.h"

typedef struct hx_prefetcher hx_prefetcher;

/* Loads entry `e` into the cache `user` stands for; errors are the loader's to drop. Called on
 * the prefetch threads, several at once. */
typedef void (*hx_prefetch_load_fn)(void *user, const hx_block_entry *e);

/* Starts `threads` threads that call load(user, e) for hinted entries. `user` must outlive
 * the prefetcher. */
int hx_prefetcher_create(hx_prefetcher **out, unsigned threads, hx_prefetch_load_fn load,
                         void *user);
/* Drops the hints still queued, waits for the loads under way and frees. NULL is a no-op. */
void hx_prefetcher_free(hx_prefetcher *p);
/* Queues a block (stored or base reference) to be loaded. Never blocks; holes are ignored. */
void hx_prefetcher_hint(hx_prefetcher *p, const hx_block_entry *e);
/* How many blocks ahead of the walker are worth hinting. */
unsigned hx_prefetcher_window(const hx_prefetcher *p);

#endif
