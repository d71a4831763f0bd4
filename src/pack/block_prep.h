/*
 * block_prep.h - the per-chunk work that needs no shared state: detecting an all-zero chunk,
 * hashing its content, compressing it (or keeping it raw when that is not smaller) and
 * checksumming the stored bytes. Pipeline workers run it in parallel; the serial writer runs
 * it inline. What happens next (dedup, writing, indexing) needs the writer's state and is done
 * in input order by one thread (writer_blocks.c).
 */
#ifndef HX_BLOCK_PREP_H
#define HX_BLOCK_PREP_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "crypto/aead.h"
#include "hash/hash.h"

/* Encryption of blocks: keys NULL means the archive is not encrypted. */
typedef struct {
    const hx_keys *keys;
    const uint8_t *archive_id;
} hx_block_crypto;

typedef struct {
    int is_zero;                       /* all bytes zero: becomes part of a hole */
    uint8_t content_hash[HX_HASH_LEN]; /* BLAKE3 of the chunk */
    int compressed;                    /* stored bytes have been computed below */
    const uint8_t *stored;             /* the chunk itself (raw), or the compression or
                                          encryption buffer */
    size_t stored_length;
    uint8_t codec;            /* HX_CODEC_* of the stored bytes */
    uint64_t stored_checksum; /* XXH3 of the stored bytes */
} hx_prepared;

/* Zero check and content hash (keyed when encrypting) only. */
void hx_block_prepare_hash(const uint8_t *data, size_t len, const hx_block_crypto *c,
                           hx_prepared *out);

/* Compression, encryption and checksum of a chunk already hashed: codec `codec` (HX_CODEC_NONE
 * stores raw) through `ctx` into cbuf[0..cap), then, when encrypting, sealed into ebuf (room for
 * the larger of cap and len, plus HX_AEAD_OVERHEAD). Returns 0 or a HEXZ_E* code (last error
 * set). */
int hx_block_prepare_store(hx_codec_ctx *ctx, int codec, const uint8_t *data, size_t len,
                           uint8_t *cbuf, size_t cap, uint8_t *ebuf, const hx_block_crypto *c,
                           hx_prepared *p);

#endif
