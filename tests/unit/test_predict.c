/*
 * test_predict.c - hexz_predict() must land within 10% of the real packed size for each
 * chunking and codec, on mixed data large enough that only a sample is compressed; and
 * diff must count shared and new content exactly on archives whose content is known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexz.h"
#include "testutil.h"

/* Disk-image-like data: text, zeros, random, repeats and shifted copies of earlier regions. */
static uint8_t *mixed(size_t len, uint64_t seed)
{
    uint8_t *d = malloc(len);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    static const char *words[] = {"error", "kernel", "block",       "device",  "mounted",
                                  "user",  "GET",    "/index.html", "200",     "timeout",
                                  "retry", "cache",  "hexz",        "snapshot"};
    size_t pos = 0;
    while (pos < len) {
        size_t n = 65536 + tu_rng_below(&rng, 1u << 20);
        if (n > len - pos) n = len - pos;
        unsigned kind = (unsigned)tu_rng_below(&rng, 5);
        if (kind == 0) {
            memset(d + pos, 0, n);
        } else if (kind == 1) {
            tu_rng_fill(&rng, d + pos, n);
        } else if (kind == 2 || pos < n + 7) {
            size_t i = 0;
            while (i < n) {
                const char *w = words[tu_rng_below(&rng, 14)];
                size_t k = strlen(w);
                for (size_t j = 0; j < k && i < n; j++) d[pos + i++] = (uint8_t)w[j];
                if (i < n) d[pos + i++] = tu_rng_below(&rng, 8) ? ' ' : '\n';
            }
        } else {
            size_t from = tu_rng_below(&rng, pos - n) + (kind == 4 ? 7 : 0); /* 4: shifted */
            memmove(d + pos, d + from, n);
        }
        pos += n;
    }
    return d;
}

static void test_predict_within_ten_percent(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("predict");
    size_t len = 96u << 20;
    uint8_t *d = mixed(len, tu_test_seed());
    char *in = tu_strf("%s/img", dir), *out = tu_strf("%s/a.hxz", dir);
    tu_write_file(in, d, len);
    free(d);
    hexz_predict_info info = HEXZ_PREDICT_INFO_INIT;
    assert_int_equal(hexz_predict(in, NULL, &info), 0);
    assert_int_equal(info.input_bytes, len);
    /* A sample, not everything (big chunks are likelier to hold a sampled byte). */
    assert_true(info.sampled_bytes < (info.unique_bytes_cdc + info.unique_bytes_fixed) / 2);
    for (int i = 0; i < 4; i++) {
        hexz_write_options o;
        hexz_write_options_init(&o);
        o.chunking = info.predictions[i].chunking;
        o.codec = info.predictions[i].codec;
        assert_int_equal(hexz_pack_path(in, out, &o), 0);
        long long real = tu_file_size(out);
        double err = ((double)info.predictions[i].estimated_bytes - (double)real) / (double)real;
        printf("[ info     ] %s+%s: predicted %llu, packed %lld (%+.1f%%)\n",
               o.chunking == HEXZ_CHUNK_CDC ? "cdc" : "fixed",
               o.codec == HEXZ_CODEC_LZ4 ? "lz4" : "zstd",
               (unsigned long long)info.predictions[i].estimated_bytes, real, 100 * err);
        assert_true(err < 0.10 && err > -0.10);
    }
    assert_true(info.recommended < 4);
    free(in);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

typedef struct {
    int files_seen;
    hexz_diff_counts changed;
} diff_seen;

static void on_diff(const char *kind, const char *name, const hexz_diff_counts *c, void *user)
{
    diff_seen *s = user;
    if (strcmp(kind, "file") != 0) return;
    s->files_seen++;
    if (strcmp(name, "changed.bin") == 0) s->changed = *c;
}

static void add_file(hexz_writer *w, const char *path, const uint8_t *data, size_t len)
{
    assert_int_equal(hexz_writer_begin_file(w, path, 0644, 0, 0), 0);
    assert_int_equal(hexz_writer_write(w, data, len), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
}

static void test_diff_counts(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("diff");
    size_t blk = 4096;
    uint8_t *d = malloc(64 * blk);
    tu_rng rng;
    tu_rng_seed(&rng, 77);
    tu_rng_fill(&rng, d, 64 * blk);
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = (uint32_t)blk;
    char *a = tu_strf("%s/a.hxz", dir), *b = tu_strf("%s/b.hxz", dir);
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, a, &o), 0);
    add_file(w, "same.bin", d, 16 * blk);
    add_file(w, "changed.bin", d + 16 * blk, 16 * blk);
    add_file(w, "gone.bin", d + 32 * blk, 8 * blk);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    d[16 * blk + 5] ^= 1; /* one block of changed.bin differs */
    assert_int_equal(hexz_writer_create(&w, b, &o), 0);
    add_file(w, "same.bin", d, 16 * blk);
    add_file(w, "changed.bin", d + 16 * blk, 16 * blk);
    add_file(w, "new.bin", d + 48 * blk, 4 * blk);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);

    hexz_reader *ra, *rb;
    assert_int_equal(hexz_reader_open(&ra, a), 0);
    assert_int_equal(hexz_reader_open(&rb, b), 0);
    hexz_diff_counts t = HEXZ_DIFF_COUNTS_INIT;
    diff_seen seen = {0};
    assert_int_equal(hexz_diff(ra, rb, &t, on_diff, &seen), 0);
    assert_int_equal(t.shared_blocks, 31);
    assert_int_equal(t.shared_bytes, 31 * blk);
    assert_int_equal(t.only_a_blocks, 1 + 8);
    assert_int_equal(t.only_b_blocks, 1 + 4);
    assert_int_equal(seen.files_seen, 4); /* same, changed, gone, new */
    assert_int_equal(seen.changed.shared_blocks, 15);
    assert_int_equal(seen.changed.only_a_blocks, 1);
    assert_int_equal(seen.changed.only_b_blocks, 1);
    hexz_reader_free(ra);
    hexz_reader_free(rb);
    free(d);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_within_ten_percent),
        cmocka_unit_test(test_diff_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
