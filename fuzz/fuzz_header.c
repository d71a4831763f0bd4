/*
 * fuzz_header.c - fuzz target for the decoders of the archive's fixed structures
 * (docs/FORMAT.md §3-§7): hx_header_decode, hx_section_decode, hx_params_decode and
 * hx_streams_decode, on raw bytes.
 *
 * An input that starts with the archive magic is taken as an archive image: the header is
 * decoded as it is and again with its checksum recomputed (so that mutations of the fields
 * behind the checksum are explored), then the section table it points to, then each PARAMS and
 * STREAMS section that lies inside the input. Any other input is [selector byte][bytes] and the
 * bytes go straight to one decoder. Oracles: decoders never read out of bounds or leak; what
 * decodes successfully satisfies the documented ranges and re-encodes to exactly the input bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "format/format.h"
#include "fuzz_util.h"

static void check_header(const uint8_t *in)
{
    hx_header h;
    if (hx_header_decode(&h, in, "fuzz") != 0) return;
    FZ_ASSERT(h.major == HX_FORMAT_MAJOR && h.header_length == HX_HEADER_LEN);
    FZ_ASSERT(h.section_count >= 1 && h.section_count <= HX_SECTION_MAX_COUNT);
    FZ_ASSERT(h.section_table_offset >= HX_HEADER_LEN);
    FZ_ASSERT(h.section_table_offset + (uint64_t)h.section_count * HX_SECTION_ENTRY_LEN ==
              h.file_length);
    uint8_t again[HX_HEADER_LEN];
    hx_header_encode(&h, again);
    FZ_ASSERT(memcmp(again, in, HX_HEADER_LEN) == 0);
}

static void check_params(const uint8_t *in, size_t len)
{
    hx_params p;
    if (hx_params_decode(&p, in, len, "fuzz") != 0) return;
    FZ_ASSERT(len == HX_PARAMS_LEN);
    FZ_ASSERT(p.max_size >= 64 && p.max_size <= HX_BLOCK_MAX_LIMIT);
    FZ_ASSERT(p.page_entries >= 1 && p.page_entries <= HX_PAGE_ENTRIES_LIMIT);
    if (p.chunking == 2) {
        FZ_ASSERT(p.min_size >= 64 && p.min_size <= p.avg_size && p.avg_size <= p.max_size);
        FZ_ASSERT((p.avg_size & (p.avg_size - 1)) == 0);
    }
    uint8_t again[HX_PARAMS_LEN];
    hx_params_encode(&p, again);
    FZ_ASSERT(memcmp(again, in, HX_PARAMS_LEN) == 0);
}

static void check_streams(const uint8_t *in, size_t len)
{
    hx_stream_desc *d = NULL;
    uint32_t n = 0;
    if (hx_streams_decode(&d, &n, in, len, "fuzz") != 0) return;
    FZ_ASSERT(n >= 1 && n <= HX_STREAM_MAX_COUNT);
    for (uint32_t i = 0; i < n; i++) {
        size_t nl = strlen(d[i].name);
        FZ_ASSERT(nl >= 1 && nl <= HX_STREAM_NAME_MAX);
        FZ_ASSERT(d[i].page_count <= d[i].block_count);
        for (uint32_t j = 0; j < i; j++) FZ_ASSERT(strcmp(d[i].name, d[j].name) != 0);
    }
    size_t elen = hx_streams_encoded_len(d, n);
    FZ_ASSERT(elen == len);
    uint8_t *again = malloc(elen);
    FZ_ASSERT(again != NULL);
    hx_streams_encode(d, n, again);
    FZ_ASSERT(memcmp(again, in, len) == 0);
    free(again);
    free(d);
}

static void check_section(const uint8_t *in, hx_section *s, int *ok)
{
    *ok = hx_section_decode(s, in, "fuzz") == 0;
    if (!*ok) return;
    FZ_ASSERT((s->flags & ~HX_SECTION_KNOWN_FLAGS) == 0);
    /* Only a signature may stand outside the root hash (docs/FORMAT.md §4). */
    FZ_ASSERT(!(s->flags & HX_SECTION_OUTSIDE_ROOT) || s->type == HX_SECTION_SIGNATURE);
    uint8_t again[HX_SECTION_ENTRY_LEN];
    hx_section_encode(s, again);
    FZ_ASSERT(memcmp(again, in, HX_SECTION_ENTRY_LEN) == 0);
}

/* Decodes the section table an archive image points to and the sections inside the input. */
static void archive_image(const uint8_t *data, size_t size)
{
    check_header(data);
    uint8_t fixed[HX_HEADER_LEN];
    memcpy(fixed, data, HX_HEADER_LEN);
    hx_put64(fixed + HX_HEADER_CHECKSUM_OFF, hx_checksum64(fixed, HX_HEADER_CHECKSUM_OFF));
    check_header(fixed);
    uint64_t sto = hx_get64(data + 48);
    uint32_t count = hx_get32(data + 56);
    if (count > HX_SECTION_MAX_COUNT) count = HX_SECTION_MAX_COUNT;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t off = sto + (uint64_t)i * HX_SECTION_ENTRY_LEN;
        if (off < sto || !hx_range_within(off, HX_SECTION_ENTRY_LEN, 0, size)) break;
        hx_section s;
        int ok;
        check_section(data + off, &s, &ok);
        if (!ok || !hx_range_within(s.offset, s.length, 0, size)) continue;
        if (s.type == HX_SECTION_PARAMS) check_params(data + s.offset, s.length);
        if (s.type == HX_SECTION_STREAMS) check_streams(data + s.offset, s.length);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= HX_HEADER_LEN && memcmp(data, HX_MAGIC, HX_MAGIC_LEN) == 0) {
        archive_image(data, size);
        return 0;
    }
    if (size < 1) return 0;
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    switch (data[0] & 3) {
    case 0: check_params(in, len); break;
    case 1: check_streams(in, len); break;
    case 2:
        for (size_t off = 0; off + HX_SECTION_ENTRY_LEN <= len; off += HX_SECTION_ENTRY_LEN) {
            hx_section s;
            int ok;
            check_section(in + off, &s, &ok);
        }
        break;
    default:
        if (len >= HX_HEADER_LEN) {
            uint8_t h[HX_HEADER_LEN];
            memcpy(h, in, HX_HEADER_LEN);
            memcpy(h, HX_MAGIC, HX_MAGIC_LEN);
            hx_put64(h + HX_HEADER_CHECKSUM_OFF, hx_checksum64(h, HX_HEADER_CHECKSUM_OFF));
            check_header(h);
        }
        break;
    }
    return 0;
}
