/*
 * codec.c - the codec context and the dispatch from codec ids to codec_none.c, codec_lz4.c and
 * codec_zstd.c.
 *
 * Argument checks live here, once, so the per-codec files can assume valid pointers: a NULL
 * pointer with a zero length is replaced by a dummy byte, because memcpy and the compression
 * libraries treat NULL as an error (or undefined) even when nothing is read or written.
 */
#include "codec/codec_impl.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"

int hx_codec_valid(int codec)
{
    return hx_codec_id_known(codec);
}

const char *hx_codec_name(int codec)
{
    switch (codec) {
    case HX_CODEC_NONE: return "none";
    case HX_CODEC_LZ4: return "lz4";
    case HX_CODEC_ZSTD: return "zstd";
    case HX_CODEC_ZSTD_DICT: return "zstd+dict";
    default: return "unknown";
    }
}

/* Validates `level` for `codec` and resolves the default; `none` has no levels and ignores it. */
static int resolve_level(int codec, int level, int *resolved)
{
    switch (codec) {
    case HX_CODEC_NONE: *resolved = 0; return 0;
    case HX_CODEC_LZ4: return hx_codec_lz4_check_level(level, resolved);
    case HX_CODEC_ZSTD: return hx_codec_zstd_check_level(level, resolved);
    default: return hx_error(HEXZ_EINVAL, "unknown codec id %d", codec);
    }
}

int hx_codec_ctx_create(hx_codec_ctx **out, int codec, int level)
{
    if (!out) return hx_error(HEXZ_EINVAL, "codec context: no output pointer");
    int resolved;
    int rc = resolve_level(codec, level, &resolved);
    if (rc) return rc;
    hx_codec_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return hx_error(HEXZ_ENOMEM, "out of memory allocating a codec context");
    ctx->codec = codec;
    ctx->level = resolved;
    *out = ctx;
    return 0;
}

void hx_codec_ctx_free(hx_codec_ctx *ctx)
{
    if (!ctx) return;
    hx_codec_lz4_release(ctx);
    hx_codec_zstd_release(ctx);
    free(ctx);
}

size_t hx_codec_bound(const hx_codec_ctx *ctx, size_t n)
{
    switch (ctx->codec) {
    case HX_CODEC_LZ4: return hx_codec_lz4_bound(n);
    case HX_CODEC_ZSTD: return hx_codec_zstd_bound(n);
    default: return n;
    }
}

/* A readable stand-in for a NULL source of zero length. Constant, so no mutable state. */
static const uint8_t empty_src[1];

int hx_codec_compress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst, size_t cap,
                      size_t *out_len)
{
    if (!ctx || !out_len || (!src && n) || (!dst && cap))
        return hx_error(HEXZ_EINVAL, "codec compress: invalid arguments");
    uint8_t scratch = 0; /* a writable stand-in for a NULL destination of zero capacity */
    if (!src) src = empty_src;
    if (!dst) dst = &scratch;
    switch (ctx->codec) {
    case HX_CODEC_LZ4: return hx_codec_lz4_compress(ctx, src, n, dst, cap, out_len);
    case HX_CODEC_ZSTD: return hx_codec_zstd_compress(ctx, src, n, dst, cap, out_len);
    default: return hx_codec_none_compress(src, n, dst, cap, out_len);
    }
}

int hx_codec_decompress(hx_codec_ctx *ctx, int codec, const void *src, size_t n, void *dst,
                        size_t expected)
{
    if (!ctx || (!src && n) || (!dst && expected))
        return hx_error(HEXZ_EINVAL, "codec decompress: invalid arguments");
    uint8_t scratch = 0;
    if (!src) src = empty_src;
    if (!dst) dst = &scratch;
    switch (codec) {
    case HX_CODEC_NONE: return hx_codec_none_decompress(src, n, dst, expected);
    case HX_CODEC_LZ4: return hx_codec_lz4_decompress(src, n, dst, expected);
    case HX_CODEC_ZSTD: return hx_codec_zstd_decompress(ctx, src, n, dst, expected, NULL);
    case HX_CODEC_ZSTD_DICT:
        if (!ctx->dict) return hx_error(HEXZ_ECORRUPT, "zstd+dict block but no dictionary");
        return hx_codec_zstd_decompress(ctx, src, n, dst, expected, ctx->dict);
    default: return hx_error(HEXZ_ECORRUPT, "unknown codec id %d", codec);
    }
}
