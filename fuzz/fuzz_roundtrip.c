/*
 * fuzz_roundtrip.c - fuzz target for the writer and reader together: packs arbitrary bytes
 * with the writer API (options taken from the first input bytes: fixed or CDC chunking with
 * small sizes, each codec and a few levels, dedup on or off, one thread), optionally as a file
 * tree and with a second stream, with zero runs inserted so that holes appear; then reads it all
 * back and aborts on any difference.
 *
 * Input: [flags][size a][size b][level][piece seed][zero run][file split][data...]
 * Oracles: finish succeeds; packing the same content written in one call or in odd-sized pieces
 * gives byte-identical archives (the archive id is fixed, and chunking must not depend on the
 * caller's buffering); the archive verifies; every stream reads back byte for byte; file
 * entries are found by index and by path with the right offsets and sizes; extraction
 * reproduces the content.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "hexz.h"

#define DATA_LIMIT (1u << 20)

typedef struct {
    hexz_write_options o;
    int tree, aux, pieces;
    uint8_t piece_seed;
    uint8_t *data; /* the content, zero run included */
    size_t len;
    size_t split1, split2; /* tree: file boundaries; else main/aux boundary at split1 */
} plan;

static const uint8_t archive_id[16] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                       0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

static void make_plan(plan *p, fz_bytes *in)
{
    uint8_t flags = fz_u8(in), a = fz_u8(in), b = fz_u8(in), level = fz_u8(in);
    p->piece_seed = fz_u8(in);
    uint8_t zrun = fz_u8(in), split = fz_u8(in);
    hexz_write_options_init(&p->o);
    p->o.threads = 1;
    p->o.archive_id = archive_id;
    p->o.dedup = (flags & 8) == 0;
    static const hexz_codec codecs[] = {HEXZ_CODEC_NONE, HEXZ_CODEC_LZ4, HEXZ_CODEC_ZSTD,
                                        HEXZ_CODEC_LZ4};
    p->o.codec = codecs[(flags >> 1) & 3];
    int lv = level % 4;
    p->o.level = (level & 0x80) && p->o.codec != HEXZ_CODEC_NONE ? -lv : lv;
    if (flags & 1) {
        p->o.chunking = HEXZ_CHUNK_FIXED;
        p->o.block_size = 64 + ((uint32_t)a * 8 + b) % 2048;
    } else {
        p->o.chunking = HEXZ_CHUNK_CDC;
        p->o.avg_size = 1u << (6 + a % 5);
        p->o.min_size = 64 + b % (p->o.avg_size - 63);
        p->o.max_size = p->o.avg_size + (uint32_t)(a >> 3) * 97 % (3 * p->o.avg_size);
    }
    p->tree = (flags & 16) != 0;
    p->aux = (flags & 32) != 0;
    p->pieces = (flags & 64) != 0;
    size_t n = in->left > DATA_LIMIT ? DATA_LIMIT : in->left;
    size_t zeros = (flags & 128) ? (size_t)zrun * 61 + 1 : 0;
    p->len = n + zeros;
    p->data = calloc(p->len ? p->len : 1, 1);
    FZ_ASSERT(p->data != NULL);
    size_t at = n ? split % (n + 1) : 0;
    memcpy(p->data, in->p, at);
    memcpy(p->data + at + zeros, in->p + at, n - at);
    p->split1 = p->len ? (size_t)split * p->len / 256 : 0;
    p->split2 = p->split1 + (p->len - p->split1) / 2;
}

/* Writes buf in one call, or in pieces of 1..~300 bytes. (An empty write still happens: it is
 * what creates the "main" stream when nothing else has.) */
static int write_all(hexz_writer *w, const plan *p, const uint8_t *buf, size_t len, int pieces)
{
    if (!pieces || len == 0) return hexz_writer_write(w, buf, len);
    uint32_t x = p->piece_seed * 2654435761u + 1;
    while (len > 0) {
        x = x * 1103515245u + 12345u;
        size_t n = 1 + (x >> 16) % 300;
        if (n > len) n = len;
        int rc = hexz_writer_write(w, buf, n);
        if (rc) return rc;
        buf += n;
        len -= n;
    }
    return 0;
}

static int pack(const plan *p, const char *path, int pieces)
{
    hexz_writer *w;
    int rc = hexz_writer_create(&w, path, &p->o);
    if (rc) return rc;
    if (p->tree) {
        rc = hexz_writer_add_dir(w, "d", 0755, 1700000000, 5);
        if (!rc) rc = hexz_writer_begin_file(w, "f0", 0644, 1600000000, 999999999);
        if (!rc) rc = write_all(w, p, p->data, p->split1, pieces);
        if (!rc) rc = hexz_writer_end_file(w);
        if (!rc) rc = hexz_writer_begin_file(w, "d/f1", 0600, -5, 0);
        if (!rc) rc = write_all(w, p, p->data + p->split1, p->split2 - p->split1, pieces);
        if (!rc) rc = hexz_writer_end_file(w);
        if (!rc) rc = hexz_writer_add_symlink(w, "d/l", "../f0", 0, 0);
        if (!rc) rc = hexz_writer_begin_file(w, "d/f1.x", 0640, 0, 0);
        if (!rc) rc = write_all(w, p, p->data + p->split2, p->len - p->split2, pieces);
        if (!rc) rc = hexz_writer_end_file(w);
        if (!rc && p->aux) rc = hexz_writer_begin_stream(w, "aux");
        if (!rc && p->aux) rc = write_all(w, p, p->data, p->len, pieces);
    } else {
        size_t main_len = p->aux ? p->split1 : p->len;
        rc = write_all(w, p, p->data, main_len, pieces);
        if (!rc && p->aux) rc = hexz_writer_begin_stream(w, "aux");
        if (!rc && p->aux) rc = write_all(w, p, p->data + main_len, p->len - main_len, pieces);
    }
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    return rc;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    FZ_ASSERT(f != NULL);
    FZ_ASSERT(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    FZ_ASSERT(n >= 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    FZ_ASSERT(buf != NULL);
    FZ_ASSERT(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void expect_stream(hexz_reader *r, const char *name, const uint8_t *want, size_t len)
{
    unsigned s;
    FZ_ASSERT(hexz_reader_find_stream(r, name, &s) == 0);
    hexz_stream_info info = HEXZ_STREAM_INFO_INIT;
    FZ_ASSERT(hexz_reader_stream_info(r, s, &info) == 0);
    FZ_ASSERT(info.size == len);
    uint8_t *got = malloc(len + 1);
    FZ_ASSERT(got != NULL);
    size_t n = 0;
    FZ_ASSERT(hexz_reader_read_at(r, s, got, len + 1, 0, &n) == 0);
    FZ_ASSERT(n == len && memcmp(got, want, len) == 0);
    /* Block list tiles the stream; blocks respect the chunking limits. */
    uint64_t pos = 0;
    for (uint64_t i = 0; i < info.block_count; i++) {
        hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
        FZ_ASSERT(hexz_reader_block_at(r, s, i, &b) == 0);
        FZ_ASSERT(b.logical_offset == pos && b.logical_length > 0);
        pos += b.logical_length;
    }
    FZ_ASSERT(pos == len);
    free(got);
}

static void expect_file(hexz_reader *r, const char *path, hexz_file_type type, const uint8_t *want,
                        size_t len, const char *dir)
{
    hexz_file_info *f = malloc(sizeof *f);
    FZ_ASSERT(f != NULL);
    FZ_ASSERT(hexz_reader_file_lookup(r, path, f) == 0);
    FZ_ASSERT(f->type == type && strcmp(f->path, path) == 0);
    if (type == HEXZ_FILE_REGULAR) {
        FZ_ASSERT(f->size == len);
        unsigned s;
        FZ_ASSERT(hexz_reader_find_stream(r, "main", &s) == 0);
        uint8_t *got = malloc(len + 1);
        size_t n = 0;
        FZ_ASSERT(got != NULL);
        FZ_ASSERT(hexz_reader_read_at(r, s, got, len, f->offset, &n) == 0);
        FZ_ASSERT(n == len && memcmp(got, want, len) == 0);
        free(got);
        char *ext = malloc(strlen(dir) + strlen(path) + 2);
        FZ_ASSERT(ext != NULL);
        sprintf(ext, "%s/%s", dir, path);
        size_t elen;
        uint8_t *e = slurp(ext, &elen);
        FZ_ASSERT(elen == len && memcmp(e, want, len) == 0);
        free(e);
        free(ext);
    }
    free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = {data, size};
    plan p;
    make_plan(&p, &in);
    char *box = fz_mkdtemp("roundtrip");
    char *a = malloc(strlen(box) + 16), *b = malloc(strlen(box) + 16),
         *x = malloc(strlen(box) + 16);
    FZ_ASSERT(a && b && x);
    sprintf(a, "%s/a.hxz", box);
    sprintf(b, "%s/b.hxz", box);
    sprintf(x, "%s/x", box);
    int rc = pack(&p, a, 0);
    if (rc != 0) fprintf(stderr, "pack failed: %s\n", hexz_last_error());
    FZ_ASSERT(rc == 0);
    if (p.pieces) {
        FZ_ASSERT(pack(&p, b, 1) == 0);
        size_t la, lb;
        uint8_t *ba = slurp(a, &la), *bb = slurp(b, &lb);
        FZ_ASSERT(la == lb && memcmp(ba, bb, la) == 0);
        free(ba);
        free(bb);
    }
    hexz_reader *r;
    FZ_ASSERT(hexz_reader_open(&r, a) == 0);
    rc = hexz_reader_verify(r, NULL, NULL);
    if (rc != 0) fprintf(stderr, "verify failed: %s\n", hexz_last_error());
    FZ_ASSERT(rc == 0);
    FZ_ASSERT(hexz_extract(r, x, NULL, NULL) == 0);
    if (p.tree) {
        FZ_ASSERT(hexz_reader_file_count(r) == 5);
        expect_stream(r, "main", p.data, p.len);
        expect_file(r, "d", HEXZ_FILE_DIR, NULL, 0, x);
        expect_file(r, "f0", HEXZ_FILE_REGULAR, p.data, p.split1, x);
        expect_file(r, "d/f1", HEXZ_FILE_REGULAR, p.data + p.split1, p.split2 - p.split1, x);
        expect_file(r, "d/f1.x", HEXZ_FILE_REGULAR, p.data + p.split2, p.len - p.split2, x);
        expect_file(r, "d/l", HEXZ_FILE_SYMLINK, NULL, 0, x);
        if (p.aux) expect_stream(r, "aux", p.data, p.len);
    } else {
        FZ_ASSERT(hexz_reader_file_count(r) == 0);
        size_t main_len = p.aux ? p.split1 : p.len;
        expect_stream(r, "main", p.data, main_len);
        if (p.aux) expect_stream(r, "aux", p.data + main_len, p.len - main_len);
        size_t elen;
        uint8_t *e = slurp(x, &elen);
        FZ_ASSERT(elen == main_len && memcmp(e, p.data, main_len) == 0);
        free(e);
    }
    FZ_ASSERT(hexz_reader_stream_count(r) == 1u + (unsigned)p.aux);
    hexz_reader_free(r);
    fz_rmtree(box);
    free(a);
    free(b);
    free(x);
    free(box);
    free(p.data);
    return 0;
}
