/*
 * codec.h - block compression behind one small interface: none (raw), LZ4 and zstd.
 *
 * A codec context holds the per-thread state the libraries want reused (zstd contexts); create
 * one per thread and reuse it for every block. Codec ids are the on-disk ids of docs/FORMAT.md,
 * defined in common/codec_ids.h, and equal the public hexz_codec values.
 */
#ifndef HX_CODEC_H
#define HX_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/codec_ids.h" /* HX_CODEC_*: the on-disk ids */

typedef struct hx_codec_ctx hx_codec_ctx;

/* A zstd dictionary, digested once for compression (at one level) and for decompression, and
 * shared read-only by any number of contexts and threads. */
typedef struct hx_codec_dict hx_codec_dict;

/* Digests dictionary bytes (a copy is kept). Returns 0 or HEXZ_E* (last error set). */
int hx_codec_dict_create(hx_codec_dict **out, const void *data, size_t len, int level);
void hx_codec_dict_free(hx_codec_dict *d);
/* The dictionary's bytes, as given to hx_codec_dict_create. */
void hx_codec_dict_bytes(const hx_codec_dict *d, const void **bytes, size_t *len);
/* Trains a dictionary of at most `cap` bytes from `count` samples laid end to end in `samples`
 * with the given sizes (zstd's ZDICT). *out_len gets its size. */
int hx_codec_dict_train(void *dict, size_t cap, const void *samples, const size_t *sizes,
                        unsigned count, size_t *out_len);
/* Makes a zstd context compress with `d` (its output is then codec HX_CODEC_ZSTD_DICT) and lets
 * any context decode HX_CODEC_ZSTD_DICT blocks. `d` must outlive the context. */
void hx_codec_ctx_set_dict(hx_codec_ctx *ctx, const hx_codec_dict *d);
/* The codec id of what hx_codec_compress() produces with this context. */
int hx_codec_ctx_output_codec(const hx_codec_ctx *ctx);

/* Creates a context for compressing with `codec` at `level` (0 = default) and for decompressing
 * any codec. Returns 0 or a HEXZ_E* code with the last error set.
 * (Levels: none ignores the level; lz4 takes -65537..12, where 0 and 1 are the default fast mode,
 * -a is acceleration a, and 2..12 use LZ4 HC; zstd takes ZSTD_minCLevel()..ZSTD_maxCLevel(),
 * 0 meaning 3. Other levels, and unknown codecs, are HEXZ_EINVAL.) */
int hx_codec_ctx_create(hx_codec_ctx **out, int codec, int level);
void hx_codec_ctx_free(hx_codec_ctx *ctx);

/* Is `codec` a known id? (hx_codec_id_known of common/codec_ids.h) */
int hx_codec_valid(int codec);
const char *hx_codec_name(int codec);

/* Worst-case compressed size of `n` input bytes for the context's codec. */
size_t hx_codec_bound(const hx_codec_ctx *ctx, size_t n);

/* Compresses src[0..n) into dst (capacity `cap` >= hx_codec_bound) with the context's codec.
 * Sets *out_len. Returns 0 or HEXZ_E*. */
int hx_codec_compress(hx_codec_ctx *ctx, const void *src, size_t n, void *dst, size_t cap,
                      size_t *out_len);

/* Decodes `n` stored bytes of `codec` into dst, which must come out exactly `expected` bytes
 * long; anything else (short, long, malformed) is HEXZ_ECORRUPT. Never reads or writes outside
 * the given buffers, whatever the input. */
int hx_codec_decompress(hx_codec_ctx *ctx, int codec, const void *src, size_t n, void *dst,
                        size_t expected);

#endif
