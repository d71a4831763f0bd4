/*
 * fuzz_keyfile.c - fuzz target for the key-file readers, hexz_secret_key_load() and
 * hexz_public_key_load(), on arbitrary bytes (held in a memfd, read through /proc/self/fd/N as a
 * user's key file would be). Oracles: every failure is HEXZ_EINVAL (or HEXZ_EIO/HEXZ_ENOMEM);
 * a file never loads as both kinds; a loaded secret key's public half and key id are consistent
 * (its public key, written out by hexz_key_write and read back, is the same key); a loaded
 * public key written out and read back is the same key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "hexz.h"

static int load_error(int rc)
{
    return rc == HEXZ_EINVAL || rc == HEXZ_EIO || rc == HEXZ_ENOMEM;
}

/* Writes `pk` (and `sk`) with hexz_key_write into a scratch directory and reads them back. */
static void roundtrip(const uint8_t pk[HEXZ_PUBLIC_KEY_LEN], const uint8_t *sk)
{
    char *dir = fz_mkdtemp("keys");
    size_t n = strlen(dir) + 16;
    char *sp = malloc(n), *pp = malloc(n);
    FZ_ASSERT(sp && pp);
    snprintf(sp, n, "%s/k.sec", dir);
    snprintf(pp, n, "%s/k.pub", dir);
    uint8_t dummy[HEXZ_SECRET_KEY_LEN] = {0};
    FZ_ASSERT(hexz_key_write(sp, pp, pk, sk ? sk : dummy, 0) == 0);
    uint8_t pk2[HEXZ_PUBLIC_KEY_LEN], sk2[HEXZ_SECRET_KEY_LEN];
    FZ_ASSERT(hexz_public_key_load(pp, pk2) == 0 && memcmp(pk, pk2, sizeof pk2) == 0);
    if (sk) FZ_ASSERT(hexz_secret_key_load(sp, sk2) == 0 && memcmp(sk, sk2, sizeof sk2) == 0);
    fz_rmtree(dir);
    free(sp);
    free(pp);
    free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fz_memfd(data, size, path);
    if (fd < 0) return 0;
    uint8_t sk[HEXZ_SECRET_KEY_LEN], pk[HEXZ_PUBLIC_KEY_LEN];
    int src = hexz_secret_key_load(path, sk);
    int prc = hexz_public_key_load(path, pk);
    close(fd);
    FZ_ASSERT(src == 0 || load_error(src));
    FZ_ASSERT(prc == 0 || load_error(prc));
    FZ_ASSERT(src != 0 || prc != 0); /* the type tag differs */
    if (src == 0) {
        uint8_t half[HEXZ_PUBLIC_KEY_LEN];
        hexz_key_public(sk, half);
        roundtrip(half, sk);
    }
    if (prc == 0) roundtrip(pk, NULL);
    return 0;
}
