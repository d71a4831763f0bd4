/*
 * test_open_options.c - hexz_open_options across its versions: a caller built against an
 * older header (version 1 or 2, the struct as it was then, without the newer fields) still
 * opens archives, a newer version than the library's is refused, and so are remote options of
 * an unknown version. Each older struct is allocated at exactly its old size, so reading a
 * field past it is caught under AddressSanitizer. Also: hexz_sign() and
 * hexz_change_password_opts(), which take no remote settings, refuse a URL before opening it.
 * And the info structs the library fills: version 0 is refused and leaves the struct as it was,
 * a version newer than the library's is filled as far as the library knows and says so.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hexz.h"
#include "testutil.h"

#define DATA_SIZE (256u << 10)

/* hexz_open_options as version 1 and version 2 of include/hexz.h defined it. */
typedef struct {
    unsigned version;
    const char *password;
    const char *base_dir;
    int signatures_only;
} open_options_v1;

typedef struct {
    unsigned version;
    const char *password;
    const char *base_dir;
    int signatures_only;
    uint64_t max_kdf_memory;
    uint64_t max_kdf_ops;
} open_options_v2;

static char *dir, *archive;
static uint8_t *data;

static int group_setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp("openopts");
    data = malloc(DATA_SIZE);
    tu_rng rng;
    tu_rng_seed(&rng, 13);
    tu_rng_fill(&rng, data, DATA_SIZE);
    char *input = tu_path(dir, "in.bin");
    tu_write_file(input, data, DATA_SIZE);
    archive = tu_path(dir, "a.hxz");
    assert_int_equal(hexz_pack_path(input, archive, NULL), 0);
    free(input);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir), free(archive), free(data);
    return 0;
}

/* Opens with `opts` and checks that the content reads back. */
static void open_and_read(const hexz_open_options *opts)
{
    hexz_reader *r = NULL;
    int rc = hexz_reader_open_opts(&r, archive, opts);
    if (rc) print_message("open: %s\n", hexz_last_error());
    assert_int_equal(rc, 0);
    uint8_t *buf = malloc(DATA_SIZE);
    size_t got = 0;
    assert_int_equal(hexz_reader_read_at(r, 0, buf, DATA_SIZE, 0, &got), 0);
    assert_int_equal(got, DATA_SIZE);
    assert_memory_equal(buf, data, DATA_SIZE);
    free(buf);
    hexz_reader_free(r);
}

static void test_older_versions(void **state)
{
    (void)state;
    open_options_v1 *o1 = calloc(1, sizeof *o1);
    open_options_v2 *o2 = calloc(1, sizeof *o2);
    assert_non_null(o1);
    assert_non_null(o2);
    o1->version = 1;
    o2->version = 2;
    o2->max_kdf_memory = HEXZ_KDF_MEMORY_LIMIT;
    open_and_read((const hexz_open_options *)(void *)o1);
    open_and_read((const hexz_open_options *)(void *)o2);
    free(o1), free(o2);
}

static void test_version_3(void **state)
{
    (void)state;
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    assert_int_equal(oo.version, 3);
    open_and_read(&oo);
    hexz_remote_options ro = HEXZ_REMOTE_OPTIONS_INIT; /* no lookup: every default */
    oo.remote = &ro;
    open_and_read(&oo);
    open_and_read(NULL);
}

/* Opening with `oo` fails with `code` and a message containing `want`. */
static void expect_refused(const hexz_open_options *oo, int code, const char *want)
{
    hexz_reader *r = NULL;
    assert_int_equal(hexz_reader_open_opts(&r, archive, oo), code);
    tu_assert_contains(hexz_last_error(), want);
    assert_null(r);
}

static void test_versions_refused(void **state)
{
    (void)state;
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    oo.version = HEXZ_OPEN_OPTIONS_VERSION + 1;
    expect_refused(&oo, HEXZ_EUNSUPPORTED,
                   "open options version 4 is newer than this library's (3)");
    oo.version = 0;
    expect_refused(&oo, HEXZ_EINVAL,
                   "open options version 0 (initialise them with their _INIT macro)");

    hexz_remote_options ro = HEXZ_REMOTE_OPTIONS_INIT;
    oo = (hexz_open_options)HEXZ_OPEN_OPTIONS_INIT;
    oo.remote = &ro;
    ro.version = HEXZ_REMOTE_OPTIONS_VERSION + 1;
    expect_refused(&oo, HEXZ_EUNSUPPORTED,
                   "remote options version 2 is newer than this library's (1)");
    ro.version = 0;
    expect_refused(&oo, HEXZ_EINVAL,
                   "remote options version 0 (initialise them with their _INIT macro)");
}

/* Info structs: the caller's version says how much to fill; the library writes back what it
 * filled. */
static void test_info_versions(void **state)
{
    (void)state;
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, archive), 0);
    hexz_stream_info si;
    memset(&si, 0xab, sizeof si);
    si.version = 0;
    assert_int_equal(hexz_reader_stream_info(r, 0, &si), HEXZ_EINVAL);
    char *want = tu_strf("%s: stream info version 0 (set it with its _INIT macro)", archive);
    assert_string_equal(hexz_last_error(), want);
    free(want);
    assert_int_equal(si.size, 0xababababababababull); /* untouched */

    si.version = HEXZ_STREAM_INFO_VERSION + 5; /* from a newer header */
    assert_int_equal(hexz_reader_stream_info(r, 0, &si), 0);
    assert_int_equal(si.version, HEXZ_STREAM_INFO_VERSION);
    assert_string_equal(si.name, "main");
    assert_int_equal(si.size, DATA_SIZE);

    hexz_inspect_info ii = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &ii), 0);
    assert_int_equal(ii.version, HEXZ_INSPECT_INFO_VERSION);
    assert_int_equal(ii.logical_bytes, DATA_SIZE);
    ii.version = 0;
    assert_int_equal(hexz_reader_inspect(r, &ii), HEXZ_EINVAL);

    hexz_block_info bi = {0};
    assert_int_equal(hexz_reader_block_at(r, 0, 0, &bi), HEXZ_EINVAL);
    bi.version = HEXZ_BLOCK_INFO_VERSION;
    assert_int_equal(hexz_reader_block_at(r, 0, 0, &bi), 0);
    assert_int_equal(bi.logical_offset, 0);
    assert_true(bi.logical_length > 0);
    hexz_reader_free(r);

    hexz_predict_info pi = {0};
    assert_int_equal(hexz_predict(archive, NULL, &pi), HEXZ_EINVAL);
    pi.version = HEXZ_PREDICT_INFO_VERSION;
    assert_int_equal(hexz_predict(archive, NULL, &pi), 0);
    assert_int_equal(pi.prediction_count, 4);
    assert_true(pi.recommended < pi.prediction_count);
}

/* The rewriting calls take no remote settings: a URL is refused before any request is made
 * (nothing listens on port 1). */
static void test_rewrite_refuses_url(void **state)
{
    (void)state;
    const char *url = "http://127.0.0.1:1/a.hxz";
    uint8_t sk[HEXZ_SECRET_KEY_LEN] = {0};
    assert_int_equal(hexz_sign(url, sk, NULL), HEXZ_EINVAL);
    tu_assert_contains(hexz_last_error(), "only a local archive can be rewritten");
    assert_int_equal(hexz_change_password_opts(url, "old", "new", NULL), HEXZ_EINVAL);
    tu_assert_contains(hexz_last_error(), "only a local archive can be rewritten");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_older_versions),      cmocka_unit_test(test_version_3),
        cmocka_unit_test(test_versions_refused),    cmocka_unit_test(test_info_versions),
        cmocka_unit_test(test_rewrite_refuses_url),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
