/*
 * sign.c - Ed25519 key generation, key ids, and detached signatures over caller bytes, plus the
 * libsodium encoding helpers the key files use. Nothing here knows the archive format.
 */
#include "crypto/sign.h"

#include <sodium.h>
#include <string.h>

#include "common/error.h"
#include "hash/hash.h"

int hx_crypto_init(void)
{
    if (sodium_init() < 0) return hx_error(HEXZ_EIO, "cannot initialise libsodium");
    return 0;
}

void hexz_key_id(const uint8_t pk[HEXZ_PUBLIC_KEY_LEN], uint8_t id[HEXZ_KEY_ID_LEN])
{
    hx_hasher h;
    uint8_t full[HX_HASH_LEN];
    hx_hasher_init(&h);
    hx_hasher_update(&h, HX_KEY_ID_DOMAIN, strlen(HX_KEY_ID_DOMAIN));
    hx_hasher_update(&h, pk, HEXZ_PUBLIC_KEY_LEN);
    hx_hasher_final(&h, full);
    memcpy(id, full, HEXZ_KEY_ID_LEN);
}

void hexz_key_public(const uint8_t sk[HEXZ_SECRET_KEY_LEN], uint8_t pk[HEXZ_PUBLIC_KEY_LEN])
{
    crypto_sign_ed25519_sk_to_pk(pk, sk);
}

int hexz_keygen(uint8_t pk[HEXZ_PUBLIC_KEY_LEN], uint8_t sk[HEXZ_SECRET_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    crypto_sign_ed25519_keypair(pk, sk);
    return 0;
}

int hx_ed25519_sign(uint8_t sig[HX_ED25519_SIG_LEN], const uint8_t *msg, size_t n,
                    const uint8_t sk[HEXZ_SECRET_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    crypto_sign_ed25519_detached(sig, NULL, msg, n, sk);
    return 0;
}

int hx_ed25519_verify(const uint8_t sig[HX_ED25519_SIG_LEN], const uint8_t *msg, size_t n,
                      const uint8_t pk[HEXZ_PUBLIC_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    if (crypto_sign_ed25519_verify_detached(sig, msg, n, pk) != 0) return HEXZ_EBADSIG;
    return 0;
}

int hx_ed25519_secret_key_consistent(const uint8_t sk[HEXZ_SECRET_KEY_LEN])
{
    uint8_t seed[32], pk[HEXZ_PUBLIC_KEY_LEN], pk2[HEXZ_PUBLIC_KEY_LEN], sk2[HEXZ_SECRET_KEY_LEN];
    crypto_sign_ed25519_sk_to_seed(seed, sk);
    crypto_sign_ed25519_seed_keypair(pk2, sk2, seed);
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    int ok = memcmp(pk, pk2, sizeof pk) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
    return ok;
}

void hx_base64_encode(char *out, size_t cap, const uint8_t *bin, size_t len)
{
    sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

int hx_base64_decode(uint8_t *bin, size_t cap, const char *text, size_t n, size_t *bin_len)
{
    return sodium_base642bin(bin, cap, text, n, NULL, bin_len, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0
               ? 0
               : -1;
}

int hx_hex_decode(uint8_t *bin, size_t cap, const char *text, size_t n, size_t *bin_len)
{
    return sodium_hex2bin(bin, cap, text, n, NULL, bin_len, NULL) == 0 ? 0 : -1;
}

void hx_memzero(void *p, size_t n)
{
    sodium_memzero(p, n);
}
