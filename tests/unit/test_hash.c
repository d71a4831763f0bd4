/*
 * test_hash.c - the digests (src/hash): BLAKE3 against the independent `b3sum` tool, incremental
 * against one-shot hashing, XXH3-64 against `xxhsum -H3` and a published vector, and the FastCDC
 * gear table against its definition in docs/FORMAT.md.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk/chunk.h"
#include "hash/hash.h"

#define B3SUM "/usr/bin/b3sum"
#define XXHSUM "/usr/bin/xxhsum"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

static void to_hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* BLAKE3 of a file by `b3sum --no-names`, as 64 hex digits. */
static void b3sum_file(const char *path, char hex[65])
{
    char *out = NULL, *err = NULL;
    const char *const argv[] = {B3SUM, "--no-names", path, NULL};
    int rc = tu_run(&out, &err, argv);
    if (rc != 0) fail_msg("b3sum failed (%d): %s", rc, err ? err : "");
    assert_true(strlen(out) >= 64);
    memcpy(hex, out, 64);
    hex[64] = '\0';
    free(out);
    free(err);
}

/* The input sizes the tool comparisons use: around BLAKE3's 1024-byte chunks and 64-byte blocks,
 * and large enough to use the SIMD kernels over many chunks. */
static const size_t tool_sizes[] = {0,    1,    63,   64,    65,       1023,     1024,
                                    1025, 2048, 3073, 65537, 1u << 20, 10u << 20};
#define NTOOL (sizeof tool_sizes / sizeof tool_sizes[0])

/* Input i of the tool comparisons; the 10 MiB one is a text-like pattern, the rest random. */
static uint8_t *tool_input(tu_rng *rng, size_t n)
{
    uint8_t *buf = xmalloc(n);
    if (n == (10u << 20)) {
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)("hexz\n"[i % 5] + (i >> 20));
    } else {
        tu_rng_fill(rng, buf, n);
    }
    return buf;
}

static void test_blake3_vs_b3sum(void **state)
{
    (void)state;
    /* b3sum is a build dependency (scripts/install-deps.sh): its absence is a failure. */
    if (access(B3SUM, X_OK) != 0) fail_msg("%s not found; run scripts/install-deps.sh", B3SUM);
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("hash");
    for (size_t i = 0; i < NTOOL; i++) {
        size_t n = tool_sizes[i];
        uint8_t *buf = tool_input(&rng, n);
        char *path = tu_strf("%s/in%zu", dir, i);
        tu_write_file(path, buf, n);
        char want[65], got[65];
        b3sum_file(path, want);
        uint8_t d[HX_HASH_LEN];
        hx_hash(buf, n, d);
        to_hex(d, sizeof d, got);
        if (strcmp(want, got) != 0)
            fail_msg("BLAKE3 of %zu bytes: %s, b3sum says %s", n, got, want);
        free(path);
        free(buf);
    }
    tu_rmtree(dir);
    free(dir);
}

/* The published BLAKE3 hash of the empty input, independent of any tool. */
static void test_blake3_empty_vector(void **state)
{
    (void)state;
    uint8_t d[HX_HASH_LEN];
    char hex[65];
    hx_hash(NULL, 0, d);
    to_hex(d, sizeof d, hex);
    assert_string_equal(hex, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

/* Hashes buf[0..n) fed in pieces that end at the sorted `cuts`. */
static void hash_split(const uint8_t *buf, size_t n, const size_t *cuts, size_t ncuts,
                       uint8_t out[HX_HASH_LEN])
{
    hx_hasher h;
    hx_hasher_init(&h);
    size_t pos = 0;
    for (size_t i = 0; i < ncuts; i++) {
        hx_hasher_update(&h, buf + pos, cuts[i] - pos);
        pos = cuts[i];
    }
    hx_hasher_update(&h, buf + pos, n - pos);
    hx_hasher_final(&h, out);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void test_incremental_equals_oneshot(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 1);
    enum { SMALL = 2100, BIG = 1 << 20, NCUTS = 64 };
    uint8_t *buf = xmalloc(BIG);
    tu_rng_fill(&rng, buf, BIG);
    uint8_t want[HX_HASH_LEN], got[HX_HASH_LEN];
    /* Every single split point of a buffer a little over two BLAKE3 chunks long. */
    hx_hash(buf, SMALL, want);
    for (size_t cut = 0; cut <= SMALL; cut++) {
        hash_split(buf, SMALL, &cut, 1, got);
        assert_memory_equal(got, want, HX_HASH_LEN);
    }
    /* One byte at a time, and empty updates in between. */
    hx_hasher h;
    hx_hasher_init(&h);
    for (size_t i = 0; i < SMALL; i++) {
        hx_hasher_update(&h, buf + i, 1);
        hx_hasher_update(&h, NULL, 0);
    }
    hx_hasher_final(&h, got);
    assert_memory_equal(got, want, HX_HASH_LEN);
    /* Many random split patterns of 1 MiB. */
    hx_hash(buf, BIG, want);
    for (int round = 0; round < 50; round++) {
        size_t cuts[NCUTS];
        size_t ncuts = 1 + (size_t)tu_rng_below(&rng, NCUTS);
        for (size_t i = 0; i < ncuts; i++) cuts[i] = (size_t)tu_rng_below(&rng, BIG + 1);
        qsort(cuts, ncuts, sizeof cuts[0], cmp_size);
        hash_split(buf, BIG, cuts, ncuts, got);
        assert_memory_equal(got, want, HX_HASH_LEN);
    }
    /* A different input hashes differently (the hash is not a constant). */
    buf[BIG / 2] ^= 1;
    hx_hash(buf, BIG, got);
    assert_memory_not_equal(got, want, HX_HASH_LEN);
    free(buf);
}

/* XXH3-64 of a file by `xxhsum -H3`, whose output is "XXH3 (path) = <16 hex digits>" (BSD
 * style) or "<hex>  path" depending on the version. */
static uint64_t xxhsum_file(const char *path)
{
    char *out = NULL, *err = NULL;
    const char *const argv[] = {XXHSUM, "-H3", path, NULL};
    int rc = tu_run(&out, &err, argv);
    if (rc != 0) fail_msg("xxhsum failed (%d): %s", rc, err ? err : "");
    const char *eq = strstr(out, "= ");
    const char *hex = eq ? eq + 2 : out;
    char *end = NULL;
    uint64_t v = strtoull(hex, &end, 16);
    assert_true(end == hex + 16);
    free(out);
    free(err);
    return v;
}

static void test_xxh3_vs_xxhsum(void **state)
{
    (void)state;
    /* xxhsum (Debian package xxhash) is optional; test_xxh3_vectors covers its absence. */
    if (access(XXHSUM, X_OK) != 0) tu_skip("%s is not installed (Debian package xxhash)", XXHSUM);
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 2);
    char *dir = tu_mkdtemp("xxh3");
    /* XXH3 switches algorithm at 16, 128 and 240 bytes: cover each range. */
    static const size_t sizes[] = {0,   1,   3,   4,   8,    9,      16,      17,
                                   128, 129, 240, 241, 1024, 100000, 1u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *buf = xmalloc(n);
        tu_rng_fill(&rng, buf, n);
        char *path = tu_strf("%s/in%zu", dir, i);
        tu_write_file(path, buf, n);
        uint64_t want = xxhsum_file(path);
        uint64_t got = hx_checksum64(buf, n);
        if (got != want)
            fail_msg("XXH3 of %zu bytes: %016llx, xxhsum says %016llx", n, (unsigned long long)got,
                     (unsigned long long)want);
        free(path);
        free(buf);
    }
    tu_rmtree(dir);
    free(dir);
}

static void test_xxh3_vectors(void **state)
{
    (void)state;
    assert_true(hx_checksum64(NULL, 0) == 0x2D06800538D394C2ull);
    assert_true(hx_checksum64("", 0) == 0x2D06800538D394C2ull);
    assert_true(hx_checksum64("a", 1) == 0xE6C632B61E964E1Full);
}

/* Every entry of hx_gear_table is recomputed from its definition:
 * the first 8 bytes, little-endian, of BLAKE3("hexz fastcdc gear v1" || byte i). */
static void test_gear_table_definition(void **state)
{
    (void)state;
    static const char prefix[] = "hexz fastcdc gear v1";
    assert_int_equal(sizeof prefix - 1, 20);
    uint8_t msg[21];
    memcpy(msg, prefix, 20);
    for (int i = 0; i < 256; i++) {
        msg[20] = (uint8_t)i;
        uint8_t d[HX_HASH_LEN];
        hx_hash(msg, sizeof msg, d);
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--) v = (v << 8) | d[b];
        if (hx_gear_table[i] != v)
            fail_msg("gear[%d] = %016llx, definition gives %016llx", i,
                     (unsigned long long)hx_gear_table[i], (unsigned long long)v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blake3_vs_b3sum),
        cmocka_unit_test(test_blake3_empty_vector),
        cmocka_unit_test(test_incremental_equals_oneshot),
        cmocka_unit_test(test_xxh3_vs_xxhsum),
        cmocka_unit_test(test_xxh3_vectors),
        cmocka_unit_test(test_gear_table_definition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
