/*
 * fuzz_util.h - helpers shared by the fuzz targets in fuzz/: a checked-assertion macro that
 * aborts (so libFuzzer and the standalone driver both report it as a crash), a byte reader
 * that turns the fuzzer's input into parameters, scratch directories on tmpfs, memfd-backed
 * archive files, and "fix-up" of an archive's hashes so that structural mutations get past the
 * integrity checks and reach the structural ones.
 */
#ifndef HEXZ_FUZZ_UTIL_H
#define HEXZ_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Every fuzz target defines this; the standalone driver and libFuzzer call it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message naming the broken invariant. Used for oracles, never for input checks. */
#define FZ_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) fz_fail(__FILE__, __LINE__, #cond);                                           \
    } while (0)

_Noreturn void fz_fail(const char *file, int line, const char *what);

/* Consumes the front of the input: each call takes bytes while they last, then yields zeros. */
typedef struct {
    const uint8_t *p;
    size_t left;
} fz_bytes;

uint8_t fz_u8(fz_bytes *b);
uint16_t fz_u16(fz_bytes *b);
uint32_t fz_u32(fz_bytes *b);
uint64_t fz_u64(fz_bytes *b);

/* A fresh scratch directory (on /dev/shm when it is writable, else $TMPDIR or /tmp); malloc'd. */
char *fz_mkdtemp(const char *tag);
/* rm -rf that first makes directories searchable and writable, so that an extracted tree with
 * mode 0000 directories can still be removed. Aborts if anything is left behind. */
void fz_rmtree(const char *path);
/* Lists the names in directory `dir` except "." and ".."; returns their count and writes up to
 * `max` malloc'd names into `names` (NULL allowed). */
size_t fz_list_dir(const char *dir, char **names, size_t max);

/* Puts `data` in an anonymous memory file; *path_out gets a "/proc/self/fd/N" name that
 * hexz_reader_open() can open. Returns the fd (close it when done) or -1. */
int fz_memfd(const uint8_t *data, size_t size, char path_out[64]);

/* The base archive that thin-archive seeds refer to: a small, deterministic archive (fixed id,
 * content and options), so that gen_corpus and fuzz_open_read make byte-identical copies and the
 * id and root hash recorded in the seeds match. fz_make_base writes it at `path`; 0 or HEXZ_E*.
 * The seeds record the base by the relative name FZ_BASE_NAME; fuzz_open_read keeps the base in
 * a memfd at descriptor FZ_BASE_FD, so that beside an input opened as /proc/self/fd/N that name
 * is /proc/self/fd/1000: the base, with nothing left on disk when the fuzzer exits. */
#define FZ_BASE_FD 1000
#define FZ_BASE_NAME "1000"
int fz_make_base(const char *path);

/* Rewrites, in place, every hash and checksum of a (possibly mutated) archive image that can be
 * located: block checksums and content hashes (when the block decodes), index page hashes,
 * manifest page hashes, section hashes, the root hash and the header checksum. Leaves anything
 * it cannot parse alone. Returns 1 if the image has a plausible header, else 0. */
int fz_fixup_archive(uint8_t *img, size_t size);

/* fuzz_exercise.c: the reading side of fuzz_open_read and fuzz_encrypted. Opens the image (held
 * in a memfd, thin archives finding fz_make_base()'s base at FZ_BASE_FD) with `password` (NULL:
 * none), then verify, inspect, every kind of query, read_at and extract, checking the oracles
 * listed in fuzz_exercise.c. `hash_key` (NULL: plain BLAKE3) is the key of an encrypted
 * archive's content hashes, for the oracle that read bytes hash to their block's content hash. */
void fz_exercise_archive(const uint8_t *img, size_t size, const char *password,
                         const uint8_t hash_key[32]);

/* fuzz_seal.c: encrypted archives in "open form", so that the fuzzer mutates what lies behind
 * the AEAD. In open form every sealed object (section, index page, manifest page, stored block)
 * keeps its place and length, `nonce (24) || plaintext || tag (16)`, with the plaintext in the
 * clear where the ciphertext would be. fz_unseal_archive() turns an encrypted archive written
 * with `password` into open form (gen_corpus makes the fuzz_encrypted seeds with it; 0 on
 * success). fz_seal_archive() goes back, whatever the mutations: it replaces the ENCRYPTION
 * record by one that wraps a fixed data key under FZ_PASSWORD at the minimal Argon2id cost, seals
 * every object it can locate with that key (blocks get their keyed content hash and nonce
 * recomputed), and recomputes every hash, the root hash and the header checksum. It returns 1 if
 * the image had a plausible header. fz_seal_hash_key() is the fixed key's content-hash subkey. */
#define FZ_PASSWORD "fuzz-password"
int fz_unseal_archive(uint8_t *img, size_t size, const char *password);
int fz_seal_archive(uint8_t *img, size_t size);
const uint8_t *fz_seal_hash_key(void);

#endif
