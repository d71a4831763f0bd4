/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h). Three steps, one function each:
 * canonical_request() lays the request out as AWS specifies, string_to_sign() wraps its hash
 * with the algorithm, time and credential scope, and signing_key() derives the per-day key
 * HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") whose HMAC
 * of the string to sign is the signature. Strings are built with open_memstream().
 */
#include "store/sigv4.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define HX_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

static void to_hex(const unsigned char *bin, size_t len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[bin[i] >> 4];
        hex[2 * i + 1] = digits[bin[i] & 15];
    }
    hex[2 * len] = '\0';
}

void hx_sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    to_hex(digest, sizeof digest, hex);
}

static void hmac(unsigned char out[crypto_auth_hmacsha256_BYTES], const unsigned char *key,
                 size_t key_len, const char *msg)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

/* Closes a memstream and returns its buffer, or NULL if anything failed. */
static char *memstream_finish(FILE *f, char **buf)
{
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

static char *canonical_request(const hx_sigv4_input *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fprintf(f, "%s\n%s\n%s\n", in->method, in->canonical_uri, in->canonical_query);
    for (size_t i = 0; i < in->header_count; i++)
        fprintf(f, "%s:%s\n", in->headers[i].name, in->headers[i].value);
    fputc('\n', f);
    for (size_t i = 0; i < in->header_count; i++)
        fprintf(f, "%s%s", i ? ";" : "", in->headers[i].name);
    fprintf(f, "\n%s", in->payload_hash);
    return memstream_finish(f, &buf);
}

static char *string_to_sign(const hx_sigv4_input *in, const char *creq)
{
    char hash[65];
    hx_sigv4_sha256_hex(creq, strlen(creq), hash);
    char *s = NULL;
    if (asprintf(&s, HX_SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s", in->amz_date,
                 in->amz_date, in->region, in->service, hash) < 0)
        return NULL;
    return s;
}

static int signing_key(const hx_sigv4_input *in, unsigned char key[crypto_auth_hmacsha256_BYTES])
{
    size_t secret_len = strlen(in->secret_key);
    unsigned char *k0 = malloc(secret_len + 4);
    if (!k0) return -1;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, in->secret_key, secret_len);
    char date[9];
    memcpy(date, in->amz_date, 8);
    date[8] = '\0';
    unsigned char k_date[crypto_auth_hmacsha256_BYTES], k_region[crypto_auth_hmacsha256_BYTES],
        k_service[crypto_auth_hmacsha256_BYTES];
    hmac(k_date, k0, secret_len + 4, date);
    hmac(k_region, k_date, sizeof k_date, in->region);
    hmac(k_service, k_region, sizeof k_region, in->service);
    hmac(key, k_service, sizeof k_service, "aws4_request");
    sodium_memzero(k0, secret_len + 4);
    sodium_memzero(k_date, sizeof k_date);
    sodium_memzero(k_region, sizeof k_region);
    sodium_memzero(k_service, sizeof k_service);
    free(k0);
    return 0;
}

static char *authorization(const hx_sigv4_input *in, const char *signature)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fprintf(f, HX_SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=",
            in->access_key, in->amz_date, in->region, in->service);
    for (size_t i = 0; i < in->header_count; i++)
        fprintf(f, "%s%s", i ? ";" : "", in->headers[i].name);
    fprintf(f, ", Signature=%s", signature);
    return memstream_finish(f, &buf);
}

void hx_sigv4_output_free(hx_sigv4_output *out)
{
    if (!out) return;
    free(out->canonical_request);
    free(out->string_to_sign);
    free(out->authorization);
    memset(out, 0, sizeof *out);
}

int hx_sigv4_sign(const hx_sigv4_input *in, hx_sigv4_output *out)
{
    memset(out, 0, sizeof *out);
    if (strlen(in->amz_date) != 16)
        return hx_error(HEXZ_EINVAL, "sigv4: x-amz-date must look like 20150830T123600Z");
    out->canonical_request = canonical_request(in);
    if (out->canonical_request) out->string_to_sign = string_to_sign(in, out->canonical_request);
    unsigned char key[crypto_auth_hmacsha256_BYTES], sig[crypto_auth_hmacsha256_BYTES];
    if (!out->string_to_sign || signing_key(in, key) != 0) {
        hx_sigv4_output_free(out);
        return hx_error(HEXZ_ENOMEM, "sigv4: out of memory");
    }
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)out->string_to_sign,
                                  strlen(out->string_to_sign));
    crypto_auth_hmacsha256_final(&st, sig);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(key, sizeof key);
    to_hex(sig, sizeof sig, out->signature);
    out->authorization = authorization(in, out->signature);
    if (!out->authorization) {
        hx_sigv4_output_free(out);
        return hx_error(HEXZ_ENOMEM, "sigv4: out of memory");
    }
    return 0;
}
