/*
 * fuzz_cdc.c - fuzz target for chunking (src/chunk/): hx_chunker_init_cdc /
 * hx_chunker_init_fixed with parameters from the input, then hx_chunker_next over the rest.
 *
 * Input: [u8 flags][u32 a][u32 b][u32 c][data]. With flags bit 0 clear the three words are
 * folded into plausible sizes (avg a power of two 64..64 KiB); with it set they go to the
 * initialiser raw, to exercise its validation. Oracles, for every chunk: the cut is in
 * (0, min(len, max)]; a chunk that is not the last is longer than min_size (or exactly max);
 * the cut does not depend on buffering (the same call with at_end = 0, or with the input cut
 * short right after the chunk, gives the same answer); and it matches the reference FastCDC
 * below, written from the description in docs/FORMAT.md §12 and chunk.c.
 */
#include <string.h>

#include "chunk/chunk.h"
#include "fuzz_util.h"
#include "hexz.h"

/* FastCDC as specified: scan from index min with h = 0; strict mask before avg, loose after;
 * a cut after the first byte leaving (h & mask) == 0; else max (or what is left at the end). */
static size_t ref_cdc(const hx_chunker *c, const uint8_t *p, size_t len)
{
    size_t end = len < c->max_size ? len : c->max_size;
    if (end <= c->min_size) return end;
    uint64_t h = 0;
    for (size_t i = c->min_size; i < end; i++) {
        h = (h << 1) + hx_gear_table[p[i]];
        uint64_t mask = i < c->avg_size ? c->mask_s : c->mask_l;
        if ((h & mask) == 0) return i + 1;
    }
    return end;
}

static int init_from(hx_chunker *c, fz_bytes *in)
{
    uint8_t flags = fz_u8(in);
    uint32_t a = fz_u32(in), b = fz_u32(in), d = fz_u32(in);
    int fixed = (flags & 2) != 0;
    if (flags & 1) {
        int rc = fixed ? hx_chunker_init_fixed(c, a) : hx_chunker_init_cdc(c, a, b, d);
        int valid = fixed ? (a >= HX_CHUNK_MIN_LIMIT && a <= HX_CHUNK_MAX_LIMIT)
                          : (a >= HX_CHUNK_MIN_LIMIT && d <= HX_CHUNK_MAX_LIMIT && a <= b &&
                             b <= d && (b & (b - 1)) == 0);
        FZ_ASSERT((rc == 0) == valid);
        FZ_ASSERT(rc == 0 || rc == HEXZ_EINVAL);
        return rc;
    }
    if (fixed) return hx_chunker_init_fixed(c, 64 + a % 8192);
    uint32_t avg = 1u << (6 + b % 11);
    uint32_t min = 64 + a % (avg - 63);
    uint32_t max = avg + d % (4 * avg);
    FZ_ASSERT(hx_chunker_init_cdc(c, min, avg, max) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bytes in = {data, size};
    hx_chunker c;
    if (init_from(&c, &in) != 0) return 0;
    const uint8_t *p = in.p;
    size_t len = in.left;
    uint32_t max = hx_chunker_max(&c);
    FZ_ASSERT(max >= HX_CHUNK_MIN_LIMIT && max <= HX_CHUNK_MAX_LIMIT);
    if (c.mode == HX_CHUNK_CDC) {
        FZ_ASSERT(c.mask_s != 0 && c.mask_l != 0);
        FZ_ASSERT(__builtin_popcountll(c.mask_s) == __builtin_popcountll(c.mask_l) + 2);
    }
    FZ_ASSERT(hx_chunker_next(&c, p, 0, 1) == 0);
    while (len > 0) {
        size_t cut = hx_chunker_next(&c, p, len, 1);
        FZ_ASSERT(cut > 0 && cut <= len && cut <= max);
        size_t lazy = hx_chunker_next(&c, p, len, 0);
        if (len >= max) FZ_ASSERT(lazy == cut);
        else FZ_ASSERT(lazy == 0 || lazy == cut);
        if (cut < len) {
            /* Not the last chunk: more bytes after it must not move the cut. */
            FZ_ASSERT(hx_chunker_next(&c, p, cut, 0) == cut);
            if (c.mode == HX_CHUNK_CDC) FZ_ASSERT(cut > c.min_size || cut == max);
            else FZ_ASSERT(cut == max);
        }
        if (c.mode == HX_CHUNK_CDC) FZ_ASSERT(cut == ref_cdc(&c, p, len));
        else FZ_ASSERT(cut == (len < max ? len : max));
        p += cut;
        len -= cut;
    }
    return 0;
}
