/*
 * test_codec.c - the block codecs (src/codec): round trips of every codec on many inputs, and
 * decoding of damaged, truncated, garbage and lying input, which must fail with HEXZ_ECORRUPT.
 *
 * Buffers are allocated at their exact sizes, so that under AddressSanitizer any read or write
 * past the bytes a codec was given is caught.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "hexz.h"

/* The codec/level pairs every round trip runs through. */
static const struct {
    int codec, level;
} configs[] = {
    {HX_CODEC_NONE, 0}, {HX_CODEC_LZ4, 0},  {HX_CODEC_LZ4, -20}, {HX_CODEC_LZ4, 9},
    {HX_CODEC_ZSTD, 0}, {HX_CODEC_ZSTD, 1}, {HX_CODEC_ZSTD, -5}, {HX_CODEC_ZSTD, 12},
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

enum { KIND_RANDOM, KIND_REPETITIVE, KIND_ZERO, KIND_TEXT, NKINDS };
static const char *const kind_names[NKINDS] = {"random", "repetitive", "zero", "text"};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

/* A copy of buf[0..n) in a block of exactly n bytes (NULL for n == 0, as callers may pass). */
static uint8_t *exact_copy(const void *buf, size_t n)
{
    if (!n) return NULL;
    uint8_t *p = xmalloc(n);
    memcpy(p, buf, n);
    return p;
}

static uint8_t *make_input(tu_rng *rng, int kind, size_t n)
{
    uint8_t *p = xmalloc(n);
    static const char words[] = "the quick brown fox jumps over the lazy dog, hexz archives ";
    switch (kind) {
    case KIND_RANDOM: tu_rng_fill(rng, p, n); break;
    case KIND_ZERO: memset(p, 0, n); break;
    case KIND_REPETITIVE:
        /* A short pattern with rare random changes: compressible, not trivially so. */
        for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i % 251 * 7);
        for (size_t i = 0; i < n / 97; i++) p[tu_rng_below(rng, n)] = (uint8_t)tu_rng_next(rng);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)words[(i * 13 + i / 61) % (sizeof words - 1)];
        break;
    }
    return p;
}

static hx_codec_ctx *ctx_new(int codec, int level)
{
    hx_codec_ctx *ctx = NULL;
    int rc = hx_codec_ctx_create(&ctx, codec, level);
    if (rc) fail_msg("hx_codec_ctx_create(%d, %d): %s", codec, level, hexz_last_error());
    assert_non_null(ctx);
    return ctx;
}

/* Compresses src[0..n) with `ctx` into an exact-size malloc'd block; *out_len gets its size. */
static uint8_t *compress_exact(hx_codec_ctx *ctx, const uint8_t *src, size_t n, size_t *out_len)
{
    size_t cap = hx_codec_bound(ctx, n);
    assert_true(cap >= n);
    uint8_t *dst = xmalloc(cap);
    int rc = hx_codec_compress(ctx, src, n, dst, cap, out_len);
    if (rc) fail_msg("compress of %zu bytes: %s", n, hexz_last_error());
    assert_true(*out_len <= cap);
    uint8_t *exact = xmalloc(*out_len);
    memcpy(exact, dst, *out_len);
    free(dst);
    return exact;
}

/* Decodes into an exact-size buffer and returns the code; on success compares with `want`. */
static int decode_check(hx_codec_ctx *ctx, int codec, const uint8_t *src, size_t n,
                        const uint8_t *want, size_t expected)
{
    uint8_t *out = expected ? xmalloc(expected) : NULL;
    int rc = hx_codec_decompress(ctx, codec, src, n, out, expected);
    if (rc == 0 && want && expected) assert_memory_equal(out, want, expected);
    free(out);
    return rc;
}

static void round_trip_one(hx_codec_ctx *ctx, hx_codec_ctx *other, int codec, const uint8_t *in,
                           size_t n, int kind)
{
    uint8_t *src = exact_copy(in, n);
    size_t clen = 0;
    uint8_t *comp = compress_exact(ctx, src, n, &clen);
    /* Decoding works with the compressing context and with any other context. */
    int rc = decode_check(ctx, codec, comp, clen, src, n);
    if (rc)
        fail_msg("%s %s n=%zu: %s", hx_codec_name(codec), kind_names[kind], n, hexz_last_error());
    assert_int_equal(decode_check(other, codec, comp, clen, src, n), 0);
    if (codec == HX_CODEC_NONE) assert_int_equal(clen, n);
    /* Compressible data must really be compressed by the real codecs. */
    if (codec != HX_CODEC_NONE && n >= 65536 && kind != KIND_RANDOM) assert_true(clen < n / 4);
    free(comp);
    free(src);
}

static void test_round_trips(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    static const size_t sizes[] = {0,    1,    2,     3,     15,    16,     64,      255,
                                   1000, 4096, 65535, 65536, 65537, 200003, 1u << 20};
    hx_codec_ctx *other = ctx_new(HX_CODEC_NONE, 0);
    for (size_t c = 0; c < NCONFIGS; c++) {
        hx_codec_ctx *ctx = ctx_new(configs[c].codec, configs[c].level);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (int kind = 0; kind < NKINDS; kind++) {
                uint8_t *in = make_input(&rng, kind, sizes[s]);
                round_trip_one(ctx, other, configs[c].codec, in, sizes[s], kind);
                free(in);
            }
        }
        hx_codec_ctx_free(ctx);
    }
    hx_codec_ctx_free(other);
}

/* One context reused for many blocks of varied sizes, and NULL pointers with zero lengths. */
static void test_context_reuse_and_empty(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 1);
    for (int codec = HX_CODEC_NONE; codec <= HX_CODEC_ZSTD; codec++) {
        hx_codec_ctx *ctx = ctx_new(codec, 0);
        for (int i = 0; i < 200; i++) {
            size_t n = (size_t)tu_rng_below(&rng, 20000);
            uint8_t *in = make_input(&rng, (int)tu_rng_below(&rng, NKINDS), n);
            round_trip_one(ctx, ctx, codec, in, n, KIND_RANDOM);
            free(in);
        }
        uint8_t buf[64];
        size_t len = 999;
        assert_int_equal(hx_codec_compress(ctx, NULL, 0, buf, sizeof buf, &len), 0);
        assert_int_equal(hx_codec_decompress(ctx, codec, buf, len, NULL, 0), 0);
        hx_codec_ctx_free(ctx);
    }
    hx_codec_ctx_free(NULL);
}

static void test_ctx_validation(void **state)
{
    (void)state;
    hx_codec_ctx *ctx = NULL;
    assert_int_equal(hx_codec_ctx_create(&ctx, 0, 0), HEXZ_EINVAL);
    assert_int_equal(hx_codec_ctx_create(&ctx, 4, 0), HEXZ_EINVAL);
    assert_int_equal(hx_codec_ctx_create(&ctx, HX_CODEC_ZSTD, 23), HEXZ_EINVAL);
    assert_int_equal(hx_codec_ctx_create(&ctx, HX_CODEC_LZ4, 13), HEXZ_EINVAL);
    assert_null(ctx);
    assert_true(strlen(hexz_last_error()) > 0);
    assert_true(hx_codec_valid(HX_CODEC_NONE) && hx_codec_valid(HX_CODEC_LZ4) &&
                hx_codec_valid(HX_CODEC_ZSTD));
    assert_false(hx_codec_valid(0) || hx_codec_valid(5) || hx_codec_valid(-1));
    assert_string_equal(hx_codec_name(HX_CODEC_NONE), "none");
    assert_string_equal(hx_codec_name(HX_CODEC_LZ4), "lz4");
    assert_string_equal(hx_codec_name(HX_CODEC_ZSTD), "zstd");
    assert_non_null(hx_codec_name(99));
    /* The ids are the public ones. */
    assert_int_equal(HX_CODEC_NONE, HEXZ_CODEC_NONE);
    assert_int_equal(HX_CODEC_LZ4, HEXZ_CODEC_LZ4);
    assert_int_equal(HX_CODEC_ZSTD, HEXZ_CODEC_ZSTD);
    /* Unknown codec ids in stored data are damage. */
    ctx = ctx_new(HX_CODEC_LZ4, 0);
    uint8_t b[4] = {0};
    assert_int_equal(hx_codec_decompress(ctx, 7, b, sizeof b, b, sizeof b), HEXZ_ECORRUPT);
    hx_codec_ctx_free(ctx);
}

/* A destination smaller than the bound: an error, and no write past the given capacity. */
static void test_compress_small_capacity(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 2);
    uint8_t *in = make_input(&rng, KIND_RANDOM, 4096);
    for (int codec = HX_CODEC_NONE; codec <= HX_CODEC_ZSTD; codec++) {
        hx_codec_ctx *ctx = ctx_new(codec, 0);
        uint8_t *dst = xmalloc(100);
        size_t len = 0;
        assert_int_not_equal(hx_codec_compress(ctx, in, 4096, dst, 100, &len), 0);
        free(dst);
        hx_codec_ctx_free(ctx);
    }
    free(in);
}

/* The positions of a stored block that the damage tests try: all of a small block; of a large
 * one the first and last 1024 and every 61st in between, which keeps the quadratic cost of
 * decoding once per position bounded (the tests also run under sanitizers). */
static size_t next_position(size_t i, size_t clen)
{
    if (clen <= 4096 || i < 1024 || i + 1024 >= clen) return i + 1;
    return i + 61 < clen - 1024 ? i + 61 : clen - 1024;
}

/* Truncations of a valid block are rejected. */
static void check_truncations(hx_codec_ctx *ctx, int codec, const uint8_t *comp, size_t clen,
                              size_t expected)
{
    for (size_t cut = 0; cut < clen; cut = next_position(cut, clen)) {
        uint8_t *t = exact_copy(comp, cut);
        int rc = decode_check(ctx, codec, t, cut, NULL, expected);
        if (rc != HEXZ_ECORRUPT)
            fail_msg("%s: truncation to %zu of %zu gave %d", hx_codec_name(codec), cut, clen, rc);
        free(t);
    }
}

/* Flips bytes in turn: the result is success (same length: a codec without a checksum can not
 * see a changed literal; the block checksum does) or HEXZ_ECORRUPT, never anything else.
 * Returns how many of the *tried counted flips were detected. */
static size_t check_flips(hx_codec_ctx *ctx, int codec, const uint8_t *comp, size_t clen,
                          size_t expected, size_t *tried)
{
    size_t detected = 0;
    *tried = 0;
    uint8_t *t = exact_copy(comp, clen);
    for (size_t i = 0; i < clen; i = next_position(i, clen)) {
        t[i] ^= 0xFF;
        int rc = decode_check(ctx, codec, t, clen, NULL, expected);
        assert_true(rc == 0 || rc == HEXZ_ECORRUPT);
        detected += rc == HEXZ_ECORRUPT;
        ++*tried;
        t[i] ^= 0xFF;
    }
    free(t);
    return detected;
}

static void test_damaged_input(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 3);
    static const size_t n = 65536;
    for (int codec = HX_CODEC_LZ4; codec <= HX_CODEC_ZSTD; codec++) {
        hx_codec_ctx *ctx = ctx_new(codec, 0);
        for (int kind = 0; kind < NKINDS; kind++) {
            uint8_t *in = make_input(&rng, kind, n);
            size_t clen;
            uint8_t *comp = compress_exact(ctx, in, n, &clen);
            check_truncations(ctx, codec, comp, clen, n);
            size_t tried;
            size_t detected = check_flips(ctx, codec, comp, clen, n, &tried);
            printf("[ info     ] %s %s: %zu stored bytes, %zu of %zu byte flips detected\n",
                   hx_codec_name(codec), kind_names[kind], clen, detected, tried);
            /* Compressed zeros are nearly all structure: most flips must be caught. */
            if (kind == KIND_ZERO) assert_true(detected * 2 > tried);
            assert_true(detected > 0);
            free(comp);
            free(in);
        }
        hx_codec_ctx_free(ctx);
    }
}

static void test_garbage_input(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 4);
    hx_codec_ctx *ctx = ctx_new(HX_CODEC_ZSTD, 0);
    for (int i = 0; i < 3000; i++) {
        size_t n = 1 + (size_t)tu_rng_below(&rng, i < 1500 ? 64 : 4000);
        uint8_t *g = xmalloc(n);
        tu_rng_fill(&rng, g, n);
        /* Half the zstd trials start with the magic number, to get past the first check. */
        if (i % 2 && n >= 4) hx_put32(g, ZSTD_MAGICNUMBER);
        size_t expected = (size_t)tu_rng_below(&rng, 70000);
        assert_int_equal(decode_check(ctx, HX_CODEC_LZ4, g, n, NULL, expected), HEXZ_ECORRUPT);
        assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, g, n, NULL, expected), HEXZ_ECORRUPT);
        free(g);
    }
    hx_codec_ctx_free(ctx);
}

/* A valid block decoded with any other expected length is rejected. */
static void test_wrong_expected_length(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 5);
    static const size_t n = 1000;
    static const size_t wrong[] = {0, 1, 999, 1001, 2000, 65536};
    for (int codec = HX_CODEC_NONE; codec <= HX_CODEC_ZSTD; codec++) {
        hx_codec_ctx *ctx = ctx_new(codec, 0);
        for (int kind = 0; kind < NKINDS; kind++) {
            uint8_t *in = make_input(&rng, kind, n);
            size_t clen;
            uint8_t *comp = compress_exact(ctx, in, n, &clen);
            for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
                int rc = decode_check(ctx, codec, comp, clen, NULL, wrong[w]);
                if (rc != HEXZ_ECORRUPT)
                    fail_msg("%s %s: expected %zu accepted", hx_codec_name(codec), kind_names[kind],
                             wrong[w]);
            }
            assert_int_equal(decode_check(ctx, codec, comp, clen, in, n), 0);
            free(comp);
            free(in);
        }
        hx_codec_ctx_free(ctx);
    }
}

/* Writes a zstd frame header (magic, single-segment descriptor with an 8-byte content size) and
 * one last raw block of `raw_len` bytes of 'x'. Returns the frame's length. */
static size_t forge_zstd_frame(uint8_t *out, uint64_t claimed, uint32_t raw_len)
{
    size_t o = 0;
    hx_put32(out, ZSTD_MAGICNUMBER);
    o += 4;
    out[o++] = 0xE0; /* FCS field 8 bytes, single segment, no checksum, no dictionary */
    hx_put64(out + o, claimed);
    o += 8;
    uint32_t bh = 1u | (0u << 1) | (raw_len << 3); /* last block, raw, size */
    out[o++] = (uint8_t)bh;
    out[o++] = (uint8_t)(bh >> 8);
    out[o++] = (uint8_t)(bh >> 16);
    memset(out + o, 'x', raw_len);
    return o + raw_len;
}

static void test_zstd_lying_frames(void **state)
{
    (void)state;
    hx_codec_ctx *ctx = ctx_new(HX_CODEC_ZSTD, 0);
    uint8_t frame[256];
    /* An honest forged frame decodes, which shows the forgery is well formed. */
    size_t len = forge_zstd_frame(frame, 100, 100);
    uint8_t want[100];
    memset(want, 'x', sizeof want);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len, want, 100), 0);
    /* Claims of a huge size, or of a size other than what the block holds, are rejected. */
    len = forge_zstd_frame(frame, 1ull << 40, 100);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len, NULL, 100), HEXZ_ECORRUPT);
    assert_non_null(strstr(hexz_last_error(), "claims"));
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len, NULL, 65536), HEXZ_ECORRUPT);
    len = forge_zstd_frame(frame, UINT64_MAX - 5, 100);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len, NULL, 100), HEXZ_ECORRUPT);
    len = forge_zstd_frame(frame, 150, 100);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len, NULL, 150), HEXZ_ECORRUPT);
    len = forge_zstd_frame(frame, 50, 100);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len, NULL, 50), HEXZ_ECORRUPT);
    /* Two frames, a frame with trailing bytes, and a skippable frame are not one frame. */
    len = forge_zstd_frame(frame, 40, 40);
    size_t len2 = forge_zstd_frame(frame + len, 0, 0);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len + len2, NULL, 40), HEXZ_ECORRUPT);
    frame[len] = 0;
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, frame, len + 1, NULL, 40), HEXZ_ECORRUPT);
    uint8_t skip[8];
    hx_put32(skip, 0x184D2A50);
    hx_put32(skip + 4, 0);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, skip, sizeof skip, NULL, 0), HEXZ_ECORRUPT);
    hx_codec_ctx_free(ctx);
}

/* A frame that does not record its content size (zstd allows that) is refused. */
static void test_zstd_unknown_size(void **state)
{
    (void)state;
    uint8_t in[3000], comp[4000];
    memset(in, 'a', sizeof in);
    ZSTD_CCtx *z = ZSTD_createCCtx();
    assert_non_null(z);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 0)));
    size_t clen = ZSTD_compress2(z, comp, sizeof comp, in, sizeof in);
    assert_false(ZSTD_isError(clen));
    ZSTD_freeCCtx(z);
    /* zstd itself decodes it. */
    uint8_t back[3000];
    assert_int_equal(ZSTD_decompress(back, sizeof back, comp, clen), sizeof in);
    assert_true(ZSTD_getFrameContentSize(comp, clen) == ZSTD_CONTENTSIZE_UNKNOWN);
    hx_codec_ctx *ctx = ctx_new(HX_CODEC_ZSTD, 0);
    assert_int_equal(decode_check(ctx, HX_CODEC_ZSTD, comp, clen, NULL, sizeof in), HEXZ_ECORRUPT);
    hx_codec_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_context_reuse_and_empty),
        cmocka_unit_test(test_ctx_validation),
        cmocka_unit_test(test_compress_small_capacity),
        cmocka_unit_test(test_damaged_input),
        cmocka_unit_test(test_garbage_input),
        cmocka_unit_test(test_wrong_expected_length),
        cmocka_unit_test(test_zstd_lying_frames),
        cmocka_unit_test(test_zstd_unknown_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
