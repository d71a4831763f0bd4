/*
 * test_limits.c - resource limits against hostile archives, and scale.
 *
 * Hand-crafted archives (built here with the encoders of src/format/format.h, every hash, the
 * root hash and the header checksum recomputed, so that they pass the integrity checks and only
 * the claim under test is wrong) claim huge sizes: a stream of 2^63 bytes, 2^31 index pages, a
 * manifest of 2^40 entries, a block of 64 MiB + 1 bytes, a section of 2^62 bytes, an index page
 * of 10^9 entries, and more of the kind. Each must be refused with HEXZ_ECORRUPT - at open, or
 * by every call that would need the lie (verify, inspect, read_at, block_at, file_at, extract) -
 * quickly, and without a large allocation: each case runs in a child process whose address
 * space is capped at 512 MiB (RLIMIT_AS; under AddressSanitizer, which needs terabytes of
 * address space, the cap is ASan's max_allocation_size_mb instead, with
 * allocator_may_return_null, so a large malloc fails the same way).
 *
 * Four more cases hold the reader to what an untrusted file may make it do: verify must not
 * decode more stored bytes than the file holds (overlapping stored ranges), and must check the
 * bytes of every section it counts as checked (unknown non-critical sections); a thin archive's
 * base path must not hang open (a FIFO) nor make a local archive reach the network (a URL).
 *
 * Scale: 2 million distinct 64-byte blocks (500 thousand under ASan; $HEXZ_LIMITS_BLOCKS
 * overrides) are packed, opened - measuring with /proc/self/io that open reads the page
 * directory, not the pages - and read at random offsets; timings are printed.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "format/format.h"
#include "hash/hash.h"
#include "hexz.h"

#if defined(__SANITIZE_ADDRESS__)
#define HX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HX_TEST_ASAN 1
#endif
#endif

#ifdef HX_TEST_ASAN
/* Under ASan, RLIMIT_AS cannot be used; cap single allocations instead (512 MiB, as below). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=512:allocator_may_return_null=1";
}
#endif

#define CHILD_AS_LIMIT (512ull << 20)
#define CHILD_SECONDS 10.0 /* generous: each case takes milliseconds */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- building archives by hand ----------------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    hx_section sec[16];
    uint32_t nsec;
} arc;

static void arc_put(arc *a, const void *d, size_t n)
{
    while (a->len + n > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1 << 16;
        a->p = realloc(a->p, a->cap);
        assert_non_null(a->p);
    }
    if (n) memcpy(a->p + a->len, d, n);
    a->len += n;
}

static void arc_init(arc *a)
{
    memset(a, 0, sizeof *a);
    uint8_t zero[HX_HEADER_LEN] = {0};
    arc_put(a, zero, sizeof zero);
}

static uint64_t arc_add(arc *a, const void *d, size_t n)
{
    uint64_t off = a->len;
    arc_put(a, d, n);
    return off;
}

static hx_section *arc_section(arc *a, uint32_t type, uint32_t flags, uint32_t aux, const void *d,
                               size_t n)
{
    assert_true(a->nsec < 16);
    hx_section *s = &a->sec[a->nsec++];
    memset(s, 0, sizeof *s);
    s->type = type;
    s->flags = flags;
    s->aux = aux;
    s->offset = arc_add(a, d, n);
    s->length = n;
    hx_hash(d, n, s->hash);
    return s;
}

/* Appends the section table and writes a header whose root hash and checksum are right. `tweak`
 * may change header fields first (the root hash and checksum are computed after it). */
static void arc_finish(arc *a, void (*tweak)(hx_header *h))
{
    uint64_t sto = a->len;
    for (uint32_t i = 0; i < a->nsec; i++) {
        uint8_t e[HX_SECTION_ENTRY_LEN];
        hx_section_encode(&a->sec[i], e);
        arc_put(a, e, sizeof e);
    }
    hx_header h;
    memset(&h, 0, sizeof h);
    h.major = HX_FORMAT_MAJOR;
    h.minor = HX_FORMAT_MINOR;
    h.header_length = HX_HEADER_LEN;
    memcpy(h.archive_id, "limits-test-id!!", HX_ARCHIVE_ID_LEN);
    h.section_table_offset = sto;
    h.section_count = a->nsec;
    h.file_length = a->len;
    if (tweak) tweak(&h);
    uint8_t hb[HX_HEADER_LEN];
    hx_header_encode(&h, hb);
    hx_root_hash(hb, a->p + sto, a->nsec, h.root_hash);
    hx_header_encode(&h, a->p);
}

/* What the standard archive claims; zero fields keep the true values. */
typedef struct {
    uint32_t blocks;            /* stored raw blocks of 4096 bytes in stream "main" (default 2) */
    uint32_t max_size;          /* PARAMS */
    uint32_t page_entries;      /* PARAMS */
    uint64_t stream_size;       /* STREAMS */
    uint64_t block_count;       /* STREAMS */
    uint32_t page_count;        /* STREAMS */
    uint32_t stream_count;      /* STREAMS count field */
    uint32_t dir_entry_count;   /* the page directory entry */
    uint32_t dir_page_length;   /* the page directory entry */
    uint32_t page_header_count; /* the index page header */
    uint32_t entry_logical_length; /* the first block entry */
    uint8_t entry_hole;            /* make the first block entry a hole */
    int manifest;                  /* add a file tree of one file covering the stream */
    uint64_t m_entry_count;        /* MANIFEST_DIR total */
    uint32_t m_page_count;         /* MANIFEST_DIR page count */
    uint32_t m_page_entries;       /* the manifest page record's entry_count */
    uint32_t m_page_length;        /* the manifest page record's page_length */
    uint32_t m_target_length;      /* make the entry a symlink with this target_length field */
    int sec_index;                 /* section whose length to override (1-based), and the length */
    uint64_t sec_length;
    uint32_t extra_type, extra_flags; /* an extra section of this type (0 = none) */
    int extra_bad_hash;               /* ... whose recorded hash is wrong */
} knobs;

#define BLOCK 4096u
#define OR(v, d) ((v) ? (v) : (d))

/* The data of block i: printable, distinct per block. */
static void block_data(uint32_t i, uint8_t *out)
{
    for (uint32_t j = 0; j < BLOCK; j++) out[j] = (uint8_t)('a' + (i * 7 + j * 13 + j / 97) % 26);
}

static void build(arc *a, const knobs *k, void (*tweak)(hx_header *h))
{
    arc_init(a);
    uint32_t n = OR(k->blocks, 2);
    hx_block_entry *e = calloc(n, sizeof *e);
    assert_non_null(e);
    uint8_t data[BLOCK];
    for (uint32_t i = 0; i < n; i++) {
        block_data(i, data);
        e[i].logical_offset = (uint64_t)i * BLOCK;
        e[i].stored_offset = arc_add(a, data, BLOCK);
        e[i].logical_length = e[i].stored_length = BLOCK;
        e[i].kind = HX_BLOCK_STORED;
        e[i].codec = 1; /* none */
        e[i].stored_checksum = hx_checksum64(data, BLOCK);
        hx_hash(data, BLOCK, e[i].content_hash);
    }
    if (k->entry_logical_length) e[0].logical_length = k->entry_logical_length;
    if (k->entry_hole) {
        e[0].kind = HX_BLOCK_HOLE;
        e[0].codec = 0;
        e[0].stored_offset = e[0].stored_length = 0;
        e[0].stored_checksum = 0;
        memset(e[0].content_hash, 0, HX_HASH_LEN);
    }
    /* The index page. */
    size_t plen = HX_PAGE_HEADER_LEN + (size_t)n * HX_BLOCK_ENTRY_LEN;
    uint8_t *page = malloc(plen);
    assert_non_null(page);
    hx_page_header ph = {0, OR(k->page_header_count, n), 0, 0};
    hx_page_header_encode(&ph, page);
    for (uint32_t i = 0; i < n; i++)
        hx_block_entry_encode(&e[i], page + HX_PAGE_HEADER_LEN + (size_t)i * HX_BLOCK_ENTRY_LEN);
    hx_page_ref ref = {0, 0, 0, (uint32_t)plen, n, {0}};
    ref.page_offset = arc_add(a, page, plen);
    hx_hash(page, plen, ref.page_hash);
    ref.entry_count = OR(k->dir_entry_count, n);
    ref.page_length = OR(k->dir_page_length, (uint32_t)plen);
    free(page);
    uint64_t size = (uint64_t)n * BLOCK;
    /* The manifest: one regular file "f" with the whole stream (or a symlink). */
    uint8_t mpage[HX_MANIFEST_PAGE_HEADER_LEN + HX_MANIFEST_ENTRY_FIXED_LEN + 8];
    uint64_t mpage_off = 0;
    if (k->manifest) {
        hx_manifest_entry me = {HX_FILE_REGULAR, 0644, 0, 0, 0, size, 1, 0, "f", NULL};
        hx_manifest_page_header_encode(1, 0, mpage);
        hx_manifest_entry_encode(&me, mpage + HX_MANIFEST_PAGE_HEADER_LEN);
        if (k->m_target_length) {
            mpage[HX_MANIFEST_PAGE_HEADER_LEN] = HX_FILE_SYMLINK;
            hx_put32(mpage + HX_MANIFEST_PAGE_HEADER_LEN + 20, k->m_target_length);
            hx_put64(mpage + HX_MANIFEST_PAGE_HEADER_LEN + 32, 0);
        }
        mpage_off = arc_add(a, mpage,
                            HX_MANIFEST_PAGE_HEADER_LEN + HX_MANIFEST_ENTRY_FIXED_LEN + 1);
    }
    /* Sections. */
    hx_params prm = {1 /* fixed */,
                     1 /* none */,
                     0,
                     BLOCK,
                     0,
                     0,
                     OR(k->max_size, BLOCK),
                     OR(k->page_entries, 1024),
                     0};
    uint8_t pb[HX_PARAMS_LEN];
    hx_params_encode(&prm, pb);
    arc_section(a, HX_SECTION_PARAMS, HX_SECTION_CRITICAL, 0, pb, sizeof pb);
    hx_stream_desc sd;
    memset(&sd, 0, sizeof sd);
    strcpy(sd.name, "main");
    sd.size = OR(k->stream_size, size);
    sd.block_count = OR(k->block_count, n);
    sd.page_count = OR(k->page_count, 1);
    uint8_t sb[64];
    assert_true(hx_streams_encoded_len(&sd, 1) <= sizeof sb);
    hx_streams_encode(&sd, 1, sb);
    if (k->stream_count) hx_put32(sb, k->stream_count);
    arc_section(a, HX_SECTION_STREAMS, HX_SECTION_CRITICAL, 0, sb, hx_streams_encoded_len(&sd, 1));
    uint8_t rb[HX_PAGE_DIR_ENTRY_LEN];
    hx_page_ref_encode(&ref, rb);
    arc_section(a, HX_SECTION_PAGE_DIR, HX_SECTION_CRITICAL, 0, rb, sizeof rb);
    if (k->manifest) {
        uint8_t md[12 + 58 + 1];
        hx_put64(md, OR(k->m_entry_count, 1));
        hx_put32(md + 8, OR(k->m_page_count, 1));
        hx_put64(md + 12, mpage_off);
        hx_put32(md + 20, OR(k->m_page_length,
                             HX_MANIFEST_PAGE_HEADER_LEN + HX_MANIFEST_ENTRY_FIXED_LEN + 1));
        hx_put32(md + 24, OR(k->m_page_entries, 1));
        hx_put64(md + 28, 0);
        hx_hash(mpage, HX_MANIFEST_PAGE_HEADER_LEN + HX_MANIFEST_ENTRY_FIXED_LEN + 1, md + 36);
        hx_put16(md + 68, 1);
        md[70] = 'f';
        arc_section(a, HX_SECTION_MANIFEST_DIR, HX_SECTION_CRITICAL, 0, md, sizeof md);
    }
    if (k->extra_type) {
        hx_section *s = arc_section(a, k->extra_type, k->extra_flags, 0, "future data", 11);
        if (k->extra_bad_hash) s->hash[0] ^= 1;
    }
    if (k->sec_index) a->sec[k->sec_index - 1].length = k->sec_length;
    free(e);
    arc_finish(a, tweak);
}

static char *write_archive(const char *dir, const char *name, const arc *a)
{
    char *path = tu_strf("%s/%s.hxz", dir, name);
    tu_write_file(path, a->p, a->len);
    return path;
}

/* ---- checking refusals in a memory-capped child ---------------------------------------------- */

#define CHILD_FAIL(...)                                                                            \
    do {                                                                                           \
        fprintf(stderr, "[ child    ] " __VA_ARGS__);                                              \
        fprintf(stderr, " (last error: %s)\n", hexz_last_error());                                 \
        _exit(1);                                                                                  \
    } while (0)

static void cap_memory(void)
{
#ifndef HX_TEST_ASAN
    struct rlimit rl = {CHILD_AS_LIMIT, CHILD_AS_LIMIT};
    if (setrlimit(RLIMIT_AS, &rl) != 0) CHILD_FAIL("setrlimit failed");
#endif
}

/* Where a hostile archive lies, which decides what must refuse it after a successful open. */
enum { AT_OPEN, IN_INDEX, IN_MANIFEST };

/* In the child: the archive must be refused with HEXZ_ECORRUPT by open (AT_OPEN), or else by every
 * call that needs the false claim: verify, inspect and extract always; read_at and block_at for
 * a lie in the index, file_at for a lie in the manifest. Exits 0 if so. */
_Noreturn static void child_expect_refusal(const char *path, const char *extract_to, int where)
{
    cap_memory();
    hexz_reader *r;
    int rc = hexz_reader_open(&r, path);
    if (rc != 0) {
        /* Refusing at open is always fine, as long as it is HEXZ_ECORRUPT. */
        if (rc != HEXZ_ECORRUPT) CHILD_FAIL("open returned %d, expected HEXZ_ECORRUPT", rc);
        _exit(0);
    }
    if (where == AT_OPEN) CHILD_FAIL("open accepted the archive");
    if ((rc = hexz_reader_verify(r, NULL, NULL)) != HEXZ_ECORRUPT)
        CHILD_FAIL("verify returned %d", rc);
    hexz_inspect_info ii = HEXZ_INSPECT_INFO_INIT;
    if ((rc = hexz_reader_inspect(r, &ii)) != HEXZ_ECORRUPT) CHILD_FAIL("inspect returned %d", rc);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    if (hexz_reader_stream_info(r, 0, &si) != 0) CHILD_FAIL("stream_info failed");
    static uint8_t buf[65536];
    size_t got;
    const uint64_t offs[] = {0, si.size / 2, si.size - 1};
    for (int i = 0; i < 3; i++) {
        rc = hexz_reader_read_at(r, 0, buf, sizeof buf, offs[i], &got);
        if (where == IN_INDEX ? rc != HEXZ_ECORRUPT : (rc != 0 && rc != HEXZ_ECORRUPT))
            CHILD_FAIL("read_at(%llu) returned %d", (unsigned long long)offs[i], rc);
    }
    hexz_block_info bi = HEXZ_BLOCK_INFO_INIT;
    rc = hexz_reader_block_at(r, 0, 0, &bi);
    if (where == IN_INDEX && rc != HEXZ_ECORRUPT) CHILD_FAIL("block_at(0) returned %d", rc);
    if (where == IN_MANIFEST) {
        hexz_file_info *fi = malloc(sizeof *fi);
        if (!fi) CHILD_FAIL("malloc");
        if ((rc = hexz_reader_file_at(r, 0, fi)) != HEXZ_ECORRUPT)
            CHILD_FAIL("file_at(0) returned %d", rc);
        if ((rc = hexz_reader_file_lookup(r, "f", fi)) != HEXZ_ECORRUPT)
            CHILD_FAIL("lookup returned %d", rc);
        free(fi);
    }
    if ((rc = hexz_extract(r, extract_to, NULL, NULL)) != HEXZ_ECORRUPT)
        CHILD_FAIL("extract returned %d", rc);
    hexz_reader_free(r);
    _exit(0);
}

/* Runs the refusal check in a child; fails the test if the child fails, crashes or is slow. */
static void expect_refusal(const char *dir, const char *name, const arc *a, int where)
{
    char *path = write_archive(dir, name, a);
    char *out = tu_strf("%s/%s.out", dir, name);
    fflush(NULL);
    double t0 = now_sec();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm((unsigned)CHILD_SECONDS * 3); /* a hang becomes a SIGALRM death, not a stuck test */
        child_expect_refusal(path, out, where);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    double dt = now_sec() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: not refused cleanly (%s %d)", name, WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    if (dt > CHILD_SECONDS) fail_msg("%s: refusal took %.1f s", name, dt);
    printf("[ refused  ] %s in %.3f s (file %zu bytes)\n", where == AT_OPEN ? "at open" : "on use ",
           dt, a->len);
    /* A failed extraction leaves no file; a tree extraction may leave its (empty) directory. */
    struct stat st;
    if (lstat(out, &st) == 0) {
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(rmdir(out), 0);
    }
    free(out);
    free(path);
}

/* ---- tests --------------------------------------------------------------------------------------- */

static void test_baseline_archive_is_valid(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("limits");
    const knobs plain = {0}, tree = {.manifest = 1};
    const knobs *ks[] = {&plain, &tree};
    for (int i = 0; i < 2; i++) {
        arc a;
        build(&a, ks[i], NULL);
        char *path = write_archive(dir, i ? "tree" : "plain", &a);
        hexz_reader *r;
        int rc = hexz_reader_open(&r, path);
        if (rc) fail_msg("hand-built archive does not open: %s", hexz_last_error());
        rc = hexz_reader_verify(r, NULL, NULL);
        if (rc) fail_msg("hand-built archive does not verify: %s", hexz_last_error());
        uint8_t buf[2 * BLOCK], want[BLOCK];
        size_t got;
        assert_int_equal(hexz_reader_read_at(r, 0, buf, sizeof buf, 0, &got), 0);
        assert_int_equal(got, 2 * BLOCK);
        block_data(1, want);
        assert_memory_equal(buf + BLOCK, want, BLOCK);
        assert_int_equal(hexz_reader_file_count(r), (uint64_t)i);
        hexz_reader_free(r);
        free(path);
        free(a.p);
    }
    tu_rmtree(dir);
    free(dir);
}

static void tweak_file_length(hx_header *h)
{
    h->file_length = 1ull << 63;
    h->section_table_offset = h->file_length - 64 * h->section_count;
}
static void tweak_section_count(hx_header *h)
{
    h->section_count = UINT32_MAX;
}
static void tweak_table_offset(hx_header *h)
{
    h->section_table_offset = (1ull << 62) + 5;
}

typedef struct {
    const char *name;
    knobs k;
    void (*tweak)(hx_header *h);
    int where; /* AT_OPEN: open must already refuse it */
} hostile;

static void test_huge_claims_are_refused(void **state)
{
    (void)state;
    static const hostile cases[] = {
        /* The claims of the brief. */
        {"stream size 2^63", {.stream_size = 1ull << 63}, NULL, IN_INDEX},
        {"stream size 2^64-1", {.stream_size = UINT64_MAX}, NULL, IN_INDEX},
        {"page directory claiming 2^31 pages",
         {.page_count = 1u << 31, .block_count = 1u << 31},
         NULL,
         AT_OPEN},
        {"page directory section of 2^31 entries",
         {.page_count = 1u << 31,
          .block_count = 1u << 31,
          .sec_index = 3,
          .sec_length = (1ull << 31) * 64},
         NULL,
         AT_OPEN},
        {"manifest claiming 2^40 entries",
         {.manifest = 1, .m_entry_count = 1ull << 40},
         NULL,
         AT_OPEN},
        {"manifest claiming 2^32-1 pages",
         {.manifest = 1, .m_page_count = UINT32_MAX, .m_entry_count = 1ull << 40},
         NULL,
         AT_OPEN},
        {"manifest page claiming 65536 entries",
         {.manifest = 1, .m_page_entries = 65536, .m_entry_count = 65536},
         NULL,
         IN_MANIFEST},
        {"manifest page claiming 2^32-1 entries",
         {.manifest = 1, .m_page_entries = UINT32_MAX, .m_entry_count = UINT32_MAX},
         NULL,
         AT_OPEN},
        {"manifest page of 4 GiB", {.manifest = 1, .m_page_length = UINT32_MAX}, NULL, AT_OPEN},
        {"symlink target of 2^32-1 bytes",
         {.manifest = 1, .m_target_length = UINT32_MAX},
         NULL,
         IN_MANIFEST},
        {"block of 64 MiB + 1 (max 64 MiB)",
         {.max_size = 64u << 20, .entry_logical_length = (64u << 20) + 1},
         NULL,
         IN_INDEX},
        {"block of 2^32-1 bytes",
         {.max_size = 64u << 20, .entry_logical_length = UINT32_MAX},
         NULL,
         IN_INDEX},
        {"hole of 2^30 + 1",
         {.entry_hole = 1, .entry_logical_length = (1u << 30) + 1},
         NULL,
         IN_INDEX},
        {"max block size 64 MiB + 1", {.max_size = (64u << 20) + 1}, NULL, AT_OPEN},
        {"section of 2^62 bytes (PARAMS)",
         {.sec_index = 1, .sec_length = 1ull << 62},
         NULL,
         AT_OPEN},
        {"section of 2^62 bytes (STREAMS)",
         {.sec_index = 2, .sec_length = 1ull << 62},
         NULL,
         AT_OPEN},
        {"section of 2^64-1 bytes (unknown type)",
         {.extra_type = 99, .sec_index = 4, .sec_length = UINT64_MAX},
         NULL,
         AT_OPEN},
        {"page directory entry of 10^9 entries", {.dir_entry_count = 1000000000u}, NULL, AT_OPEN},
        {"page header of 10^9 entries", {.page_header_count = 1000000000u}, NULL, IN_INDEX},
        {"page length 2^32-1", {.dir_page_length = UINT32_MAX}, NULL, AT_OPEN},
        {"page_entries 10^9", {.page_entries = 1000000000u}, NULL, AT_OPEN},
        {"block count 2^63", {.block_count = 1ull << 63}, NULL, AT_OPEN},
        {"stream count 2^32-1", {.stream_count = UINT32_MAX}, NULL, AT_OPEN},
        {"file length 2^63", {0}, tweak_file_length, AT_OPEN},
        {"section count 2^32-1", {0}, tweak_section_count, AT_OPEN},
        {"section table at 2^62", {0}, tweak_table_offset, AT_OPEN},
    };
    char *dir = tu_mkdtemp("limits");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arc a;
        build(&a, &cases[i].k, cases[i].tweak);
        char *name = tu_strf("case%02zu", i);
        printf("[ case     ] %-40s ", cases[i].name);
        expect_refusal(dir, name, &a, cases[i].where);
        free(name);
        free(a.p);
    }
    tu_rmtree(dir);
    free(dir);
}

/* verify must be bounded by the file: K entries whose stored ranges overlap (distinct offsets one
 * byte apart in one raw region) make every entry a "distinct" block; a verify that decodes each
 * before checking that stored ranges tile the file reads K times the region. The progress
 * callback sees how many stored bytes verify has decoded; more than the file holds is the bug. */
typedef struct {
    uint64_t file_size, max_out;
} amp_state;

static int watch_progress(const hexz_progress *p, void *user)
{
    amp_state *s = user;
    if (p->bytes_out > s->max_out) s->max_out = p->bytes_out;
    return p->bytes_out > 4 * s->file_size; /* stop an amplified verify early */
}

static void test_verify_work_is_bounded_by_file(void **state)
{
    (void)state;
    enum { K = 64, REGION = 1u << 20 };
    const uint32_t blen = REGION - K;
    arc a;
    arc_init(&a);
    uint8_t *region = malloc(REGION);
    assert_non_null(region);
    for (uint32_t i = 0; i < REGION; i++) region[i] = (uint8_t)(i * 2654435761u >> 24);
    uint64_t base = arc_add(&a, region, REGION);
    size_t plen = HX_PAGE_HEADER_LEN + (size_t)K * HX_BLOCK_ENTRY_LEN;
    uint8_t *page = malloc(plen);
    assert_non_null(page);
    hx_page_header ph = {0, K, 0, 0};
    hx_page_header_encode(&ph, page);
    for (uint32_t i = 0; i < K; i++) {
        hx_block_entry e = {(uint64_t)i * blen, base + i, blen, blen, HX_BLOCK_STORED, 1, 0, {0}};
        e.stored_checksum = hx_checksum64(region + i, blen);
        hx_hash(region + i, blen, e.content_hash);
        hx_block_entry_encode(&e, page + HX_PAGE_HEADER_LEN + (size_t)i * HX_BLOCK_ENTRY_LEN);
    }
    hx_page_ref ref = {0, 0, 0, (uint32_t)plen, K, {0}};
    ref.page_offset = arc_add(&a, page, plen);
    hx_hash(page, plen, ref.page_hash);
    hx_params prm = {1 /* fixed */, 1 /* none */, 0, REGION, 0, 0, REGION, 1024, 0};
    uint8_t pb[HX_PARAMS_LEN], sb[64], rb[HX_PAGE_DIR_ENTRY_LEN];
    hx_params_encode(&prm, pb);
    arc_section(&a, HX_SECTION_PARAMS, HX_SECTION_CRITICAL, 0, pb, sizeof pb);
    hx_stream_desc sd;
    memset(&sd, 0, sizeof sd);
    strcpy(sd.name, "main");
    sd.size = (uint64_t)K * blen;
    sd.block_count = K;
    sd.page_count = 1;
    hx_streams_encode(&sd, 1, sb);
    arc_section(&a, HX_SECTION_STREAMS, HX_SECTION_CRITICAL, 0, sb, hx_streams_encoded_len(&sd, 1));
    hx_page_ref_encode(&ref, rb);
    arc_section(&a, HX_SECTION_PAGE_DIR, HX_SECTION_CRITICAL, 0, rb, sizeof rb);
    arc_finish(&a, NULL);
    char *dir = tu_mkdtemp("limits");
    char *path = write_archive(dir, "overlap", &a);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, path), 0);
    amp_state s = {a.len, 0};
    double t0 = now_sec();
    int rc = hexz_reader_verify(r, watch_progress, &s);
    double dt = now_sec() - t0;
    printf("[ info     ] verify of %zu-byte file with %d overlapping blocks: rc %d after %.3f s, "
           "decoded %llu stored bytes (%.1fx the file)\n",
           a.len, K, rc, dt, (unsigned long long)s.max_out, (double)s.max_out / (double)a.len);
    hexz_reader_free(r);
    tu_rmtree(dir);
    free(dir);
    free(path);
    free(page);
    free(region);
    size_t file_len = a.len;
    free(a.p);
    assert_true(rc == HEXZ_ECORRUPT || rc == HEXZ_ECANCELED);
    if (s.max_out > file_len)
        fail_msg(
            "verify decoded %llu stored bytes from a %zu-byte file: work is not bounded by the "
            "file (stored ranges are checked for overlap only after every block is decoded)",
            (unsigned long long)s.max_out, file_len);
    assert_int_equal(rc, HEXZ_ECORRUPT);
}

/* FORMAT.md §2: every byte belongs to a checked structure and "a flipped byte anywhere is found".
 * An unknown non-critical section is skipped by open, but verify counts its bytes as covered:
 * it must check them against the hash in the (root-hashed) table entry. */
static void test_verify_checks_unknown_sections(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("limits");
    for (int bad = 0; bad < 2; bad++) {
        arc a;
        knobs k = {.extra_type = 77, .extra_flags = 0, .extra_bad_hash = bad};
        build(&a, &k, NULL);
        char *path = write_archive(dir, bad ? "unknown-bad" : "unknown-good", &a);
        hexz_reader *r;
        int rc = hexz_reader_open(&r, path);
        if (rc)
            fail_msg("an unknown non-critical section must be skipped at open: %s",
                     hexz_last_error());
        rc = hexz_reader_verify(r, NULL, NULL);
        printf("[ info     ] verify with an unknown section whose hash is %s: %d %s\n",
               bad ? "wrong" : "right", rc, rc ? hexz_last_error() : "");
        hexz_reader_free(r);
        free(path);
        free(a.p);
        if (bad && rc != HEXZ_ECORRUPT) {
            tu_rmtree(dir);
            free(dir);
            fail_msg("verify accepted a section whose bytes do not match its hash (rc %d)", rc);
        }
        if (!bad) assert_int_equal(rc, 0);
    }
    tu_rmtree(dir);
    free(dir);
}

/* ---- thin archives: where a hostile base path leads ------------------------------------------- */

/* Packs `blocks` 4 KiB blocks of block_data into `path`, thin against `base` if set. */
static void pack_small(const char *path, const char *base, uint32_t blocks)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = BLOCK;
    o.codec = HEXZ_CODEC_NONE;
    o.threads = 1;
    o.base = base;
    hexz_writer *w;
    int rc = hexz_writer_create(&w, path, &o);
    if (rc) fail_msg("create %s: %s", path, hexz_last_error());
    uint8_t data[BLOCK];
    for (uint32_t i = 0; i < blocks; i++) {
        block_data(i, data);
        assert_int_equal(hexz_writer_write(w, data, BLOCK), 0);
    }
    rc = hexz_writer_finish(w);
    if (rc) fail_msg("finish %s: %s", path, hexz_last_error());
    hexz_writer_free(w);
}

/* Rewrites the archive at `path` with the bytes of its (first) section of `type` replaced: the new
 * bytes go after the data, a new section table after them, and the root hash and header are
 * recomputed. The old bytes stay behind as a gap, which open does not look at. */
static void replace_section(const char *path, uint32_t type, const uint8_t *bytes, size_t blen)
{
    size_t len;
    uint8_t *img = tu_read_file(path, &len);
    hx_header h;
    assert_int_equal(hx_header_decode(&h, img, path), 0);
    arc a;
    memset(&a, 0, sizeof a);
    arc_put(&a, img, h.section_table_offset);
    uint64_t off = arc_add(&a, bytes, blen);
    int found = 0;
    for (uint32_t i = 0; i < h.section_count; i++) {
        assert_true(a.nsec < 16);
        hx_section *s = &a.sec[a.nsec++];
        assert_int_equal(
            hx_section_decode(s, img + h.section_table_offset + (size_t)i * HX_SECTION_ENTRY_LEN,
                              path),
            0);
        if (s->type == type && !found) {
            found = 1;
            s->offset = off;
            s->length = blen;
            hx_hash(bytes, blen, s->hash);
        }
    }
    assert_true(found);
    uint64_t sto = a.len;
    for (uint32_t i = 0; i < a.nsec; i++) {
        uint8_t e[HX_SECTION_ENTRY_LEN];
        hx_section_encode(&a.sec[i], e);
        arc_put(&a, e, sizeof e);
    }
    h.section_table_offset = sto;
    h.file_length = a.len;
    uint8_t hb[HX_HEADER_LEN];
    hx_header_encode(&h, hb);
    hx_root_hash(hb, a.p + sto, a.nsec, h.root_hash);
    hx_header_encode(&h, a.p);
    tu_write_file(path, a.p, a.len);
    free(a.p);
    free(img);
}

/* A thin archive `thin` against a fresh base in `dir`, whose BASES section then names `base_path`
 * (keeping the real base's id and root hash). */
static void make_thin(const char *dir, const char *thin, const char *base_path)
{
    char *base = tu_strf("%s/base.hxz", dir);
    pack_small(base, NULL, 4);
    pack_small(thin, base, 6);
    hexz_reader *r;
    int rc = hexz_reader_open(&r, thin);
    if (rc) fail_msg("thin archive does not open: %s", hexz_last_error());
    assert_int_equal(hexz_reader_chain_length(r), 1);
    hexz_reader_free(r);
    hexz_reader *b;
    assert_int_equal(hexz_reader_open(&b, base), 0);
    hexz_inspect_info bi = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(b, &bi), 0);
    hexz_reader_free(b);
    hx_base_ref ref;
    memset(&ref, 0, sizeof ref);
    memcpy(ref.archive_id, bi.archive_id, HX_ARCHIVE_ID_LEN);
    memcpy(ref.root_hash, bi.root_hash, HX_HASH_LEN);
    snprintf(ref.path, sizeof ref.path, "%s", base_path);
    uint8_t sec[4 + HX_ARCHIVE_ID_LEN + HX_HASH_LEN + 2 + 256];
    size_t n = hx_bases_encode(&ref, sec, sizeof sec);
    assert_true(n > 0);
    replace_section(thin, HX_SECTION_BASES, sec, n);
    free(base);
}

/* Opening an untrusted archive must not block: a base path that names a FIFO (or any file that is
 * not a regular file or block device) must be refused, not opened for reading and waited on. */
static void test_thin_base_fifo_does_not_hang(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("limits");
    char *thin = tu_strf("%s/thin.hxz", dir), *fifo = tu_strf("%s/pipe", dir);
    make_thin(dir, thin, "pipe");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fflush(NULL);
    double t0 = now_sec();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(5);
        hexz_reader *r;
        int rc = hexz_reader_open(&r, thin);
        fprintf(stderr, "[ child    ] open returned %d: %s\n", rc, hexz_last_error());
        _exit(rc == 0 ? 1 : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    double dt = now_sec() - t0;
    printf("[ info     ] thin archive whose base is a FIFO: %s after %.1f s\n",
           WIFEXITED(status) ? "refused" : "still blocked (killed by the watchdog)", dt);
    tu_rmtree(dir);
    free(dir);
    free(thin);
    free(fifo);
    if (WIFSIGNALED(status))
        fail_msg("hexz_reader_open blocked opening a FIFO named by the archive's base path "
                 "(open(2) without O_NONBLOCK on a path the archive chose)");
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A local archive must not make the reader reach out to the network: a base path is relative to
 * the archive's directory, so "http://..." names a local path - even when the archive was opened
 * by a bare file name (no '/' in it). A listening socket on 127.0.0.1 stands in for the remote
 * server; any connection to it is the bug. */
static void test_thin_base_url_stays_local(void **state)
{
    (void)state;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(ls >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
    assert_int_equal(listen(ls, 4), 0);
    char *dir = tu_mkdtemp("limits");
    char *thin = tu_strf("%s/thin.hxz", dir);
    char *url = tu_strf("http://127.0.0.1:%u/base.hxz", (unsigned)ntohs(sa.sin_port));
    make_thin(dir, thin, url);
    int connections = 0;
    for (int how = 0; how < 2; how++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(ls);
            alarm(20);
            /* how 0: by its full path; how 1: by bare name from its directory, as `hexz verify
             * thin.hxz` run there would. */
            if (how == 1 && chdir(dir) != 0) _exit(3);
            hexz_reader *r;
            int rc = hexz_reader_open(&r, how ? "thin.hxz" : thin);
            if (rc == 0) hexz_reader_free(r);
            _exit(rc == 0 ? 1 : 0);
        }
        /* Serve nothing; just see whether anyone knocks while the child opens. */
        struct pollfd pfd = {ls, POLLIN, 0};
        int status = 0;
        for (;;) {
            if (poll(&pfd, 1, 50) > 0) {
                int c = accept(ls, NULL, NULL);
                if (c >= 0) {
                    connections++;
                    close(c);
                }
            }
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) break;
        }
        printf("[ info     ] thin archive naming base %s, opened by %s: %d connection(s) so far, "
               "child %s %d\n",
               url, how ? "bare name" : "full path", connections,
               WIFEXITED(status) ? "exit" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    close(ls);
    tu_rmtree(dir);
    free(dir);
    free(thin);
    free(url);
    if (connections)
        fail_msg(
            "opening a local archive connected to the URL its base path names (%d connection(s)); "
            "a base path must stay relative to the archive's directory",
            connections);
}

/* ---- millions of tiny blocks ------------------------------------------------------------------ */

static uint64_t splitmix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Byte `off` of the test stream: block i holds 8 words splitmix(i * 8 + j), so all differ. */
static void tiny_fill(uint8_t *dst, uint64_t off, size_t len)
{
    for (size_t k = 0; k < len;) {
        uint64_t pos = off + k, word = pos / 8;
        uint64_t v = splitmix(word);
        size_t in = (size_t)(pos % 8), n = 8 - in;
        if (n > len - k) n = len - k;
        memcpy(dst + k, (const uint8_t *)&v + in, n);
        k += n;
    }
}

/* Bytes this process has read through read()/pread() so far. */
static long long rchar(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    if (!f) return -1;
    char line[128];
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &v) == 1) break;
    fclose(f);
    return v;
}

static void test_millions_of_tiny_blocks(void **state)
{
    (void)state;
#ifdef HX_TEST_ASAN
    uint64_t blocks = 500000;
#else
    uint64_t blocks = 2000000;
#endif
    const char *env = getenv("HEXZ_LIMITS_BLOCKS");
    if (env) blocks = strtoull(env, NULL, 10);
    const uint64_t size = blocks * 64;
    char *dir = tu_mkdtemp("limits");
    char *path = tu_strf("%s/tiny.hxz", dir);
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 64;
    o.codec = HEXZ_CODEC_NONE;
    double t0 = now_sec();
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    const size_t chunk = 1 << 20;
    uint8_t *buf = malloc(chunk);
    assert_non_null(buf);
    for (uint64_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
        tiny_fill(buf, off, n);
        assert_int_equal(hexz_writer_write(w, buf, n), 0);
    }
    int rc = hexz_writer_finish(w);
    if (rc) fail_msg("finish: %s", hexz_last_error());
    hexz_writer_free(w);
    double t_pack = now_sec() - t0;
    long long fsize = tu_file_size(path);
    uint64_t index_bytes = blocks * HX_BLOCK_ENTRY_LEN;

    long long r0 = rchar();
    t0 = now_sec();
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, path), 0);
    double t_open = now_sec() - t0;
    long long open_read = r0 >= 0 ? rchar() - r0 : -1;
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    assert_int_equal(hexz_reader_stream_info(r, 0, &si), 0);
    assert_int_equal(si.size, size);
    assert_int_equal(si.block_count, blocks);

    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    enum { READS = 2000, MAXLEN = 4096 };
    uint8_t got[MAXLEN], want[MAXLEN];
    r0 = rchar();
    t0 = now_sec();
    for (int i = 0; i < READS; i++) {
        uint64_t off = tu_rng_below(&rng, size);
        size_t len = 1 + (size_t)tu_rng_below(&rng, MAXLEN);
        size_t n;
        assert_int_equal(hexz_reader_read_at(r, 0, got, len, off, &n), 0);
        size_t expect = size - off < len ? (size_t)(size - off) : len;
        assert_int_equal(n, expect);
        tiny_fill(want, off, n);
        if (memcmp(got, want, n) != 0)
            fail_msg("random read at %llu differs", (unsigned long long)off);
    }
    double t_reads = now_sec() - t0;
    long long reads_read = r0 >= 0 ? rchar() - r0 : -1;
    hexz_block_info bi = HEXZ_BLOCK_INFO_INIT;
    assert_int_equal(hexz_reader_block_at(r, 0, blocks - 1, &bi), 0);
    assert_int_equal(bi.logical_offset, size - 64);
    hexz_reader_free(r);

    printf("[ info     ] %llu blocks of 64 bytes (%llu MiB): pack %.2f s, archive %lld bytes "
           "(index %llu bytes)\n",
           (unsigned long long)blocks, (unsigned long long)(size >> 20), t_pack, fsize,
           (unsigned long long)index_bytes);
    printf("[ info     ] open %.4f s reading %lld bytes; %d random reads %.3f s (%.1f us each) "
           "reading %lld bytes (%.0f per read)\n",
           t_open, open_read, READS, t_reads, t_reads * 1e6 / READS, reads_read,
           (double)reads_read / READS);
    /* Open reads the header, the section table and the sections (the page directory is 64 bytes
     * per 1024 blocks), never the index pages themselves. */
    if (open_read >= 0) {
        uint64_t dir_bytes = (blocks + 1023) / 1024 * HX_PAGE_DIR_ENTRY_LEN;
        if ((uint64_t)open_read > dir_bytes + (1u << 20))
            fail_msg("open read %lld bytes; the page directory is %llu bytes, the index %llu",
                     open_read, (unsigned long long)dir_bytes, (unsigned long long)index_bytes);
        /* Each random read touches at most a few pages (73 KiB each) and blocks. */
        assert_true(reads_read / READS < 4 * (HX_PAGE_HEADER_LEN + 1024 * HX_BLOCK_ENTRY_LEN));
    }

    /* Whole-archive operations at this scale, in a child so their peak memory can be measured. */
    const char *what[] = {"inspect", "verify"};
    for (int op = 0; op < 2; op++) {
        fflush(NULL);
        t0 = now_sec();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            hexz_reader *cr;
            if (hexz_reader_open(&cr, path) != 0) _exit(2);
            hexz_inspect_info ii = HEXZ_INSPECT_INFO_INIT;
            int crc = op == 0 ? hexz_reader_inspect(cr, &ii) : hexz_reader_verify(cr, NULL, NULL);
            hexz_reader_free(cr);
            _exit(crc == 0 ? 0 : 1);
        }
        int status;
        struct rusage ru;
        while (wait4(pid, &status, 0, &ru) < 0) assert_int_equal(errno, EINTR);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("[ info     ] %s of %llu blocks: %.2f s, peak RSS %ld MiB\n", what[op],
               (unsigned long long)blocks, now_sec() - t0, ru.ru_maxrss / 1024);
    }
    free(buf);
    tu_rmtree(dir);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_archive_is_valid),
        cmocka_unit_test(test_huge_claims_are_refused),
        cmocka_unit_test(test_verify_work_is_bounded_by_file),
        cmocka_unit_test(test_verify_checks_unknown_sections),
        cmocka_unit_test(test_thin_base_fifo_does_not_hang),
        cmocka_unit_test(test_thin_base_url_stays_local),
        cmocka_unit_test(test_millions_of_tiny_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
