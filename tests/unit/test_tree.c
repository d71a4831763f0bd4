/*
 * test_tree.c - directory trees: pack a tree with hexz_pack_path, list and look it up through
 * the manifest, read each file's bytes through the "main" stream, and extract it back.
 *
 * The tree is built to hit what tree archivers get wrong: nesting three levels deep, empty files
 * and an empty directory, symbolic links (relative, absolute, dangling, to a directory - never
 * followed), non-ASCII names, names whose order changes when '/' sorts below every other byte
 * ("a", "a/b", "a-b", "a.txt", "a0"), permission bits including 0444, 0555 and the sticky bit,
 * and a distinct mtime with nanoseconds on every entry (symlinks and directories too). Every
 * attribute is compared with what lstat saw in the source, both in the manifest and after
 * extraction. A tree of 20000 files checks that a manifest of many pages opens quickly and finds
 * any path. Hand-built archives (writer API) check that extraction never writes outside its
 * destination and copes with files whose parent directories have no entry of their own.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include "archive_fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------------- */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Manifest order, written independently of the library: bytes compared with '/' as 0. */
static int manifest_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned x = (unsigned char)*a, y = (unsigned char)*b;
        if (x == 0 || y == 0) return (x != 0) - (y != 0);
        if (x == '/') x = 0;
        if (y == '/') y = 0;
        if (x != y) return x < y ? -1 : 1;
    }
}

typedef enum { T_FILE, T_DIR, T_LINK } etype;

typedef struct {
    const char *path;
    etype type;
    unsigned mode;      /* files and dirs */
    size_t size;        /* files: content length */
    int content;        /* files: 0 random, 1 text, 2 zeros in the middle */
    const char *target; /* symlinks */
    int64_t sec;        /* mtime */
    long nsec;
} spec;

/* The test tree, parents listed before children (creation order). */
static const spec tree_spec[] = {
    {"a", T_DIR, 0755, 0, 0, NULL, 1600000001, 1},
    {"a/b", T_FILE, 0644, 5000, 1, NULL, 1600000002, 2},
    {"a-b", T_FILE, 0600, 1, 0, NULL, 1600000003, 999999999},
    {"a.txt", T_FILE, 0444, 100, 1, NULL, 1600000004, 500000000},
    {"a0", T_FILE, 0755, 0, 0, NULL, 1600000005, 123456789},
    {"dir1", T_DIR, 0700, 0, 0, NULL, 1600000006, 6},
    {"dir1/file.txt", T_FILE, 0644, 3000, 1, NULL, 1600000007, 7},
    {"dir1/dir2", T_DIR, 0755, 0, 0, NULL, 1600000008, 8},
    {"dir1/dir2/dir3", T_DIR, 0555, 0, 0, NULL, 1600000009, 9},
    {"dir1/dir2/dir3/deep.bin", T_FILE, 0600, 200000, 0, NULL, 1600000010, 10},
    {"dir1/dir2/dir3/holes.bin", T_FILE, 0644, 300000, 2, NULL, 1600000011, 11},
    {"dir1/dir2/empty-file", T_FILE, 0644, 0, 0, NULL, 1600000012, 12},
    {"empty", T_DIR, 0755, 0, 0, NULL, 1600000013, 13},
    {"sticky", T_DIR, 01777, 0, 0, NULL, 1600000014, 14},
    {"sticky/x", T_FILE, 0640, 10, 1, NULL, 1600000015, 15},
    {"links", T_DIR, 0755, 0, 0, NULL, 1600000016, 16},
    {"links/rel", T_LINK, 0, 0, 0, "../dir1/file.txt", 1600000017, 17},
    {"links/abs", T_LINK, 0, 0, 0, "/etc/hostname", 1600000018, 18},
    {"links/dangling", T_LINK, 0, 0, 0, "does/not/exist", 1600000019, 19},
    {"links/todir", T_LINK, 0, 0, 0, "../dir1", 1600000020, 20},
    {"na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac.txt", T_FILE, 0644, 42, 1, NULL, 1600000021, 21},
    {"donn\xc3\xa9"
     "es",
     T_DIR, 0755, 0, 0, NULL, 1600000022, 22},
    {"donn\xc3\xa9"
     "es/\xe2\x98\x83 snow man",
     T_FILE, 0644, 7, 1, NULL, 1600000023, 23},
    {"old", T_FILE, 0644, 3, 1, NULL, -31536000, 250000000}, /* 1969 */
    {"z", T_FILE, 0644, 70000, 0, NULL, 2000000000, 999},
};
#define NSPEC (sizeof tree_spec / sizeof tree_spec[0])

static uint8_t *spec_content(const spec *s, uint64_t seed)
{
    uint8_t *d = af_malloc(s->size);
    tu_rng rng;
    tu_rng_seed(&rng, seed ^ (uint64_t)s->sec);
    if (s->content == 0) {
        tu_rng_fill(&rng, d, s->size);
    } else if (s->content == 1) {
        for (size_t i = 0; i < s->size; i++)
            d[i] = (uint8_t)("lorem ipsum dolor sit amet\n"[i % 27]);
    } else {
        tu_rng_fill(&rng, d, s->size);
        memset(d + s->size / 4, 0, s->size / 2);
    }
    return d;
}

static void build_tree(const char *root, uint64_t seed)
{
    for (size_t i = 0; i < NSPEC; i++) {
        const spec *s = &tree_spec[i];
        char *p = tu_strf("%s/%s", root, s->path);
        if (s->type == T_DIR) {
            assert_int_equal(mkdir(p, 0755), 0);
        } else if (s->type == T_LINK) {
            assert_int_equal(symlink(s->target, p), 0);
        } else {
            uint8_t *d = spec_content(s, seed);
            tu_write_file(p, d, s->size);
            free(d);
            assert_int_equal(chmod(p, s->mode), 0);
        }
        free(p);
    }
    /* Times last, deepest first, so that creating children does not change them; directory
     * modes last of all, so a read-only directory could still be filled. */
    for (size_t k = NSPEC; k-- > 0;) {
        const spec *s = &tree_spec[k];
        char *p = tu_strf("%s/%s", root, s->path);
        if (s->type == T_DIR) assert_int_equal(chmod(p, s->mode), 0);
        struct timespec ts[2] = {{s->sec, s->nsec}, {s->sec, s->nsec}};
        assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
        free(p);
    }
}

/* Makes every directory under `root` writable again so that tu_rmtree works for non-root users. */
static int make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D) chmod(path, (st->st_mode & 07777) | 0700);
    return 0;
}

static void rmtree(const char *path)
{
    nftw(path, make_writable, 32, FTW_PHYS);
    tu_rmtree(path);
}

static size_t g_count;
static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)st;
    (void)flag;
    if (ftw->level > 0) g_count++;
    return 0;
}

/* Entries under `root`, not counting root itself; symlinks are not followed. */
static size_t count_tree(const char *root)
{
    g_count = 0;
    assert_int_equal(nftw(root, count_entry, 32, FTW_PHYS), 0);
    return g_count;
}

/* Compares one extracted (or source) entry with the spec and with the source's lstat. */
static void check_entry(const char *root, const spec *s, const struct stat *src, uint64_t seed)
{
    char *p = tu_strf("%s/%s", root, s->path);
    struct stat st;
    if (lstat(p, &st) != 0) fail_msg("%s: missing after extraction: %s", p, strerror(errno));
    if (s->type == T_DIR) assert_true(S_ISDIR(st.st_mode));
    if (s->type == T_LINK) assert_true(S_ISLNK(st.st_mode));
    if (s->type == T_FILE) assert_true(S_ISREG(st.st_mode));
    if (s->type != T_LINK && (st.st_mode & 07777) != s->mode)
        fail_msg("%s: mode %o, expected %o", p, st.st_mode & 07777, s->mode);
    if (st.st_mtim.tv_sec != src->st_mtim.tv_sec || st.st_mtim.tv_nsec != src->st_mtim.tv_nsec)
        fail_msg("%s: mtime %lld.%09ld, expected %lld.%09ld", p, (long long)st.st_mtim.tv_sec,
                 st.st_mtim.tv_nsec, (long long)src->st_mtim.tv_sec, src->st_mtim.tv_nsec);
    if (s->type == T_LINK) {
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof buf - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        assert_string_equal(buf, s->target);
    }
    if (s->type == T_FILE) {
        uint8_t *want = spec_content(s, seed);
        af_assert_file(p, want, s->size);
        free(want);
    }
    free(p);
}

/* ---- the tree --------------------------------------------------------------------------------- */

static void test_tree_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = tu_test_seed();
    char *dir = tu_mkdtemp("tree");
    char *src = tu_strf("%s/src", dir), *a = tu_strf("%s/t.hxz", dir),
         *out = tu_strf("%s/out", dir);
    assert_int_equal(mkdir(src, 0755), 0);
    build_tree(src, seed);
    /* The source holds what the spec says (so the comparisons below mean something). */
    struct stat srcst[NSPEC];
    for (size_t i = 0; i < NSPEC; i++) {
        char *p = tu_strf("%s/%s", src, tree_spec[i].path);
        assert_int_equal(lstat(p, &srcst[i]), 0);
        assert_int_equal(srcst[i].st_mtim.tv_sec, tree_spec[i].sec);
        assert_int_equal(srcst[i].st_mtim.tv_nsec, tree_spec[i].nsec);
        free(p);
    }

    AF_OK(hexz_pack_path(src, a, NULL));
    hexz_reader *r = af_open(a);
    assert_int_equal(hexz_reader_file_count(r), NSPEC);
    unsigned main_stream = af_main_stream(r);

    /* file_at: strictly increasing in manifest order, so parents before children. */
    hexz_file_info *all = af_calloc(NSPEC, sizeof *all);
    for (uint64_t i = 0; i < NSPEC; i++) {
        AF_OK(hexz_reader_file_at(r, i, &all[i]));
        if (i > 0 && manifest_cmp(all[i - 1].path, all[i].path) >= 0)
            fail_msg("manifest order broken: '%s' before '%s'", all[i - 1].path, all[i].path);
        /* Every proper prefix that ends at a '/' is a directory listed earlier. */
        for (char *slash = strchr(all[i].path, '/'); slash; slash = strchr(slash + 1, '/')) {
            size_t plen = (size_t)(slash - all[i].path);
            int found = 0;
            for (uint64_t j = 0; j < i && !found; j++)
                found = strlen(all[j].path) == plen && !strncmp(all[j].path, all[i].path, plen) &&
                        all[j].type == HEXZ_FILE_DIR;
            if (!found) fail_msg("'%s' comes before its parent directory", all[i].path);
        }
    }
    /* The tricky names in '/'-below-everything order. */
    const char *tricky[] = {"a", "a/b", "a-b", "a.txt", "a0"};
    for (size_t k = 0; k < 5; k++) assert_string_equal(all[k].path, tricky[k]);
    hexz_file_info f;
    assert_int_equal(hexz_reader_file_at(r, NSPEC, &f), HEXZ_ERANGE);

    /* file_lookup of every path: the attributes lstat saw, and the bytes through read_at. */
    for (size_t i = 0; i < NSPEC; i++) {
        const spec *s = &tree_spec[i];
        memset(&f, 0x55, sizeof f);
        AF_OK(hexz_reader_file_lookup(r, s->path, &f));
        assert_string_equal(f.path, s->path);
        assert_int_equal(f.mtime_sec, srcst[i].st_mtim.tv_sec);
        assert_int_equal(f.mtime_nsec, srcst[i].st_mtim.tv_nsec);
        if (s->type == T_DIR) {
            assert_int_equal(f.type, HEXZ_FILE_DIR);
            assert_int_equal(f.mode, s->mode);
            assert_string_equal(f.target, "");
        } else if (s->type == T_LINK) {
            assert_int_equal(f.type, HEXZ_FILE_SYMLINK);
            assert_string_equal(f.target, s->target);
            assert_int_equal(f.size, strlen(s->target));
        } else {
            assert_int_equal(f.type, HEXZ_FILE_REGULAR);
            assert_int_equal(f.mode, s->mode);
            assert_int_equal(f.size, s->size);
            assert_string_equal(f.target, "");
            uint8_t *want = spec_content(s, seed), *got = af_malloc(s->size + 1);
            size_t n = 99;
            AF_OK(hexz_reader_read_at(r, main_stream, got, s->size, f.offset, &n));
            assert_int_equal(n, s->size);
            af_assert_same(got, want, s->size, s->path);
            /* Each file starts on a block boundary. */
            if (s->size) {
                hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
                AF_OK(hexz_reader_stream_info(r, main_stream, &si));
                int boundary = 0;
                for (uint64_t b = 0; b < si.block_count && !boundary; b++) {
                    hexz_block_info bi = HEXZ_BLOCK_INFO_INIT;
                    AF_OK(hexz_reader_block_at(r, main_stream, b, &bi));
                    boundary = bi.logical_offset == f.offset;
                }
                if (!boundary) fail_msg("%s does not start on a block boundary", s->path);
            }
            free(want);
            free(got);
        }
        /* file_at and file_lookup agree. */
        int found = 0;
        for (size_t k = 0; k < NSPEC && !found; k++)
            found = !strcmp(all[k].path, s->path) && all[k].offset == f.offset &&
                    all[k].size == f.size && all[k].type == f.type;
        assert_true(found);
    }
    /* Paths that are not there. */
    const char *missing[] = {"",
                             "nope",
                             "a/",
                             "a/b/c",
                             "dir1/dir",
                             "dir1/dir2/dir3/",
                             "A",
                             "zz",
                             "links/rel/x",
                             "naive-\xe6\x97\xa5\xe6\x9c\xac.txt",
                             "/a",
                             "./a",
                             "0",
                             "dir1//file.txt"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        memset(&f, 0, sizeof f);
        int rc = hexz_reader_file_lookup(r, missing[i], &f);
        if (rc != HEXZ_ENOTFOUND)
            fail_msg("lookup of '%s' gave %d, not HEXZ_ENOTFOUND", missing[i], rc);
    }
    hexz_inspect_info info = af_inspect(r);
    assert_int_equal(info.files, 13);
    assert_int_equal(info.dirs, 8);
    assert_int_equal(info.symlinks, 4);
    af_verify_ok(r);

    /* Extract into a directory that does not exist yet, and compare everything (modes exactly,
     * the sticky bit included: same_permissions). */
    hexz_extract_options xo;
    hexz_extract_options_init(&xo);
    xo.same_permissions = 1;
    AF_OK(hexz_extract_opts(r, out, &xo));
    for (size_t i = 0; i < NSPEC; i++) check_entry(out, &tree_spec[i], &srcst[i], seed);
    assert_int_equal(count_tree(out), NSPEC);
    char *empty = tu_strf("%s/empty", out);
    assert_int_equal(count_tree(empty), 0);
    free(empty);
    /* The symlink to a directory came back as a link (it resolves to the extracted dir1). */
    char *p = tu_strf("%s/links/todir/file.txt", out);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0); /* resolves through the link, to dir1/file.txt */
    free(p);

    free(all);
    hexz_reader_free(r);
    rmtree(out);
    free(out);
    free(a);
    rmtree(src);
    free(src);
    rmtree(dir);
    free(dir);
}

/* An archive written into the tree it packs does not contain itself. */
static void test_archive_inside_tree(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tree-self");
    char *f = tu_strf("%s/hello.txt", dir), *a = tu_strf("%s/self.hxz", dir);
    tu_write_file(f, "hello\n", 6);
    AF_OK(hexz_pack_path(dir, a, NULL));
    hexz_reader *r = af_open(a);
    assert_int_equal(hexz_reader_file_count(r), 1);
    hexz_file_info info;
    AF_OK(hexz_reader_file_at(r, 0, &info));
    assert_string_equal(info.path, "hello.txt");
    hexz_reader_free(r);
    free(f);
    free(a);
    tu_rmtree(dir);
    free(dir);
}

/* ---- many files ------------------------------------------------------------------------------- */

#define MANY 20000
#define MANY_DIRS 40

static void many_name(char *buf, size_t cap, int i)
{
    snprintf(buf, cap, "d%02d/sub/file-%05d.txt", i % MANY_DIRS, i);
}

static void test_many_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tree-many");
    char *src = tu_strf("%s/src", dir), *a = tu_strf("%s/many.hxz", dir);
    assert_int_equal(mkdir(src, 0755), 0);
    double t0 = now_sec();
    for (int d = 0; d < MANY_DIRS; d++) {
        char *p = tu_strf("%s/d%02d", src, d);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
        p = tu_strf("%s/d%02d/sub", src, d);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
    }
    char name[64], content[64];
    for (int i = 0; i < MANY; i++) {
        many_name(name, sizeof name, i);
        char *p = tu_strf("%s/%s", src, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        int n = snprintf(content, sizeof content, "file %d\n", i);
        assert_int_equal(write(fd, content, (size_t)n), n);
        close(fd);
        free(p);
    }
    double t1 = now_sec();
    AF_OK(hexz_pack_path(src, a, NULL));
    double t2 = now_sec();
    hexz_reader *r = NULL;
    AF_OK(hexz_reader_open(&r, a));
    double t3 = now_sec();
    printf("[ info     ] %d files: created in %.2f s, packed in %.2f s, opened in %.4f s\n", MANY,
           t1 - t0, t2 - t1, t3 - t2);
    const uint64_t total = MANY + 2 * MANY_DIRS;
    assert_int_equal(hexz_reader_file_count(r), total);
    /* Opening reads the manifest directory, not the pages. */
    assert_true(t3 - t2 < 1.0);
    hexz_inspect_info info = af_inspect(r);
    printf("[ info     ] manifest %llu bytes, archive %llu bytes\n",
           (unsigned long long)info.manifest_bytes, (unsigned long long)info.file_size);
    assert_int_equal(info.files, MANY);
    assert_int_equal(info.dirs, 2 * MANY_DIRS);
    assert_true(info.manifest_bytes > 4 * 65536); /* several manifest pages */

    /* First, middle, last in manifest order, by index and by path. */
    hexz_file_info f, g;
    AF_OK(hexz_reader_file_at(r, 0, &f));
    assert_string_equal(f.path, "d00");
    AF_OK(hexz_reader_file_at(r, total - 1, &f));
    many_name(name, sizeof name, MANY - 1); /* d39/sub/file-19999.txt */
    assert_string_equal(f.path, name);
    AF_OK(hexz_reader_file_at(r, total / 2, &f));
    AF_OK(hexz_reader_file_lookup(r, f.path, &g));
    assert_string_equal(g.path, f.path);
    assert_int_equal(g.offset, f.offset);
    assert_int_equal(hexz_reader_file_lookup(r, "d40", &g), HEXZ_ENOTFOUND);
    assert_int_equal(hexz_reader_file_lookup(r, "d00/sub/file-00000.txtx", &g), HEXZ_ENOTFOUND);
    assert_int_equal(hexz_reader_file_lookup(r, "c", &g), HEXZ_ENOTFOUND);
    assert_int_equal(hexz_reader_file_lookup(r, "e", &g), HEXZ_ENOTFOUND);

    /* Every file by path, with its content; every entry by index, in order. */
    for (int i = 0; i < MANY; i++) {
        many_name(name, sizeof name, i);
        AF_OK(hexz_reader_file_lookup(r, name, &f));
        int n = snprintf(content, sizeof content, "file %d\n", i);
        assert_int_equal(f.size, (uint64_t)n);
        char buf[64];
        size_t got;
        AF_OK(hexz_reader_read_at(r, 0, buf, (size_t)n, f.offset, &got));
        assert_int_equal(got, (size_t)n);
        assert_memory_equal(buf, content, (size_t)n);
        /* A path between this one and the next is not found. */
        char *miss = tu_strf("%s0", name);
        assert_int_equal(hexz_reader_file_lookup(r, miss, &g), HEXZ_ENOTFOUND);
        free(miss);
    }
    char prev[HEXZ_PATH_MAX] = "";
    for (uint64_t i = 0; i < total; i++) {
        AF_OK(hexz_reader_file_at(r, i, &f));
        if (i > 0 && manifest_cmp(prev, f.path) >= 0)
            fail_msg("manifest order broken at %llu: '%s' then '%s'", (unsigned long long)i, prev,
                     f.path);
        snprintf(prev, sizeof prev, "%s", f.path);
    }
    af_verify_ok(r);
    hexz_reader_free(r);
    free(src);
    free(a);
    tu_rmtree(dir);
    free(dir);
}

/* ---- hand-built archives ---------------------------------------------------------------------- */

/* A symlink that points out of the destination, and a file entry "through" it; symlinks already
 * in the destination where the archive has a file or a directory: extraction must not write
 * outside the destination (it may refuse the archive). */
static void test_extract_stays_inside(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tree-escape");
    char *outside = tu_strf("%s/outside", dir), *a = tu_strf("%s/evil.hxz", dir);
    char *dest = tu_strf("%s/dest", dir);
    assert_int_equal(mkdir(outside, 0755), 0);
    hexz_writer *w = NULL;
    AF_OK(hexz_writer_create(&w, a, NULL));
    AF_OK(hexz_writer_add_symlink(w, "s", outside, 0, 0));
    AF_OK(hexz_writer_begin_file(w, "s/evil", 0644, 0, 0));
    AF_OK(hexz_writer_write(w, "pwned", 5));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    hexz_reader *r = af_open(a);
    int rc = hexz_extract(r, dest, NULL, NULL);
    printf("[ info     ] extracting a file under a symlink: %d (%s)\n", rc,
           rc ? hexz_last_error() : "ok");
    char *evil = tu_strf("%s/evil", outside);
    struct stat st;
    assert_int_not_equal(lstat(evil, &st), 0);
    hexz_reader_free(r);
    free(evil);

    /* Symbolic links already in the destination are not followed either: not for a file the
     * archive writes over, not for a directory it writes into. */
    char *victim = tu_strf("%s/victim", outside);
    tu_write_file(victim, "original", 8);
    char *dest2 = tu_strf("%s/dest2", dir);
    assert_int_equal(mkdir(dest2, 0755), 0);
    char *lf = tu_strf("%s/f", dest2), *ld = tu_strf("%s/d", dest2);
    assert_int_equal(symlink(victim, lf), 0);
    assert_int_equal(symlink(outside, ld), 0);
    const char *paths[] = {"f", "d/g"};
    for (int k = 0; k < 2; k++) {
        AF_OK(hexz_writer_create(&w, a, NULL));
        if (k == 1) AF_OK(hexz_writer_add_dir(w, "d", 0755, 0, 0));
        AF_OK(hexz_writer_begin_file(w, paths[k], 0644, 0, 0));
        AF_OK(hexz_writer_write(w, "pwned", 5));
        AF_OK(hexz_writer_end_file(w));
        AF_OK(hexz_writer_finish(w));
        hexz_writer_free(w);
        r = af_open(a);
        rc = hexz_extract(r, dest2, NULL, NULL);
        printf("[ info     ] extracting %s over a symlink: %d (%s)\n", paths[k], rc,
               rc ? hexz_last_error() : "ok");
        hexz_reader_free(r);
        af_assert_file(victim, (const uint8_t *)"original", 8);
        char *g = tu_strf("%s/g", outside);
        assert_int_not_equal(lstat(g, &st), 0);
        free(g);
    }
    free(victim);
    free(lf);
    free(ld);
    free(dest2);
    free(outside);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
}

/* Writer-API entries need not come with entries for their parent directories ("Entries may come
 * in any order"); extraction creates the missing parents. */
static void test_extract_missing_parents(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tree-parents");
    char *a = tu_strf("%s/p.hxz", dir), *dest = tu_strf("%s/dest", dir);
    hexz_writer *w = NULL;
    AF_OK(hexz_writer_create(&w, a, NULL));
    AF_OK(hexz_writer_begin_file(w, "x/y/z.txt", 0644, 1000, 5));
    AF_OK(hexz_writer_write(w, "deep\n", 5));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_add_dir(w, "x", 0755, 2000, 0));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    hexz_reader *r = af_open(a);
    af_verify_ok(r);
    assert_int_equal(hexz_reader_file_count(r), 2);
    hexz_file_info f;
    AF_OK(hexz_reader_file_at(r, 0, &f));
    assert_string_equal(f.path, "x"); /* sorted although added last */
    int rc = hexz_extract(r, dest, NULL, NULL);
    char msg[1100];
    snprintf(msg, sizeof msg, "%s", rc ? hexz_last_error() : "");
    hexz_reader_free(r);
    free(a);
    char *p = tu_strf("%s/x/y/z.txt", dest);
    free(dest);
    if (rc) {
        free(p);
        tu_rmtree(dir);
        free(dir);
        fail_msg("extracting x/y/z.txt without an entry for x/y failed: %s", msg);
    }
    af_assert_file(p, (const uint8_t *)"deep\n", 5);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

/* An empty directory packs to a tree with no entries; extracting it gives an empty directory,
 * not a file. */
static void test_empty_tree(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tree-empty");
    char *src = tu_strf("%s/src", dir), *a = tu_strf("%s/e.hxz", dir),
         *dest = tu_strf("%s/dest", dir);
    assert_int_equal(mkdir(src, 0755), 0);
    AF_OK(hexz_pack_path(src, a, NULL));
    hexz_reader *r = af_open(a);
    af_verify_ok(r);
    assert_int_equal(hexz_reader_file_count(r), 0);
    int rc = hexz_extract(r, dest, NULL, NULL);
    hexz_reader_free(r);
    struct stat st;
    int exists = lstat(dest, &st) == 0;
    free(src);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    AF_OK(rc);
    assert_true(exists);
    if (!S_ISDIR(st.st_mode))
        fail_msg("an archive of an empty directory extracts to a %s, not a directory",
                 S_ISREG(st.st_mode) ? "regular file" : "non-directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* The trees with empty directories last, so that a sanitizer abort while packing
         * them (qsort of a NULL array of 0 entries has been one) does not hide the rest. */
        cmocka_unit_test(test_archive_inside_tree),  cmocka_unit_test(test_many_files),
        cmocka_unit_test(test_extract_stays_inside), cmocka_unit_test(test_extract_missing_parents),
        cmocka_unit_test(test_tree_roundtrip),       cmocka_unit_test(test_empty_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
