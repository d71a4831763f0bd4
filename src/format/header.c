/*
 * header.c - the archive header, the section table entries and the root hash that ties them
 * together (docs/FORMAT.md §3-§5).
 */
#include "format/format.h"

#include <string.h>

#include "common/bytes.h"
#include "common/error.h"

/* The version the writer stamps and the one the public header announces are the same number. */
_Static_assert(HX_FORMAT_MAJOR == HEXZ_FORMAT_MAJOR && HX_FORMAT_MINOR == HEXZ_FORMAT_MINOR,
               "format.h and hexz.h disagree on the format version");

void hx_header_encode(const hx_header *h, uint8_t out[HX_HEADER_LEN])
{
    memset(out, 0, HX_HEADER_LEN);
    memcpy(out, HX_MAGIC, HX_MAGIC_LEN);
    hx_put16(out + 8, h->major);
    hx_put16(out + 10, h->minor);
    hx_put32(out + 12, h->header_length);
    hx_put64(out + 16, h->required_features);
    hx_put64(out + 24, h->optional_features);
    memcpy(out + 32, h->archive_id, HX_ARCHIVE_ID_LEN);
    hx_put64(out + 48, h->section_table_offset);
    hx_put32(out + 56, h->section_count);
    memcpy(out + 64, h->root_hash, HX_HASH_LEN);
    hx_put64(out + 96, h->file_length);
    hx_put64(out + HX_HEADER_CHECKSUM_OFF, hx_checksum64(out, HX_HEADER_CHECKSUM_OFF));
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

int hx_header_decode(hx_header *h, const uint8_t in[HX_HEADER_LEN], const char *name)
{
    if (memcmp(in, HX_MAGIC, HX_MAGIC_LEN) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: not a hexz archive (bad magic)", name);
    if (hx_get64(in + HX_HEADER_CHECKSUM_OFF) != hx_checksum64(in, HX_HEADER_CHECKSUM_OFF))
        return hx_error(HEXZ_ECORRUPT, "%s: header checksum mismatch", name);
    h->major = hx_get16(in + 8);
    h->minor = hx_get16(in + 10);
    if (h->major != HX_FORMAT_MAJOR)
        return hx_error(HEXZ_EUNSUPPORTED,
                        "%s: format version %u.%u is not supported (this hexz reads %u.x)", name,
                        h->major, h->minor, HX_FORMAT_MAJOR);
    h->header_length = hx_get32(in + 12);
    if (h->header_length != HX_HEADER_LEN)
        return hx_error(HEXZ_ECORRUPT, "%s: header length %u is not %u", name, h->header_length,
                        HX_HEADER_LEN);
    h->required_features = hx_get64(in + 16);
    h->optional_features = hx_get64(in + 24);
    if (h->required_features & ~HX_FEATURES_KNOWN)
        return hx_error(HEXZ_EUNSUPPORTED, "%s: archive needs features this hexz lacks (0x%llx)",
                        name, (unsigned long long)(h->required_features & ~HX_FEATURES_KNOWN));
    memcpy(h->archive_id, in + 32, HX_ARCHIVE_ID_LEN);
    h->section_table_offset = hx_get64(in + 48);
    h->section_count = hx_get32(in + 56);
    memcpy(h->root_hash, in + 64, HX_HASH_LEN);
    h->file_length = hx_get64(in + 96);
    if (!all_zero(in + 60, 4) || !all_zero(in + 104, 16))
        return hx_error(HEXZ_ECORRUPT, "%s: reserved header bytes are not zero", name);
    if (h->section_count == 0 || h->section_count > HX_SECTION_MAX_COUNT)
        return hx_error(HEXZ_ECORRUPT, "%s: section count %u out of range", name, h->section_count);
    uint64_t end = h->section_table_offset + (uint64_t)HX_SECTION_ENTRY_LEN * h->section_count;
    if (h->section_table_offset < HX_HEADER_LEN || end < h->section_table_offset ||
        end != h->file_length)
        return hx_error(HEXZ_ECORRUPT, "%s: section table does not end the file", name);
    return 0;
}

void hx_section_encode(const hx_section *s, uint8_t out[HX_SECTION_ENTRY_LEN])
{
    hx_put32(out, s->type);
    hx_put32(out + 4, s->flags);
    hx_put64(out + 8, s->offset);
    hx_put64(out + 16, s->length);
    hx_put32(out + 24, s->aux);
    hx_put32(out + 28, 0);
    memcpy(out + 32, s->hash, HX_HASH_LEN);
}

/* The rules one table entry must follow on its own (docs/FORMAT.md §4). The root hash skips
 * OUTSIDE_ROOT entries, so that flag is allowed on signatures only: on any other type it would
 * let a section (or a signature whose type was changed) escape every check. Known types carry
 * exactly their documented flags, and only page directories use `aux`; with the section hash
 * and the root hash this leaves no bit of the table that can change unnoticed. */
static int section_rules_check(const hx_section *s, const char *name)
{
    if ((s->flags & HX_SECTION_OUTSIDE_ROOT) && s->type != HX_SECTION_SIGNATURE)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: section of type %u stands outside the root hash (only signatures may)",
                        name, s->type);
    int known = s->type >= HX_SECTION_PARAMS && s->type <= HX_SECTION_LAST_KNOWN;
    if (!known) return 0;
    uint32_t want = s->type == HX_SECTION_SIGNATURE ? HX_SECTION_OUTSIDE_ROOT : HX_SECTION_CRITICAL;
    if (s->flags != want || (s->type != HX_SECTION_PAGE_DIR && s->aux != 0))
        return hx_error(HEXZ_ECORRUPT, "%s: section %u has the wrong flags", name, s->type);
    return 0;
}

int hx_section_decode(hx_section *s, const uint8_t in[HX_SECTION_ENTRY_LEN], const char *name)
{
    s->type = hx_get32(in);
    s->flags = hx_get32(in + 4);
    s->offset = hx_get64(in + 8);
    s->length = hx_get64(in + 16);
    s->aux = hx_get32(in + 24);
    memcpy(s->hash, in + 32, HX_HASH_LEN);
    if (hx_get32(in + 28) != 0 || (s->flags & ~HX_SECTION_KNOWN_FLAGS))
        return hx_error(HEXZ_ECORRUPT, "%s: section %u has reserved bits set", name, s->type);
    return section_rules_check(s, name);
}

void hx_root_hash(const uint8_t header[HX_HEADER_LEN], const uint8_t *table, uint32_t count,
                  uint8_t out[HX_HASH_LEN])
{
    hx_hasher h;
    hx_hasher_init(&h);
    hx_hasher_update(&h, HX_ROOT_DOMAIN, strlen(HX_ROOT_DOMAIN));
    hx_hasher_update(&h, header + 8, 40);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
        if (hx_get32(e + 4) & HX_SECTION_OUTSIDE_ROOT) continue;
        hx_hasher_update(&h, e, HX_SECTION_ENTRY_LEN);
    }
    hx_hasher_final(&h, out);
}

void hx_params_encode(const hx_params *p, uint8_t out[HX_PARAMS_LEN])
{
    memset(out, 0, HX_PARAMS_LEN);
    out[0] = p->chunking;
    out[1] = p->codec;
    hx_put32(out + 4, (uint32_t)p->level);
    hx_put32(out + 8, p->block_size);
    hx_put32(out + 12, p->min_size);
    hx_put32(out + 16, p->avg_size);
    hx_put32(out + 20, p->max_size);
    hx_put32(out + 24, p->page_entries);
    hx_put32(out + 28, p->alignment);
}

static int params_check(const hx_params *p, const char *name)
{
    if (p->chunking != 1 && p->chunking != 2)
        return hx_error(HEXZ_ECORRUPT, "%s: unknown chunking %u", name, p->chunking);
    if (p->codec < 1 || p->codec > 3)
        return hx_error(HEXZ_ECORRUPT, "%s: unknown codec %u", name, p->codec);
    if (p->max_size < 64 || p->max_size > HX_BLOCK_MAX_LIMIT)
        return hx_error(HEXZ_ECORRUPT, "%s: max block size %u out of range", name, p->max_size);
    if (p->chunking == 2 && (p->min_size < 64 || p->min_size > p->avg_size ||
                             p->avg_size > p->max_size || (p->avg_size & (p->avg_size - 1)) != 0))
        return hx_error(HEXZ_ECORRUPT, "%s: bad chunking parameters", name);
    if (p->page_entries < 1 || p->page_entries > HX_PAGE_ENTRIES_LIMIT)
        return hx_error(HEXZ_ECORRUPT, "%s: page size %u out of range", name, p->page_entries);
    if (p->alignment != 0)
        return hx_error(HEXZ_EUNSUPPORTED, "%s: aligned archives are not supported", name);
    return 0;
}

int hx_params_decode(hx_params *p, const uint8_t *in, size_t len, const char *name)
{
    if (len != HX_PARAMS_LEN)
        return hx_error(HEXZ_ECORRUPT, "%s: parameters section has length %zu", name, len);
    p->chunking = in[0];
    p->codec = in[1];
    p->level = (int32_t)hx_get32(in + 4);
    p->block_size = hx_get32(in + 8);
    p->min_size = hx_get32(in + 12);
    p->avg_size = hx_get32(in + 16);
    p->max_size = hx_get32(in + 20);
    p->page_entries = hx_get32(in + 24);
    p->alignment = hx_get32(in + 28);
    if (in[2] || in[3] || !all_zero(in + 32, 32))
        return hx_error(HEXZ_ECORRUPT, "%s: reserved parameter bytes are not zero", name);
    return params_check(p, name);
}
