/*
 * prefetch.c - see prefetch.h. Each hint is one job on a thread pool whose queue holds
 * QUEUE_LEN hints; the job calls the loader the prefetcher was created with. Calls nothing in
 * the reader: what a load means (resolve a base reference, then the block cache) is the
 * loader's, so whatever it loads is verified exactly as a direct read would be.
 */
#include "read/prefetch.h"

#include <stdlib.h>

#include "common/thread_pool.h"
#include "hexz.h"

#define QUEUE_LEN 64

struct hx_prefetcher {
    hx_pool *pool;            /* set at create; freed (joined) first by free */
    hx_prefetch_load_fn load; /* set at create, then read-only */
    void *user;               /* set at create, then read-only */
    int stopping;             /* atomic: set by free; queued hints then load nothing */
};

typedef struct {
    hx_prefetcher *p;
    hx_block_entry e;
} hint;

static void hint_job(void *arg)
{
    hint *h = arg;
    if (!__atomic_load_n(&h->p->stopping, __ATOMIC_ACQUIRE)) h->p->load(h->p->user, &h->e);
    free(h);
}

int hx_prefetcher_create(hx_prefetcher **out, unsigned threads, hx_prefetch_load_fn load,
                         void *user)
{
    hx_prefetcher *p = calloc(1, sizeof *p);
    if (!p) return HEXZ_ENOMEM;
    p->load = load;
    p->user = user;
    int rc = hx_pool_create(&p->pool, threads, QUEUE_LEN);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void hx_prefetcher_free(hx_prefetcher *p)
{
    if (!p) return;
    __atomic_store_n(&p->stopping, 1, __ATOMIC_RELEASE);
    hx_pool_free(p->pool);
    free(p);
}

void hx_prefetcher_hint(hx_prefetcher *p, const hx_block_entry *e)
{
    if (e->kind == HX_BLOCK_HOLE) return;
    hint *h = malloc(sizeof *h);
    if (!h) return;
    *h = (hint){p, *e};
    if (hx_pool_try_submit(p->pool, hint_job, h) != 0) free(h);
}

unsigned hx_prefetcher_window(const hx_prefetcher *p)
{
    return 2 * hx_pool_threads(p->pool) + 2;
}
