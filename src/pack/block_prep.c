/*
 * block_prep.c - see block_prep.h.
 */
#include "pack/block_prep.h"

#include <string.h>

#include "common/bytes.h"

void hx_block_prepare_hash(const uint8_t *data, size_t len, const hx_block_crypto *c,
                           hx_prepared *out)
{
    memset(out, 0, sizeof *out);
    out->is_zero = hx_is_zero(data, len);
    if (out->is_zero) return;
    if (c->keys) hx_hash_keyed(c->keys->hash, data, len, out->content_hash);
    else hx_hash(data, len, out->content_hash);
}

static void seal_block(const hx_block_crypto *c, size_t logical_len, uint8_t *ebuf, hx_prepared *p)
{
    uint8_t ad[HX_AD_MAX], nonce[HX_AEAD_NONCE_LEN];
    size_t ad_len = hx_ad(ad, "hexz-block-v1", c->archive_id, p->codec, (uint32_t)logical_len,
                          p->content_hash);
    hx_block_nonce(c->keys, p->content_hash, nonce);
    hx_seal(ebuf, p->stored, p->stored_length, ad, ad_len, nonce, c->keys->block);
    p->stored = ebuf;
    p->stored_length += HX_AEAD_OVERHEAD;
}

int hx_block_prepare_store(hx_codec_ctx *ctx, int codec, const uint8_t *data, size_t len,
                           uint8_t *cbuf, size_t cap, uint8_t *ebuf, const hx_block_crypto *c,
                           hx_prepared *p)
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
            p->codec = (uint8_t)hx_codec_ctx_output_codec(ctx);
        }
    }
    if (c->keys) seal_block(c, len, ebuf, p);
    p->stored_checksum = hx_checksum64(p->stored, p->stored_length);
    p->compressed = 1;
    return 0;
}
