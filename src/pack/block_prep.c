/*
 * block_prep.c - see block_prep.h.
 */
#include "pack/block_prep.h"

#include <string.h>

#include "common/bytes.h"

void hx_block_prepare_hash(const uint8_t *data, size_t len, hx_prepared *out)
{
    memset(out, 0, sizeof *out);
    out->is_zero = hx_is_zero(data, len);
    if (!out->is_zero) hx_hash(data, len, out->content_hash);
}

int hx_block_prepare_store(hx_codec_ctx *ctx, int codec, const uint8_t *data, size_t len,
                           uint8_t *cbuf, size_t cap, hx_prepared *p)
{
    p->stored = data;
    p->stored_length = len;
    p->codec = HX_CODEC_NONE;
    if (codec != HX_CODEC_NONE) {
        size_t clen = 0;
        int rc = hx_codec_compress(ctx, data, len, cbuf, cap, &clen);
        if (rc) return rc;
        if (clen < len) {
            p->stored = cbuf;
            p->stored_length = clen;
            p->codec = (uint8_t)codec;
        }
    }
    p->stored_checksum = hx_checksum64(p->stored, p->stored_length);
    p->compressed = 1;
    return 0;
}
