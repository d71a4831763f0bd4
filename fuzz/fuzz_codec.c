/*
 * fuzz_codec.c - fuzz target for block decoding (docs/FORMAT.md, codecs): hx_codec_decompress
 * of every codec id (none, lz4, zstd, zstd with a dictionary - here without one - and unknown
 * ids) on arbitrary stored bytes, with the expected logical length taken from the input; plus a
 * compress/decompress round trip of the same bytes.
 *
 * Input: [u8 flags][u32 expected length][stored bytes]. The output buffer is exactly `expected`
 * bytes (expected is folded into 0..1 MiB), so ASan catches any write past it. Oracles:
 * success means exactly `expected` bytes came out, agreeing with the codec library called
 * directly; a second context decodes the same bytes to the same output; anything the codecs
 * compress decompresses back to the original.
 */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "fuzz_util.h"
#include "hexz.h"

#define EXPECTED_CAP (1u << 20)

static void check_decode(hx_codec_ctx *a, hx_codec_ctx *b, int codec, const uint8_t *src, size_t n,
                         size_t expected)
{
    uint8_t *out = malloc(expected ? expected : 1);
    uint8_t *out2 = malloc(expected ? expected : 1);
    FZ_ASSERT(out && out2);
    int rc = hx_codec_decompress(a, codec, src, n, out, expected);
    int rc2 = hx_codec_decompress(b, codec, src, n, out2, expected);
    FZ_ASSERT(rc == rc2);
    FZ_ASSERT(rc == 0 || rc == HEXZ_ECORRUPT || rc == HEXZ_ENOMEM);
    if (rc == 0) {
        FZ_ASSERT(hx_codec_valid(codec));
        FZ_ASSERT(memcmp(out, out2, expected) == 0);
        if (codec == HX_CODEC_NONE) FZ_ASSERT(n == expected && memcmp(out, src, n) == 0);
        if (codec == HX_CODEC_LZ4) {
            /* The library itself, into a larger buffer, must produce the same bytes. */
            uint8_t *big = malloc(expected + 64);
            FZ_ASSERT(big != NULL);
            int r = LZ4_decompress_safe((const char *)src, (char *)big, (int)n, (int)expected + 64);
            FZ_ASSERT(r >= 0 && (size_t)r >= expected && memcmp(big, out, expected) == 0);
            free(big);
        }
        if (codec == HX_CODEC_ZSTD) {
            FZ_ASSERT(ZSTD_getFrameContentSize(src, n) == expected);
            FZ_ASSERT(ZSTD_findFrameCompressedSize(src, n) == n);
        }
    }
    free(out);
    free(out2);
}

static void check_roundtrip(int codec, int level, const uint8_t *src, size_t n)
{
    hx_codec_ctx *c;
    if (hx_codec_ctx_create(&c, codec, level) != 0) return;
    size_t cap = hx_codec_bound(c, n);
    uint8_t *packed = malloc(cap ? cap : 1);
    uint8_t *back = malloc(n ? n : 1);
    FZ_ASSERT(packed && back);
    size_t plen = 0;
    int rc = hx_codec_compress(c, src, n, packed, cap, &plen);
    FZ_ASSERT(rc == 0);
    FZ_ASSERT(plen <= cap);
    FZ_ASSERT(hx_codec_decompress(c, codec, packed, plen, back, n) == 0);
    FZ_ASSERT(memcmp(back, src, n) == 0);
    /* One byte short or long must be refused, never silently accepted. */
    if (n > 0) FZ_ASSERT(hx_codec_decompress(c, codec, packed, plen, back, n - 1) != 0);
    free(packed);
    free(back);
    hx_codec_ctx_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = {data, size};
    uint8_t flags = fz_u8(&in);
    size_t expected = fz_u32(&in) % (EXPECTED_CAP + 1);
    const uint8_t *src = in.p;
    size_t n = in.left;
    /* An exact-size copy of the stored bytes, so reads past them are caught. */
    uint8_t *stored = malloc(n ? n : 1);
    FZ_ASSERT(stored != NULL);
    memcpy(stored, src, n);
    hx_codec_ctx *a, *b;
    FZ_ASSERT(hx_codec_ctx_create(&a, HX_CODEC_NONE, 0) == 0);
    FZ_ASSERT(hx_codec_ctx_create(&b, HX_CODEC_ZSTD, 0) == 0);
    /* HX_CODEC_ZSTD_DICT with no dictionary attached: frames that need one must be refused. */
    static const int ids[] = {HX_CODEC_NONE, HX_CODEC_LZ4, HX_CODEC_ZSTD, HX_CODEC_ZSTD_DICT};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        check_decode(a, b, ids[i], stored, n, expected);
        if (n > 0 && n != expected)
            check_decode(a, b, ids[i], stored, n, n); /* the "none" length */
    }
    /* Unknown codec ids are refused whatever the bytes. */
    static const int bad[] = {0, 5, 255, -1};
    uint8_t out[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FZ_ASSERT(hx_codec_decompress(a, bad[i], stored, n, out, expected < 16 ? expected : 16) !=
                  0);
    /* Also the NULL-pointer conventions of an empty block. */
    uint8_t dummy;
    (void)hx_codec_decompress(a, HX_CODEC_ZSTD, n ? stored : NULL, n, NULL, 0);
    (void)hx_codec_decompress(a, HX_CODEC_LZ4, NULL, 0, &dummy, 0);
    if (n <= (256u << 10)) {
        int level = (int)(flags >> 2) % 4; /* 0..3: default and cheap levels */
        check_roundtrip(HX_CODEC_NONE, 0, stored, n);
        check_roundtrip(HX_CODEC_LZ4, (flags & 1) ? -level : level, stored, n);
        check_roundtrip(HX_CODEC_ZSTD, (flags & 2) ? -level : level, stored, n);
    }
    hx_codec_ctx_free(a);
    hx_codec_ctx_free(b);
    free(stored);
    return 0;
}
