/*
 * prefetch.h - loading blocks ahead of a long sequential read, in parallel.
 *
 * A long read (extract, cat, a big read_at) walks its blocks in order on one thread; a few
 * prefetch threads decompress and verify the next blocks into the reader's block cache
 * meanwhile, so the walker mostly finds them ready. Hints are best effort: a full queue drops
 * them, and a prefetch error is ignored (the walker meets the same error and reports it).
 */
#ifndef HX_PREFETCH_H
#define HX_PREFETCH_H

#include "format/format.h"

struct hexz_reader;
typedef struct hx_prefetcher hx_prefetcher;

int hx_prefetcher_create(hx_prefetcher **out, struct hexz_reader *r, unsigned threads);
void hx_prefetcher_free(hx_prefetcher *p);
/* Queues a block (stored or base reference) to be loaded into the cache. Never blocks. */
void hx_prefetcher_hint(hx_prefetcher *p, const hx_block_entry *e);
/* How many blocks ahead of the walker are worth hinting. */
unsigned hx_prefetcher_window(const hx_prefetcher *p);

#endif
