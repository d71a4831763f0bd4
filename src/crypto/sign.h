/*
 * sign.h - Ed25519 primitives on bytes (keys, key ids, detached signatures) and the few libsodium
 * helpers that key files need (base64, hex, wiping memory). All cryptography is libsodium's;
 * sodium.h is included only under src/crypto/.
 *
 * What is signed (the signature record and its message) is format/'s (format.h); reading and
 * writing key files is ops/key_files.c.
 */
#ifndef HX_SIGN_H
#define HX_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "hexz.h"

#define HX_KEY_ID_DOMAIN "hexz-key-id-v1"
#define HX_ED25519_SIG_LEN 64

/* libsodium must be initialised before use; this is idempotent and thread-safe. */
int hx_crypto_init(void);

/* Signs msg[0..n) with `sk` into sig. Returns 0 or HEXZ_EIO (libsodium unusable). */
int hx_ed25519_sign(uint8_t sig[HX_ED25519_SIG_LEN], const uint8_t *msg, size_t n,
                    const uint8_t sk[HEXZ_SECRET_KEY_LEN]);
/* Checks sig over msg[0..n) against `pk`: 0, or HEXZ_EBADSIG (no last error set). */
int hx_ed25519_verify(const uint8_t sig[HX_ED25519_SIG_LEN], const uint8_t *msg, size_t n,
                      const uint8_t pk[HEXZ_PUBLIC_KEY_LEN]);
/* Does the public half stored in `sk` match the key its seed derives? (1 or 0) */
int hx_ed25519_secret_key_consistent(const uint8_t sk[HEXZ_SECRET_KEY_LEN]);

/* Standard base64 (with padding) of bin[0..len) into out (capacity cap, NUL-terminated). */
void hx_base64_encode(char *out, size_t cap, const uint8_t *bin, size_t len);
/* Decodes base64 text[0..n) into bin (capacity cap); *bin_len gets the length. 0 or -1. */
int hx_base64_decode(uint8_t *bin, size_t cap, const char *text, size_t n, size_t *bin_len);
/* Decodes hex text[0..n) into bin (capacity cap); *bin_len gets the length. 0 or -1. */
int hx_hex_decode(uint8_t *bin, size_t cap, const char *text, size_t n, size_t *bin_len);
/* Zeroes p[0..n) in a way the compiler may not drop. */
void hx_memzero(void *p, size_t n);

#endif
