/*
 * bench_remote.c - times reads of an archive through libhexz, for bench/bench_remote.sh.
 *
 *   bench_remote seq LOCATION        reads the whole "main" stream front to back, 1 MiB a call
 *   bench_remote rand LOCATION N [SEED]  N reads of 4 KiB at random 4 KiB-aligned offsets
 *
 * LOCATION is a path or an http://, https:// or s3:// URL; the remote tuning variables
 * (HEXZ_HTTP_WINDOW, HEXZ_HTTP_CACHE, ...) apply as usual. Each run opens a fresh reader, so
 * nothing is cached beforehand. It prints one line of key=value pairs: open_ms, bytes, seconds
 * and MiB_per_s (seq) or reads, seconds, reads_per_s and avg_ms (rand). The request counts
 * come from the server's log, which the script reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hexz.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_remote: %s: %s\n", what, hexz_last_error());
    return 1;
}

static int run_seq(hexz_reader *r, uint64_t size)
{
    size_t cap = 1u << 20;
    char *buf = malloc(cap);
    if (!buf) return 1;
    double t0 = now_s();
    uint64_t total = 0;
    for (uint64_t off = 0; off < size;) {
        size_t got;
        if (hexz_reader_read_at(r, 0, buf, cap, off, &got) != 0 || got == 0) {
            free(buf);
            return fail("read");
        }
        off += got;
        total += got;
    }
    double dt = now_s() - t0;
    printf("bytes=%llu seconds=%.3f MiB_per_s=%.1f\n", (unsigned long long)total, dt,
           (double)total / (1 << 20) / dt);
    free(buf);
    return 0;
}

static int run_rand(hexz_reader *r, uint64_t size, unsigned n, uint64_t seed)
{
    char buf[4096];
    uint64_t x = seed ? seed : 1, slots = size / 4096;
    if (slots == 0) return fail("stream shorter than 4 KiB");
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        size_t got;
        if (hexz_reader_read_at(r, 0, buf, sizeof buf, (x % slots) * 4096, &got) != 0)
            return fail("read");
    }
    double dt = now_s() - t0;
    printf("reads=%u seconds=%.3f reads_per_s=%.1f avg_ms=%.3f\n", n, dt, n / dt, dt * 1000 / n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "seq") != 0 && strcmp(argv[1], "rand") != 0) ||
        (strcmp(argv[1], "rand") == 0 && argc < 4)) {
        fprintf(stderr, "usage: bench_remote seq LOCATION | bench_remote rand LOCATION N [SEED]\n");
        return 2;
    }
    double t0 = now_s();
    hexz_reader *r;
    if (hexz_reader_open(&r, argv[2]) != 0) return fail("open");
    printf("open_ms=%.1f ", (now_s() - t0) * 1000);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    if (hexz_reader_stream_info(r, 0, &si) != 0) return fail("stream");
    int rc = strcmp(argv[1], "seq") == 0
                 ? run_seq(r, si.size)
                 : run_rand(r, si.size, (unsigned)strtoul(argv[3], NULL, 10),
                            argc > 4 ? strtoull(argv[4], NULL, 10) : 42);
    hexz_reader_free(r);
    return rc;
}
