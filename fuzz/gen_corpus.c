/*
 * gen_corpus.c - writes the seed corpora of the fuzz targets: `gen_corpus OUTDIR` creates
 * OUTDIR/<target>/ for every target in fuzz/ and fills it with small, valid inputs.
 *
 * The archive seeds are packed with the library's writer API (so they are exactly what libhexz
 * writes): a single file with fixed chunking and lz4, one with CDC and zstd, one with raw blocks,
 * holes and dedup, a file tree (directories, files, a symlink) with zstd, an archive with two
 * streams, an empty archive, one whose index spans two pages, a tree whose manifest spans two
 * pages, one whose zstd blocks use a dictionary, and a thin archive against fz_make_base()'s
 * base (written to OUTDIR/1000, see fuzz_util.h).
 * fuzz_header, fuzz_index, fuzz_manifest and fuzz_open_read start from those archives, plus
 * pieces cut out of them in each target's direct input format; fuzz_codec gets
 * blocks compressed by each codec, fuzz_cdc and fuzz_roundtrip small parameter/data inputs.
 * fuzz_encrypted gets encrypted archives of the same shapes in open form (fuzz_seal.c),
 * fuzz_keyfile a key pair made from a fixed seed (and damaged copies), fuzz_password_file
 * first lines of every shape.
 * Deterministic: the same build writes the same seeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "format/format.h"
#include "fuzz_util.h"
#include "hexz.h"

static const char *outdir;

_Noreturn static void die(const char *what)
{
    fprintf(stderr, "gen_corpus: %s: %s\n", what, hexz_last_error());
    exit(1);
}

static char *join(const char *a, const char *b)
{
    char *p = malloc(strlen(a) + strlen(b) + 2);
    if (!p) die("out of memory");
    sprintf(p, "%s/%s", a, b);
    return p;
}

static void mkdir_p(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die(path);
}

static void put_file(const char *target, const char *name, const void *data, size_t len)
{
    char *dir = join(outdir, target);
    mkdir_p(dir);
    char *path = join(dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) die(path);
    free(path);
    free(dir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die(path);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Reproducible filler: text-like (compressible) or noisy. */
static void fill(uint8_t *p, size_t n, uint32_t seed, int noisy)
{
    static const char words[] = "hexz archive block index page manifest stream chunk hole dedup ";
    uint32_t x = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = noisy ? (uint8_t)(x >> 16) : (uint8_t)words[(i + (x >> 28)) % (sizeof words - 1)];
    }
}

static const uint8_t fixed_id[16] = "hexz-fuzz-seeds";

static hexz_write_options opts(hexz_chunking ch, uint32_t a, uint32_t b, uint32_t c,
                               hexz_codec codec, int level)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = ch;
    if (ch == HEXZ_CHUNK_FIXED) {
        o.block_size = a;
    } else {
        o.min_size = a;
        o.avg_size = b;
        o.max_size = c;
    }
    o.codec = codec;
    o.level = level;
    o.threads = 1;
    o.archive_id = fixed_id;
    return o;
}

static void ok(int rc, const char *what)
{
    if (rc) die(what);
}

/* Packs through `build` into a scratch file, then files it as a seed of the archive targets. */
typedef void (*builder)(hexz_writer *w);

/* `big` archives (over 100 KB) seed only fuzz_open_read: as seeds of the decoder targets they
 * would raise libFuzzer's maximum input length and slow every execution down. */
static uint8_t *pack(const char *name, const hexz_write_options *o, builder build, size_t *len)
{
    char *tmp = join(outdir, ".scratch.hxz");
    hexz_writer *w;
    ok(hexz_writer_create(&w, tmp, o), name);
    build(w);
    ok(hexz_writer_finish(w), name);
    hexz_writer_free(w);
    uint8_t *img = slurp(tmp, len);
    remove(tmp);
    free(tmp);
    return img;
}

static uint8_t *archive(const char *name, const hexz_write_options *o, builder build, int big,
                        size_t *len)
{
    uint8_t *img = pack(name, o, build, len);
    static const char *const targets[] = {"fuzz_header", "fuzz_index", "fuzz_manifest",
                                          "fuzz_open_read"};
    for (size_t i = big ? 3 : 0; i < 4; i++) put_file(targets[i], name, img, *len);
    return img;
}

static void write_filled(hexz_writer *w, size_t n, uint32_t seed, int noisy)
{
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) die("out of memory");
    fill(buf, n, seed, noisy);
    ok(hexz_writer_write(w, buf, n), "write");
    free(buf);
}

static void b_text3000(hexz_writer *w)
{
    write_filled(w, 3000, 1, 0);
}
static void b_text20k(hexz_writer *w)
{
    write_filled(w, 20000, 2, 0);
}
static void b_empty(hexz_writer *w)
{
    (void)w;
}

static void b_holes_dedup(hexz_writer *w)
{
    write_filled(w, 128, 3, 1);
    uint8_t zeros[1000] = {0};
    ok(hexz_writer_write(w, zeros, sizeof zeros), "zeros");
    write_filled(w, 128, 3, 1); /* the same bytes again: dedup */
    write_filled(w, 300, 4, 1);
}

static void b_two_streams(hexz_writer *w)
{
    write_filled(w, 5000, 5, 0);
    ok(hexz_writer_begin_stream(w, "aux"), "aux");
    write_filled(w, 700, 6, 1);
}

static void b_tree(hexz_writer *w)
{
    ok(hexz_writer_add_dir(w, "docs", 0755, 1700000000, 1), "dir");
    ok(hexz_writer_add_dir(w, "docs/empty", 0700, 1700000001, 2), "dir");
    ok(hexz_writer_begin_file(w, "docs/a.txt", 0644, 1700000002, 3), "file");
    write_filled(w, 1500, 7, 0);
    ok(hexz_writer_end_file(w), "end");
    ok(hexz_writer_begin_file(w, "docs/b.bin", 0600, 1700000003, 4), "file");
    write_filled(w, 700, 8, 1);
    ok(hexz_writer_end_file(w), "end");
    ok(hexz_writer_begin_file(w, "zero", 0644, 0, 0), "file");
    uint8_t zeros[2048] = {0};
    ok(hexz_writer_write(w, zeros, sizeof zeros), "zeros");
    ok(hexz_writer_end_file(w), "end");
    ok(hexz_writer_begin_file(w, "docs-copy.txt", 0444, -1, 0), "file");
    write_filled(w, 1500, 7, 0);
    ok(hexz_writer_end_file(w), "end");
    ok(hexz_writer_add_symlink(w, "docs/link", "a.txt", 1700000004, 5), "symlink");
}

static void b_multipage(hexz_writer *w)
{
    /* 1100 distinct 64-byte blocks: two index pages of the 1024-entry default. */
    write_filled(w, 1100 * 64, 9, 1);
}

static void b_tree_many(hexz_writer *w)
{
    ok(hexz_writer_add_dir(w, "d", 0755, 1, 0), "dir");
    char path[64];
    for (int i = 0; i < 1500; i++) {
        snprintf(path, sizeof path, "d/file-with-a-longish-name-%05d", i);
        ok(hexz_writer_begin_file(w, path, 0644, i, 0), "file");
        if (i % 100 == 0) write_filled(w, 64, (uint32_t)i, 1);
        ok(hexz_writer_end_file(w), "end");
    }
}

/* Pieces of one archive in the direct formats of fuzz_header, fuzz_index and fuzz_manifest. */
static void cut_pieces(const char *name, const uint8_t *img, size_t len)
{
    uint64_t sto = hx_get64(img + 48);
    uint32_t count = hx_get32(img + 56);
    uint8_t *buf = malloc(len + 8);
    if (!buf) die("out of memory");
    char seed[128];
    buf[0] = 3; /* header */
    memcpy(buf + 1, img, HX_HEADER_LEN);
    snprintf(seed, sizeof seed, "%s.header", name);
    put_file("fuzz_header", seed, buf, 1 + HX_HEADER_LEN);
    buf[0] = 2; /* section table */
    memcpy(buf + 1, img + sto, (size_t)count * HX_SECTION_ENTRY_LEN);
    snprintf(seed, sizeof seed, "%s.sections", name);
    put_file("fuzz_header", seed, buf, 1 + (size_t)count * HX_SECTION_ENTRY_LEN);
    uint32_t max_size = HX_BLOCK_MAX_LIMIT;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = img + sto + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint32_t type = hx_get32(e);
        uint64_t off = hx_get64(e + 8), slen = hx_get64(e + 16);
        if (type == HX_SECTION_PARAMS) max_size = hx_get32(img + off + 20);
        if (type == HX_SECTION_PARAMS || type == HX_SECTION_STREAMS) {
            buf[0] = type == HX_SECTION_PARAMS ? 0 : 1;
            memcpy(buf + 1, img + off, slen);
            snprintf(seed, sizeof seed, "%s.%s", name,
                     type == HX_SECTION_PARAMS ? "params" : "streams");
            put_file("fuzz_header", seed, buf, 1 + slen);
        }
    }
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = img + sto + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint64_t off = hx_get64(e + 8), slen = hx_get64(e + 16);
        if (hx_get32(e) == HX_SECTION_PAGE_DIR && slen >= HX_PAGE_DIR_ENTRY_LEN) {
            uint64_t poff = hx_get64(img + off + 16);
            uint32_t plen = hx_get32(img + off + 24);
            hx_put32(buf, max_size);
            memcpy(buf + 4, img + poff, plen);
            snprintf(seed, sizeof seed, "%s.page%u", name, hx_get32(e + 24));
            put_file("fuzz_index", seed, buf, 4 + plen);
        }
        if (hx_get32(e) == HX_SECTION_MANIFEST_DIR) {
            uint64_t poff = hx_get64(img + off + 12);
            uint32_t plen = hx_get32(img + off + 20);
            buf[0] = 0;
            buf[1] = 0;
            memcpy(buf + 2, img + poff + HX_MANIFEST_PAGE_HEADER_LEN,
                   plen - HX_MANIFEST_PAGE_HEADER_LEN);
            snprintf(seed, sizeof seed, "%s.mpage", name);
            put_file("fuzz_manifest", seed, buf, 2 + plen - HX_MANIFEST_PAGE_HEADER_LEN);
        }
    }
    free(buf);
}

/* A thin archive against fz_make_base()'s base: references to 8 of its blocks (one twice), and
 * new blocks. fuzz_open_read finds the base through its base directory. */
static const char *thin_base_path;

static void b_thin(hexz_writer *w)
{
    hexz_reader *r;
    ok(hexz_reader_open(&r, thin_base_path), "base");
    uint8_t buf[16 * 256];
    size_t got;
    ok(hexz_reader_read_at(r, 0, buf, sizeof buf, 0, &got), "base read");
    hexz_reader_free(r);
    ok(hexz_writer_write(w, buf, 8 * 256), "write");    /* blocks 0..7 of the base */
    write_filled(w, 700, 11, 1);                        /* new bytes */
    ok(hexz_writer_write(w, buf + 1024, 256), "write"); /* base block 4 again */
    ok(hexz_writer_write(w, buf + 12 * 256, 4 * 256), "write");
}

/* An archive whose zstd blocks use a dictionary (raw-content dictionary: the filler's words). */
static void dict_seed(void)
{
    static char dict[2048];
    for (size_t i = 0; i < sizeof dict; i++)
        dict[i] = "hexz archive block index page manifest "[i % 39];
    hexz_write_options o = opts(HEXZ_CHUNK_FIXED, 512, 0, 0, HEXZ_CODEC_ZSTD, 0);
    o.dictionary = dict;
    o.dictionary_size = sizeof dict;
    size_t len;
    uint8_t *img = archive("file-zstd-dict.hxz", &o, b_text3000, 0, &len);
    cut_pieces("file-zstd-dict.hxz", img, len);
    free(img);
}

static void thin_seed(void)
{
    /* Beside the scratch archive, so that the thin archive records the bare name FZ_BASE_NAME. */
    char *base = join(outdir, FZ_BASE_NAME);
    ok(fz_make_base(base), "base");
    thin_base_path = base;
    hexz_write_options o = opts(HEXZ_CHUNK_FIXED, 256, 0, 0, HEXZ_CODEC_ZSTD, 0);
    o.base = base;
    size_t len;
    uint8_t *img = archive("thin-on-base.hxz", &o, b_thin, 0, &len);
    cut_pieces("thin-on-base.hxz", img, len);
    free(img);
    free(base);
}

static void codec_seeds(void)
{
    static const struct {
        int codec, level;
        const char *name;
    } cs[] = {{HX_CODEC_NONE, 0, "none"},
              {HX_CODEC_LZ4, 0, "lz4"},
              {HX_CODEC_LZ4, 9, "lz4hc"},
              {HX_CODEC_ZSTD, 0, "zstd"},
              {HX_CODEC_ZSTD, -3, "zstd-fast"}};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        for (int variant = 0; variant < 2; variant++) {
            size_t n = variant ? 4096 : 300;
            uint8_t *src = malloc(n);
            hx_codec_ctx *c;
            if (!src || hx_codec_ctx_create(&c, cs[i].codec, cs[i].level)) die("codec");
            fill(src, n, (uint32_t)(i * 2 + (size_t)variant), variant);
            size_t cap = hx_codec_bound(c, n), out = 0;
            uint8_t *buf = malloc(5 + cap);
            if (!buf || hx_codec_compress(c, src, n, buf + 5, cap, &out)) die("compress");
            buf[0] = (uint8_t)(i * 4);
            hx_put32(buf + 1, (uint32_t)n);
            char seed[64];
            snprintf(seed, sizeof seed, "%s-%zu", cs[i].name, n);
            put_file("fuzz_codec", seed, buf, 5 + out);
            free(buf);
            free(src);
            hx_codec_ctx_free(c);
        }
    }
}

static void param_seeds(void)
{
    /* fuzz_cdc: [flags][a][b][c][data]; fuzz_roundtrip:
     * [flags][a][b][level][piece][zrun][split][data]. */
    static const uint8_t cdc_heads[][13] = {{0, 0, 1, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0},
                                            {0, 200, 0, 0, 0, 4, 0, 0, 0, 99, 1, 0, 0},
                                            {2, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                                            {1, 64, 0, 0, 0, 128, 0, 0, 0, 0, 1, 0, 0},
                                            {3, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
    static const uint8_t rt_heads[][7] = {
        {0x01, 10, 3, 0, 1, 0, 128}, {0x02, 2, 40, 1, 2, 0, 60},
        {0x45, 0, 7, 3, 3, 9, 200},  {0xD4, 1, 1, 0x82, 4, 20, 100},
        {0x3C, 3, 90, 2, 5, 0, 30},  {0xFF, 4, 255, 0x81, 6, 255, 255}};
    uint8_t buf[13 + 6000];
    for (size_t i = 0; i < sizeof cdc_heads / sizeof cdc_heads[0]; i++) {
        memcpy(buf, cdc_heads[i], 13);
        fill(buf + 13, 6000, (uint32_t)i + 40, (int)(i & 1));
        char seed[32];
        snprintf(seed, sizeof seed, "cdc-%zu", i);
        put_file("fuzz_cdc", seed, buf, sizeof buf);
    }
    for (size_t i = 0; i < sizeof rt_heads / sizeof rt_heads[0]; i++) {
        memcpy(buf, rt_heads[i], 7);
        size_t n = 500 + i * 700;
        fill(buf + 7, n, (uint32_t)i + 50, (int)(i & 1));
        if (i == 2) memset(buf + 7 + 100, 0, 300); /* a zero run inside the data too */
        char seed[32];
        snprintf(seed, sizeof seed, "rt-%zu", i);
        put_file("fuzz_roundtrip", seed, buf, 7 + n);
    }
    static const char *const paths[] = {"a/b",  "a.b",    "a/b/c", "./x",
                                        "x/..", "dir//y", "/abs",  "a-b/c"};
    for (size_t i = 0; i + 1 < sizeof paths / sizeof paths[0]; i++) {
        size_t la = strlen(paths[i]), lb = strlen(paths[i + 1]);
        buf[0] = 1;
        buf[1] = (uint8_t)la;
        memcpy(buf + 2, paths[i], la);
        memcpy(buf + 2 + la, paths[i + 1], lb);
        char seed[32];
        snprintf(seed, sizeof seed, "paths-%zu", i);
        put_file("fuzz_manifest", seed, buf, 2 + la + lb);
    }
}

/* fuzz_encrypted: encrypted archives (FZ_PASSWORD, minimal Argon2id cost) of every shape, in
 * the open form of fuzz_seal.c. */
static void encrypted_seeds(void)
{
    static char dict[2048];
    for (size_t i = 0; i < sizeof dict; i++)
        dict[i] = "hexz archive block index page manifest "[i % 39];
    static const struct {
        const char *name;
        hexz_chunking ch;
        uint32_t a, b, c;
        hexz_codec codec;
        builder build;
        int dict;
    } arcs[] = {
        {"enc-file-fixed-lz4.hxz", HEXZ_CHUNK_FIXED, 256, 0, 0, HEXZ_CODEC_LZ4, b_text3000, 0},
        {"enc-file-cdc-zstd.hxz", HEXZ_CHUNK_CDC, 64, 256, 1024, HEXZ_CODEC_ZSTD, b_text20k, 0},
        {"enc-raw-holes-dedup.hxz", HEXZ_CHUNK_FIXED, 128, 0, 0, HEXZ_CODEC_NONE, b_holes_dedup, 0},
        {"enc-tree-zstd.hxz", HEXZ_CHUNK_FIXED, 512, 0, 0, HEXZ_CODEC_ZSTD, b_tree, 0},
        {"enc-two-streams.hxz", HEXZ_CHUNK_CDC, 128, 512, 2048, HEXZ_CODEC_LZ4, b_two_streams, 0},
        {"enc-empty.hxz", HEXZ_CHUNK_CDC, 16384, 65536, 262144, HEXZ_CODEC_LZ4, b_empty, 0},
        {"enc-zstd-dict.hxz", HEXZ_CHUNK_FIXED, 512, 0, 0, HEXZ_CODEC_ZSTD, b_text3000, 1},
    };
    for (size_t i = 0; i < sizeof arcs / sizeof arcs[0]; i++) {
        hexz_write_options o = opts(arcs[i].ch, arcs[i].a, arcs[i].b, arcs[i].c, arcs[i].codec, 1);
        o.password = FZ_PASSWORD;
        o.kdf = HEXZ_KDF_MINIMAL;
        if (arcs[i].dict) {
            o.dictionary = dict;
            o.dictionary_size = sizeof dict;
        }
        size_t len;
        uint8_t *img = pack(arcs[i].name, &o, arcs[i].build, &len);
        if (fz_unseal_archive(img, len, FZ_PASSWORD) != 0) die(arcs[i].name);
        put_file("fuzz_encrypted", arcs[i].name, img, len);
        free(img);
    }
}

/* fuzz_keyfile: a key pair from a fixed seed, as hexz_key_write writes it, and damaged copies. */
static void keyfile_seeds(void)
{
    uint8_t seed[crypto_sign_SEEDBYTES], pk[HEXZ_PUBLIC_KEY_LEN], sk[HEXZ_SECRET_KEY_LEN];
    for (size_t i = 0; i < sizeof seed; i++) seed[i] = (uint8_t)(i * 7 + 1);
    if (sodium_init() < 0) die("sodium_init");
    crypto_sign_seed_keypair(pk, sk, seed);
    char *sp = join(outdir, ".scratch.sec"), *pp = join(outdir, ".scratch.pub");
    ok(hexz_key_write(sp, pp, pk, sk, 1), "key files");
    size_t sl, pl;
    uint8_t *st = slurp(sp, &sl), *pt = slurp(pp, &pl);
    remove(sp);
    remove(pp);
    put_file("fuzz_keyfile", "secret.key", st, sl);
    put_file("fuzz_keyfile", "public.key", pt, pl);
    st[sl - 3] ^= 1; /* the base64 of the secret key's public half */
    put_file("fuzz_keyfile", "secret-damaged.key", st, sl);
    pt[20] ^= 1; /* the key id */
    put_file("fuzz_keyfile", "public-bad-id.key", pt, pl);
    put_file("fuzz_keyfile", "public-no-newline.key", pt, pl - 1);
    free(st);
    free(pt);
    free(sp);
    free(pp);
}

/* fuzz_password_file: first lines with and without CR and LF, empty, and one byte too long. */
static void password_file_seeds(void)
{
    static const struct {
        const char *name, *text;
    } seeds[] = {
        {"line", "correct horse battery staple\n"},
        {"crlf-two-lines", "pass word\r\nsecond line\n"},
        {"no-newline", "no-newline"},
        {"empty-line", "\nsecond"},
        {"cr-only", "\r\n"},
        {"empty", ""},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        put_file("fuzz_password_file", seeds[i].name, seeds[i].text, strlen(seeds[i].text));
    static char longest[4097 + 1];
    memset(longest, 'p', sizeof longest - 1);
    longest[4097] = '\n';
    put_file("fuzz_password_file", "one-byte-too-long", longest, 4096 + 1 + 1); /* 4097 + '\n' */
    put_file("fuzz_password_file", "longest", longest + 1, 4096 + 1);           /* 4096 + '\n' */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    mkdir_p(outdir);
    static const struct {
        const char *name;
        hexz_chunking ch;
        uint32_t a, b, c;
        hexz_codec codec;
        int level;
        builder build;
    } arcs[] = {
        {"file-fixed-lz4.hxz", HEXZ_CHUNK_FIXED, 256, 0, 0, HEXZ_CODEC_LZ4, 0, b_text3000},
        {"file-cdc-zstd.hxz", HEXZ_CHUNK_CDC, 64, 256, 1024, HEXZ_CODEC_ZSTD, 3, b_text20k},
        {"file-raw-holes-dedup.hxz", HEXZ_CHUNK_FIXED, 128, 0, 0, HEXZ_CODEC_NONE, 0,
         b_holes_dedup},
        {"tree-zstd.hxz", HEXZ_CHUNK_FIXED, 512, 0, 0, HEXZ_CODEC_ZSTD, 1, b_tree},
        {"two-streams-cdc-lz4.hxz", HEXZ_CHUNK_CDC, 128, 512, 2048, HEXZ_CODEC_LZ4, 0,
         b_two_streams},
        {"empty.hxz", HEXZ_CHUNK_CDC, 16384, 65536, 262144, HEXZ_CODEC_LZ4, 0, b_empty},
        {"multipage-raw.hxz", HEXZ_CHUNK_FIXED, 64, 0, 0, HEXZ_CODEC_NONE, 0, b_multipage},
        {"tree-two-manifest-pages.hxz", HEXZ_CHUNK_FIXED, 64, 0, 0, HEXZ_CODEC_LZ4, 0, b_tree_many},
    };
    for (size_t i = 0; i < sizeof arcs / sizeof arcs[0]; i++) {
        hexz_write_options o = opts(arcs[i].ch, arcs[i].a, arcs[i].b, arcs[i].c, arcs[i].codec,
                                    arcs[i].level);
        size_t len;
        int big = arcs[i].build == b_multipage || arcs[i].build == b_tree_many;
        uint8_t *img = archive(arcs[i].name, &o, arcs[i].build, big, &len);
        if (!big) cut_pieces(arcs[i].name, img, len);
        free(img);
    }
    thin_seed();
    dict_seed();
    codec_seeds();
    param_seeds();
    encrypted_seeds();
    keyfile_seeds();
    password_file_seeds();
    return 0;
}
