/*
 * codec_zstd.c - the `zstd` codec: one zstd frame that records its content size.
 *
 * The compression and decompression contexts are created on first use and kept in the codec
 * context, because building them costs more than compressing a small block. Decoding goes only
 * into the caller's buffer, sized by the caller's expected length, so a frame that claims a huge
 * size is rejected before any work and can never cause a large allocation.
 */
#include "codec/codec_impl.h"

#include <zstd.h>
#include <zstd_errors.h>

#include "common/bytes.h"
#include "common/error.h"

enum { HX_ZSTD_DEFAULT_LEVEL = 3 };

int hx_codec_zstd_check_level(int level, int *resolved)
{
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return hx_error(HEXZ_EINVAL, "zstd level %d is outside %d..%d", level, ZSTD_minCLevel(),
                        ZSTD_maxCLevel());
    *resolved = level == 0 ? HX_ZSTD_DEFAULT_LEVEL : level;
    return 0;
}

size_t hx_codec_zstd_bound(size_t n)
{
    return ZSTD_compressBound(n);
}

int hx_codec_zstd_compress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst, size_t cap,
                           size_t *out_len)
{
    if (!ctx->zcctx && !(ctx->zcctx = ZSTD_createCCtx()))
        return hx_error(HEXZ_ENOMEM, "out of memory creating a zstd compression context");
    /* ZSTD_compressCCtx records the content size in the frame header (its default), which
     * decompression relies on. */
    size_t r = ctx->dict ? ZSTD_compress_usingCDict(ctx->zcctx, dst, cap, src, n, ctx->dict->cdict)
                         : ZSTD_compressCCtx(ctx->zcctx, dst, cap, src, n, ctx->level);
    if (!ZSTD_isError(r)) {
        *out_len = r;
        return 0;
    }
    if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
        return hx_error(HEXZ_ENOMEM, "zstd: %s", ZSTD_getErrorName(r));
    return hx_error(HEXZ_EINVAL, "zstd compression of %zu bytes into %zu failed: %s", n, cap,
                    ZSTD_getErrorName(r));
}

/* Checks that src[0..n) is exactly one regular zstd frame whose header records `expected` as its
 * content size, using the header alone. */
static int check_frame(const uint8_t *src, size_t n, size_t expected)
{
    if (n < 4 || hx_get32(src) != ZSTD_MAGICNUMBER)
        return hx_error(HEXZ_ECORRUPT, "not a zstd frame");
    unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
    if (fcs == ZSTD_CONTENTSIZE_ERROR)
        return hx_error(HEXZ_ECORRUPT, "zstd frame header is malformed");
    if (fcs == ZSTD_CONTENTSIZE_UNKNOWN)
        return hx_error(HEXZ_ECORRUPT, "zstd frame does not record its content size");
    if (fcs != (unsigned long long)expected)
        return hx_error(HEXZ_ECORRUPT, "zstd frame claims %llu bytes, expected %zu", fcs, expected);
    size_t fsz = ZSTD_findFrameCompressedSize(src, n);
    if (ZSTD_isError(fsz) || fsz != n)
        return hx_error(HEXZ_ECORRUPT, "zstd block of %zu bytes is not exactly one frame", n);
    return 0;
}

int hx_codec_zstd_decompress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst,
                             size_t expected, const hx_codec_dict *dict)
{
    int rc = check_frame(src, n, expected);
    if (rc) return rc;
    if (!ctx->zdctx && !(ctx->zdctx = ZSTD_createDCtx()))
        return hx_error(HEXZ_ENOMEM, "out of memory creating a zstd decompression context");
    size_t r = dict ? ZSTD_decompress_usingDDict(ctx->zdctx, dst, expected, src, n, dict->ddict)
                    : ZSTD_decompressDCtx(ctx->zdctx, dst, expected, src, n);
    if (ZSTD_isError(r))
        return hx_error(HEXZ_ECORRUPT, "zstd frame does not decode to %zu bytes: %s", expected,
                        ZSTD_getErrorName(r));
    if (r != expected)
        return hx_error(HEXZ_ECORRUPT, "zstd frame decodes to %zu bytes, expected %zu", r,
                        expected);
    return 0;
}

void hx_codec_zstd_release(hx_codec_ctx *ctx)
{
    ZSTD_freeCCtx(ctx->zcctx);
    ZSTD_freeDCtx(ctx->zdctx);
    ctx->zcctx = NULL;
    ctx->zdctx = NULL;
}
