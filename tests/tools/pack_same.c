/*
 * pack_same.c - packs one input into one archive reproducibly, for scripts/same-archives.sh,
 * which compiles this file against two builds of libhexz and compares what they write byte for
 * byte. Public API only (include/hexz.h), so that the same driver builds against any commit.
 *
 * What would make two runs differ is pinned: the archive id is derived from the output's file
 * name (the CLI always draws a random one), and time() is defined here to return a fixed second
 * so that a signature's timestamp (hexz_sign() records time(NULL)) is the same in both runs; the
 * executable's definition takes the place of libc's for the statically linked library.
 * Encryption draws random salts and nonces by design and is not offered.
 *
 * Usage: pack_same --keygen BASE     writes a key pair BASE.key and BASE.pub (random: make it once)
 *        pack_same OUTPUT INPUT [option...]
 *   --fixed N          fixed chunking, blocks of N bytes
 *   --cdc AVG          content-defined chunking, average AVG (min AVG/4, max AVG*4)
 *   --codec C          none, lz4 or zstd
 *   --level N          the codec's level
 *   --threads N        compression workers (1 = none)
 *   --no-dedup         store repeated blocks again
 *   --dict N           train a zstd dictionary of at most N bytes on INPUT and use it
 *   --base ARCHIVE     a thin archive against ARCHIVE (chunking taken from it unless given)
 *   --stream NAME=FILE also store FILE as the stream NAME
 *   --sign KEY TEXT    then sign the archive with the secret key file KEY, trusted comment TEXT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hexz.h"

/* The second every signature made by this program records (2023-11-14T22:13:20Z). */
#define PACK_SAME_TIME ((time_t)1700000000)

time_t time(time_t *out)
{
    if (out) *out = PACK_SAME_TIME;
    return PACK_SAME_TIME;
}

static int usage(const char *why)
{
    fprintf(stderr,
            "pack_same: %s\nusage: pack_same OUTPUT INPUT [--fixed N | --cdc AVG] "
            "[--codec none|lz4|zstd] [--level N] [--threads N] [--no-dedup] [--dict N] "
            "[--base ARCHIVE] [--stream NAME=FILE] [--sign KEY TEXT]\n",
            why);
    return 2;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "pack_same: %s: %s (%d)\n", what, hexz_last_error(), rc);
    return 1;
}

/* 16 bytes from the output's file name (FNV-1a, then splitmix64), the same in every run. */
static void archive_id_of(const char *output, uint8_t id[16])
{
    const char *slash = strrchr(output, '/');
    const char *name = slash ? slash + 1 : output;
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    for (int i = 0; i < 16; i++) {
        h += 0x9e3779b97f4a7c15ull;
        uint64_t z = h;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        id[i] = (uint8_t)(z ^ (z >> 31));
    }
}

static int parse_codec(const char *s, hexz_codec *out)
{
    if (!strcmp(s, "none")) *out = HEXZ_CODEC_NONE;
    else if (!strcmp(s, "lz4")) *out = HEXZ_CODEC_LZ4;
    else if (!strcmp(s, "zstd")) *out = HEXZ_CODEC_ZSTD;
    else return -1;
    return 0;
}

typedef struct {
    hexz_write_options wo;
    hexz_stream_source streams[4];
    size_t stream_count;
    size_t dict_size;
    int chunking_given;
    const char *sign_key, *sign_comment;
} pack_same_job;

/* Reads the options after OUTPUT and INPUT into *job; 0, or the exit status of a usage error. */
static int parse_options(pack_same_job *job, int argc, char **argv)
{
    hexz_write_options *wo = &job->wo;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-dedup")) {
            wo->dedup = 0;
            continue;
        }
        if (!v) return usage("an option lacks its value");
        i++;
        if (!strcmp(a, "--fixed")) {
            wo->chunking = HEXZ_CHUNK_FIXED;
            wo->block_size = (uint32_t)strtoul(v, NULL, 0);
            job->chunking_given = 1;
        } else if (!strcmp(a, "--cdc")) {
            wo->chunking = HEXZ_CHUNK_CDC;
            wo->avg_size = (uint32_t)strtoul(v, NULL, 0);
            wo->min_size = wo->avg_size / 4;
            wo->max_size = wo->avg_size * 4;
            job->chunking_given = 1;
        } else if (!strcmp(a, "--codec")) {
            if (parse_codec(v, &wo->codec)) return usage("unknown codec");
        } else if (!strcmp(a, "--level")) {
            wo->level = atoi(v);
        } else if (!strcmp(a, "--threads")) {
            wo->threads = (unsigned)strtoul(v, NULL, 0);
        } else if (!strcmp(a, "--dict")) {
            job->dict_size = (size_t)strtoul(v, NULL, 0);
        } else if (!strcmp(a, "--base")) {
            wo->base = v;
        } else if (!strcmp(a, "--stream")) {
            char *eq = strchr(argv[i], '=');
            if (!eq || job->stream_count == 4) return usage("--stream takes NAME=FILE (at most 4)");
            *eq = '\0';
            job->streams[job->stream_count].name = v;
            job->streams[job->stream_count++].path = eq + 1;
        } else if (!strcmp(a, "--sign")) {
            if (i + 1 >= argc) return usage("--sign takes KEY TEXT");
            job->sign_key = v;
            job->sign_comment = argv[++i];
        } else {
            return usage("unknown option");
        }
    }
    return 0;
}

static int keygen(const char *base)
{
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN], sk[HEXZ_SECRET_KEY_LEN];
    char secret_path[4096], public_path[4096];
    snprintf(secret_path, sizeof secret_path, "%s.key", base);
    snprintf(public_path, sizeof public_path, "%s.pub", base);
    int rc = hexz_keygen(pk, sk);
    if (!rc) rc = hexz_key_write(secret_path, public_path, pk, sk, 1);
    return rc ? fail("keygen", rc) : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--keygen")) return keygen(argv[2]);
    if (argc < 3) return usage("OUTPUT and INPUT are needed");
    const char *output = argv[1], *input = argv[2];
    pack_same_job job;
    memset(&job, 0, sizeof job);
    hexz_write_options_init(&job.wo);
    job.wo.threads = 1;
    int rc = parse_options(&job, argc, argv);
    if (rc) return rc;

    uint8_t id[16];
    archive_id_of(output, id);
    job.wo.archive_id = id;
    if (job.wo.base && !job.chunking_given) {
        rc = hexz_base_chunking(job.wo.base, &job.wo);
        if (rc) return fail(job.wo.base, rc);
    }
    void *dict = NULL;
    if (job.dict_size) {
        size_t dict_len = 0;
        rc = hexz_train_dictionary(input, job.dict_size, &dict, &dict_len);
        if (rc) return fail("train dictionary", rc);
        job.wo.dictionary = dict;
        job.wo.dictionary_size = dict_len;
    }
    hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
    po.extra_streams = job.streams;
    po.extra_stream_count = job.stream_count;
    rc = hexz_pack(input, output, &job.wo, &po);
    hexz_free(dict);
    if (rc) return fail(output, rc);

    if (job.sign_key) {
        uint8_t sk[HEXZ_SECRET_KEY_LEN];
        rc = hexz_secret_key_load(job.sign_key, sk);
        if (!rc) rc = hexz_sign(output, sk, job.sign_comment);
        if (rc) return fail("sign", rc);
    }
    return 0;
}
