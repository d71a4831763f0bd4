/*
 * fuzz_index.c - fuzz target for the index decoders (docs/FORMAT.md §8-§9):
 * hx_page_ref_decode, hx_page_header_decode and hx_block_entry_decode.
 *
 * An input that starts with the archive magic is an archive image: every index page that its
 * page directories name, and every "HXIP" found anywhere in it, is copied into a buffer of
 * exactly the page's size and decoded entry by entry. Any other input is
 * [u32 max_size, top bit: encrypted][page bytes]. Oracles: no out-of-bounds access (the buffers
 * are exact, so ASan sees any overrun); a decoded entry obeys the documented ranges for its kind
 * and re-encodes to the same 72 bytes; a decoded page header re-encodes to the same 32 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "format/format.h"
#include "fuzz_util.h"

/* Bytes encryption adds to each stored block (docs/FORMAT.md: 0, or 40 when encrypted). */
#define SEAL_OVERHEAD 40u

static void check_entry(const uint8_t *in, uint32_t max_size, uint32_t overhead)
{
    hx_block_entry e;
    if (hx_block_entry_decode(&e, in, max_size, overhead, "fuzz") != 0) return;
    static const uint8_t zero[HX_HASH_LEN];
    if (e.kind == HX_BLOCK_HOLE) {
        FZ_ASSERT(e.logical_length >= 1 && e.logical_length <= HX_HOLE_MAX);
        FZ_ASSERT(e.stored_offset == 0 && e.stored_length == 0 && e.codec == 0);
        FZ_ASSERT(e.stored_checksum == 0 && memcmp(e.content_hash, zero, HX_HASH_LEN) == 0);
    } else if (e.kind == HX_BLOCK_BASE) {
        FZ_ASSERT(e.logical_length >= 1 && e.logical_length <= HX_BLOCK_MAX_LIMIT);
        FZ_ASSERT(e.codec == 0 && e.stored_checksum == 0 && e.stored_length < HX_STREAM_MAX_COUNT);
    } else {
        FZ_ASSERT(e.kind == HX_BLOCK_STORED);
        FZ_ASSERT(e.logical_length >= 1 && e.logical_length <= max_size);
        FZ_ASSERT(hx_codec_valid(e.codec));
        FZ_ASSERT(e.stored_length > overhead &&
                  e.stored_length <= hx_stored_length_limit(max_size, overhead));
        FZ_ASSERT(e.codec != HX_CODEC_NONE ||
                  e.stored_length == (uint64_t)e.logical_length + overhead);
    }
    uint8_t again[HX_BLOCK_ENTRY_LEN];
    hx_block_entry_encode(&e, again);
    FZ_ASSERT(memcmp(again, in, HX_BLOCK_ENTRY_LEN) == 0);
}

/* Decodes the page at in[0..avail) from an exact-size copy. */
static void check_page(const uint8_t *in, size_t avail, uint32_t max_size, uint32_t overhead)
{
    if (avail < HX_PAGE_HEADER_LEN) return;
    uint32_t claimed = hx_get32(in + 8);
    size_t fit = (avail - HX_PAGE_HEADER_LEN) / HX_BLOCK_ENTRY_LEN;
    size_t n = claimed < fit ? claimed : fit;
    if (n > HX_PAGE_ENTRIES_LIMIT) n = HX_PAGE_ENTRIES_LIMIT;
    size_t len = HX_PAGE_HEADER_LEN + n * HX_BLOCK_ENTRY_LEN;
    uint8_t *page = malloc(len);
    FZ_ASSERT(page != NULL);
    memcpy(page, in, len);
    hx_page_header h;
    if (hx_page_header_decode(&h, page, "fuzz") == 0) {
        uint8_t again[HX_PAGE_HEADER_LEN];
        hx_page_header_encode(&h, again);
        FZ_ASSERT(memcmp(again, page, HX_PAGE_HEADER_LEN) == 0);
        FZ_ASSERT(h.entry_count == claimed);
    }
    for (size_t i = 0; i < n; i++)
        check_entry(page + HX_PAGE_HEADER_LEN + i * HX_BLOCK_ENTRY_LEN, max_size, overhead);
    free(page);
}

/* The reader only ever passes a max_size that hx_params_decode accepted. */
static uint32_t clamp_max_size(uint32_t v)
{
    if (v < 64 || v > HX_BLOCK_MAX_LIMIT) v = 64 + v % (HX_BLOCK_MAX_LIMIT - 63);
    return v;
}

static uint32_t image_max_size(const uint8_t *data, size_t size, uint64_t sto, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = data + sto + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
        if (hx_get32(e) == HX_SECTION_PARAMS && len == HX_PARAMS_LEN &&
            hx_range_within(off, len, 0, size))
            return clamp_max_size(hx_get32(data + off + 20));
    }
    return HX_BLOCK_MAX_LIMIT;
}

static void archive_image(const uint8_t *data, size_t size)
{
    uint64_t sto = hx_get64(data + 48);
    uint32_t count = hx_get32(data + 56);
    uint32_t max_size = HX_BLOCK_MAX_LIMIT;
    uint32_t overhead = (hx_get64(data + 16) & 1) ? SEAL_OVERHEAD : 0; /* the "encrypted" feature */
    if (count <= HX_SECTION_MAX_COUNT &&
        hx_range_within(sto, (uint64_t)count * HX_SECTION_ENTRY_LEN, 0, size)) {
        max_size = image_max_size(data, size, sto, count);
        for (uint32_t i = 0; i < count; i++) {
            const uint8_t *e = data + sto + (size_t)i * HX_SECTION_ENTRY_LEN;
            uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
            if (hx_get32(e) != HX_SECTION_PAGE_DIR || !hx_range_within(off, len, 0, size)) continue;
            for (uint64_t p = 0; p + HX_PAGE_DIR_ENTRY_LEN <= len; p += HX_PAGE_DIR_ENTRY_LEN) {
                hx_page_ref ref;
                hx_page_ref_decode(&ref, data + off + p);
                uint8_t again[HX_PAGE_DIR_ENTRY_LEN];
                hx_page_ref_encode(&ref, again);
                FZ_ASSERT(memcmp(again, data + off + p, HX_PAGE_DIR_ENTRY_LEN) == 0);
                if (hx_range_within(ref.page_offset, ref.page_length, 0, size))
                    check_page(data + ref.page_offset, ref.page_length, max_size, overhead);
            }
        }
    }
    /* Pages wherever their magic appears, even if no directory points there any more. */
    for (size_t off = HX_HEADER_LEN; off + HX_PAGE_HEADER_LEN <= size; off++) {
        const uint8_t *m = memchr(data + off, 'H', size - off);
        if (!m) break;
        off = (size_t)(m - data);
        if (off + 4 <= size && memcmp(m, HX_PAGE_MAGIC, 4) == 0)
            check_page(m, size - off, max_size, overhead);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= HX_HEADER_LEN && memcmp(data, HX_MAGIC, HX_MAGIC_LEN) == 0) {
        archive_image(data, size);
        return 0;
    }
    if (size < 4) return 0;
    uint32_t word = hx_get32(data);
    check_page(data + 4, size - 4, clamp_max_size(word & 0x7fffffffu),
               (word >> 31) ? SEAL_OVERHEAD : 0);
    return 0;
}
