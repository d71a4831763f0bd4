/*
 * sign.h - Ed25519 keys, their text files, and the signature record of docs/FORMAT.md §11.
 * All cryptography is libsodium's; sodium.h is included only under src/crypto/.
 */
#ifndef HX_SIGN_H
#define HX_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "format/format.h"
#include "hexz.h"

#define HX_SIG_MAGIC "HXSG"
#define HX_SIG_FIXED_LEN 88
#define HX_SIG_COMMENT_MAX 1024
#define HX_SIG_DOMAIN "hexz-signature-v1"
#define HX_KEY_ID_DOMAIN "hexz-key-id-v1"

/* A parsed signature section. */
typedef struct {
    uint8_t key_id[HEXZ_KEY_ID_LEN];
    int64_t signed_at;
    uint8_t signature[64];
    char comment[HX_SIG_COMMENT_MAX + 1];
    uint16_t comment_length;
} hx_signature;

/* libsodium must be initialised before use; this is idempotent and thread-safe. */
int hx_crypto_init(void);

/* Encodes `s` into a malloc'd buffer (*out, *len). */
int hx_signature_encode(const hx_signature *s, uint8_t **out, size_t *len);
int hx_signature_decode(hx_signature *s, const uint8_t *in, size_t len, const char *name);

/* The message a signature signs (docs/FORMAT.md §11); out must hold HX_SIG_MSG_MAX bytes. */
#define HX_SIG_MSG_MAX (17 + 16 + 4 + 32 + 8 + 8 + 2 + HX_SIG_COMMENT_MAX)
size_t hx_signature_message(const hx_signature *s, const hx_header *h, uint8_t *out);

/* Signs / checks `s` for archive header `h`. Verification returns 0 or HEXZ_EBADSIG. */
int hx_signature_sign(hx_signature *s, const hx_header *h, const uint8_t sk[HEXZ_SECRET_KEY_LEN]);
int hx_signature_check(const hx_signature *s, const hx_header *h, const uint8_t pk[HEXZ_PUBLIC_KEY_LEN]);

#endif
