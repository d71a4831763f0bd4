/*
 * bench_read.c - in-process random-read benchmark of libhexz (include/hexz.h only).
 *
 *   bench_read ARCHIVE [--reads N] [--cold-reads N] [--size N] [--working-set N]
 *              [--threads LIST] [--seed N] [--stream NAME] [--unaligned] [--raw FILE]
 *              [--evict] [--json]
 *
 * Passes, each over offsets drawn from one seeded xoshiro256** (the generator of
 * tests/testutil.h), every read timed alone with clock_gettime(CLOCK_MONOTONIC):
 *   cold-evicted  a fresh reader with the block cache off, after the archive's pages were
 *                 dropped from the OS page cache (posix_fadvise DONTNEED; effective only for
 *                 clean pages): every read finds its index page (first touch), reads the
 *                 stored block from storage, checks it (XXH3, length, BLAKE3) and decodes it.
 *                 Only with --evict.
 *   cold          the block cache off (hexz_reader_set_cache_size 0), the OS page cache warm:
 *                 every read loads, verifies and decompresses one whole block. The decode
 *                 cost of a random read.
 *   warm          the default 64 MiB block cache, offsets inside a working set that fits in it
 *                 (--working-set, default 32 MiB or the stream if smaller), every block of the
 *                 working set touched once before timing: a 4 KiB read served from the cache.
 *   raw           (--raw FILE) pread() of the same offsets from a plain file: the floor.
 * Then the multi-threaded variant: T threads (--threads, default 1,2,4) sharing one reader,
 * each doing reads/T reads, warm and cold; aggregate reads/s and MB/s.
 * Results: one table on stdout (p50, p99, mean, max latency in microseconds, reads/s, MB/s),
 * or with --json one JSON object per line.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hexz.h"

typedef struct {
    uint64_t s[4];
} rng;

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = z ^ (z >> 31);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_read: %s: %s: %s\n", what, hexz_strerror(rc), hexz_last_error());
    exit(1);
}

static uint64_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    switch (*end) {
    case 'k':
    case 'K': v *= 1024.0; break;
    case 'm':
    case 'M': v *= 1048576.0; break;
    case 'g':
    case 'G': v *= 1073741824.0; break;
    default: break;
    }
    return (uint64_t)v;
}

/* ---- options ----------------------------------------------------------------------------- */

typedef struct {
    const char *archive;
    const char *stream;
    const char *raw;
    size_t reads, cold_reads, read_size;
    uint64_t working_set;
    uint64_t seed;
    int unaligned, evict, json;
    unsigned threads[16];
    unsigned thread_count;
} options;

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_read ARCHIVE [--reads N] [--cold-reads N] [--size N] [--working-set N]\n"
            "                  [--threads 1,2,4] [--seed N] [--stream NAME] [--unaligned]\n"
            "                  [--raw FILE] [--evict] [--json]\n");
    exit(2);
}

static void parse_threads(options *o, const char *list)
{
    o->thread_count = 0;
    const char *p = list;
    while (*p && o->thread_count < 16) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 256) usage();
        o->threads[o->thread_count++] = (unsigned)v;
        p = end;
        if (*p == ',') p++;
        else if (*p) usage();
    }
}

static void parse_args(options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->reads = 100000;
    o->cold_reads = 20000;
    o->read_size = 4096;
    o->working_set = 32ull << 20;
    o->seed = 0x5EED2026ull;
    parse_threads(o, "1,2,4");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--unaligned") == 0) o->unaligned = 1;
        else if (strcmp(a, "--evict") == 0) o->evict = 1;
        else if (strcmp(a, "--json") == 0) o->json = 1;
        else if (a[0] == '-' && !v) usage();
        else if (strcmp(a, "--reads") == 0) o->reads = (size_t)parse_size(argv[++i]);
        else if (strcmp(a, "--cold-reads") == 0) o->cold_reads = (size_t)parse_size(argv[++i]);
        else if (strcmp(a, "--size") == 0) o->read_size = (size_t)parse_size(argv[++i]);
        else if (strcmp(a, "--working-set") == 0) o->working_set = parse_size(argv[++i]);
        else if (strcmp(a, "--seed") == 0) o->seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(a, "--stream") == 0) o->stream = argv[++i];
        else if (strcmp(a, "--raw") == 0) o->raw = argv[++i];
        else if (strcmp(a, "--threads") == 0) parse_threads(o, argv[++i]);
        else if (a[0] == '-' || o->archive) usage();
        else o->archive = a;
    }
    if (!o->archive || o->reads == 0 || o->read_size == 0) usage();
    if (o->cold_reads > o->reads) o->cold_reads = o->reads;
}

/* ---- offsets and statistics -------------------------------------------------------------- */

/* `n` offsets in [base, base + span - read_size], 4 KiB-aligned unless unaligned. */
static uint64_t *make_offsets(const options *o, uint64_t seed, size_t n, uint64_t base,
                              uint64_t span)
{
    uint64_t *off = malloc(n * sizeof *off);
    if (!off) {
        perror("bench_read: malloc");
        exit(1);
    }
    rng r;
    rng_seed(&r, seed);
    uint64_t room = span > o->read_size ? span - o->read_size + 1 : 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rng_next(&r) % room;
        if (!o->unaligned) x &= ~(uint64_t)4095;
        off[i] = base + x;
    }
    return off;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double p50, p99, mean, max;
} stats;

static stats summarize(double *lat, size_t n)
{
    stats s = {0};
    if (n == 0) return s;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += lat[i];
    qsort(lat, n, sizeof *lat, cmp_double);
    s.p50 = lat[(n - 1) / 2];
    s.p99 = lat[(size_t)((double)(n - 1) * 0.99)];
    s.mean = sum / (double)n;
    s.max = lat[n - 1];
    return s;
}

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* cores = process CPU time / wall time over the pass: below the thread count when the threads
 * wait (for a lock, for I/O, or for a CPU that another process holds). */
static void report(const options *o, const char *pass, unsigned threads, size_t reads,
                   double wall_us, double cores, const stats *s)
{
    double rps = (double)reads / (wall_us / 1e6);
    double mbps = rps * (double)o->read_size / 1048576.0;
    if (o->json)
        printf("{\"pass\":\"%s\",\"threads\":%u,\"reads\":%zu,\"read_size\":%zu,\"p50_us\":%.3f,"
               "\"p99_us\":%.3f,\"mean_us\":%.3f,\"max_us\":%.3f,\"reads_per_s\":%.0f,\"mib_per_"
               "s\":%.1f,"
               "\"cpu\":%.2f}\n",
               pass, threads, reads, o->read_size, s->p50, s->p99, s->mean, s->max, rps, mbps,
               cores);
    else
        printf("| %-13s | %7u | %8zu | %9.2f | %9.2f | %9.2f | %9.1f | %11.0f | %8.1f | %5.2f |\n",
               pass, threads, reads, s->p50, s->p99, s->mean, s->max, rps, mbps, cores);
    fflush(stdout);
}

/* ---- the timed loops --------------------------------------------------------------------- */

typedef struct {
    hexz_reader *r;
    unsigned stream;
    int raw_fd;
    const uint64_t *off;
    size_t n, read_size;
    double *lat;
    int rc;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    uint8_t *buf = malloc(j->read_size);
    if (!buf) {
        j->rc = HEXZ_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < j->n; i++) {
        double t0 = now_us();
        size_t got = 0;
        if (j->r) {
            int rc = hexz_reader_read_at(j->r, j->stream, buf, j->read_size, j->off[i], &got);
            if (rc) {
                j->rc = rc;
                break;
            }
        } else {
            ssize_t n = pread(j->raw_fd, buf, j->read_size, (off_t)j->off[i]);
            got = n > 0 ? (size_t)n : 0;
        }
        j->lat[i] = now_us() - t0;
        if (got == 0) {
            j->rc = HEXZ_EIO;
            break;
        }
    }
    free(buf);
    return NULL;
}

/* Runs `threads` jobs over off[0..n) (split evenly) and reports one line. */
static void timed(const options *o, const char *pass, hexz_reader *r, unsigned stream, int raw_fd,
                  const uint64_t *off, size_t n, unsigned threads)
{
    double *lat = malloc(n * sizeof *lat);
    job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tid = calloc(threads, sizeof *tid);
    if (!lat || !jobs || !tid) {
        perror("bench_read: malloc");
        exit(1);
    }
    size_t per = n / threads;
    for (unsigned t = 0; t < threads; t++) {
        size_t start = (size_t)t * per;
        jobs[t] = (job){r,
                        stream,
                        raw_fd,
                        off + start,
                        t + 1 == threads ? n - start : per,
                        o->read_size,
                        lat + start,
                        0};
    }
    double c0 = cpu_us();
    double t0 = now_us();
    if (threads == 1) {
        run_job(&jobs[0]);
    } else {
        for (unsigned t = 0; t < threads; t++)
            if (pthread_create(&tid[t], NULL, run_job, &jobs[t]) != 0) {
                fprintf(stderr, "bench_read: cannot start a thread\n");
                exit(1);
            }
        for (unsigned t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    }
    double wall = now_us() - t0;
    double cores = (cpu_us() - c0) / wall;
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].rc) die(pass, jobs[t].rc);
    stats s = summarize(lat, n);
    report(o, pass, threads, n, wall, cores, &s);
    free(lat);
    free(jobs);
    free(tid);
}

static hexz_reader *open_reader(const options *o, unsigned *stream, uint64_t *size)
{
    hexz_reader *r;
    int rc = hexz_reader_open(&r, o->archive);
    if (rc) die(o->archive, rc);
    *stream = 0;
    if (o->stream) {
        rc = hexz_reader_find_stream(r, o->stream, stream);
        if (rc) die(o->stream, rc);
    }
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    rc = hexz_reader_stream_info(r, *stream, &si);
    if (rc) die("stream info", rc);
    *size = si.size;
    return r;
}

static void evict_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    /* Only clean pages go; the archive was fsynced by the writer. */
    int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (rc) fprintf(stderr, "bench_read: posix_fadvise: %s\n", strerror(rc));
    close(fd);
}

int main(int argc, char **argv)
{
    options o;
    parse_args(&o, argc, argv);
    unsigned stream;
    uint64_t size;
    hexz_reader *r = open_reader(&o, &stream, &size);
    if (size < o.read_size) {
        fprintf(stderr, "bench_read: the stream (%llu bytes) is smaller than one read\n",
                (unsigned long long)size);
        return 1;
    }
    uint64_t ws = o.working_set < size ? o.working_set : size;
    if (!o.json) {
        printf("archive %s: stream of %llu bytes; %zu-byte reads at %s offsets, seed 0x%llx; warm "
               "working "
               "set %llu bytes\n\n",
               o.archive, (unsigned long long)size, o.read_size,
               o.unaligned ? "random" : "random 4 KiB-aligned", (unsigned long long)o.seed,
               (unsigned long long)ws);
        printf("| pass          | threads |    reads |  p50 (us) |  p99 (us) | mean (us) |  max "
               "(us) |     reads/s |    MiB/s | cores |\n");
        printf("|---------------|--------:|---------:|----------:|----------:|----------:|---------"
               "-:|------------:|---------:|------:|\n");
    }
    uint64_t *all = make_offsets(&o, o.seed, o.reads, 0, size);
    /* The warm working set starts at a random place in the stream. */
    rng wr;
    rng_seed(&wr, o.seed ^ 0xA5A5A5A5ull);
    uint64_t ws_base = size > ws ? (rng_next(&wr) % (size - ws + 1)) & ~(uint64_t)4095 : 0;
    uint64_t *warm = make_offsets(&o, o.seed + 1, o.reads, ws_base, ws);

    if (o.evict) {
        hexz_reader_free(r);
        evict_file(o.archive);
        r = open_reader(&o, &stream, &size);
        hexz_reader_set_cache_size(r, 0);
        timed(&o, "cold-evicted", r, stream, -1, all, o.cold_reads, 1);
        hexz_reader_free(r);
        r = open_reader(&o, &stream, &size);
    }

    /* Cold: block cache off; index pages still cached after their first touch. */
    hexz_reader_set_cache_size(r, 0);
    for (unsigned t = 0; t < o.thread_count; t++)
        if (o.threads[t] == 1) timed(&o, "cold", r, stream, -1, all, o.cold_reads, 1);

    /* Warm: fill the cache with the working set, then time the same offsets. */
    hexz_reader_set_cache_size(r, 64u << 20);
    {
        uint8_t *buf = malloc(o.read_size);
        size_t got;
        for (uint64_t off = ws_base; off + o.read_size <= ws_base + ws; off += 4096) {
            int rc = hexz_reader_read_at(r, stream, buf, o.read_size, off, &got);
            if (rc) die("prefill", rc);
        }
        free(buf);
    }
    for (unsigned t = 0; t < o.thread_count; t++)
        if (o.threads[t] == 1) timed(&o, "warm", r, stream, -1, warm, o.reads, 1);

    if (o.raw) {
        int fd = open(o.raw, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "bench_read: %s: %s\n", o.raw, strerror(errno));
            return 1;
        }
        timed(&o, "raw-pread", NULL, 0, fd, warm, o.reads, 1);
        close(fd);
    }

    /* Many threads sharing one reader. */
    for (unsigned t = 0; t < o.thread_count; t++) {
        unsigned n = o.threads[t];
        if (n == 1) continue;
        timed(&o, "warm", r, stream, -1, warm, o.reads, n);
    }
    /* Cold again: a fresh reader (setting the size to 0 does not empty the cache at once). */
    hexz_reader_free(r);
    r = open_reader(&o, &stream, &size);
    hexz_reader_set_cache_size(r, 0);
    for (unsigned t = 0; t < o.thread_count; t++) {
        unsigned n = o.threads[t];
        if (n == 1) continue;
        timed(&o, "cold", r, stream, -1, all, o.cold_reads, n);
    }
    hexz_reader_free(r);
    free(all);
    free(warm);
    return 0;
}
