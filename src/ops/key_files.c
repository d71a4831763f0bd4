/*
 * key_files.c - the text files that hold Ed25519 keys (hexz_key_write, hexz_secret_key_load,
 * hexz_public_key_load). A file is one line "hexz-ed25519-<kind>-key <key id in hex>" and one
 * line of base64 key bytes; loading checks the tag, the key id and, for a secret key, that its
 * two halves agree. The cryptography and the encodings are crypto/sign.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "crypto/sign.h"
#include "hexz.h"

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
    hx_base64_encode(b64, sizeof b64, key, len);
    snprintf(out, cap, "hexz-ed25519-%s-key %s\n%s\n", kind, idhex, b64);
}

int hexz_key_write(const char *secret_path, const char *public_path,
                   const uint8_t pk[HEXZ_PUBLIC_KEY_LEN], const uint8_t sk[HEXZ_SECRET_KEY_LEN],
                   int force)
{
    if (!secret_path || !public_path || !pk || !sk)
        return hx_error(HEXZ_EINVAL, "hexz_key_write: NULL argument");
    int rc = hx_crypto_init();
    if (rc) return rc;
    char text[256];
    struct stat st;
    if (!force && (lstat(secret_path, &st) == 0 || lstat(public_path, &st) == 0))
        return hx_error(HEXZ_EEXIST, "%s: already exists (use --force to overwrite)",
                        lstat(secret_path, &st) == 0 ? secret_path : public_path);
    key_text(text, sizeof text, "secret", sk, HEXZ_SECRET_KEY_LEN, pk);
    rc = write_key_file(secret_path, text, 0600, force);
    hx_memzero(text, sizeof text);
    if (rc) return rc;
    key_text(text, sizeof text, "public", pk, HEXZ_PUBLIC_KEY_LEN, pk);
    return write_key_file(public_path, text, 0644, force);
}

/* Reads a key file of `kind` into key[0..len); checks its tag and key id. */
static int read_key_file(const char *path, const char *kind, uint8_t *key, size_t len,
                         uint8_t *id_out)
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
    if (!rc && (hx_base64_decode(key, len, b64, strlen(b64), &bin_len) != 0 || bin_len != len))
        rc = hx_error(HEXZ_EINVAL, "%s: damaged %s key (bad base64 or length)", path, kind);
    if (!rc) {
        size_t id_len = 0;
        if (strlen(idhex) != 2 * HEXZ_KEY_ID_LEN ||
            hx_hex_decode(id_out, HEXZ_KEY_ID_LEN, idhex, strlen(idhex), &id_len) != 0 ||
            id_len != HEXZ_KEY_ID_LEN)
            rc = hx_error(HEXZ_EINVAL, "%s: damaged %s key (bad key id)", path, kind);
    }
    hx_memzero(text, sizeof text);
    hx_memzero(b64, sizeof b64);
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
    hexz_key_public(sk, pk);
    hexz_key_id(pk, id);
    if (!hx_ed25519_secret_key_consistent(sk) || memcmp(id, want, sizeof id) != 0) {
        hx_memzero(sk, HEXZ_SECRET_KEY_LEN);
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
