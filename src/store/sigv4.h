/*
 * sigv4.h - AWS Signature Version 4 for one HTTP request (the S3 backend's signer).
 *
 * The caller supplies the request already in canonical pieces (URI-encoded path, sorted query,
 * lower-case sorted header names with trimmed values, the payload hash and the time); this file
 * turns them into the canonical request, the string to sign, the signature and the
 * Authorization header, exactly as AWS documents them. HMAC-SHA256 and SHA-256 are libsodium's.
 * Pure functions: no clock, no environment, no network, so tests/unit/test_remote.c checks them
 * byte for byte against AWS's published examples.
 */
#ifndef HX_SIGV4_H
#define HX_SIGV4_H

#include <stddef.h>

/* SHA-256 of the empty string: the payload hash of a GET. */
#define HX_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    const char *name;  /* lower case */
    const char *value; /* trimmed, inner runs of spaces already single */
} hx_sigv4_header;

typedef struct {
    const char *method;             /* "GET" */
    const char *canonical_uri;      /* URI-encoded path, e.g. "/bucket/a%20b.hxz" */
    const char *canonical_query;    /* sorted, encoded query string; "" if none */
    const hx_sigv4_header *headers; /* the signed headers, sorted by name */
    size_t header_count;
    const char *payload_hash; /* lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *amz_date;     /* "YYYYMMDDTHHMMSSZ", the x-amz-date value */
    const char *region;       /* "us-east-1" */
    const char *service;      /* "s3" */
    const char *access_key;
    const char *secret_key;
} hx_sigv4_input;

typedef struct {
    char *canonical_request; /* malloc'd */
    char *string_to_sign;    /* malloc'd */
    char *authorization;     /* malloc'd: the Authorization header's value */
    char signature[65];      /* lower-case hex */
} hx_sigv4_output;

/* Signs `in`; returns 0, or HEXZ_ENOMEM / HEXZ_EINVAL (with hx_error set). On success the caller
 * frees *out with hx_sigv4_output_free(). */
int hx_sigv4_sign(const hx_sigv4_input *in, hx_sigv4_output *out);
void hx_sigv4_output_free(hx_sigv4_output *out);

/* Lower-case hex SHA-256 of `len` bytes into hex[65]. */
void hx_sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
