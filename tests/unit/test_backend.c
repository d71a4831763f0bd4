/*
 * test_backend.c - custom storage backends (include/hexz_backend.h): an in-memory backend, a
 * table of named buffers, serves archives and their bases through open_sibling. Checks the
 * bytes read through a chain of one and two bases, the errors for a backend without
 * open_sibling, a missing base, a base that is the wrong archive and a failing open_sibling,
 * the version rule (an old version 1 struct still opens; version 3 and 0 are refused), and
 * that every backend made is closed exactly once, on success and on each failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_fixtures.h"
#include "hexz.h"
#include "hexz_backend.h"
#include "testutil.h"

#define IMAGE_SIZE (1u << 20)

/* ---- the in-memory backend ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    uint8_t *data;
    size_t len;
} mem_object;

/* How the backends of one test behave, and what they saw. */
typedef struct {
    mem_object objects[4];
    int count;
    unsigned version;  /* of every backend made */
    int with_sibling;  /* set open_sibling (version 2) */
    int sibling_error; /* open_sibling fails with this code (0: it does not) */
    int made, closed;  /* backends made by mem_open and open_sibling; close calls */
    char asked[256];   /* the last name open_sibling was given */
} mem_table;

typedef struct {
    mem_table *table;
    const mem_object *object;
} mem_ctx;

static int mem_read_at(void *ctx, void *buf, size_t len, uint64_t offset)
{
    const mem_ctx *m = ctx;
    if (offset > m->object->len || len > m->object->len - offset)
        return hexz_error_set(HEXZ_EIO, "mem: read past the end");
    memcpy(buf, m->object->data + offset, len);
    return 0;
}

static void mem_close(void *ctx)
{
    mem_ctx *m = ctx;
    m->table->closed++;
    free(m);
}

static int mem_open_sibling(void *ctx, const char *name, hexz_backend *out);

static int mem_fill(mem_table *t, const char *name, hexz_backend *out)
{
    for (int i = 0; i < t->count; i++) {
        if (strcmp(t->objects[i].name, name) != 0) continue;
        mem_ctx *m = malloc(sizeof *m);
        m->table = t;
        m->object = &t->objects[i];
        memset(out, 0, sizeof *out);
        out->version = t->version;
        out->ctx = m;
        out->size = t->objects[i].len;
        out->read_at = mem_read_at;
        out->close = mem_close;
        if (t->with_sibling) out->open_sibling = mem_open_sibling;
        t->made++;
        return 0;
    }
    return hexz_error_set(HEXZ_ENOTFOUND, "mem: no such object");
}

static int mem_open_sibling(void *ctx, const char *name, hexz_backend *out)
{
    mem_ctx *m = ctx;
    snprintf(m->table->asked, sizeof m->table->asked, "%s", name);
    if (m->table->sibling_error)
        return hexz_error_set(m->table->sibling_error, "mem: the object store is down");
    return mem_fill(m->table, name, out);
}

/* ---- archives ------------------------------------------------------------------------------- */

typedef struct {
    char *dir;
    uint8_t *img[3];  /* a, b (a edited), c (b edited) */
    uint8_t *file[4]; /* a.hxz, b.hxz (thin on a), c.hxz (thin on b), other.hxz (not a) */
    size_t file_len[4];
} fixture;

static void pack(const char *path, const uint8_t *data, const char *base)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.block_size = 65536;
    af_pack_on_base(path, base, data, IMAGE_SIZE, &o);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("backend");
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    for (int i = 0; i < 3; i++) {
        f->img[i] = malloc(IMAGE_SIZE);
        if (i == 0) tu_rng_fill(&rng, f->img[0], IMAGE_SIZE);
        else {
            memcpy(f->img[i], f->img[i - 1], IMAGE_SIZE);
            memset(f->img[i] + 100000 * (size_t)i, 'A' + i, 5000); /* an edit per version */
        }
    }
    static const char *names[4] = {"a.hxz", "b.hxz", "c.hxz", "other.hxz"};
    char *paths[4];
    for (int i = 0; i < 4; i++) paths[i] = tu_path(f->dir, names[i]);
    pack(paths[0], f->img[0], NULL);
    pack(paths[1], f->img[1], paths[0]);
    pack(paths[2], f->img[2], paths[1]);
    pack(paths[3], f->img[0], NULL); /* same bytes as a, another archive id */
    for (int i = 0; i < 4; i++) {
        f->file[i] = tu_read_file(paths[i], &f->file_len[i]);
        free(paths[i]);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    for (int i = 0; i < 3; i++) free(f->img[i]);
    for (int i = 0; i < 4; i++) free(f->file[i]);
    free(f);
    return 0;
}

/* A table holding the fixture's files named by `which` ("ab": a.hxz and b.hxz), under their
 * names; with other_as_a, other.hxz is served as a.hxz. */
static void table_init(mem_table *t, const fixture *f, const char *which, int other_as_a)
{
    static const char *names[4] = {"a.hxz", "b.hxz", "c.hxz", "other.hxz"};
    memset(t, 0, sizeof *t);
    t->version = HEXZ_BACKEND_VERSION;
    t->with_sibling = 1;
    for (int i = 0; i < 3; i++) {
        if (!strchr(which, 'a' + i)) continue;
        int src = i == 0 && other_as_a ? 3 : i;
        t->objects[t->count++] = (mem_object){names[i], f->file[src], f->file_len[src]};
    }
}

/* Opens `name` of the table through a backend it makes, with `opts` (may be NULL). */
static int open_mem(hexz_reader **r, mem_table *t, const char *name, const char *label,
                    const hexz_open_options *opts)
{
    hexz_backend b;
    assert_int_equal(mem_fill(t, name, &b), 0);
    return hexz_reader_open_backend_opts(r, &b, label, opts);
}

static void assert_reads(hexz_reader *r, const uint8_t *want)
{
    uint8_t *back = malloc(IMAGE_SIZE + 16);
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, back, IMAGE_SIZE + 16, 0, &got), 0);
    assert_int_equal(got, IMAGE_SIZE);
    assert_memory_equal(back, want, IMAGE_SIZE);
    free(back);
}

/* The message for a base that was not found, with the id the thin archive records. */
static char *not_found_message(const fixture *f, const char *thin, const char *suffix)
{
    char *b = tu_path(f->dir, "b.hxz");
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, b), 0);
    hexz_base_info bi = HEXZ_BASE_INFO_INIT;
    assert_int_equal(hexz_reader_base_info(r, 1, &bi), 0);
    char id[33];
    for (int i = 0; i < 16; i++) snprintf(id + 2 * i, 3, "%02x", bi.archive_id[i]);
    hexz_reader_free(r);
    free(b);
    return tu_strf("%s: base archive a.hxz (id %s) not found%s", thin, id, suffix);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_thin_through_sibling(void **state)
{
    fixture *f = *state;
    mem_table t;
    table_init(&t, f, "ab", 0);
    hexz_reader *r;
    assert_int_equal(open_mem(&r, &t, "b.hxz", "mem/b.hxz", NULL), 0);
    assert_string_equal(t.asked, "a.hxz");
    assert_int_equal(t.made, 2);
    assert_int_equal(hexz_reader_chain_length(r), 1);
    hexz_base_info bi = HEXZ_BASE_INFO_INIT;
    assert_int_equal(hexz_reader_base_info(r, 1, &bi), 0);
    assert_string_equal(bi.path, "mem/a.hxz"); /* named beside the archive's own name */
    assert_int_equal(bi.file_size, f->file_len[0]);
    assert_reads(r, f->img[1]);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    assert_int_equal(t.closed, 0);
    hexz_reader_free(r);
    assert_int_equal(t.closed, 2);
}

static void test_two_level_chain(void **state)
{
    fixture *f = *state;
    mem_table t;
    table_init(&t, f, "abc", 0);
    hexz_reader *r;
    assert_int_equal(open_mem(&r, &t, "c.hxz", "c.hxz", NULL), 0);
    assert_int_equal(hexz_reader_chain_length(r), 2);
    assert_int_equal(t.made, 3);
    assert_string_equal(t.asked, "a.hxz"); /* b's base, asked of b's backend */
    assert_reads(r, f->img[2]);
    hexz_base_info bi = HEXZ_BASE_INFO_INIT;
    assert_int_equal(hexz_reader_base_info(r, 2, &bi), 0);
    assert_string_equal(bi.path, "a.hxz");
    hexz_reader_free(r);
    assert_int_equal(t.closed, 3);
}

/* No open_sibling (NULL in version 2, or a version 1 struct): the base is not found, and the
 * name given is never taken for a local path, even when a file of that name is there. */
static void test_no_open_sibling(void **state)
{
    fixture *f = *state;
    char *label = tu_path(f->dir, "b.hxz"); /* a.hxz is right beside it on disk */
    char *want = not_found_message(f, label, " (its backend has no open_sibling)");
    for (unsigned version = 1; version <= 2; version++) {
        mem_table t;
        table_init(&t, f, "ab", 0);
        t.with_sibling = 0;
        t.version = version;
        hexz_reader *r = NULL;
        assert_int_equal(open_mem(&r, &t, "b.hxz", label, NULL), HEXZ_ENOTFOUND);
        assert_null(r);
        assert_string_equal(hexz_last_error(), want);
        assert_int_equal(t.made, 1);
        assert_int_equal(t.closed, 1);
    }
    free(want);
    /* With a base directory, the base is found there. */
    hexz_open_options o = {.version = HEXZ_OPEN_OPTIONS_VERSION, .base_dir = f->dir};
    mem_table t;
    table_init(&t, f, "b", 0);
    t.with_sibling = 0;
    hexz_reader *r;
    assert_int_equal(open_mem(&r, &t, "b.hxz", "b.hxz", &o), 0);
    assert_reads(r, f->img[1]);
    hexz_reader_free(r);
    assert_int_equal(t.made, 1);
    assert_int_equal(t.closed, 1);
    free(label);
}

static void test_base_not_found(void **state)
{
    fixture *f = *state;
    mem_table t;
    table_init(&t, f, "bc", 0);
    hexz_reader *r = NULL;
    assert_int_equal(open_mem(&r, &t, "b.hxz", "mem/b.hxz", NULL), HEXZ_ENOTFOUND);
    assert_null(r);
    char *want = not_found_message(f, "mem/b.hxz", "");
    assert_string_equal(hexz_last_error(), want);
    free(want);
    assert_string_equal(t.asked, "a.hxz");
    assert_int_equal(t.made, 1);
    assert_int_equal(t.closed, 1);

    /* Missing two levels down: the error is about b, and both backends made are closed. */
    assert_int_equal(open_mem(&r, &t, "c.hxz", "mem/c.hxz", NULL), HEXZ_ENOTFOUND);
    want = not_found_message(f, "mem/b.hxz", "");
    assert_string_equal(hexz_last_error(), want);
    free(want);
    assert_int_equal(t.made, 3);
    assert_int_equal(t.closed, 3);

    /* Not in the backend, nor in the base directory given. */
    hexz_open_options o = {.version = HEXZ_OPEN_OPTIONS_VERSION, .base_dir = "/nonexistent"};
    assert_int_equal(open_mem(&r, &t, "b.hxz", "mem/b.hxz", &o), HEXZ_ENOTFOUND);
    want = not_found_message(f, "mem/b.hxz", " (nor in /nonexistent)");
    assert_string_equal(hexz_last_error(), want);
    free(want);
    assert_int_equal(t.closed, t.made);
}

static void test_wrong_base_and_failing_sibling(void **state)
{
    fixture *f = *state;
    mem_table t;
    table_init(&t, f, "ab", 1); /* a.hxz is another archive */
    hexz_reader *r = NULL;
    assert_int_equal(open_mem(&r, &t, "b.hxz", "b.hxz", NULL), HEXZ_ECORRUPT);
    assert_null(r);
    tu_assert_contains(hexz_last_error(), "b.hxz: base a.hxz is a different archive (id is not ");
    assert_int_equal(t.made, 2);
    assert_int_equal(t.closed, 2);

    table_init(&t, f, "ab", 0);
    t.sibling_error = HEXZ_EIO; /* final: not taken for "not found" */
    hexz_open_options o = {.version = HEXZ_OPEN_OPTIONS_VERSION, .base_dir = f->dir};
    assert_int_equal(open_mem(&r, &t, "b.hxz", "b.hxz", &o), HEXZ_EIO);
    assert_string_equal(hexz_last_error(), "mem: the object store is down");
    assert_int_equal(t.made, 1);
    assert_int_equal(t.closed, 1);
}

/* The struct of a version 1 hexz_backend.h, without open_sibling. */
typedef struct {
    unsigned version;
    void *ctx;
    uint64_t size;
    int (*read_at)(void *ctx, void *buf, size_t len, uint64_t offset);
    void (*close)(void *ctx);
} backend_v1;

static void test_version_1_struct(void **state)
{
    fixture *f = *state;
    mem_table t;
    table_init(&t, f, "a", 0);
    t.with_sibling = 0;
    t.version = 1;
    hexz_backend full;
    assert_int_equal(mem_fill(&t, "a.hxz", &full), 0);
    /* On the heap at its own size, so that reading past it is caught by ASan and valgrind. */
    backend_v1 *old = malloc(sizeof *old);
    *old = (backend_v1){1, full.ctx, full.size, full.read_at, full.close};
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_backend(&r, (const hexz_backend *)(void *)old, "a.hxz", NULL),
                     0);
    free(old);
    assert_reads(r, f->img[0]);
    hexz_reader_free(r);
    assert_int_equal(t.closed, 1);
}

static void test_version_refused(void **state)
{
    fixture *f = *state;
    mem_table t;
    table_init(&t, f, "a", 0);
    hexz_reader *r = NULL;
    t.version = HEXZ_BACKEND_VERSION + 1;
    assert_int_equal(open_mem(&r, &t, "a.hxz", "mem/a.hxz", NULL), HEXZ_EUNSUPPORTED);
    assert_null(r);
    assert_string_equal(hexz_last_error(),
                        "mem/a.hxz: backend version 3 is newer than this library's (2)");
    assert_int_equal(t.closed, 1);

    t.version = 0;
    assert_int_equal(open_mem(&r, &t, "a.hxz", "mem/a.hxz", NULL), HEXZ_EINVAL);
    assert_string_equal(hexz_last_error(), "mem/a.hxz: backend version 0 is not 1..2");
    assert_int_equal(t.closed, 2);

    /* A sibling that comes back with a newer version is refused and closed the same way. */
    table_init(&t, f, "ab", 0);
    hexz_backend b;
    assert_int_equal(mem_fill(&t, "b.hxz", &b), 0);
    t.version = HEXZ_BACKEND_VERSION + 1;
    assert_int_equal(hexz_reader_open_backend(&r, &b, "b.hxz", NULL), HEXZ_EUNSUPPORTED);
    assert_string_equal(hexz_last_error(),
                        "a.hxz: backend version 3 is newer than this library's (2)");
    assert_int_equal(t.made, 2);
    assert_int_equal(t.closed, 2);

    /* A NULL argument still closes the backend it was given. */
    t.version = HEXZ_BACKEND_VERSION;
    assert_int_equal(mem_fill(&t, "a.hxz", &b), 0);
    assert_int_equal(hexz_reader_open_backend(NULL, &b, "a.hxz", NULL), HEXZ_EINVAL);
    assert_int_equal(t.closed, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thin_through_sibling),
        cmocka_unit_test(test_two_level_chain),
        cmocka_unit_test(test_no_open_sibling),
        cmocka_unit_test(test_base_not_found),
        cmocka_unit_test(test_wrong_base_and_failing_sibling),
        cmocka_unit_test(test_version_1_struct),
        cmocka_unit_test(test_version_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
