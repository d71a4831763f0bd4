/*
 * test_spec_chunking.c - docs/FORMAT.md §15 is exact enough for a second writer to cut the same
 * chunks as libhexz.
 *
 * The mask table is read out of FORMAT.md itself and compared with the chunker's masks; a
 * FastCDC written from the text of §15 (its own masks from the formula, the gear table from
 * BLAKE3) is compared cut for cut with hx_chunker_next; and archives packed by libhexz, a single
 * stream written in uneven pieces and a file tree, have exactly the block entries that §15's
 * "what is cut" rule and §9's hole rule predict.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blake3.h"
#include "chunk/chunk.h"
#include "hexz.h"
#include "testutil.h"

#define FORMAT_MD HEXZ_SOURCE_DIR "/docs/FORMAT.md"

/* ---- the specification's FastCDC, written from §15 alone -------------------------------------- */

static uint64_t spec_mask(unsigned k)
{
    uint64_t m = 0;
    for (unsigned j = 0; j < k; j++) m |= 1ull << (63 - (j * 48) / k);
    return m;
}

static uint64_t spec_gear[256];

static void spec_gear_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint8_t msg[21], out[32];
        memcpy(msg, "hexz fastcdc gear v1", 20);
        msg[20] = (uint8_t)i;
        blake3_hasher h;
        blake3_hasher_init(&h);
        blake3_hasher_update(&h, msg, sizeof msg);
        blake3_hasher_finalize(&h, out, sizeof out);
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--) v = (v << 8) | out[b];
        spec_gear[i] = v;
    }
}

typedef struct {
    int cdc;
    size_t block, min, avg, max;
} spec_params;

static unsigned log2_of(size_t v)
{
    unsigned b = 0;
    while ((1ull << b) < v) b++;
    return b;
}

/* The length of the chunk at p[0..n) (n > 0 bytes of the piece left). */
static size_t spec_chunk(const spec_params *s, const uint8_t *p, size_t n)
{
    if (!s->cdc) return n < s->block ? n : s->block;
    size_t end = n < s->max ? n : s->max;
    if (end <= s->min) return end;
    unsigned bits = log2_of(s->avg);
    uint64_t ms = spec_mask(bits + 1), ml = spec_mask(bits - 1), h = 0;
    for (size_t i = s->min; i < end; i++) {
        h = (h << 1) + spec_gear[p[i]];
        if ((h & (i < s->avg ? ms : ml)) == 0) return i + 1;
    }
    return end;
}

/* ---- the mask table of FORMAT.md ---------------------------------------------------------------- */

/* Reads every "| k | `0x...` |" pair of §15's table into table[k]; returns how many. */
static int read_mask_table(uint64_t table[64])
{
    size_t len;
    char *text = (char *)tu_read_file(FORMAT_MD, &len);
    char *copy = realloc(text, len + 1);
    assert_non_null(copy);
    copy[len] = '\0';
    int found = 0;
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| ", 2) != 0 || !strstr(line, "`0x")) continue;
        char *p = line;
        unsigned k;
        unsigned long long v;
        int used;
        while (*p) {
            if (sscanf(p, "| %u | `0x%llx` |%n", &k, &v, &used) == 2 && k < 64) {
                table[k] = v;
                found++;
                p += used - 1; /* keep the closing '|' as the next opening one */
                continue;
            }
            p++;
        }
    }
    free(copy);
    return found;
}

static void test_mask_table_matches_chunker(void **state)
{
    (void)state;
    uint64_t table[64] = {0};
    assert_int_equal(read_mask_table(table), 23);
    for (unsigned k = 5; k <= 27; k++) assert_true(table[k] == spec_mask(k));
    for (unsigned bits = 6; bits <= 26; bits++) {
        hx_chunker c;
        assert_int_equal(hx_chunker_init_cdc(&c, 64, 1u << bits, 64u << 20), 0);
        if (c.mask_s != table[bits + 1] || c.mask_l != table[bits - 1])
            fail_msg("avg 2^%u: chunker masks %016llx/%016llx, FORMAT.md %016llx/%016llx", bits,
                     (unsigned long long)c.mask_s, (unsigned long long)c.mask_l,
                     (unsigned long long)table[bits + 1], (unsigned long long)table[bits - 1]);
    }
    spec_gear_init();
    assert_true(spec_gear[0] == 0xf35e8392b7c94e6dull && spec_gear[255] == 0x71e5b54f5ed83d5aull);
    assert_memory_equal(spec_gear, hx_gear_table, sizeof spec_gear);
}

/* ---- cut for cut -------------------------------------------------------------------------------- */

/* Random bytes with zero runs and low-entropy stretches, so that both masks and max cuts occur. */
static uint8_t *make_data(size_t len, uint64_t seed)
{
    uint8_t *d = malloc(len);
    assert_non_null(d);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    tu_rng_fill(&rng, d, len);
    for (int k = 0; k < 12; k++) {
        size_t at = tu_rng_below(&rng, len), n = tu_rng_below(&rng, 6000);
        if (at + n > len) n = len - at;
        memset(d + at, k % 3 ? 0 : 'a', n);
    }
    return d;
}

static const spec_params cases[] = {
    {0, 4096, 0, 0, 0},        {0, 100, 0, 0, 0},
    {1, 0, 64, 256, 1024},     {1, 0, 64, 64, 64},
    {1, 0, 300, 512, 700},     {1, 0, 256, 256, 4096},
    {1, 0, 2048, 8192, 32768}, {1, 0, 16384, 65536, 262144},
};

static void test_spec_chunker_matches_library(void **state)
{
    (void)state;
    spec_gear_init();
    size_t len = 700000;
    uint8_t *d = make_data(len, 7);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const spec_params *s = &cases[c];
        if (!s->cdc) continue; /* fixed cuts are checked through the writer below */
        hx_chunker ch;
        assert_int_equal(
            hx_chunker_init_cdc(&ch, (uint32_t)s->min, (uint32_t)s->avg, (uint32_t)s->max), 0);
        size_t chunks = 0;
        for (size_t pos = 0; pos < len; chunks++) {
            size_t want = spec_chunk(s, d + pos, len - pos);
            size_t got = hx_chunker_next(&ch, d + pos, len - pos, 1);
            if (got != want)
                fail_msg("case %zu: chunk at %zu: library %zu, FORMAT.md %zu", c, pos, got, want);
            pos += got;
        }
        assert_true(chunks > 1);
    }
    free(d);
}

/* ---- what libhexz writes ------------------------------------------------------------------------ */

typedef struct {
    uint64_t offset, length;
    int hole;
} want_entry;

typedef struct {
    want_entry *e;
    size_t n, cap;
} want_list;

static void want_add(want_list *w, uint64_t offset, uint64_t length, int hole)
{
    /* §9: adjacent holes merge (across pieces too), up to 2^30 bytes. */
    if (hole && w->n && w->e[w->n - 1].hole && w->e[w->n - 1].length + length <= (1ull << 30)) {
        w->e[w->n - 1].length += length;
        return;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 256;
        w->e = realloc(w->e, w->cap * sizeof *w->e);
        assert_non_null(w->e);
    }
    w->e[w->n++] = (want_entry){offset, length, hole};
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* The entries §15 predicts for one piece p[0..n) starting at stream offset `base`. */
static void predict_piece(want_list *w, const spec_params *s, const uint8_t *p, size_t n,
                          uint64_t base)
{
    for (size_t pos = 0; pos < n;) {
        size_t c = spec_chunk(s, p + pos, n - pos);
        want_add(w, base + pos, c, all_zero(p + pos, c));
        pos += c;
    }
}

static hexz_write_options options_of(const spec_params *s)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = s->cdc ? HEXZ_CHUNK_CDC : HEXZ_CHUNK_FIXED;
    o.block_size = (uint32_t)s->block;
    o.min_size = (uint32_t)s->min;
    o.avg_size = (uint32_t)s->avg;
    o.max_size = (uint32_t)s->max;
    o.codec = HEXZ_CODEC_NONE;
    o.threads = 1;
    return o;
}

static void expect_entries(const char *archive, const want_list *w, size_t c)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, archive), 0);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    assert_int_equal(hexz_reader_stream_info(r, 0, &si), 0);
    if (si.block_count != w->n)
        fail_msg("case %zu: %llu entries, FORMAT.md predicts %zu", c,
                 (unsigned long long)si.block_count, w->n);
    for (size_t i = 0; i < w->n; i++) {
        hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
        assert_int_equal(hexz_reader_block_at(r, 0, i, &b), 0);
        if (b.logical_offset != w->e[i].offset || b.logical_length != w->e[i].length ||
            !!b.is_hole != w->e[i].hole)
            fail_msg("case %zu, entry %zu: %llu+%u hole %d, predicted %llu+%llu hole %d", c, i,
                     (unsigned long long)b.logical_offset, b.logical_length, b.is_hole,
                     (unsigned long long)w->e[i].offset, (unsigned long long)w->e[i].length,
                     w->e[i].hole);
    }
    hexz_reader_free(r);
}

/* One stream written in uneven pieces: one piece, whatever the buffering. */
static void test_writer_cuts_as_specified(void **state)
{
    (void)state;
    spec_gear_init();
    char *dir = tu_mkdtemp("spec-chunking");
    char *archive = tu_path(dir, "a.hxz");
    size_t len = 400000;
    uint8_t *d = make_data(len, 11);
    tu_rng rng;
    tu_rng_seed(&rng, 5);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hexz_write_options o = options_of(&cases[c]);
        hexz_writer *wr;
        assert_int_equal(hexz_writer_create(&wr, archive, &o), 0);
        for (size_t pos = 0; pos < len;) {
            size_t n = 1 + tu_rng_below(&rng, 9000);
            if (n > len - pos) n = len - pos;
            assert_int_equal(hexz_writer_write(wr, d + pos, n), 0);
            pos += n;
        }
        assert_int_equal(hexz_writer_finish(wr), 0);
        hexz_writer_free(wr);
        want_list w = {0};
        predict_piece(&w, &cases[c], d, len, 0);
        expect_entries(archive, &w, c);
        free(w.e);
        remove(archive);
    }
    free(d);
    free(archive);
    tu_rmtree(dir);
    free(dir);
}

/* A file tree: each file is its own piece, holes merge across files. */
static void test_tree_files_are_pieces(void **state)
{
    (void)state;
    spec_gear_init();
    char *dir = tu_mkdtemp("spec-chunking-tree");
    char *archive = tu_path(dir, "t.hxz");
    size_t sizes[] = {5000, 0, 3000, 777, 70000, 1, 65536};
    uint8_t *d = make_data(200000, 13);
    memset(d + 4000, 0, 4000); /* the first file ends in zeros, the third is all zeros */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hexz_write_options o = options_of(&cases[c]);
        hexz_writer *wr;
        assert_int_equal(hexz_writer_create(&wr, archive, &o), 0);
        want_list w = {0};
        uint64_t at = 0;
        for (size_t f = 0; f < sizeof sizes / sizeof sizes[0]; f++) {
            char name[16];
            snprintf(name, sizeof name, "f%zu", f);
            assert_int_equal(hexz_writer_begin_file(wr, name, 0644, 0, 0), 0);
            if (sizes[f]) assert_int_equal(hexz_writer_write(wr, d + at, sizes[f]), 0);
            assert_int_equal(hexz_writer_end_file(wr), 0);
            predict_piece(&w, &cases[c], d + at, sizes[f], at);
            at += sizes[f];
        }
        assert_int_equal(hexz_writer_finish(wr), 0);
        hexz_writer_free(wr);
        expect_entries(archive, &w, c);
        free(w.e);
        remove(archive);
    }
    free(d);
    free(archive);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_table_matches_chunker),
        cmocka_unit_test(test_spec_chunker_matches_library),
        cmocka_unit_test(test_writer_cuts_as_specified),
        cmocka_unit_test(test_tree_files_are_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
