/*
 * fuzz_open_read.c - fuzz target for the whole reading side through the public API: the input
 * as an archive, through fz_exercise_archive() (fuzz_exercise.c: open, verify, inspect, stream,
 * block and file queries, read_at, extract, with its oracles).
 *
 * Each input runs twice: as it is (exercising the integrity checks), and again after
 * fz_fixup_archive() has recomputed every hash and checksum it can find, so that structural
 * mutations get past the hashes and exercise the structural checks behind them. Encrypted
 * archives are opened without a password here (HEXZ_EPASSWORD); fuzz_encrypted opens them with
 * theirs.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_exercise_archive(data, size, NULL, NULL);
    uint8_t *copy = malloc(size ? size : 1);
    FZ_ASSERT(copy != NULL);
    memcpy(copy, data, size);
    if (fz_fixup_archive(copy, size) && memcmp(copy, data, size) != 0)
        fz_exercise_archive(copy, size, NULL, NULL);
    free(copy);
    return 0;
}
