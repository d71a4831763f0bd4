/*
 * test_chunk.c - fixed and FastCDC chunking (src/chunk): cut sizes, bounds, agreement with a
 * plain restatement of the algorithm, independence from buffering, resynchronisation after an
 * insertion, the average chunk size, parameter validation, and a throughput figure.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chunk/chunk.h"
#include "hash/hash.h"
#include "hexz.h"

#define MIB (1u << 20)

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

static uint8_t *random_buf(tu_rng *rng, size_t n)
{
    uint8_t *p = xmalloc(n);
    tu_rng_fill(rng, p, n);
    return p;
}

static hx_chunker cdc(uint32_t min, uint32_t avg, uint32_t max)
{
    hx_chunker c;
    int rc = hx_chunker_init_cdc(&c, min, avg, max);
    if (rc) fail_msg("hx_chunker_init_cdc(%u, %u, %u): %s", min, avg, max, hexz_last_error());
    return c;
}

/* Chunk lengths of data[0..n) with the whole input available: a malloc'd array, *count set. */
static size_t *chunk_all(const hx_chunker *c, const uint8_t *data, size_t n, size_t *count)
{
    size_t cap = 1024, k = 0;
    size_t *lens = xmalloc(cap * sizeof *lens);
    for (size_t pos = 0; pos < n;) {
        size_t len = hx_chunker_next(c, data + pos, n - pos, 1);
        assert_true(len > 0 && len <= n - pos);
        if (k == cap) {
            cap *= 2;
            lens = realloc(lens, cap * sizeof *lens);
            assert_non_null(lens);
        }
        lens[k++] = len;
        pos += len;
    }
    *count = k;
    return lens;
}

/* The algorithm as chunk.c documents it, written for clarity rather than speed: the cut of the
 * chunk starting at data[0] with `n` bytes left in the input. */
static size_t reference_cut(const hx_chunker *c, const uint8_t *data, size_t n)
{
    uint64_t h = 0;
    for (size_t i = c->min_size; i < c->max_size && i < n; i++) {
        h = (h << 1) + hx_gear_table[data[i]];
        uint64_t mask = i < c->avg_size ? c->mask_s : c->mask_l;
        if ((h & mask) == 0) return i + 1;
    }
    return n < c->max_size ? n : c->max_size;
}

static void test_fixed(void **state)
{
    (void)state;
    hx_chunker c;
    assert_int_equal(hx_chunker_init_fixed(&c, 4096), 0);
    assert_int_equal(hx_chunker_max(&c), 4096);
    uint8_t buf[10000] = {0};
    size_t count;
    size_t *lens = chunk_all(&c, buf, sizeof buf, &count);
    assert_int_equal(count, 3);
    assert_int_equal(lens[0], 4096);
    assert_int_equal(lens[1], 4096);
    assert_int_equal(lens[2], 10000 - 8192);
    free(lens);
    assert_int_equal(hx_chunker_next(&c, buf, 4095, 0), 0); /* need more */
    assert_int_equal(hx_chunker_next(&c, buf, 4096, 0), 4096);
    assert_int_equal(hx_chunker_next(&c, buf, 9999, 0), 4096);
    assert_int_equal(hx_chunker_next(&c, buf, 4095, 1), 4095);
    assert_int_equal(hx_chunker_next(&c, buf, 1, 1), 1);
    assert_int_equal(hx_chunker_next(&c, buf, 0, 1), 0);
    /* Exactly a multiple of the block size: no short tail. */
    lens = chunk_all(&c, buf, 8192, &count);
    assert_int_equal(count, 2);
    assert_int_equal(lens[1], 4096);
    free(lens);
    assert_int_equal(hx_chunker_init_fixed(&c, 64), 0);
    assert_int_equal(hx_chunker_init_fixed(&c, HX_CHUNK_MAX_LIMIT), 0);
    assert_int_equal(hx_chunker_max(&c), HX_CHUNK_MAX_LIMIT);
}

static void test_validation(void **state)
{
    (void)state;
    hx_chunker c;
    memset(&c, 0xAB, sizeof c);
    hx_chunker before = c;
    assert_int_equal(hx_chunker_init_cdc(&c, 16384, 49152, 262144), HEXZ_EINVAL); /* not 2^k */
    assert_int_equal(hx_chunker_init_cdc(&c, 16384, 65535, 262144), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_cdc(&c, 131072, 65536, 262144), HEXZ_EINVAL); /* min>avg */
    assert_int_equal(hx_chunker_init_cdc(&c, 16384, 65536, 32768), HEXZ_EINVAL);   /* avg>max */
    assert_int_equal(hx_chunker_init_cdc(&c, 16384, 65536, HX_CHUNK_MAX_LIMIT + 1), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_cdc(&c, 16384, 65536, UINT32_MAX), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_cdc(&c, 63, 65536, 262144), HEXZ_EINVAL); /* min<64 */
    assert_int_equal(hx_chunker_init_cdc(&c, 0, 64, 64), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_cdc(&c, 32, 32, 32), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_cdc(&c, 0, 0, 0), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_fixed(&c, 63), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_fixed(&c, 0), HEXZ_EINVAL);
    assert_int_equal(hx_chunker_init_fixed(&c, HX_CHUNK_MAX_LIMIT + 1), HEXZ_EINVAL);
    assert_true(strlen(hexz_last_error()) > 0);
    assert_memory_equal(&c, &before, sizeof c); /* failures leave the chunker alone */
    /* The extremes of the limits are valid. */
    assert_int_equal(hx_chunker_init_cdc(&c, 64, 64, 64), 0);
    assert_int_equal(hx_chunker_init_cdc(&c, 64, 64, HX_CHUNK_MAX_LIMIT), 0);
    assert_int_equal(
        hx_chunker_init_cdc(&c, HX_CHUNK_MAX_LIMIT, HX_CHUNK_MAX_LIMIT, HX_CHUNK_MAX_LIMIT), 0);
    assert_int_equal(hx_chunker_max(&c), HX_CHUNK_MAX_LIMIT);
}

/* The masks have the documented number of one-bits, all in bits 16..63. */
static void test_masks(void **state)
{
    (void)state;
    for (unsigned bits = 6; bits <= 26; bits++) {
        uint32_t avg = 1u << bits;
        hx_chunker c = cdc(64, avg, avg);
        assert_int_equal(__builtin_popcountll(c.mask_s), bits + 1);
        assert_int_equal(__builtin_popcountll(c.mask_l), bits - 1);
        assert_true((c.mask_s & 0xFFFF) == 0 && (c.mask_l & 0xFFFF) == 0);
    }
    hx_chunker c = cdc(16384, 65536, 262144);
    assert_true(c.mask_s == 0xa492924949240000ull); /* the values chunk.c's comment quotes */
    assert_true(c.mask_l == 0x9248924892480000ull);
}

/* Checks every chunk of `lens` against the bounds; returns the mean of all but the last. */
static double check_bounds(const hx_chunker *c, const size_t *lens, size_t count)
{
    double sum = 0;
    for (size_t i = 0; i + 1 < count; i++) {
        if (lens[i] < c->min_size || lens[i] > c->max_size)
            fail_msg("chunk %zu of %zu is %zu bytes, outside [%u, %u]", i, count, lens[i],
                     c->min_size, c->max_size);
        sum += (double)lens[i];
    }
    assert_true(count == 0 || (lens[count - 1] > 0 && lens[count - 1] <= c->max_size));
    return count > 1 ? sum / (double)(count - 1) : 0;
}

static const struct {
    uint32_t min, avg, max;
} params[] = {
    {16384, 65536, 262144}, {2048, 8192, 65536}, {512, 1024, 8192},   {64, 256, 1024},
    {4096, 4096, 4096},     {64, 64, 64},        {8192, 8192, 32768}, {1024, 8192, 8192},
};
#define NPARAMS (sizeof params / sizeof params[0])

/* Agreement with reference_cut() for every chunk, on random data and on data with long runs. */
static void test_cdc_matches_reference(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    size_t n = 4 * MIB;
    uint8_t *data = random_buf(&rng, n);
    /* The second half has runs of repeated bytes, where the gear hash settles. */
    for (size_t i = n / 2; i < n; i++) data[i] = (uint8_t)(data[i] & 0x3) * (uint8_t)(i / 5000 % 2);
    for (size_t p = 0; p < NPARAMS; p++) {
        hx_chunker c = cdc(params[p].min, params[p].avg, params[p].max);
        size_t count = 0;
        for (size_t pos = 0; pos < n; count++) {
            size_t got = hx_chunker_next(&c, data + pos, n - pos, 1);
            size_t want = reference_cut(&c, data + pos, n - pos);
            if (got != want)
                fail_msg("param set %zu, chunk at %zu: %zu, expected %zu", p, pos, got, want);
            pos += got;
        }
        assert_true(count >= n / params[p].max);
    }
    free(data);
}

static void test_cdc_bounds(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 1);
    size_t n = 8 * MIB + 12345;
    uint8_t *data = random_buf(&rng, n);
    uint8_t *zeros = calloc(1, n);
    assert_non_null(zeros);
    for (size_t p = 0; p < NPARAMS; p++) {
        hx_chunker c = cdc(params[p].min, params[p].avg, params[p].max);
        assert_int_equal(hx_chunker_max(&c), params[p].max);
        size_t count;
        size_t *lens = chunk_all(&c, data, n, &count);
        check_bounds(&c, lens, count);
        free(lens);
        /* Constant input: the same cut every time, so every chunk but the last is equal. */
        lens = chunk_all(&c, zeros, n, &count);
        check_bounds(&c, lens, count);
        for (size_t i = 1; i + 1 < count; i++) assert_int_equal(lens[i], lens[0]);
        free(lens);
    }
    free(zeros);
    free(data);
}

/* The edge cases of the end of input: short tails, "need more", nothing left. */
static void test_cdc_tail(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 2);
    hx_chunker c = cdc(1024, 4096, 16384);
    uint8_t *data = random_buf(&rng, 16384);
    assert_int_equal(hx_chunker_next(&c, data, 0, 1), 0);
    assert_int_equal(hx_chunker_next(&c, data, 0, 0), 0);
    assert_int_equal(hx_chunker_next(&c, data, 1, 1), 1);
    assert_int_equal(hx_chunker_next(&c, data, 1, 0), 0);
    assert_int_equal(hx_chunker_next(&c, data, 1024, 1), 1024);
    assert_int_equal(hx_chunker_next(&c, data, 1024, 0), 0);
    size_t full = hx_chunker_next(&c, data, 16384, 0);
    assert_true(full > 1024 && full <= 16384);
    /* A cut inside the available bytes is final, with or without the end of input. */
    assert_int_equal(hx_chunker_next(&c, data, full, 0), full);
    assert_int_equal(hx_chunker_next(&c, data, full, 1), full);
    /* One byte short of the cut: need more, or at the end the rest. */
    assert_int_equal(hx_chunker_next(&c, data, full - 1, 0), 0);
    assert_int_equal(hx_chunker_next(&c, data, full - 1, 1), full - 1);
    free(data);
}

/* Cut lengths of data[0..n) as a streaming caller sees them: bytes arrive in pieces whose
 * sizes come from `feed` (0 = random 1..3*max), each call gets an exact-size copy of what is
 * buffered (so ASan catches reads past `len`), at_end only once everything has arrived. */
static size_t *chunk_streaming(const hx_chunker *c, const uint8_t *data, size_t n, size_t feed,
                               tu_rng *rng, size_t *count)
{
    size_t cap = 1024, k = 0, pos = 0, avail = 0;
    size_t *lens = xmalloc(cap * sizeof *lens);
    while (pos < n) {
        uint8_t *view = xmalloc(avail - pos);
        memcpy(view, data + pos, avail - pos);
        size_t r = hx_chunker_next(c, view, avail - pos, avail == n);
        free(view);
        if (r == 0) {
            assert_true(avail < n && avail - pos < hx_chunker_max(c));
            size_t piece = feed ? feed : 1 + (size_t)tu_rng_below(rng, 3 * hx_chunker_max(c));
            avail = avail + piece < n ? avail + piece : n;
            continue;
        }
        assert_true(r <= avail - pos);
        if (k == cap) {
            cap *= 2;
            lens = realloc(lens, cap * sizeof *lens);
            assert_non_null(lens);
        }
        lens[k++] = r;
        pos += r;
    }
    *count = k;
    return lens;
}

static void test_cdc_buffering_independent(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 3);
    size_t n = 3 * MIB + 777;
    uint8_t *data = random_buf(&rng, n);
    static const size_t feeds[] = {0, 0, 1000, 4093, 8192, 32768, 32769, 100000};
    for (size_t p = 0; p < 3; p++) {
        hx_chunker c = cdc(params[p + 1].min, params[p + 1].avg, params[p + 1].max);
        size_t want_count;
        size_t *want = chunk_all(&c, data, n, &want_count);
        for (size_t f = 0; f < sizeof feeds / sizeof feeds[0]; f++) {
            size_t count;
            size_t *got = chunk_streaming(&c, data, n, feeds[f], &rng, &count);
            assert_int_equal(count, want_count);
            assert_memory_equal(got, want, count * sizeof *got);
            free(got);
        }
        free(want);
    }
    free(data);
}

static int memcmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, HX_HASH_LEN);
}

/* The BLAKE3 hashes of the chunks of data[0..n), sorted. */
static uint8_t *chunk_hashes(const hx_chunker *c, const uint8_t *data, size_t n, size_t *count)
{
    size_t *lens = chunk_all(c, data, n, count);
    uint8_t *hashes = xmalloc(*count * HX_HASH_LEN);
    size_t pos = 0;
    for (size_t i = 0; i < *count; i++) {
        hx_hash(data + pos, lens[i], hashes + i * HX_HASH_LEN);
        pos += lens[i];
    }
    free(lens);
    qsort(hashes, *count, HX_HASH_LEN, memcmp_hash);
    return hashes;
}

/* Chunks of b whose hash is not among a's. */
static size_t count_new_chunks(const hx_chunker *c, const uint8_t *a, size_t na, const uint8_t *b,
                               size_t nb)
{
    size_t ca, cb;
    uint8_t *ha = chunk_hashes(c, a, na, &ca);
    uint8_t *hb = chunk_hashes(c, b, nb, &cb);
    size_t changed = 0;
    for (size_t i = 0; i < cb; i++)
        changed += bsearch(hb + i * HX_HASH_LEN, ha, ca, HX_HASH_LEN, memcmp_hash) == NULL;
    free(ha);
    free(hb);
    return changed;
}

static void test_cdc_insertion(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 4);
    size_t n = 32 * MIB, mid = n / 2 + (size_t)tu_rng_below(&rng, 4096);
    uint8_t *a = random_buf(&rng, n);
    uint8_t *b = xmalloc(n + 7);
    memcpy(b, a, mid);
    tu_rng_fill(&rng, b + mid, 7);
    memcpy(b + mid + 7, a + mid, n - mid);
    hx_chunker c = cdc(16384, 65536, 262144);
    size_t changed = count_new_chunks(&c, a, n, b, n + 7);
    printf("[ info     ] CDC: 7 bytes inserted at %zu of 32 MiB change %zu chunk(s)\n", mid,
           changed);
    assert_true(changed >= 1 && changed <= 4);
    /* The same edit shifts every later fixed-size block: the measure does see shifts. */
    hx_chunker f;
    assert_int_equal(hx_chunker_init_fixed(&f, 65536), 0);
    size_t fixed_changed = count_new_chunks(&f, a, n, b, n + 7);
    printf("[ info     ] fixed: the same insertion changes %zu chunk(s)\n", fixed_changed);
    assert_true(fixed_changed >= (n - mid) / 65536);
    free(b);
    free(a);
}

static void test_cdc_average(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 5);
    size_t n = 32 * MIB;
    uint8_t *data = random_buf(&rng, n);
    /* min = avg / 4, as FastCDC recommends. Normalised chunking then gives a mean near
     * 1.2 x avg (a larger min pushes it up: 512/1024/8192 gives about 1.33 x). */
    static const struct {
        uint32_t min, avg, max;
    } sets[] = {{16384, 65536, 262144}, {2048, 8192, 65536}, {1024, 4096, 32768}, {64, 256, 1024}};
    for (size_t p = 0; p < sizeof sets / sizeof sets[0]; p++) {
        hx_chunker c = cdc(sets[p].min, sets[p].avg, sets[p].max);
        size_t count;
        size_t *lens = chunk_all(&c, data, n, &count);
        double mean = check_bounds(&c, lens, count);
        printf("[ info     ] CDC %u/%u/%u: %zu chunks, mean %.0f bytes (%.2f x avg)\n", sets[p].min,
               sets[p].avg, sets[p].max, count, mean, mean / sets[p].avg);
        assert_true(mean >= 0.65 * sets[p].avg && mean <= 1.35 * sets[p].avg);
        free(lens);
    }
    free(data);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Input bytes per second (GB/s) of chunking data[0..n) with `c`, best of three rounds. */
static double chunk_rate(const hx_chunker *c, const uint8_t *data, size_t n)
{
    double best = 0;
    for (int round = 0; round < 3; round++) {
        size_t total = 0;
        double t0 = now_seconds();
        for (size_t pos = 0; pos < n;) {
            size_t len = hx_chunker_next(c, data + pos, n - pos, 1);
            pos += len;
            total += len;
        }
        double rate = (double)n / (now_seconds() - t0) / 1e9;
        assert_int_equal(total, n);
        if (rate > best) best = rate;
    }
    return best;
}

/* Prints the chunker's speed on random data; not asserted, since test machines and sanitizer
 * builds vary. The default parameters skip the first min_size bytes of each chunk; min_size = 64
 * shows the speed of the gear loop itself, with nearly every byte hashed. */
static void test_cdc_throughput(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 6);
    size_t n = 64 * MIB;
    uint8_t *data = random_buf(&rng, n);
    hx_chunker c = cdc(16384, 65536, 262144);
    printf("[ info     ] CDC throughput, 16K/64K/256K, random data: %.2f GB/s\n",
           chunk_rate(&c, data, n));
    c = cdc(64, 65536, 262144);
    printf("[ info     ] CDC throughput, 64/64K/256K (all bytes hashed): %.2f GB/s\n",
           chunk_rate(&c, data, n));
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_cdc_matches_reference),
        cmocka_unit_test(test_cdc_bounds),
        cmocka_unit_test(test_cdc_tail),
        cmocka_unit_test(test_cdc_buffering_independent),
        cmocka_unit_test(test_cdc_insertion),
        cmocka_unit_test(test_cdc_average),
        cmocka_unit_test(test_cdc_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
