/*
 * codec_dict.c - zstd dictionaries: training one from samples (ZDICT), digesting it once, and
 * attaching it to codec contexts. A dictionary helps most where blocks are small and alike
 * (many small files of one kind), since each block is compressed on its own.
 */
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "codec/codec_impl.h"
#include "common/error.h"

int hx_codec_dict_create(hx_codec_dict **out, const void *data, size_t len, int level)
{
    if (!data || len == 0) return hx_error(HEXZ_EINVAL, "empty zstd dictionary");
    hx_codec_dict *d = calloc(1, sizeof *d);
    if (!d || !(d->bytes = malloc(len))) {
        free(d);
        return hx_error(HEXZ_ENOMEM, "out of memory for a zstd dictionary");
    }
    memcpy(d->bytes, data, len);
    d->len = len;
    d->cdict = ZSTD_createCDict(d->bytes, len, level != 0 ? level : 3);
    d->ddict = ZSTD_createDDict(d->bytes, len);
    if (!d->cdict || !d->ddict) {
        hx_codec_dict_free(d);
        return hx_error(HEXZ_ECORRUPT, "zstd dictionary of %zu bytes cannot be loaded", len);
    }
    *out = d;
    return 0;
}

void hx_codec_dict_free(hx_codec_dict *d)
{
    if (!d) return;
    ZSTD_freeCDict(d->cdict);
    ZSTD_freeDDict(d->ddict);
    free(d->bytes);
    free(d);
}

int hx_codec_dict_train(void *dict, size_t cap, const void *samples, const size_t *sizes,
                        unsigned count, size_t *out_len)
{
    size_t r = ZDICT_trainFromBuffer(dict, cap, samples, sizes, count);
    if (ZDICT_isError(r))
        return hx_error(HEXZ_EINVAL, "cannot train a zstd dictionary from %u samples: %s", count,
                        ZDICT_getErrorName(r));
    *out_len = r;
    return 0;
}

void hx_codec_dict_bytes(const hx_codec_dict *d, const void **bytes, size_t *len)
{
    *bytes = d->bytes;
    *len = d->len;
}

void hx_codec_ctx_set_dict(hx_codec_ctx *ctx, const hx_codec_dict *d)
{
    ctx->dict = d;
}

int hx_codec_ctx_output_codec(const hx_codec_ctx *ctx)
{
    return ctx->codec == HX_CODEC_ZSTD && ctx->dict ? HX_CODEC_ZSTD_DICT : ctx->codec;
}
