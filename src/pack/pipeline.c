/*
 * pipeline.c - see pipeline.h. The threads are one pool (common/thread_pool.c) of workers + 1:
 * the writer thread is one long-lived job on it, started first, and each submitted chunk is one
 * job that prepares its slot. The pool's queue is FIFO, so the writer job holds one thread for
 * the pipeline's whole life and at most `workers` chunk jobs run at once, each with one of the
 * `workers` codec contexts. One mutex guards the ring's counters, slot states and the idle
 * codec contexts; two condition variables wake the two kinds of waiter (a free slot for the
 * caller, the next finished slot for the writer thread). The lock is never held while hashing,
 * compressing or writing.
 */
#include "pack/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/thread_pool.h"
#include "pack/block_prep.h"
#include "pack/writer_impl.h"

enum { SLOT_FREE, SLOT_FILLED, SLOT_DONE };

typedef struct {
    hx_pipeline *p; /* the pipeline, for the slot's job; set at start */
    int state;      /* guarded by the pipeline lock */
    uint32_t stream;
    int is_hole; /* a run of zeros of len bytes; `in` holds nothing */
    size_t len;
    /* stream, is_hole, len and in are written by the caller while the slot is FREE, then read
     * by its job and the writer thread (ordered by the pipeline lock and the pool's queue). */
    uint8_t *in;      /* the chunk, max_size bytes of room */
    uint8_t *out;     /* compressed bytes, codec bound of room */
    uint8_t *enc;     /* sealed bytes when encrypting, codec bound + AEAD overhead */
    hx_prepared prep; /* written by the worker, read by the writer thread */
} slot;

/* Content hashes the workers have seen, so that only the first chunk with a given content is
 * compressed: the writer thread would drop a duplicate's compressed bytes anyway (it dedups in
 * input order). Sharded by hash, each shard under its own lock. If two equal chunks race, or
 * the first one seen is not the first in input order, the writer compresses the one it keeps
 * itself; the archive's bytes are the same either way. */
#define SEEN_SHARDS 16
typedef struct {
    pthread_mutex_t lock;
    hx_dedup_table table;
} seen_shard;

struct hx_pipeline {
    hexz_writer *w;               /* set at start; the writer thread alone commits to it */
    seen_shard seen[SEEN_SHARDS]; /* each under its own lock */
    hx_pool *pool;                /* workers + 1 threads; set at start */
    pthread_mutex_t lock;
    pthread_cond_t has_free;       /* broadcast under lock: a slot was committed, or stop */
    pthread_cond_t has_done;       /* broadcast under lock: a slot was prepared, or stop */
    slot *slots;                   /* slot_count slots; set at start */
    size_t slot_count;             /* set at start, then read-only */
    size_t out_cap;                /* set at start, then read-only */
    uint64_t submitted, committed; /* guarded by lock; sequence numbers, slot = seq % slot_count */
    int stop;                      /* guarded by lock; set on error or free: every stage exits */
    int error;                     /* guarded by lock; the first error code, 0 if none */
    char error_msg[1024];          /* guarded by lock; the first error's message */
    hx_codec_ctx **codecs;         /* codec_count contexts, one per worker; set at start */
    unsigned codec_count;          /* set at start, then read-only */
    unsigned codecs_idle;          /* guarded by lock: codecs[0..codecs_idle) are not in use */
};

/* Records the first failure (with this thread's message) and stops everything. Lock held. */
static void fail_locked(hx_pipeline *p, int rc)
{
    if (!p->error) {
        p->error = rc;
        snprintf(p->error_msg, sizeof p->error_msg, "%s", hexz_last_error());
    }
    p->stop = 1;
    pthread_cond_broadcast(&p->has_free);
    pthread_cond_broadcast(&p->has_done);
}

/* Has another chunk with this content already been given to a worker? Records it if not. */
static int seen_before(hx_pipeline *p, const uint8_t hash[HX_HASH_LEN])
{
    if (!p->w->opts.dedup) return 0;
    seen_shard *sh = &p->seen[hash[HX_HASH_LEN - 1] % SEEN_SHARDS];
    pthread_mutex_lock(&sh->lock);
    int seen = hx_dedup_find(&sh->table, hash) != NULL;
    if (!seen) {
        hx_dedup_slot entry = {0};
        memcpy(entry.hash, hash, HX_HASH_LEN);
        /* Out of memory here only costs a compression the writer drops. */
        hx_dedup_insert(&sh->table, &entry);
    }
    pthread_mutex_unlock(&sh->lock);
    return seen;
}

static int prepare(hx_pipeline *p, hx_codec_ctx *ctx, slot *s)
{
    if (s->is_hole) {
        memset(&s->prep, 0, sizeof s->prep);
        s->prep.is_zero = 1;
        return 0;
    }
    hx_block_prepare_hash(s->in, s->len, &p->w->crypto, &s->prep);
    if (s->prep.is_zero || seen_before(p, s->prep.content_hash)) return 0;
    int rc = hx_block_prepare_store(ctx, (int)p->w->opts.codec, s->in, s->len, s->out, p->out_cap,
                                    s->enc, &p->w->crypto, &s->prep);
    return rc ? hx_error(rc, "%s: %s", p->w->out.dest, hexz_last_error()) : 0;
}

/* The job of one submitted slot: prepares it with an idle codec context and marks it DONE.
 * Once the pipeline has stopped, the slot is abandoned untouched. */
static void prepare_job(void *arg)
{
    slot *s = arg;
    hx_pipeline *p = s->p;
    pthread_mutex_lock(&p->lock);
    /* Never short of contexts: the pool runs at most `workers` of these jobs at once. */
    hx_codec_ctx *ctx = p->stop || p->codecs_idle == 0 ? NULL : p->codecs[--p->codecs_idle];
    if (!ctx && !p->stop)
        fail_locked(p, hx_error(HEXZ_EINVAL, "%s: no idle codec context (a bug)", p->w->out.dest));
    pthread_mutex_unlock(&p->lock);
    if (!ctx) return;
    int rc = prepare(p, ctx, s);
    pthread_mutex_lock(&p->lock);
    p->codecs[p->codecs_idle++] = ctx;
    if (rc) {
        fail_locked(p, rc);
    } else {
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&p->has_done);
    }
    pthread_mutex_unlock(&p->lock);
}

/* The writer thread: commits the prepared slots strictly in submission order until stopped. */
static void writer_job(void *arg)
{
    hx_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        slot *s = &p->slots[p->committed % p->slot_count];
        while (!p->stop && (p->committed == p->submitted || s->state != SLOT_DONE))
            pthread_cond_wait(&p->has_done, &p->lock);
        if (p->stop) break;
        pthread_mutex_unlock(&p->lock);
        int rc = hx_writer_commit_chunk(p->w, s->stream, s->in, s->len, &s->prep);
        pthread_mutex_lock(&p->lock);
        if (rc) {
            fail_locked(p, rc);
            break;
        }
        s->state = SLOT_FREE;
        p->committed++;
        pthread_cond_broadcast(&p->has_free);
    }
    pthread_mutex_unlock(&p->lock);
}

static int alloc_slots(hx_pipeline *p, unsigned workers)
{
    size_t max = hx_chunker_max(&p->w->chunker);
    p->slot_count = (size_t)workers * 4;
    p->slots = calloc(p->slot_count, sizeof *p->slots);
    p->codecs = calloc(workers, sizeof *p->codecs);
    if (!p->slots || !p->codecs) return hx_error(HEXZ_ENOMEM, "%s: out of memory", p->w->out.dest);
    for (unsigned i = 0; i < workers; i++) {
        int rc = hx_codec_ctx_create(&p->codecs[i], (int)p->w->opts.codec, p->w->opts.level);
        if (rc) return hx_error(rc, "%s: %s", p->w->out.dest, hexz_last_error());
        p->codec_count++;
        if (p->w->dict) hx_codec_ctx_set_dict(p->codecs[i], p->w->dict);
    }
    p->codecs_idle = p->codec_count;
    p->out_cap = hx_codec_bound(p->codecs[0], max);
    for (size_t i = 0; i < p->slot_count; i++) {
        p->slots[i].p = p;
        p->slots[i].in = malloc(max);
        p->slots[i].out = malloc(p->out_cap);
        p->slots[i].enc = p->w->encrypted ? malloc(p->out_cap + HX_AEAD_OVERHEAD) : NULL;
        if (!p->slots[i].in || !p->slots[i].out || (p->w->encrypted && !p->slots[i].enc))
            return hx_error(HEXZ_ENOMEM, "%s: out of memory for pipeline buffers", p->w->out.dest);
    }
    return 0;
}

/* The pool: the writer job first, so that it holds one thread from the start. Room in the
 * queue for it and every slot, so that submitting never waits on the pool. */
static int start_threads(hx_pipeline *p, unsigned workers)
{
    if (hx_pool_create(&p->pool, workers + 1, p->slot_count + 1) != 0)
        return hx_error(HEXZ_ENOMEM, "%s: cannot start worker threads", p->w->out.dest);
    hx_pool_submit(p->pool, writer_job, p);
    return 0;
}

int hx_pipeline_start(hx_pipeline **out, hexz_writer *w, unsigned workers)
{
    hx_pipeline *p = calloc(1, sizeof *p);
    if (!p) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    p->w = w;
    for (int i = 0; i < SEEN_SHARDS; i++) {
        pthread_mutex_init(&p->seen[i].lock, NULL);
        hx_dedup_init(&p->seen[i].table);
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->has_free, NULL);
    pthread_cond_init(&p->has_done, NULL);
    int rc = alloc_slots(p, workers);
    if (!rc) rc = start_threads(p, workers);
    if (rc) {
        hx_pipeline_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static int error_locked(hx_pipeline *p)
{
    return p->error ? hx_error(p->error, "%s", p->error_msg) : HEXZ_ECANCELED;
}

int hx_pipeline_submit(hx_pipeline *p, uint32_t stream, const uint8_t *data, size_t len)
{
    pthread_mutex_lock(&p->lock);
    while (!p->stop && p->submitted - p->committed == p->slot_count)
        pthread_cond_wait(&p->has_free, &p->lock);
    if (p->stop) {
        int rc = error_locked(p);
        pthread_mutex_unlock(&p->lock);
        return rc;
    }
    slot *s = &p->slots[p->submitted % p->slot_count];
    pthread_mutex_unlock(&p->lock);
    /* The slot is FREE and only this thread fills slots: copy outside the lock. */
    if (data) memcpy(s->in, data, len); /* NULL: a run of zeros, nothing to copy */
    s->is_hole = data == NULL;
    s->len = len;
    s->stream = stream;
    pthread_mutex_lock(&p->lock);
    s->state = SLOT_FILLED;
    p->submitted++;
    pthread_mutex_unlock(&p->lock);
    hx_pool_submit(p->pool, prepare_job, s);
    return 0;
}

int hx_pipeline_drain(hx_pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->stop && p->committed != p->submitted) pthread_cond_wait(&p->has_free, &p->lock);
    int rc = p->stop ? error_locked(p) : 0;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void hx_pipeline_free(hx_pipeline *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->has_free);
    pthread_cond_broadcast(&p->has_done);
    pthread_mutex_unlock(&p->lock);
    hx_pool_free(p->pool); /* the writer job exits; queued slot jobs see `stop` and return */
    for (size_t i = 0; p->slots && i < p->slot_count; i++) {
        free(p->slots[i].in);
        free(p->slots[i].out);
        free(p->slots[i].enc);
    }
    for (unsigned i = 0; i < p->codec_count; i++) hx_codec_ctx_free(p->codecs[i]);
    free(p->codecs);
    free(p->slots);
    pthread_cond_destroy(&p->has_free);
    pthread_cond_destroy(&p->has_done);
    pthread_mutex_destroy(&p->lock);
    for (int i = 0; i < SEEN_SHARDS; i++) {
        hx_dedup_free(&p->seen[i].table);
        pthread_mutex_destroy(&p->seen[i].lock);
    }
    free(p);
}
