/*
 * chunk.h - cutting a byte stream into blocks: fixed-size or FastCDC content-defined chunks.
 *
 * The chunker is a value type: parameters in, cut positions out, no allocation, no state beyond
 * the parameters, so the same bytes always give the same cuts whatever the buffering. The caller
 * keeps a buffer that starts at the current chunk start and holds at least max_size bytes (or
 * everything up to the end of the input) and asks where the chunk ends.
 */
#ifndef HX_CHUNK_H
#define HX_CHUNK_H

#include <stddef.h>
#include <stdint.h>

/* Limits on chunk parameters; they bound every buffer sized from them. */
#define HX_CHUNK_MIN_LIMIT 64u
#define HX_CHUNK_MAX_LIMIT (64u << 20)

enum { HX_CHUNK_FIXED = 1, HX_CHUNK_CDC = 2 };

typedef struct {
    int mode;          /* HX_CHUNK_FIXED or HX_CHUNK_CDC */
    uint32_t min_size; /* CDC only */
    uint32_t avg_size; /* CDC: a power of two; FIXED: the block size */
    uint32_t max_size; /* CDC: the largest chunk; FIXED: the block size */
    uint64_t mask_s;   /* CDC: stricter mask, used before avg_size */
    uint64_t mask_l;   /* CDC: looser mask, used from avg_size on */
} hx_chunker;

/* Fixed-size chunking with `block_size` in [HX_CHUNK_MIN_LIMIT, HX_CHUNK_MAX_LIMIT].
 * Returns 0 or HEXZ_EINVAL (last error set). */
int hx_chunker_init_fixed(hx_chunker *c, uint32_t block_size);

/* FastCDC with min <= avg <= max, avg a power of two, all within the limits above.
 * Returns 0 or HEXZ_EINVAL (last error set). */
int hx_chunker_init_cdc(hx_chunker *c, uint32_t min_size, uint32_t avg_size, uint32_t max_size);

/* The largest chunk this chunker can produce: the buffer size a caller needs. */
uint32_t hx_chunker_max(const hx_chunker *c);

/* Length of the chunk that starts at data[0], given `len` available bytes. If `len` is less than
 * the maximum chunk and `at_end` is 0, more input could move the cut: returns 0 ("need more").
 * With `at_end` non-zero the remaining bytes always form chunks (returns min(len, cut)).
 * Never returns more than len.
 * (Clarification: a CDC cut found inside data[0..len) is final, because it depends only on the
 * bytes before it, so it is returned even when len < max and at_end is 0; 0 comes back only when
 * no cut lies within `len`. The result never depends on how many bytes beyond the cut were
 * given. An empty input at the end gives 0.) */
size_t hx_chunker_next(const hx_chunker *c, const uint8_t *data, size_t len, int at_end);

/* The 256-entry FastCDC gear table. Entry i is the first 8 bytes, read little-endian, of
 * BLAKE3("hexz fastcdc gear v1" || byte i) (docs/FORMAT.md §15). */
extern const uint64_t hx_gear_table[256];

#endif
