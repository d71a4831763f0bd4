/*
 * fuzz_encrypted.c - fuzz target for encrypted archives opened with their password. The input is
 * an encrypted archive in open form (fuzz_seal.c: every sealed object holds its plaintext), so
 * that mutations land in the index pages, manifest pages, sections and blocks behind the AEAD.
 * fz_seal_archive() seals it with a fixed data key (its ENCRYPTION record rebuilt to wrap that
 * key under FZ_PASSWORD at Argon2id's minimal cost, blocks given their keyed content hashes and
 * nonces) and recomputes every hash; then fz_exercise_archive() opens it with FZ_PASSWORD and
 * runs verify, inspect, every query, read_at and extract with fuzz_open_read's oracles, the
 * content-hash oracle keyed as §12 says. Seeds: gen_corpus packs encrypted archives of every
 * shape and converts them with fz_unseal_archive().
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1);
    FZ_ASSERT(img != NULL);
    memcpy(img, data, size);
    if (fz_seal_archive(img, size)) fz_exercise_archive(img, size, FZ_PASSWORD, fz_seal_hash_key());
    free(img);
    return 0;
}
