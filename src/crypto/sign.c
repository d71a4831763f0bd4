/*
 * sign.c - Ed25519 key generation, key files, and signing and checking archive signatures.
 *
 * A signature signs the archive's root hash together with its id, format version, the key id,
 * the time of signing and the trusted comment (docs/FORMAT.md §11). Because the root hash
 * commits to every section, page and block, the signature covers every byte of the archive
 * except the signature records themselves.
 */
#include "crypto/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/error.h"

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

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Writes `text` to a new file `path` with `mode`, refusing to replace one unless `force`. */
static int write_key_file(const char *path, const char *text, mode_t mode, int force)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, mode);
    if (fd < 0 && errno == EEXIST)
        return hx_error(HEXZ_EEXIST, "%s: already exists (use --force to overwrite)", path);
    if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", path);
    size_t len = strlen(text);
    int rc = 0;
    if (fchmod(fd, mode) != 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
        rc = hx_error_errno(HEXZ_EIO, errno, "%s: cannot write key", path);
    close(fd);
    return rc;
}

static void key_text(char *out, size_t cap, const char *kind, const uint8_t *key, size_t len,
                     const uint8_t pk[HEXZ_PUBLIC_KEY_LEN])
{
    uint8_t id[HEXZ_KEY_ID_LEN];
    char idhex[2 * HEXZ_KEY_ID_LEN + 1];
    char b64[128];
    hexz_key_id(pk, id);
    hex(id, sizeof id, idhex);
    sodium_bin2base64(b64, sizeof b64, key, len, sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, cap, "hexz-ed25519-%s-key %s\n%s\n", kind, idhex, b64);
}

int hexz_key_write(const char *secret_path, const char *public_path,
                   const uint8_t pk[HEXZ_PUBLIC_KEY_LEN], const uint8_t sk[HEXZ_SECRET_KEY_LEN],
                   int force)
{
    if (!secret_path || !public_path || !pk || !sk) return hx_error(HEXZ_EINVAL, "hexz_key_write: NULL argument");
    int rc = hx_crypto_init();
    if (rc) return rc;
    char text[256];
    struct stat st;
    if (!force && (lstat(secret_path, &st) == 0 || lstat(public_path, &st) == 0))
        return hx_error(HEXZ_EEXIST, "%s: already exists (use --force to overwrite)",
                        lstat(secret_path, &st) == 0 ? secret_path : public_path);
    key_text(text, sizeof text, "secret", sk, HEXZ_SECRET_KEY_LEN, pk);
    rc = write_key_file(secret_path, text, 0600, force);
    sodium_memzero(text, sizeof text);
    if (rc) return rc;
    key_text(text, sizeof text, "public", pk, HEXZ_PUBLIC_KEY_LEN, pk);
    return write_key_file(public_path, text, 0644, force);
}

/* Reads a key file of `kind` into key[0..len); checks its tag and key id. */
static int read_key_file(const char *path, const char *kind, uint8_t *key, size_t len, uint8_t *id_out)
{
    char text[512] = {0};
    FILE *f = fopen(path, "r");
    if (!f) return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    char tag[64], idhex[64], b64[256];
    snprintf(tag, sizeof tag, "hexz-ed25519-%s-key", kind);
    char want_tag[64] = {0};
    int rc = 0;
    if (n == sizeof text - 1 || sscanf(text, "%63s %63s %255s", want_tag, idhex, b64) != 3 ||
        strcmp(want_tag, tag) != 0)
        rc = hx_error(HEXZ_EINVAL, "%s: not a hexz %s key file", path, kind);
    size_t bin_len = 0;
    if (!rc && (sodium_base642bin(key, len, b64, strlen(b64), NULL, &bin_len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 || bin_len != len))
        rc = hx_error(HEXZ_EINVAL, "%s: damaged %s key (bad base64 or length)", path, kind);
    if (!rc) {
        size_t id_len = 0;
        if (strlen(idhex) != 2 * HEXZ_KEY_ID_LEN ||
            sodium_hex2bin(id_out, HEXZ_KEY_ID_LEN, idhex, strlen(idhex), NULL, &id_len, NULL) != 0 ||
            id_len != HEXZ_KEY_ID_LEN)
            rc = hx_error(HEXZ_EINVAL, "%s: damaged %s key (bad key id)", path, kind);
    }
    sodium_memzero(text, sizeof text);
    sodium_memzero(b64, sizeof b64);
    return rc;
}

int hexz_secret_key_load(const char *path, uint8_t sk[HEXZ_SECRET_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    uint8_t id[HEXZ_KEY_ID_LEN], want[HEXZ_KEY_ID_LEN], pk[HEXZ_PUBLIC_KEY_LEN];
    rc = read_key_file(path, "secret", sk, HEXZ_SECRET_KEY_LEN, want);
    if (rc) return rc;
    /* The secret key holds its public half: check it against the seed and the key id. */
    uint8_t seed[32], pk2[HEXZ_PUBLIC_KEY_LEN], sk2[HEXZ_SECRET_KEY_LEN];
    crypto_sign_ed25519_sk_to_seed(seed, sk);
    crypto_sign_ed25519_seed_keypair(pk2, sk2, seed);
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    hexz_key_id(pk, id);
    int ok = memcmp(pk, pk2, sizeof pk) == 0 && memcmp(id, want, sizeof id) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
    if (!ok) {
        sodium_memzero(sk, HEXZ_SECRET_KEY_LEN);
        return hx_error(HEXZ_EINVAL, "%s: damaged secret key (halves do not match)", path);
    }
    return 0;
}

int hexz_public_key_load(const char *path, uint8_t pk[HEXZ_PUBLIC_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    uint8_t id[HEXZ_KEY_ID_LEN], want[HEXZ_KEY_ID_LEN];
    rc = read_key_file(path, "public", pk, HEXZ_PUBLIC_KEY_LEN, want);
    if (rc) return rc;
    hexz_key_id(pk, id);
    if (memcmp(id, want, sizeof id) != 0)
        return hx_error(HEXZ_EINVAL, "%s: damaged public key (key id does not match)", path);
    return 0;
}

int hx_signature_encode(const hx_signature *s, uint8_t **out, size_t *len)
{
    *len = HX_SIG_FIXED_LEN + s->comment_length;
    uint8_t *p = calloc(1, *len);
    if (!p) return hx_error(HEXZ_ENOMEM, "out of memory");
    memcpy(p, HX_SIG_MAGIC, 4);
    hx_put16(p + 4, 1);
    hx_put16(p + 6, s->comment_length);
    memcpy(p + 8, s->key_id, HEXZ_KEY_ID_LEN);
    hx_put64(p + 16, (uint64_t)s->signed_at);
    memcpy(p + 24, s->signature, 64);
    memcpy(p + HX_SIG_FIXED_LEN, s->comment, s->comment_length);
    *out = p;
    return 0;
}

int hx_signature_decode(hx_signature *s, const uint8_t *in, size_t len, const char *name)
{
    memset(s, 0, sizeof *s);
    if (len < HX_SIG_FIXED_LEN || memcmp(in, HX_SIG_MAGIC, 4) != 0 || hx_get16(in + 4) != 1)
        return hx_error(HEXZ_ECORRUPT, "%s: bad signature record", name);
    s->comment_length = hx_get16(in + 6);
    if (s->comment_length > HX_SIG_COMMENT_MAX || len != HX_SIG_FIXED_LEN + (size_t)s->comment_length)
        return hx_error(HEXZ_ECORRUPT, "%s: bad signature record length", name);
    memcpy(s->key_id, in + 8, HEXZ_KEY_ID_LEN);
    s->signed_at = (int64_t)hx_get64(in + 16);
    memcpy(s->signature, in + 24, 64);
    memcpy(s->comment, in + HX_SIG_FIXED_LEN, s->comment_length);
    s->comment[s->comment_length] = '\0';
    if (memchr(s->comment, '\0', s->comment_length))
        return hx_error(HEXZ_ECORRUPT, "%s: signature comment contains NUL", name);
    return 0;
}

size_t hx_signature_message(const hx_signature *s, const hx_header *h, uint8_t *out)
{
    uint8_t *p = out;
    memcpy(p, HX_SIG_DOMAIN, 17);
    p += 17;
    memcpy(p, h->archive_id, HX_ARCHIVE_ID_LEN);
    p += HX_ARCHIVE_ID_LEN;
    hx_put16(p, h->major);
    hx_put16(p + 2, h->minor);
    p += 4;
    memcpy(p, h->root_hash, HX_HASH_LEN);
    p += HX_HASH_LEN;
    memcpy(p, s->key_id, HEXZ_KEY_ID_LEN);
    p += HEXZ_KEY_ID_LEN;
    hx_put64(p, (uint64_t)s->signed_at);
    p += 8;
    hx_put16(p, s->comment_length);
    p += 2;
    memcpy(p, s->comment, s->comment_length);
    p += s->comment_length;
    return (size_t)(p - out);
}

int hx_signature_sign(hx_signature *s, const hx_header *h, const uint8_t sk[HEXZ_SECRET_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN];
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    hexz_key_id(pk, s->key_id);
    uint8_t msg[HX_SIG_MSG_MAX];
    size_t n = hx_signature_message(s, h, msg);
    crypto_sign_ed25519_detached(s->signature, NULL, msg, n, sk);
    return 0;
}

int hx_signature_check(const hx_signature *s, const hx_header *h, const uint8_t pk[HEXZ_PUBLIC_KEY_LEN])
{
    int rc = hx_crypto_init();
    if (rc) return rc;
    uint8_t msg[HX_SIG_MSG_MAX];
    size_t n = hx_signature_message(s, h, msg);
    if (crypto_sign_ed25519_verify_detached(s->signature, msg, n, pk) != 0)
        return HEXZ_EBADSIG;
    return 0;
}
