/*
 * bytes.h - little-endian loads and stores, and overflow-checked arithmetic.
 *
 * Every on-disk structure is encoded and decoded field by field through these helpers, so the
 * byte layout in docs/FORMAT.md holds whatever the host's endianness or struct padding.
 */
#ifndef HX_BYTES_H
#define HX_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void hx_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void hx_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void hx_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t hx_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t hx_get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t hx_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* a + b into *out; returns 0, or -1 if it would overflow. */
static inline int hx_add64(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}
static inline int hx_mul64(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

/* Does [off, off+len) lie inside [lo, hi)? Overflow-safe. */
static inline int hx_range_within(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
    uint64_t end;
    if (hx_add64(off, len, &end)) return 0;
    return off >= lo && end <= hi;
}

static inline int hx_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    /* Compare the buffer against itself shifted by one byte: memcmp is vectorised by libc. */
    if (len == 0) return 1;
    return p[0] == 0 && memcmp(p, p + 1, len - 1) == 0;
}

#endif
