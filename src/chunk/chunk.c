/*
 * chunk.c - fixed-size and FastCDC content-defined chunking (see chunk.h).
 *
 * FastCDC ("v2020" style, normalised chunking level 1), as hexz defines it:
 *
 *   - Positions are byte indexes from the chunk start. The gear hash starts at h = 0 and the
 *     scan starts at index min_size; each byte updates h = (h << 1) + hx_gear_table[byte].
 *   - For indexes below avg_size the stricter mask_s is tested, from avg_size up to max_size - 1
 *     the looser mask_l. A cut happens after the first byte whose update leaves (h & mask) == 0:
 *     the chunk includes that byte, so a chunk found at index i is i + 1 bytes long.
 *   - With no cut before max_size the chunk is max_size bytes. At the end of the input, fewer
 *     than the bytes needed to decide form the last chunk.
 *
 * So every chunk but the last is min_size + 1 .. max_size bytes (exactly max_size when
 * min_size == max_size). The cut depends only on the bytes of the chunk, never on how much was
 * buffered beyond it, which makes the result independent of the caller's buffering.
 *
 * Masks: with bits = log2(avg_size), mask_s has bits + 1 one-bits and mask_l has bits - 1, so a
 * cut is half as likely per byte as 1/avg before avg_size and twice as likely after, which
 * narrows the chunk size distribution around avg_size. Bit k of the gear hash depends on the
 * last k + 1 bytes (each older byte's contribution has been shifted up once per step), so, as in
 * FastCDC, the one-bits are spread out instead of packed into the low bits, where they would see
 * only a window of a few bytes. hexz's pattern, for n one-bits: bit j (j = 0 .. n-1) of the
 * mask is at position 63 - floor(j * 48 / n). The n bits are thus spread evenly over bits
 * 16..63 (48 / n > 1, so positions never collide), each depends on a window of at least 17
 * bytes, and the top bit sees the full 64-byte window. For avg_size = 65536 (bits = 16):
 * mask_s = 0xa492924949240000 (17 bits) and mask_l = 0x9248924892480000 (15 bits).
 */
#include "chunk/chunk.h"

#include "common/error.h"

/* Width of the band of hash bits that masks use: bits 63 down to 64 - HX_MASK_SPAN. */
enum { HX_MASK_SPAN = 48 };

/* A mask with `n` one-bits (1 <= n < HX_MASK_SPAN) spread as described above. */
static uint64_t spread_mask(unsigned n)
{
    uint64_t mask = 0;
    for (unsigned j = 0; j < n; j++) mask |= 1ull << (63 - j * HX_MASK_SPAN / n);
    return mask;
}

static int in_limits(uint32_t v)
{
    return v >= HX_CHUNK_MIN_LIMIT && v <= HX_CHUNK_MAX_LIMIT;
}

int hx_chunker_init_fixed(hx_chunker *c, uint32_t block_size)
{
    if (!in_limits(block_size))
        return hx_error(HEXZ_EINVAL, "block size %u is outside %u..%u", block_size,
                        HX_CHUNK_MIN_LIMIT, HX_CHUNK_MAX_LIMIT);
    *c = (hx_chunker){.mode = HX_CHUNK_FIXED, .avg_size = block_size, .max_size = block_size};
    return 0;
}

int hx_chunker_init_cdc(hx_chunker *c, uint32_t min_size, uint32_t avg_size, uint32_t max_size)
{
    if (!in_limits(min_size) || !in_limits(avg_size) || !in_limits(max_size))
        return hx_error(HEXZ_EINVAL, "chunk sizes %u/%u/%u: each must be within %u..%u", min_size,
                        avg_size, max_size, HX_CHUNK_MIN_LIMIT, HX_CHUNK_MAX_LIMIT);
    if (min_size > avg_size || avg_size > max_size)
        return hx_error(HEXZ_EINVAL, "chunk sizes %u/%u/%u: need min <= avg <= max", min_size,
                        avg_size, max_size);
    if (avg_size & (avg_size - 1))
        return hx_error(HEXZ_EINVAL, "average chunk size %u is not a power of two", avg_size);
    unsigned bits = (unsigned)__builtin_ctz(avg_size); /* 6..26 within the limits */
    *c = (hx_chunker){.mode = HX_CHUNK_CDC,
                      .min_size = min_size,
                      .avg_size = avg_size,
                      .max_size = max_size,
                      .mask_s = spread_mask(bits + 1),
                      .mask_l = spread_mask(bits - 1)};
    return 0;
}

uint32_t hx_chunker_max(const hx_chunker *c)
{
    return c->max_size;
}

/* Rolls the gear hash *hp over p[i..end) and returns the length of the chunk ending at the first
 * byte where (h & mask) == 0, or 0 if there is none. The hot loop of packing: no calls, the
 * table in a local, the hash in a register. */
static inline size_t gear_scan(const uint8_t *p, size_t i, size_t end, uint64_t mask, uint64_t *hp)
{
    const uint64_t *gear = hx_gear_table;
    uint64_t h = *hp;
    for (; i < end; i++) {
        h = (h << 1) + gear[p[i]];
        if (!(h & mask)) return i + 1;
    }
    *hp = h;
    return 0;
}

static size_t cdc_next(const hx_chunker *c, const uint8_t *data, size_t len, int at_end)
{
    size_t max = c->max_size, min = c->min_size;
    size_t end = len < max ? len : max;
    /* Without a cut in data[0..end), the chunk is `end` bytes only if nothing can follow. */
    size_t no_cut = (at_end || len >= max) ? end : 0;
    if (end <= min) return no_cut;
    size_t avg_end = c->avg_size < end ? c->avg_size : end;
    uint64_t h = 0;
    size_t cut = gear_scan(data, min, avg_end, c->mask_s, &h);
    if (!cut) cut = gear_scan(data, avg_end, end, c->mask_l, &h);
    return cut ? cut : no_cut;
}

size_t hx_chunker_next(const hx_chunker *c, const uint8_t *data, size_t len, int at_end)
{
    if (c->mode == HX_CHUNK_CDC) return cdc_next(c, data, len, at_end);
    if (len >= c->max_size) return c->max_size;
    return at_end ? len : 0;
}
