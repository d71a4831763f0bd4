/*
 * codec_impl.h - private to src/codec: the context layout and the per-codec functions that
 * codec.c dispatches to (codec_none.c, codec_lz4.c, codec_zstd.c).
 *
 * Only the codec sources include this. The library headers of LZ4 and zstd stay out of it: the
 * zstd contexts are held through their incomplete struct types, so codec.c needs neither header.
 */
#ifndef HX_CODEC_IMPL_H
#define HX_CODEC_IMPL_H

#include "codec/codec.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;
struct ZSTD_CDict_s;
struct ZSTD_DDict_s;

struct hx_codec_dict {
    void *bytes;
    size_t len;
    struct ZSTD_CDict_s *cdict; /* digested for compression at the archive's level */
    struct ZSTD_DDict_s *ddict; /* digested for decompression */
};

struct hx_codec_ctx {
    int codec;                 /* the codec hx_codec_compress() uses */
    int level;                 /* that codec's level, already resolved (no 0 = default left) */
    void *lz4_hc_state;        /* LZ4 HC state, allocated on first HC compression */
    struct ZSTD_CCtx_s *zcctx; /* allocated on first zstd compression */
    struct ZSTD_DCtx_s *zdctx; /* allocated on first zstd decompression */
    const hx_codec_dict *dict; /* borrowed: set by hx_codec_ctx_set_dict, or NULL */
};

/* none: the stored bytes are the logical bytes. */
int hx_codec_none_compress(const void *src, size_t n, void *dst, size_t cap, size_t *out_len);
int hx_codec_none_decompress(const void *src, size_t n, void *dst, size_t expected);

/* LZ4 block format. Levels: <= 1 fast (a negative level is an acceleration factor), 2..12 HC.
 * check_level returns the resolved level or HEXZ_EINVAL; bound returns 0 for inputs LZ4 can
 * not take. */
int hx_codec_lz4_check_level(int level, int *resolved);
size_t hx_codec_lz4_bound(size_t n);
int hx_codec_lz4_compress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst, size_t cap,
                          size_t *out_len);
int hx_codec_lz4_decompress(const void *src, size_t n, void *dst, size_t expected);
void hx_codec_lz4_release(hx_codec_ctx *ctx);

/* zstd: one frame with its content size. Level 0 means 3. */
int hx_codec_zstd_check_level(int level, int *resolved);
size_t hx_codec_zstd_bound(size_t n);
int hx_codec_zstd_compress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst, size_t cap,
                           size_t *out_len);
int hx_codec_zstd_decompress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst,
                             size_t expected, const hx_codec_dict *dict);
void hx_codec_zstd_release(hx_codec_ctx *ctx);

#endif
