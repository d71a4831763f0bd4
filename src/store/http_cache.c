/*
 * http_cache.c - the windowed, cached backend over an hx_http (see http_cache.h).
 *
 * How the parts fit: remote_read_at() asks windows_get() for the windows its range covers and
 * copies its bytes out of them. windows_get() looks the first one up in a small hash table
 * under the lock: a READY window is taken (with a reference) and moved to the front of the LRU;
 * a LOADING one is waited for on `done`. If it is missing, this thread inserts it as LOADING,
 * together with the following windows of the range that are missing too (a run of at most
 * HX_RUN_MAX windows and HX_RUN_BYTES bytes), and loads the run with the lock released
 * (run_load: each window from the disk cache if it is there, the rest with one request per
 * gap, fetch_span; fetched windows are written to the disk cache). Each window's outcome is
 * published under the lock (window_finish) and `done` is broadcast; a failure is handed to the
 * waiters with its message and the window leaves the table, so a later read tries again.
 * evict() trims the LRU to its byte budget; a window still being copied from lives on until its
 * last reference is dropped.
 */
#include "store/http_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

#define HX_WINDOW_DEFAULT (1u << 20)
#define HX_WINDOW_MIN 4096u
#define HX_WINDOW_MAX (64u << 20)
#define HX_MEMORY_DEFAULT (64ull << 20)
#define HX_RUN_MAX 64           /* windows fetched by one request, at most ... */
#define HX_RUN_BYTES (8u << 20) /* ... and at most this many bytes (but at least one window) */

typedef enum { WIN_LOADING, WIN_READY, WIN_FAILED } hx_win_state;

typedef struct hx_win hx_win;
struct hx_win {
    uint64_t index;
    uint8_t *data;
    size_t len;
    hx_win_state state;
    int rc;        /* WIN_FAILED: the error code ... */
    char *err;     /* ... and its message, for the threads that waited */
    unsigned refs; /* holders, plus 1 while in the table */
    int in_table, in_lru;
    hx_win *hnext, *prev, *next;
};

typedef struct {
    hx_http *http;
    uint64_t size;
    size_t window;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t done;  /* a window finished loading */
    hx_win **buckets;
    size_t nbuckets;             /* a power of two */
    hx_win *lru_head, *lru_tail; /* READY windows in the table; head = most recent */
    size_t bytes, capacity;
    char *disk_dir; /* NULL: no disk cache */
} hx_remote;

/* ---- table and LRU (lock held) -------------------------------------------------------------- */

static hx_win **bucket(hx_remote *r, uint64_t index)
{
    return &r->buckets[(index * 0x9E3779B97F4A7C15ull >> 20) & (r->nbuckets - 1)];
}

static hx_win *table_find(hx_remote *r, uint64_t index)
{
    for (hx_win *w = *bucket(r, index); w; w = w->hnext)
        if (w->index == index) return w;
    return NULL;
}

static void lru_unlink(hx_remote *r, hx_win *w)
{
    if (!w->in_lru) return;
    if (w->prev) w->prev->next = w->next;
    else r->lru_head = w->next;
    if (w->next) w->next->prev = w->prev;
    else r->lru_tail = w->prev;
    w->prev = w->next = NULL;
    w->in_lru = 0;
    r->bytes -= w->len;
}

static void lru_push(hx_remote *r, hx_win *w)
{
    w->prev = NULL;
    w->next = r->lru_head;
    if (r->lru_head) r->lru_head->prev = w;
    else r->lru_tail = w;
    r->lru_head = w;
    w->in_lru = 1;
    r->bytes += w->len;
}

static void win_unref(hx_win *w)
{
    if (--w->refs) return;
    free(w->data);
    free(w->err);
    free(w);
}

static void table_remove(hx_remote *r, hx_win *w)
{
    if (!w->in_table) return;
    for (hx_win **p = bucket(r, w->index); *p; p = &(*p)->hnext)
        if (*p == w) {
            *p = w->hnext;
            break;
        }
    w->in_table = 0;
    lru_unlink(r, w);
    win_unref(w);
}

static void evict(hx_remote *r)
{
    while (r->bytes > r->capacity && r->lru_tail) table_remove(r, r->lru_tail);
}

/* ---- the disk cache ------------------------------------------------------------------------- */

static int disk_load(hx_remote *r, hx_win *w)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%llu", r->disk_dir, (unsigned long long)w->index);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    size_t got = 0;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size == w->len) {
        while (got < w->len) {
            ssize_t n = pread(fd, w->data + got, w->len - got, (off_t)got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += (size_t)n;
        }
    }
    close(fd);
    return got == w->len ? 0 : -1;
}

/* Best effort: a window that cannot be written is simply fetched again next time. */
static void disk_store(hx_remote *r, const hx_win *w)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", r->disk_dir);
    snprintf(path, sizeof path, "%s/%llu", r->disk_dir, (unsigned long long)w->index);
    int fd = mkstemp(tmp);
    if (fd < 0) return;
    size_t done = 0;
    while (done < w->len) {
        ssize_t n = write(fd, w->data + done, w->len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    int ok = done == w->len && fdatasync(fd) == 0;
    if (close(fd) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

/* HEXZ_CACHE_DIR/<sha256 of URL, validator, size and window size>, or NULL. */
static char *disk_dir_for(const hx_remote *r, const hx_remote_settings *settings)
{
    const char *base = hx_remote_setting(settings, "HEXZ_CACHE_DIR");
    const char *validator = hx_http_validator(r->http);
    if (!base || !*validator) return NULL;
    char *key = NULL, *dir = NULL;
    if (asprintf(&key, "hexz-window-cache-v1\n%s\n%s\n%llu\n%zu", hx_http_url(r->http), validator,
                 (unsigned long long)r->size, r->window) < 0)
        return NULL;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)key, strlen(key));
    free(key);
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    if (asprintf(&dir, "%s/%s", base, hex) < 0) return NULL;
    (void)mkdir(base, 0700);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* ---- windows -------------------------------------------------------------------------------- */

/* Publishes the outcome of a load by this thread and wakes the waiters. */
static void window_finish(hx_remote *r, hx_win *w, int rc)
{
    pthread_mutex_lock(&r->lock);
    if (rc == 0) {
        w->state = WIN_READY;
        lru_push(r, w);
        evict(r);
    } else {
        w->state = WIN_FAILED;
        w->rc = rc;
        w->err = strdup(hexz_last_error());
        table_remove(r, w);
    }
    pthread_cond_broadcast(&r->done);
    pthread_mutex_unlock(&r->lock);
}

/* Fetches windows run[0..n), consecutive and missing from the disk cache, with ONE request. */
static int fetch_span(hx_remote *r, hx_win **run, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += run[i]->len;
    uint8_t *buf = malloc(total);
    int rc = buf ? hx_http_get(r->http, run[0]->index * r->window, total, buf)
                 : hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_http_name(r->http));
    for (size_t i = 0, at = 0; i < n && !rc; at += run[i]->len, i++) {
        memcpy(run[i]->data, buf + at, run[i]->len);
        if (r->disk_dir) disk_store(r, run[i]);
    }
    free(buf);
    return rc;
}

/* Loads and publishes windows run[0..n) (consecutive, LOADING, inserted by this thread): each
 * from the disk cache if it is there, the rest in as few requests as there are gaps. */
static void run_load(hx_remote *r, hx_win **run, size_t n)
{
    int from_disk[HX_RUN_MAX] = {0};
    for (size_t i = 0; i < n; i++) {
        run[i]->data = malloc(run[i]->len);
        if (!run[i]->data) {
            for (size_t k = i; k < n; k++)
                window_finish(r, run[k],
                              hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_http_name(r->http)));
            n = i;
            break;
        }
        from_disk[i] = r->disk_dir && disk_load(r, run[i]) == 0;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (!from_disk[i])
            while (j < n && !from_disk[j]) j++;
        int rc = from_disk[i] ? 0 : fetch_span(r, run + i, j - i);
        for (size_t k = i; k < j; k++) window_finish(r, run[k], rc);
        i = j;
    }
}

static hx_win *window_new(hx_remote *r, uint64_t index)
{
    hx_win *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->index = index;
    uint64_t start = index * r->window;
    w->len = r->size - start < r->window ? (size_t)(r->size - start) : r->window;
    w->state = WIN_LOADING;
    w->refs = 2; /* the table's and the loader's */
    w->in_table = 1;
    hx_win **b = bucket(r, index);
    w->hnext = *b;
    *b = w;
    return w;
}

/* Drops this thread's references to run[0..n) and reports the first failure among them. */
static int run_release(hx_remote *r, hx_win **run, size_t n)
{
    int rc = 0;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        if (!rc && run[i]->state != WIN_READY) {
            rc = run[i]->rc;
            hx_error(rc, "%s", run[i]->err ? run[i]->err : "remote read failed");
        }
        win_unref(run[i]);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* Gets READY windows from `first` on, referenced, into run[]: just `first` if it is cached or
 * being loaded by another thread (then this one waits for it); otherwise `first` and the
 * following windows up to `last` that are missing too, loaded together by this thread. */
static int windows_get(hx_remote *r, uint64_t first, uint64_t last, hx_win **run, size_t *n)
{
    *n = 0;
    pthread_mutex_lock(&r->lock);
    hx_win *w = table_find(r, first);
    if (w) {
        w->refs++;
        while (w->state == WIN_LOADING) pthread_cond_wait(&r->done, &r->lock);
        if (w->in_lru) { /* most recently used */
            lru_unlink(r, w);
            lru_push(r, w);
        }
        pthread_mutex_unlock(&r->lock);
        run[0] = w;
        if (w->state == WIN_READY) {
            *n = 1;
            return 0;
        }
        return run_release(r, run, 1);
    }
    size_t max = HX_RUN_BYTES / r->window;
    if (max < 1) max = 1;
    if (max > HX_RUN_MAX) max = HX_RUN_MAX;
    for (uint64_t i = first; i <= last && *n < max; i++) {
        if (i > first && table_find(r, i)) break;
        hx_win *nw = window_new(r, i);
        if (!nw) break;
        run[(*n)++] = nw;
    }
    pthread_mutex_unlock(&r->lock);
    if (*n == 0) return hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_http_name(r->http));
    run_load(r, run, *n);
    for (size_t i = 0; i < *n; i++)
        if (run[i]->state != WIN_READY) {
            int rc = run_release(r, run, *n);
            *n = 0;
            return rc;
        }
    return 0;
}

/* ---- the backend ---------------------------------------------------------------------------- */

static int remote_read_at(void *ctx, void *buf, size_t len, uint64_t off)
{
    hx_remote *r = ctx;
    if (off > r->size || len > r->size - off)
        return hx_error(HEXZ_ECORRUPT, "%s: read past the end of the archive",
                        hx_http_name(r->http));
    uint8_t *p = buf;
    while (len > 0) {
        hx_win *run[HX_RUN_MAX];
        size_t n;
        int rc = windows_get(r, off / r->window, (off + len - 1) / r->window, run, &n);
        if (rc) return rc;
        for (size_t i = 0; i < n; i++) {
            size_t at = (size_t)(off % r->window),
                   take = run[i]->len - at < len ? run[i]->len - at : len;
            memcpy(p, run[i]->data + at, take);
            p += take;
            off += take;
            len -= take;
        }
        run_release(r, run, n);
    }
    return 0;
}

static void remote_close(void *ctx)
{
    hx_remote *r = ctx;
    if (!r) return;
    for (size_t i = 0; r->buckets && i < r->nbuckets; i++)
        while (r->buckets[i]) table_remove(r, r->buckets[i]);
    free(r->buckets);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->lock);
    hx_http_free(r->http);
    free(r->disk_dir);
    free(r);
}

static int read_config(hx_remote *r, const hx_remote_settings *settings)
{
    uint64_t window, memory;
    int rc = hx_setting_u64(settings, "HEXZ_HTTP_WINDOW", HX_WINDOW_DEFAULT, HX_WINDOW_MIN,
                            HX_WINDOW_MAX, &window);
    if (!rc && (window & (window - 1)))
        rc = hx_error(HEXZ_EINVAL, "HEXZ_HTTP_WINDOW=%llu: must be a power of two",
                      (unsigned long long)window);
    if (!rc)
        rc = hx_setting_u64(settings, "HEXZ_HTTP_CACHE", HX_MEMORY_DEFAULT, 0, SIZE_MAX / 2,
                            &memory);
    if (rc) return rc;
    r->window = (size_t)window;
    r->capacity = (size_t)memory;
    r->nbuckets = 64;
    while (r->nbuckets < 2 * (r->capacity / r->window) && r->nbuckets < (1u << 20))
        r->nbuckets *= 2;
    r->buckets = calloc(r->nbuckets, sizeof *r->buckets);
    if (!r->buckets) return hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_http_name(r->http));
    return 0;
}

int hx_http_cache_backend(hexz_backend *out, hx_http *http, const hx_remote_settings *settings)
{
    hx_remote *r = calloc(1, sizeof *r);
    if (!r) {
        int rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_http_name(http));
        hx_http_free(http);
        return rc;
    }
    r->http = http;
    r->size = hx_http_size(http);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->done, NULL);
    int rc = read_config(r, settings);
    if (rc) {
        remote_close(r);
        return rc;
    }
    r->disk_dir = disk_dir_for(r, settings);
    *out = (hexz_backend){HEXZ_BACKEND_VERSION, r, r->size, remote_read_at, remote_close, NULL};
    return 0;
}
