/*
 * aead.c - see aead.h. Every primitive is libsodium's: Argon2id (crypto_pwhash), BLAKE2b-based
 * key derivation (crypto_kdf), XChaCha20-Poly1305-IETF; BLAKE3 keyed mode for content hashes.
 *
 * XChaCha20-Poly1305 rather than AES-256-GCM: libsodium 1.0.18 offers AES-GCM only on CPUs
 * with AES-NI, while archives must open anywhere; and its 24-byte nonces make random nonces
 * safe for any number of messages under one key.
 */
#include "crypto/aead.h"

#include <sodium.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "crypto/sign.h"
#include "hash/hash.h"

#define RECORD_MAGIC "HXEN"
#define KDF_CONTEXT "hexzkey1"
#define WRAP_DOMAIN "hexz-key-wrap-v1"
/* Bounds on stored Argon2id parameters: a hostile archive must not make open take minutes or
 * gigabytes. Both libsodium presets lie inside. */
#define OPSLIMIT_MAX 16
#define MEMLIMIT_MAX (1ull << 30)

void hx_key_record_encode(const hx_key_record *rec, uint8_t out[HX_KEY_RECORD_LEN])
{
    memset(out, 0, HX_KEY_RECORD_LEN);
    memcpy(out, RECORD_MAGIC, 4);
    out[4] = 1; /* KDF: Argon2id v1.3 */
    out[5] = 1; /* AEAD: XChaCha20-Poly1305-IETF */
    hx_put64(out + 8, rec->opslimit);
    hx_put64(out + 16, rec->memlimit);
    memcpy(out + 24, rec->salt, 16);
    memcpy(out + 40, rec->nonce, HX_AEAD_NONCE_LEN);
    memcpy(out + 64, rec->wrapped, sizeof rec->wrapped);
}

int hx_key_record_decode(hx_key_record *rec, const uint8_t *in, size_t len, const char *name)
{
    if (len != HX_KEY_RECORD_LEN || memcmp(in, RECORD_MAGIC, 4) != 0 || in[6] || in[7])
        return hx_error(HEXZ_ECORRUPT, "%s: bad encryption record", name);
    if (in[4] != 1 || in[5] != 1)
        return hx_error(HEXZ_EUNSUPPORTED, "%s: unknown key derivation or cipher (%u/%u)", name,
                        in[4], in[5]);
    rec->opslimit = hx_get64(in + 8);
    rec->memlimit = hx_get64(in + 16);
    memcpy(rec->salt, in + 24, 16);
    memcpy(rec->nonce, in + 40, HX_AEAD_NONCE_LEN);
    memcpy(rec->wrapped, in + 64, sizeof rec->wrapped);
    if (rec->opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN || rec->opslimit > OPSLIMIT_MAX ||
        rec->memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN || rec->memlimit > MEMLIMIT_MAX)
        return hx_error(HEXZ_ECORRUPT, "%s: key derivation parameters out of range", name);
    return 0;
}

int hx_key_record_check_cost(const hx_key_record *rec, uint64_t max_memory, uint64_t max_ops,
                             const char *name)
{
    if (!max_memory) max_memory = HEXZ_KDF_MEMORY_LIMIT;
    if (!max_ops) max_ops = HEXZ_KDF_OPS_LIMIT;
    if (rec->memlimit <= max_memory && rec->opslimit <= max_ops) return 0;
    return hx_error(
        HEXZ_EUNSUPPORTED,
        "%s: key derivation cost %llu MiB x %llu passes exceeds the limit of %llu MiB x %llu "
        "passes",
        name, (unsigned long long)(rec->memlimit >> 20), (unsigned long long)rec->opslimit,
        (unsigned long long)(max_memory >> 20), (unsigned long long)max_ops);
}

static int derive_kek(uint8_t kek[HX_KEY_LEN], const char *password, const hx_key_record *rec)
{
    if (crypto_pwhash(kek, HX_KEY_LEN, password, strlen(password), rec->salt, rec->opslimit,
                      (size_t)rec->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return hx_error(HEXZ_ENOMEM, "not enough memory to derive the key (%llu MiB)",
                        (unsigned long long)(rec->memlimit >> 20));
    return 0;
}

static size_t wrap_ad(uint8_t ad[64], const uint8_t archive_id[16], const hx_key_record *rec)
{
    size_t n = strlen(WRAP_DOMAIN);
    memcpy(ad, WRAP_DOMAIN, n);
    memcpy(ad + n, archive_id, 16);
    hx_put64(ad + n + 16, rec->opslimit);
    hx_put64(ad + n + 24, rec->memlimit);
    return n + 32;
}

int hx_key_record_wrap(hx_key_record *rec, const uint8_t data_key[HX_KEY_LEN], const char *password,
                       hexz_kdf_strength strength, const uint8_t archive_id[16])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    switch (strength) {
    case HEXZ_KDF_MODERATE:
        rec->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
        rec->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
        break;
    case HEXZ_KDF_MINIMAL:
        rec->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
        rec->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
        break;
    default:
        rec->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
        rec->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
    }
    randombytes_buf(rec->salt, sizeof rec->salt);
    randombytes_buf(rec->nonce, sizeof rec->nonce);
    uint8_t kek[HX_KEY_LEN], ad[64];
    rc = derive_kek(kek, password, rec);
    if (rc) return rc;
    size_t ad_len = wrap_ad(ad, archive_id, rec);
    crypto_aead_xchacha20poly1305_ietf_encrypt(rec->wrapped, NULL, data_key, HX_KEY_LEN, ad, ad_len,
                                               NULL, rec->nonce, kek);
    sodium_memzero(kek, sizeof kek);
    return 0;
}

int hx_key_record_unwrap(const hx_key_record *rec, const char *password,
                         const uint8_t archive_id[16], uint8_t data_key[HX_KEY_LEN],
                         const char *name)
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    uint8_t kek[HX_KEY_LEN], ad[64];
    rc = derive_kek(kek, password, rec);
    if (rc) return rc;
    size_t ad_len = wrap_ad(ad, archive_id, rec);
    int bad = crypto_aead_xchacha20poly1305_ietf_decrypt(
        data_key, NULL, NULL, rec->wrapped, sizeof rec->wrapped, ad, ad_len, rec->nonce, kek);
    sodium_memzero(kek, sizeof kek);
    return bad ? hx_error(HEXZ_EPASSWORD, "%s: wrong password", name) : 0;
}

void hx_keys_derive(hx_keys *k, const uint8_t data_key[HX_KEY_LEN])
{
    crypto_kdf_derive_from_key(k->block, HX_KEY_LEN, 1, KDF_CONTEXT, data_key);
    crypto_kdf_derive_from_key(k->meta, HX_KEY_LEN, 2, KDF_CONTEXT, data_key);
    crypto_kdf_derive_from_key(k->hash, HX_KEY_LEN, 3, KDF_CONTEXT, data_key);
    crypto_kdf_derive_from_key(k->nonce, HX_KEY_LEN, 4, KDF_CONTEXT, data_key);
}

void hx_random_bytes(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

void hx_wipe(void *buf, size_t len)
{
    sodium_memzero(buf, len);
}

size_t hx_ad(uint8_t out[HX_AD_MAX], const char *domain, const uint8_t archive_id[16], uint32_t a,
             uint32_t b, const uint8_t *hash32)
{
    size_t n = strlen(domain);
    memcpy(out, domain, n);
    memcpy(out + n, archive_id, 16);
    hx_put32(out + n + 16, a);
    hx_put32(out + n + 20, b);
    n += 24;
    if (hash32) {
        memcpy(out + n, hash32, 32);
        n += 32;
    }
    return n;
}

void hx_seal(uint8_t *out, const uint8_t *msg, size_t len, const uint8_t *ad, size_t ad_len,
             const uint8_t *nonce, const uint8_t key[HX_KEY_LEN])
{
    if (nonce) memcpy(out, nonce, HX_AEAD_NONCE_LEN);
    else randombytes_buf(out, HX_AEAD_NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + HX_AEAD_NONCE_LEN, NULL, msg, len, ad, ad_len,
                                               NULL, out, key);
}

int hx_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad, size_t ad_len,
            const uint8_t key[HX_KEY_LEN])
{
    if (len < HX_AEAD_OVERHEAD) return -1;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in + HX_AEAD_NONCE_LEN,
                                                      len - HX_AEAD_NONCE_LEN, ad, ad_len, in,
                                                      key) == 0
               ? 0
               : -1;
}

void hx_block_nonce(const hx_keys *k, const uint8_t content_hash[32],
                    uint8_t nonce[HX_AEAD_NONCE_LEN])
{
    uint8_t full[HX_HASH_LEN];
    hx_hash_keyed(k->nonce, content_hash, 32, full);
    memcpy(nonce, full, HX_AEAD_NONCE_LEN);
}
