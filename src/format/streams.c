/*
 * streams.c - the STREAMS section: names and sizes of the archive's streams (FORMAT.md §7).
 */
#include "format/format.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"

size_t hx_streams_encoded_len(const hx_stream_desc *s, uint32_t count)
{
    size_t n = 4;
    for (uint32_t i = 0; i < count; i++) n += 1 + strlen(s[i].name) + 8 + 8 + 4;
    return n;
}

void hx_streams_encode(const hx_stream_desc *s, uint32_t count, uint8_t *out)
{
    hx_put32(out, count);
    out += 4;
    for (uint32_t i = 0; i < count; i++) {
        size_t len = strlen(s[i].name);
        *out++ = (uint8_t)len;
        memcpy(out, s[i].name, len);
        out += len;
        hx_put64(out, s[i].size);
        hx_put64(out + 8, s[i].block_count);
        hx_put32(out + 16, s[i].page_count);
        out += 20;
    }
}

static int decode_one(hx_stream_desc *d, const uint8_t *in, size_t len, size_t *pos,
                      const char *name)
{
    if (*pos + 1 > len) return hx_error(HEXZ_ECORRUPT, "%s: streams section truncated", name);
    size_t nlen = in[(*pos)++];
    if (nlen == 0 || *pos + nlen + 20 > len)
        return hx_error(HEXZ_ECORRUPT, "%s: streams section truncated", name);
    memcpy(d->name, in + *pos, nlen);
    d->name[nlen] = '\0';
    if (memchr(d->name, '\0', nlen))
        return hx_error(HEXZ_ECORRUPT, "%s: stream name contains NUL", name);
    *pos += nlen;
    d->size = hx_get64(in + *pos);
    d->block_count = hx_get64(in + *pos + 8);
    d->page_count = hx_get32(in + *pos + 16);
    *pos += 20;
    if (d->page_count > d->block_count || (d->block_count > 0 && d->page_count == 0))
        return hx_error(HEXZ_ECORRUPT, "%s: stream %s has inconsistent page count", name, d->name);
    return 0;
}

int hx_streams_decode(hx_stream_desc **out, uint32_t *out_count, const uint8_t *in, size_t len,
                      const char *name)
{
    if (len < 4) return hx_error(HEXZ_ECORRUPT, "%s: streams section truncated", name);
    uint32_t count = hx_get32(in);
    if (count == 0 || count > HX_STREAM_MAX_COUNT)
        return hx_error(HEXZ_ECORRUPT, "%s: stream count %u out of range", name, count);
    hx_stream_desc *d = calloc(count, sizeof *d);
    if (!d) return hx_error(HEXZ_ENOMEM, "%s: out of memory", name);
    size_t pos = 4;
    int rc = 0;
    for (uint32_t i = 0; i < count && rc == 0; i++) {
        rc = decode_one(&d[i], in, len, &pos, name);
        for (uint32_t j = 0; j < i && rc == 0; j++)
            if (strcmp(d[i].name, d[j].name) == 0)
                rc = hx_error(HEXZ_ECORRUPT, "%s: duplicate stream name %s", name, d[i].name);
    }
    if (rc == 0 && pos != len)
        rc = hx_error(HEXZ_ECORRUPT, "%s: trailing bytes in streams section", name);
    if (rc) {
        free(d);
        return rc;
    }
    *out = d;
    *out_count = count;
    return 0;
}
