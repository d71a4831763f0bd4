/*
 * fuzz_manifest.c - fuzz target for the file-manifest decoders and path rules
 * (docs/FORMAT.md §10): hx_manifest_page_header_decode, hx_manifest_entry_decode in a loop over
 * a page, hx_path_valid and hx_path_compare.
 *
 * An input that starts with the archive magic is an archive image: each manifest page named by
 * its MANIFEST_DIR, and each "HXMP" found anywhere, is copied into an exact-size buffer and
 * decoded entry by entry. Otherwise the first byte selects: even - the rest is a run of manifest
 * entries; odd - the rest is two paths (split at the position the second byte gives) for the
 * path functions. Oracles: no out-of-bounds access; decoded entries satisfy the documented
 * rules and re-encode to the same bytes; hx_path_valid and hx_path_compare agree with the
 * simple reference versions below (FORMAT.md §10 read literally), and compare is antisymmetric.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "format/format.h"
#include "fuzz_util.h"

/* FORMAT.md §10: relative, '/'-separated, 1..4095 bytes, no empty, "." or ".." component, no NUL.
 */
static int ref_path_valid(const char *p, size_t len)
{
    if (len == 0 || len > HX_PATH_MAX) return 0;
    if (memchr(p, '\0', len)) return 0;
    const char *end = p + len, *c = p;
    while (c <= end) {
        const char *slash = memchr(c, '/', (size_t)(end - c));
        const char *stop = slash ? slash : end;
        size_t n = (size_t)(stop - c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return 0;
        if (!slash) break;
        c = slash + 1;
    }
    return 1;
}

/* Byte order after mapping '/' to 0x00; a proper prefix sorts first. */
static int ref_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    for (size_t i = 0; i < alen && i < blen; i++) {
        unsigned x = (unsigned char)a[i] == '/' ? 0u : (unsigned char)a[i];
        unsigned y = (unsigned char)b[i] == '/' ? 0u : (unsigned char)b[i];
        if (x != y) return x < y ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void check_paths(const char *a, size_t alen, const char *b, size_t blen)
{
    FZ_ASSERT(!hx_path_valid(a, alen) == !ref_path_valid(a, alen));
    FZ_ASSERT(!hx_path_valid(b, blen) == !ref_path_valid(b, blen));
    FZ_ASSERT(hx_path_compare(a, alen, a, alen) == 0);
    /* '/' and NUL map to the same byte, so the order is only defined for NUL-free byte strings
     * (valid paths never hold NUL). */
    if (memchr(a, '\0', alen) || memchr(b, '\0', blen)) return;
    int ab = sign(hx_path_compare(a, alen, b, blen));
    FZ_ASSERT(ab == -sign(hx_path_compare(b, blen, a, alen)));
    FZ_ASSERT(ab == ref_compare(a, alen, b, blen));
}

static void check_entries(const uint8_t *in, size_t len)
{
    size_t pos = 0;
    const char *prev = NULL;
    size_t prev_len = 0;
    while (pos < len) {
        hx_manifest_entry e;
        size_t used = 0;
        if (hx_manifest_entry_decode(&e, in + pos, len - pos, &used, "fuzz") != 0) return;
        FZ_ASSERT(e.type >= HX_FILE_REGULAR && e.type <= HX_FILE_SYMLINK);
        FZ_ASSERT(e.mode <= 07777 && e.mtime_nsec <= 999999999u);
        FZ_ASSERT(used == HX_MANIFEST_ENTRY_FIXED_LEN + (size_t)e.path_length + e.target_length);
        FZ_ASSERT(used <= len - pos);
        FZ_ASSERT(ref_path_valid(e.path, e.path_length));
        FZ_ASSERT(e.path == (const char *)in + pos + HX_MANIFEST_ENTRY_FIXED_LEN);
        if (e.type == HX_FILE_SYMLINK) {
            FZ_ASSERT(e.target_length >= 1 && e.target_length <= HX_PATH_MAX);
            FZ_ASSERT(!memchr(e.target, '\0', e.target_length));
            FZ_ASSERT(e.offset == 0 && e.size == 0);
        } else {
            FZ_ASSERT(e.target_length == 0 && e.target == NULL);
            if (e.type == HX_FILE_DIR) FZ_ASSERT(e.offset == 0 && e.size == 0);
        }
        FZ_ASSERT(hx_manifest_entry_len(&e) == used);
        uint8_t *again = malloc(used);
        FZ_ASSERT(again != NULL);
        hx_manifest_entry_encode(&e, again);
        FZ_ASSERT(memcmp(again, in + pos, used) == 0);
        free(again);
        if (prev) check_paths(prev, prev_len, e.path, e.path_length);
        prev = e.path;
        prev_len = e.path_length;
        pos += used;
    }
}

/* A manifest page at in[0..avail): header, then entries, from an exact-size copy. */
static void check_page(const uint8_t *in, size_t avail)
{
    if (avail > HX_MANIFEST_PAGE_MAX) avail = HX_MANIFEST_PAGE_MAX;
    if (avail < HX_MANIFEST_PAGE_HEADER_LEN) return;
    uint8_t *page = malloc(avail);
    FZ_ASSERT(page != NULL);
    memcpy(page, in, avail);
    uint32_t count;
    uint64_t first;
    if (hx_manifest_page_header_decode(&count, &first, page, "fuzz") == 0) {
        uint8_t again[HX_MANIFEST_PAGE_HEADER_LEN];
        hx_manifest_page_header_encode(count, first, again);
        FZ_ASSERT(memcmp(again, page, HX_MANIFEST_PAGE_HEADER_LEN) == 0);
    }
    check_entries(page + HX_MANIFEST_PAGE_HEADER_LEN, avail - HX_MANIFEST_PAGE_HEADER_LEN);
    free(page);
}

static void archive_image(const uint8_t *data, size_t size)
{
    uint64_t sto = hx_get64(data + 48);
    uint32_t count = hx_get32(data + 56);
    if (count <= HX_SECTION_MAX_COUNT &&
        hx_range_within(sto, (uint64_t)count * HX_SECTION_ENTRY_LEN, 0, size)) {
        for (uint32_t i = 0; i < count; i++) {
            const uint8_t *e = data + sto + (size_t)i * HX_SECTION_ENTRY_LEN;
            uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
            if (hx_get32(e) != HX_SECTION_MANIFEST_DIR || !hx_range_within(off, len, 0, size))
                continue;
            const uint8_t *dir = data + off;
            const uint64_t fixed = 8 + 4 + 4 + 8 + HX_HASH_LEN + 2;
            for (uint64_t pos = 12; pos + fixed <= len;) {
                const uint8_t *rec = dir + pos;
                uint64_t poff = hx_get64(rec);
                uint32_t plen = hx_get32(rec + 8);
                uint16_t fpl = hx_get16(rec + 24 + HX_HASH_LEN);
                if (hx_range_within(poff, plen, 0, size)) check_page(data + poff, plen);
                if (pos + fixed + fpl <= len) {
                    const char *fp = (const char *)rec + fixed;
                    check_paths(fp, fpl, fp, fpl);
                }
                pos += fixed + fpl;
            }
        }
    }
    for (size_t off = HX_HEADER_LEN; off + HX_MANIFEST_PAGE_HEADER_LEN <= size; off++) {
        const uint8_t *m = memchr(data + off, 'H', size - off);
        if (!m) break;
        off = (size_t)(m - data);
        if (off + 4 <= size && memcmp(m, HX_MANIFEST_PAGE_MAGIC, 4) == 0) check_page(m, size - off);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= HX_HEADER_LEN && memcmp(data, HX_MAGIC, HX_MAGIC_LEN) == 0) {
        archive_image(data, size);
        return 0;
    }
    if (size < 2) return 0;
    size_t len = size - 2;
    uint8_t *copy = malloc(len ? len : 1);
    FZ_ASSERT(copy != NULL);
    memcpy(copy, data + 2, len);
    if ((data[0] & 1) == 0) {
        check_entries(copy, len);
    } else {
        size_t split = len ? data[1] % (len + 1) : 0;
        check_paths((const char *)copy, split, (const char *)copy + split, len - split);
    }
    free(copy);
    return 0;
}
