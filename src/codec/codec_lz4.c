/*
 * codec_lz4.c - the `lz4` codec: one raw LZ4 block (no frame), as LZ4_compress_default writes.
 *
 * The block format does not record its decoded length, so the caller's expected length is the
 * decoder's output capacity and the result must fill it exactly. LZ4_decompress_safe never
 * writes past that capacity nor reads past the input, whatever the input.
 */
#include "codec/codec_impl.h"

#include <limits.h>
#include <lz4.h>
#include <lz4hc.h>
#include <stdlib.h>

#include "common/error.h"

/* LZ4 caps acceleration at 65537 (LZ4_ACCELERATION_MAX in lz4.c, not in the public header). */
enum { HX_LZ4_MIN_LEVEL = -65537 };

/* Levels: 0 and 1 are the default fast mode; a negative level -a is LZ4's acceleration a (faster,
 * larger output); 2..LZ4HC_CLEVEL_MAX use the high-compression (HC) encoder. */
int hx_codec_lz4_check_level(int level, int *resolved)
{
    if (level > LZ4HC_CLEVEL_MAX || level < HX_LZ4_MIN_LEVEL)
        return hx_error(HEXZ_EINVAL, "lz4 level %d is outside %d..%d", level, HX_LZ4_MIN_LEVEL,
                        LZ4HC_CLEVEL_MAX);
    *resolved = level == 0 ? 1 : level;
    return 0;
}

size_t hx_codec_lz4_bound(size_t n)
{
    if (n > LZ4_MAX_INPUT_SIZE) return 0;
    return (size_t)LZ4_compressBound((int)n);
}

/* The HC state is about 256 KiB: allocated once per context rather than per block. */
static int compress_hc(hx_codec_ctx *ctx, const char *src, int n, char *dst, int cap)
{
    if (!ctx->lz4_hc_state) {
        ctx->lz4_hc_state = malloc((size_t)LZ4_sizeofStateHC());
        if (!ctx->lz4_hc_state) return -1;
    }
    return LZ4_compress_HC_extStateHC(ctx->lz4_hc_state, src, dst, n, cap, ctx->level);
}

int hx_codec_lz4_compress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst, size_t cap,
                          size_t *out_len)
{
    if (n > LZ4_MAX_INPUT_SIZE)
        return hx_error(HEXZ_EINVAL, "lz4 input of %zu bytes is too large", n);
    int icap = cap > INT_MAX ? INT_MAX : (int)cap;
    int r;
    if (ctx->level > 1) {
        r = compress_hc(ctx, src, (int)n, dst, icap);
        if (r < 0) return hx_error(HEXZ_ENOMEM, "out of memory allocating the lz4 HC state");
    } else {
        r = LZ4_compress_fast(src, dst, (int)n, icap, ctx->level < 0 ? -ctx->level : 1);
    }
    /* LZ4 returns 0 when the output did not fit; every input, even an empty one, encodes to at
     * least one byte. */
    if (r <= 0)
        return hx_error(HEXZ_EINVAL, "lz4 output of %zu input bytes does not fit in %zu", n, cap);
    *out_len = (size_t)r;
    return 0;
}

int hx_codec_lz4_decompress(const void *src, size_t n, void *dst, size_t expected)
{
    if (n == 0 || n > INT_MAX || expected > INT_MAX)
        return hx_error(HEXZ_ECORRUPT, "lz4 block of %zu bytes can not decode to %zu bytes", n,
                        expected);
    int r = LZ4_decompress_safe(src, dst, (int)n, (int)expected);
    if (r < 0 || (size_t)r != expected)
        return hx_error(HEXZ_ECORRUPT, "lz4 block does not decode to %zu bytes", expected);
    return 0;
}

void hx_codec_lz4_release(hx_codec_ctx *ctx)
{
    free(ctx->lz4_hc_state);
    ctx->lz4_hc_state = NULL;
}
