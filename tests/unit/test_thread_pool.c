/*
 * test_thread_pool.c - the one thread pool (src/common/thread_pool.c) that the packing pipeline
 * and read-ahead share: jobs start in submission order (with one thread they run in it),
 * try-submit refuses rather than waits when the queue is full, freeing the pool runs every job
 * still queued before it returns, and many threads running many jobs lose or repeat none.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/thread_pool.h"

/* A gate a job can wait at until the test opens it. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open, waiting;
} gate;

static void gate_init(gate *g)
{
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->open = g->waiting = 0;
}

static void gate_destroy(gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

static void gate_job(void *arg)
{
    gate *g = arg;
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    pthread_cond_broadcast(&g->cond);
    while (!g->open) pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

/* Waits until `n` jobs wait at the gate. */
static void gate_wait_for(gate *g, int n)
{
    pthread_mutex_lock(&g->lock);
    while (g->waiting < n) pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

/* Jobs that record the order they ran in. Only one thread runs them in these tests. */
typedef struct {
    int log[1000];
    int count;
} order_log;

typedef struct {
    order_log *log;
    int id;
} order_job_arg;

static void order_job(void *arg)
{
    order_job_arg *a = arg;
    a->log->log[a->log->count++] = a->id;
}

static void test_one_thread_runs_in_order(void **state)
{
    (void)state;
    enum { N = 1000 };
    hx_pool *p;
    assert_int_equal(hx_pool_create(&p, 1, 8), 0);
    assert_int_equal(hx_pool_threads(p), 1);
    order_log log = {.count = 0};
    order_job_arg *args = calloc(N, sizeof *args);
    assert_non_null(args);
    for (int i = 0; i < N; i++) {
        args[i] = (order_job_arg){&log, i};
        hx_pool_submit(p, order_job, &args[i]); /* waits whenever the 8-job queue is full */
    }
    hx_pool_free(p);
    assert_int_equal(log.count, N);
    for (int i = 0; i < N; i++) assert_int_equal(log.log[i], i);
    free(args);
}

static void count_job(void *arg)
{
    __atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
}

static void test_try_submit_when_full(void **state)
{
    (void)state;
    hx_pool *p;
    gate g;
    gate_init(&g);
    int ran = 0;
    assert_int_equal(hx_pool_create(&p, 1, 2), 0);
    hx_pool_submit(p, gate_job, &g);
    gate_wait_for(&g, 1); /* the only thread is busy: queued jobs stay queued */
    assert_int_equal(hx_pool_try_submit(p, count_job, &ran), 0);
    assert_int_equal(hx_pool_try_submit(p, count_job, &ran), 0);
    assert_int_equal(hx_pool_try_submit(p, count_job, &ran), 1); /* full: refused, not queued */
    assert_int_equal(hx_pool_try_submit(p, count_job, &ran), 1);
    gate_open(&g);
    hx_pool_free(p);
    assert_int_equal(ran, 2);
    gate_destroy(&g);
}

static void test_free_runs_queued_jobs(void **state)
{
    (void)state;
    enum { QUEUED = 50 };
    hx_pool *p;
    gate g;
    gate_init(&g);
    int ran = 0;
    assert_int_equal(hx_pool_create(&p, 2, QUEUED), 0);
    hx_pool_submit(p, gate_job, &g);
    hx_pool_submit(p, gate_job, &g);
    gate_wait_for(&g, 2);
    for (int i = 0; i < QUEUED; i++) assert_int_equal(hx_pool_try_submit(p, count_job, &ran), 0);
    assert_int_equal(__atomic_load_n(&ran, __ATOMIC_RELAXED), 0);
    gate_open(&g);
    hx_pool_free(p); /* returns only after the queued jobs ran and the threads are joined */
    assert_int_equal(ran, QUEUED);
    gate_destroy(&g);
    hx_pool_free(NULL);
}

typedef struct {
    int *hits;
    int index;
} hit_arg;

static void hit_job(void *arg)
{
    hit_arg *a = arg;
    __atomic_fetch_add(&a->hits[a->index], 1, __ATOMIC_RELAXED);
}

static void test_many_threads(void **state)
{
    (void)state;
    enum { THREADS = 64, JOBS = 20000 };
    hx_pool *p;
    assert_int_equal(hx_pool_create(&p, THREADS, 16), 0);
    assert_int_equal(hx_pool_threads(p), THREADS);
    int *hits = calloc(JOBS, sizeof *hits);
    hit_arg *args = calloc(JOBS, sizeof *args);
    assert_non_null(hits);
    assert_non_null(args);
    for (int i = 0; i < JOBS; i++) {
        args[i] = (hit_arg){hits, i};
        hx_pool_submit(p, hit_job, &args[i]);
    }
    hx_pool_free(p);
    for (int i = 0; i < JOBS; i++) assert_int_equal(hits[i], 1);
    free(args);
    free(hits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_thread_runs_in_order),
        cmocka_unit_test(test_try_submit_when_full),
        cmocka_unit_test(test_free_runs_queued_jobs),
        cmocka_unit_test(test_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
