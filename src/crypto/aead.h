/*
 * aead.h - archive encryption (docs/FORMAT.md §12): the password-wrapped data key, the subkeys
 * derived from it, and sealing and opening blocks, pages and sections with
 * XChaCha20-Poly1305 (libsodium's IETF construction), each bound by associated data to the
 * archive and to its place in it.
 */
#ifndef HX_AEAD_H
#define HX_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "hexz.h"

#define HX_KEY_LEN 32
#define HX_AEAD_NONCE_LEN 24
#define HX_AEAD_TAG_LEN 16
#define HX_AEAD_OVERHEAD (HX_AEAD_NONCE_LEN + HX_AEAD_TAG_LEN)
#define HX_KEY_RECORD_LEN 112
#define HX_AD_MAX 96

/* Subkeys derived from the archive's random data key, one per purpose. */
typedef struct {
    uint8_t block[HX_KEY_LEN]; /* seals stored blocks */
    uint8_t meta[HX_KEY_LEN];  /* seals index pages, manifest pages and sections */
    uint8_t hash[HX_KEY_LEN];  /* keys the BLAKE3 content hash (so dedup keys reveal nothing) */
    uint8_t nonce[HX_KEY_LEN]; /* keys the derivation of block nonces from content hashes */
} hx_keys;

/* The ENCRYPTION section: Argon2id parameters and the wrapped data key. */
typedef struct {
    uint64_t opslimit, memlimit;
    uint8_t salt[16];
    uint8_t nonce[HX_AEAD_NONCE_LEN];
    uint8_t wrapped[HX_KEY_LEN + HX_AEAD_TAG_LEN];
} hx_key_record;

void hx_key_record_encode(const hx_key_record *rec, uint8_t out[HX_KEY_RECORD_LEN]);
int hx_key_record_decode(hx_key_record *rec, const uint8_t *in, size_t len, const char *name);

/* Refuses (HEXZ_EUNSUPPORTED, naming `name`) a record asking for more than `max_memory` bytes
 * or `max_ops` passes (0: HEXZ_KDF_MEMORY_LIMIT, HEXZ_KDF_OPS_LIMIT), before any derivation. */
int hx_key_record_check_cost(const hx_key_record *rec, uint64_t max_memory, uint64_t max_ops,
                             const char *name);

/* Wraps `data_key` under `password` with a fresh salt and nonce. */
int hx_key_record_wrap(hx_key_record *rec, const uint8_t data_key[HX_KEY_LEN], const char *password,
                       hexz_kdf_strength strength, const uint8_t archive_id[16]);
/* Unwraps the data key; HEXZ_EPASSWORD if the password is wrong (or the record was altered). */
int hx_key_record_unwrap(const hx_key_record *rec, const char *password,
                         const uint8_t archive_id[16], uint8_t data_key[HX_KEY_LEN],
                         const char *name);

void hx_keys_derive(hx_keys *k, const uint8_t data_key[HX_KEY_LEN]);
void hx_random_bytes(void *buf, size_t len);
void hx_wipe(void *buf, size_t len);

/* Associated data: domain || archive id || a || b || hash (if not NULL). Returns its length. */
size_t hx_ad(uint8_t out[HX_AD_MAX], const char *domain, const uint8_t archive_id[16], uint32_t a,
             uint32_t b, const uint8_t *hash32);

/* out[0..len+40) = nonce || ciphertext || tag. A NULL nonce means a random one. */
void hx_seal(uint8_t *out, const uint8_t *msg, size_t len, const uint8_t *ad, size_t ad_len,
             const uint8_t *nonce, const uint8_t key[HX_KEY_LEN]);
/* Opens in[0..len) into out[0..len-40); 0, or -1 if it does not authenticate. */
int hx_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad, size_t ad_len,
            const uint8_t key[HX_KEY_LEN]);

/* The nonce of a stored block: derived from its (keyed) content hash, so the same content
 * always seals to the same bytes (dedup stays deterministic) and distinct contents never share
 * a nonce. */
void hx_block_nonce(const hx_keys *k, const uint8_t content_hash[32],
                    uint8_t nonce[HX_AEAD_NONCE_LEN]);

#endif
