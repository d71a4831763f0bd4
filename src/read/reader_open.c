/*
 * reader_open.c - opening an archive: everything that is read at open is checked here, in
 * the order of the integrity chain (docs/FORMAT.md §2): header checksum, section table bounds,
 * root hash, each section's hash, then the structure of each section. Index and manifest pages
 * are not read until needed.
 *
 * Calls reader_chain.c to open a base (handing it hx_reader_try_open, so that the chain never
 * calls back into this file), reader_io.c for reads and unsealing, and prefetch.c only to free
 * the prefetcher read_at.c created.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/error.h"
#include "common/versioned.h"
#include "read/prefetch.h"
#include "read/reader_impl.h"
#include "store/store.h"

#define HX_PAGE_CACHE_BYTES (16u << 20)
#define HX_BLOCK_CACHE_BYTES (64u << 20)
#define HX_MANIFEST_CACHE_BYTES (8u << 20)

/* Reads a section's bytes and checks its hash; *out is malloc'd (at least 1 byte). */
static int read_section(hexz_reader *r, const hx_section *s, uint64_t limit, uint8_t **out)
{
    if (s->length > limit)
        return hx_error(HEXZ_ECORRUPT, "%s: section %u is implausibly large", r->path, s->type);
    uint8_t *buf = malloc(s->length ? s->length : 1);
    if (!buf) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    int rc = hx_pread_exact(r, buf, s->length, s->offset);
    uint8_t hash[HX_HASH_LEN];
    if (!rc) {
        hx_hash(buf, s->length, hash);
        if (memcmp(hash, s->hash, HX_HASH_LEN) != 0)
            rc = hx_error(HEXZ_ECORRUPT, "%s: section %u hash mismatch", r->path, s->type);
    }
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    return 0;
}

static int read_header(hexz_reader *r)
{
    r->file_size = r->backend.size;
    uint8_t buf[HX_HEADER_LEN];
    if (r->file_size < HX_HEADER_LEN)
        return hx_error(HEXZ_ECORRUPT, "%s: not a hexz archive (too short)", r->path);
    int rc = hx_pread_exact(r, buf, sizeof buf, 0);
    if (!rc) rc = hx_header_decode(&r->header, buf, r->path);
    if (rc) return rc;
    if (r->header.file_length != r->file_size)
        return hx_error(
            HEXZ_ECORRUPT, "%s: archive is %s (expected %llu bytes, found %llu)", r->path,
            r->file_size < r->header.file_length ? "truncated" : "followed by trailing bytes",
            (unsigned long long)r->header.file_length, (unsigned long long)r->file_size);
    return 0;
}

static int check_sections_disjoint(hexz_reader *r)
{
    /* At most 4096 sections: a quadratic check is cheap and obviously right. */
    for (uint32_t i = 0; i < r->header.section_count; i++) {
        const hx_section *a = &r->sections[i];
        if (!hx_range_within(a->offset, a->length, HX_HEADER_LEN, r->header.section_table_offset))
            return hx_error(HEXZ_ECORRUPT, "%s: section %u lies outside the file", r->path,
                            a->type);
        for (uint32_t j = 0; j < i; j++) {
            const hx_section *b = &r->sections[j];
            if (a->length && b->length && a->offset < b->offset + b->length &&
                b->offset < a->offset + a->length)
                return hx_error(HEXZ_ECORRUPT, "%s: sections overlap", r->path);
        }
    }
    return 0;
}

static int read_section_table(hexz_reader *r)
{
    uint32_t n = r->header.section_count;
    size_t len = (size_t)n * HX_SECTION_ENTRY_LEN;
    uint8_t *table = malloc(len);
    r->sections = calloc(n, sizeof *r->sections);
    if (!table || !r->sections) {
        free(table);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    }
    int rc = hx_pread_exact(r, table, len, r->header.section_table_offset);
    if (!rc) {
        uint8_t hbuf[HX_HEADER_LEN], root[HX_HASH_LEN];
        hx_header_encode(&r->header, hbuf);
        hx_root_hash(hbuf, table, n, root);
        if (memcmp(root, r->header.root_hash, HX_HASH_LEN) != 0)
            rc = hx_error(HEXZ_ECORRUPT, "%s: root hash mismatch (section table damaged)", r->path);
    }
    for (uint32_t i = 0; i < n && !rc; i++)
        rc = hx_section_decode(&r->sections[i], table + (size_t)i * HX_SECTION_ENTRY_LEN, r->path);
    free(table);
    if (!rc) rc = check_sections_disjoint(r);
    r->data_end = r->header.section_table_offset;
    for (uint32_t i = 0; i < n && !rc; i++)
        if (r->sections[i].offset < r->data_end) r->data_end = r->sections[i].offset;
    return rc;
}

static int parse_page_dir(hexz_reader *r, hx_rstream *s, const uint8_t *buf, size_t len)
{
    if (len != (size_t)s->desc.page_count * HX_PAGE_DIR_ENTRY_LEN)
        return hx_error(HEXZ_ECORRUPT, "%s: page directory of stream %s has the wrong length",
                        r->path, s->desc.name);
    s->pages = calloc(s->desc.page_count ? s->desc.page_count : 1, sizeof *s->pages);
    if (!s->pages) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    uint64_t next_block = 0;
    for (uint32_t i = 0; i < s->desc.page_count; i++) {
        hx_page_ref *p = &s->pages[i];
        hx_page_ref_decode(p, buf + (size_t)i * HX_PAGE_DIR_ENTRY_LEN);
        int ok = p->entry_count >= 1 && p->entry_count <= r->params.page_entries &&
                 p->page_length == HX_PAGE_HEADER_LEN +
                                       (uint64_t)p->entry_count * HX_BLOCK_ENTRY_LEN +
                                       r->overhead &&
                 hx_range_within(p->page_offset, p->page_length, HX_HEADER_LEN, r->data_end) &&
                 p->first_block == next_block && p->first_logical < s->desc.size &&
                 (i == 0 ? p->first_logical == 0
                         : p->first_logical > s->pages[i - 1].first_logical);
        if (!ok)
            return hx_error(HEXZ_ECORRUPT,
                            "%s: page directory of stream %s is inconsistent at page %u", r->path,
                            s->desc.name, i);
        next_block += p->entry_count;
    }
    if (next_block != s->desc.block_count || (s->desc.size > 0) != (s->desc.page_count > 0))
        return hx_error(HEXZ_ECORRUPT, "%s: page directory of stream %s does not match its size",
                        r->path, s->desc.name);
    return 0;
}

static int parse_manifest_dir(hexz_reader *r, const uint8_t *buf, size_t len);
static int read_signatures(hexz_reader *r);
static int read_bases(hexz_reader *r);
static int read_dictionary(hexz_reader *r);

static const hx_section *find_section(const hexz_reader *r, uint32_t type, uint32_t aux, int *dup)
{
    const hx_section *found = NULL;
    *dup = 0;
    for (uint32_t i = 0; i < r->header.section_count; i++) {
        if (r->sections[i].type != type || r->sections[i].aux != aux) continue;
        if (found) *dup = 1;
        found = &r->sections[i];
    }
    return found;
}

static int load_section(hexz_reader *r, uint32_t type, uint32_t aux, int required, uint64_t limit,
                        uint8_t **out, size_t *len)
{
    int dup;
    const hx_section *s = find_section(r, type, aux, &dup);
    *out = NULL;
    if (dup) return hx_error(HEXZ_ECORRUPT, "%s: section %u appears twice", r->path, type);
    if (!s)
        return required ? hx_error(HEXZ_ECORRUPT, "%s: section %u is missing", r->path, type) : 0;
    *len = s->length;
    int rc = read_section(r, s, limit + (type == HX_SECTION_PARAMS ? 0 : r->overhead), out);
    if (rc || !r->encrypted || type == HX_SECTION_PARAMS || type == HX_SECTION_ENCRYPTION)
        return rc;
    uint8_t *plain;
    rc = hx_reader_unseal(r, *out, s->length, "hexz-section-v1", type, aux, &plain, "section");
    free(*out);
    *out = plain;
    *len = s->length - HX_AEAD_OVERHEAD;
    return rc;
}

static int check_unknown_sections(hexz_reader *r)
{
    for (uint32_t i = 0; i < r->header.section_count; i++) {
        const hx_section *s = &r->sections[i];
        int known = s->type >= HX_SECTION_PARAMS && s->type <= HX_SECTION_LAST_KNOWN;
        /* The flags and `aux` of every entry were checked as the table was decoded
         * (hx_section_decode); what needs the rest of the archive is checked here. */
        if (!known && (s->flags & HX_SECTION_CRITICAL))
            return hx_error(HEXZ_EUNSUPPORTED,
                            "%s: archive needs section type %u, unknown to this hexz", r->path,
                            s->type);
        if (s->type == HX_SECTION_PAGE_DIR && s->aux >= r->stream_count)
            return hx_error(HEXZ_ECORRUPT, "%s: page directory for a stream that does not exist",
                            r->path);
    }
    return 0;
}

static int read_sections(hexz_reader *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = load_section(r, HX_SECTION_PARAMS, 0, 1, HX_PARAMS_LEN, &buf, &len);
    if (!rc) rc = hx_params_decode(&r->params, buf, len, r->path);
    free(buf);
    buf = NULL;
    if (!rc) rc = load_section(r, HX_SECTION_STREAMS, 0, 1, 1u << 20, &buf, &len);
    hx_stream_desc *descs = NULL;
    if (!rc) rc = hx_streams_decode(&descs, &r->stream_count, buf, len, r->path);
    free(buf);
    buf = NULL;
    if (rc) return rc;
    r->streams = calloc(r->stream_count, sizeof *r->streams);
    if (!r->streams) rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    for (uint32_t i = 0; i < r->stream_count && !rc; i++) {
        r->streams[i].desc = descs[i];
        uint64_t limit = (uint64_t)descs[i].page_count * HX_PAGE_DIR_ENTRY_LEN;
        rc = load_section(r, HX_SECTION_PAGE_DIR, i, 1, limit, &buf, &len);
        if (!rc) rc = parse_page_dir(r, &r->streams[i], buf, len);
        free(buf);
        buf = NULL;
    }
    free(descs);
    if (!rc) rc = check_unknown_sections(r);
    if (!rc) rc = load_section(r, HX_SECTION_MANIFEST_DIR, 0, 0, r->file_size, &buf, &len);
    if (!rc && buf) rc = parse_manifest_dir(r, buf, len);
    free(buf);
    buf = NULL;
    if (!rc) rc = read_signatures(r);
    if (!rc) rc = read_bases(r);
    if (!rc) rc = read_dictionary(r);
    return rc;
}

static int read_dictionary(hexz_reader *r)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = load_section(r, HX_SECTION_DICTIONARY, 0, 0, HX_DICTIONARY_MAX, &buf, &len);
    if (!rc && buf) {
        rc = hx_codec_dict_create(&r->dict, buf, len, r->params.level);
        if (rc) rc = hx_error(HEXZ_ECORRUPT, "%s: %s", r->path, hexz_last_error());
    }
    free(buf);
    return rc;
}

/* A thin archive names its base in a BASES section; the feature bit and the section go
 * together. */
static int read_bases(hexz_reader *r)
{
    int thin = (r->header.required_features & HX_FEATURE_THIN) != 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = load_section(r, HX_SECTION_BASES, 0, thin,
                          4 + HX_ARCHIVE_ID_LEN + HX_HASH_LEN + 2 + HX_PATH_MAX, &buf, &len);
    if (!rc && buf && !thin)
        rc = hx_error(HEXZ_ECORRUPT, "%s: bases section in an archive not marked thin", r->path);
    if (!rc && thin) {
        rc = hx_bases_decode(&r->base_ref, buf, len, r->path);
        r->thin = !rc;
    }
    free(buf);
    return rc;
}

static int mdir_record(hexz_reader *r, hx_mpage_ref *m, const uint8_t *buf, size_t len, size_t *pos)
{
    const size_t fixed = 8 + 4 + 4 + 8 + HX_HASH_LEN + 2;
    if (*pos + fixed > len)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest directory truncated", r->path);
    const uint8_t *p = buf + *pos;
    m->page_offset = hx_get64(p);
    m->page_length = hx_get32(p + 8);
    m->entry_count = hx_get32(p + 12);
    m->first_index = hx_get64(p + 16);
    memcpy(m->hash, p + 24, HX_HASH_LEN);
    m->first_path_length = hx_get16(p + 24 + HX_HASH_LEN);
    *pos += fixed;
    if (*pos + m->first_path_length > len)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest directory truncated", r->path);
    m->first_path = malloc((size_t)m->first_path_length + 1);
    if (!m->first_path) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    memcpy(m->first_path, buf + *pos, m->first_path_length);
    m->first_path[m->first_path_length] = '\0';
    *pos += m->first_path_length;
    if (!hx_path_valid(m->first_path, m->first_path_length) || m->entry_count == 0 ||
        m->entry_count > HX_MANIFEST_PAGE_ENTRIES_LIMIT || m->page_length > HX_MANIFEST_PAGE_MAX ||
        !hx_range_within(m->page_offset, m->page_length, HX_HEADER_LEN, r->data_end))
        return hx_error(HEXZ_ECORRUPT, "%s: manifest directory entry is invalid", r->path);
    return 0;
}

static int parse_manifest_dir(hexz_reader *r, const uint8_t *buf, size_t len)
{
    if (len < 12) return hx_error(HEXZ_ECORRUPT, "%s: manifest directory truncated", r->path);
    r->file_count = hx_get64(buf);
    uint32_t n = hx_get32(buf + 8);
    r->has_tree = 1;
    if (n == 0 && r->file_count == 0 && len == 12) return 0; /* an empty tree */
    if (n == 0 || n > len / 58 || r->file_count < n)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest directory has a bad page count", r->path);
    r->mpages = calloc(n, sizeof *r->mpages);
    if (!r->mpages) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    r->mpage_count = n;
    size_t pos = 12;
    uint64_t next = 0;
    for (uint32_t i = 0; i < n; i++) {
        hx_mpage_ref *m = &r->mpages[i];
        int rc = mdir_record(r, m, buf, len, &pos);
        if (rc) return rc;
        if (m->first_index != next ||
            (i > 0 &&
             hx_path_compare(r->mpages[i - 1].first_path, r->mpages[i - 1].first_path_length,
                             m->first_path, m->first_path_length) >= 0))
            return hx_error(HEXZ_ECORRUPT, "%s: manifest directory out of order", r->path);
        next += m->entry_count;
    }
    if (pos != len || next != r->file_count)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest directory does not add up", r->path);
    return 0;
}

static int read_signatures(hexz_reader *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->header.section_count; i++)
        if (r->sections[i].type == HX_SECTION_SIGNATURE) n++;
    if (n == 0) return 0;
    if (n > HX_SIGNATURE_MAX_COUNT)
        return hx_error(HEXZ_ECORRUPT, "%s: too many signatures (%u)", r->path, n);
    r->signatures = calloc(n, sizeof *r->signatures);
    if (!r->signatures) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    for (uint32_t i = 0; i < r->header.section_count; i++) {
        const hx_section *s = &r->sections[i];
        if (s->type != HX_SECTION_SIGNATURE) continue;
        uint8_t *buf;
        int rc = read_section(r, s, HX_SIG_FIXED_LEN + HX_SIG_COMMENT_MAX, &buf);
        if (rc) return rc;
        rc = hx_signature_decode(&r->signatures[r->signature_count], buf, s->length, r->path);
        free(buf);
        if (rc) return rc;
        r->signature_count++;
    }
    return 0;
}

/* An encrypted archive: unwrap the data key with the password and derive the subkeys. Must run
 * before any sealed section is read. */
static int setup_encryption(hexz_reader *r, const hx_open_ctx *ctx)
{
    const char *password = ctx->password;
    int enc = (r->header.required_features & HX_FEATURE_ENCRYPTED) != 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = load_section(r, HX_SECTION_ENCRYPTION, 0, enc, HX_KEY_RECORD_LEN, &buf, &len);
    if (rc || !enc) {
        if (!rc && buf)
            rc = hx_error(HEXZ_ECORRUPT, "%s: key record in an archive not marked encrypted",
                          r->path);
        free(buf);
        return rc;
    }
    hx_key_record rec;
    rc = hx_key_record_decode(&rec, buf, len, r->path);
    free(buf);
    if (!rc) rc = hx_key_record_check_cost(&rec, ctx->max_kdf_memory, ctx->max_kdf_ops, r->path);
    if (rc) return rc;
    if (!password || !*password)
        return hx_error(HEXZ_EPASSWORD, "%s: archive is encrypted; a password is needed", r->path);
    uint8_t data_key[HX_KEY_LEN];
    rc = hx_key_record_unwrap(&rec, password, r->header.archive_id, data_key, r->path);
    if (rc) return rc;
    hx_keys_derive(&r->keys, data_key);
    hx_wipe(data_key, sizeof data_key);
    r->encrypted = 1;
    r->overhead = HX_AEAD_OVERHEAD;
    return 0;
}

void hexz_reader_set_threads(hexz_reader *r, unsigned threads)
{
    if (!r) return;
    pthread_mutex_lock(&r->prefetch_lock);
    if (!r->prefetch) r->threads = threads ? threads : 1;
    pthread_mutex_unlock(&r->prefetch_lock);
}

static int init_runtime(hexz_reader *r)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    r->threads = cpus > 8 ? 8 : cpus > 1 ? (unsigned)cpus : 1;
    pthread_mutex_init(&r->prefetch_lock, NULL);
    if (hx_cache_init(&r->pages, HX_PAGE_CACHE_BYTES) ||
        hx_cache_init(&r->blocks, HX_BLOCK_CACHE_BYTES) ||
        hx_cache_init(&r->mpages_cache, HX_MANIFEST_CACHE_BYTES) ||
        pthread_mutex_init(&r->codecs.lock, NULL) != 0)
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    return 0;
}

static int open_with(hexz_reader **out, const hexz_backend *backend, int fd, const char *path,
                     const hx_open_ctx *ctx, int custom);

int hexz_reader_open(hexz_reader **out, const char *path)
{
    return hexz_reader_open_password(out, path, NULL);
}

int hexz_reader_is_encrypted(const hexz_reader *r)
{
    return r ? r->encrypted : 0;
}

int hexz_reader_open_password(hexz_reader **out, const char *path, const char *password)
{
    hx_open_ctx ctx = {.password = password};
    return hx_reader_open_ex(out, path, &ctx);
}

/* Where each version of the open and remote options ends (common/versioned.h). */
static const size_t open_options_ends[] = {HX_FIELD_END(hexz_open_options, signatures_only),
                                           HX_FIELD_END(hexz_open_options, max_kdf_ops),
                                           sizeof(hexz_open_options)};
static const size_t remote_options_ends[] = {sizeof(hexz_remote_options)};

int hx_open_options_take(hx_open_ctx *ctx, hexz_remote_options *remote,
                         const hexz_open_options *opts, const char *name)
{
    hexz_open_options o = HEXZ_OPEN_OPTIONS_INIT;
    int rc = hx_options_take(&o, opts, open_options_ends, HEXZ_OPEN_OPTIONS_VERSION, name,
                             "open options");
    if (rc) return rc;
    memset(ctx, 0, sizeof *ctx);
    ctx->password = o.password;
    ctx->base_dir = o.base_dir;
    ctx->structure_only = o.signatures_only;
    ctx->max_kdf_memory = o.max_kdf_memory;
    ctx->max_kdf_ops = o.max_kdf_ops;
    if (o.remote) {
        hexz_remote_options def = HEXZ_REMOTE_OPTIONS_INIT;
        *remote = def;
        rc = hx_options_take(remote, o.remote, remote_options_ends, HEXZ_REMOTE_OPTIONS_VERSION,
                             name, "remote options");
        if (rc) return rc;
        ctx->remote = remote;
    }
    return 0;
}

int hexz_reader_open_opts(hexz_reader **out, const char *path, const hexz_open_options *opts)
{
    hx_open_ctx ctx;
    hexz_remote_options remote;
    int rc = hx_open_options_take(&ctx, &remote, opts, path ? path : "(null)");
    if (rc) return rc;
    return hx_reader_open_ex(out, path, &ctx);
}

int hx_reader_open_ex(hexz_reader **out, const char *path, const hx_open_ctx *ctx)
{
    int missing;
    return hx_reader_try_open(out, path, ctx, &missing);
}

int hx_reader_try_open(hexz_reader **out, const char *path, const hx_open_ctx *ctx, int *missing)
{
    *missing = 0;
    if (!out || !path) return hx_error(HEXZ_EINVAL, "hexz_reader_open: NULL argument");
    hexz_backend b;
    int fd;
    int rc = hx_store_open_with(&b, path, &fd, ctx->remote);
    if (rc) {
        *missing = rc == HEXZ_ENOTFOUND;
        return rc;
    }
    return open_with(out, &b, fd, path, ctx, 0);
}

/* Copies the caller's backend into *dst, reading only the members its version defines (the
 * caller's struct may be an older, smaller one), after checking it. On failure the backend is
 * closed, as the open functions promise: its ctx is ours from the call on. Version 0 is
 * closed too, through the members every version has. */
static int take_backend(hexz_backend *dst, const hexz_backend *src, const char *name)
{
    int rc = 0;
    if (src->version < 1)
        rc = hx_error(HEXZ_EINVAL, "%s: backend version %u is not 1..%u", name, src->version,
                      HEXZ_BACKEND_VERSION);
    else if (src->version > HEXZ_BACKEND_VERSION)
        rc = hx_error(HEXZ_EUNSUPPORTED, "%s: backend version %u is newer than this library's (%u)",
                      name, src->version, HEXZ_BACKEND_VERSION);
    else if (!src->read_at) rc = hx_error(HEXZ_EINVAL, "%s: backend has no read_at", name);
    if (rc) {
        if (src->close) src->close(src->ctx);
        return rc;
    }
    memset(dst, 0, sizeof *dst);
    memcpy(dst, src, src->version == 1 ? HX_FIELD_END(hexz_backend, close) : sizeof *dst);
    return 0;
}

int hx_reader_open_backend(hexz_reader **out, const hexz_backend *backend, const char *name,
                           const hx_open_ctx *ctx)
{
    hexz_backend b;
    int rc = take_backend(&b, backend, name);
    return rc ? rc : open_with(out, &b, -1, name, ctx, 1);
}

int hexz_reader_open_backend_opts(hexz_reader **out, const hexz_backend *backend, const char *name,
                                  const hexz_open_options *opts)
{
    if (!out || !backend || !name) {
        if (backend && backend->close) backend->close(backend->ctx);
        return hx_error(HEXZ_EINVAL, "hexz_reader_open_backend: NULL argument");
    }
    hx_open_ctx ctx;
    hexz_remote_options remote;
    int rc = hx_open_options_take(&ctx, &remote, opts, name);
    if (rc) {
        if (backend->close) backend->close(backend->ctx);
        return rc;
    }
    return hx_reader_open_backend(out, backend, name, &ctx);
}

int hexz_reader_open_backend(hexz_reader **out, const hexz_backend *backend, const char *name,
                             const char *password)
{
    hexz_open_options o = {.version = 1, .password = password};
    return hexz_reader_open_backend_opts(out, backend, name, &o);
}

/* `custom`: the backend is the caller's (hexz_backend.h), so bases are found through its
 * open_sibling rather than by path. */
static int open_with(hexz_reader **out, const hexz_backend *backend, int fd, const char *path,
                     const hx_open_ctx *ctx, int custom)
{
    hexz_reader *r = calloc(1, sizeof *r);
    if (!r) {
        if (backend->close) backend->close(backend->ctx);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", path);
    }
    r->backend = *backend;
    r->fd = fd;
    r->custom = custom;
    r->depth = ctx->depth;
    r->path = strdup(path);
    int rc = r->path ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", path);
    if (!rc) rc = init_runtime(r);
    if (!rc) rc = read_header(r);
    if (!rc) rc = read_section_table(r);
    int sealed = (r->header.required_features & HX_FEATURE_ENCRYPTED) && !ctx->password;
    if (ctx->structure_only && sealed) {
        /* Only what needs no key: the table is checked against the root hash; signatures. */
        if (!rc) rc = read_signatures(r);
    } else {
        if (!rc) rc = setup_encryption(r, ctx);
        if (!rc) rc = read_sections(r);
        if (!rc && !ctx->structure_only)
            rc = hx_open_base(r, ctx, hx_reader_try_open, hx_reader_open_backend);
    }
    if (rc) {
        hexz_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void hexz_reader_free(hexz_reader *r)
{
    if (!r) return;
    hx_prefetcher_free(r->prefetch); /* its threads use the caches and the base */
    hexz_reader_free(r->base);
    if (r->backend.close) r->backend.close(r->backend.ctx);
    for (uint32_t i = 0; r->streams && i < r->stream_count; i++) free(r->streams[i].pages);
    free(r->streams);
    for (uint32_t i = 0; r->mpages && i < r->mpage_count; i++) free(r->mpages[i].first_path);
    free(r->mpages);
    free(r->sections);
    free(r->signatures);
    hx_wipe(&r->keys, sizeof r->keys);
    hx_cache_destroy(&r->pages);
    hx_cache_destroy(&r->blocks);
    hx_cache_destroy(&r->mpages_cache);
    for (size_t i = 0; i < r->codecs.count; i++) hx_codec_ctx_free(r->codecs.free_ctx[i]);
    free(r->codecs.free_ctx);
    pthread_mutex_destroy(&r->codecs.lock);
    hx_codec_dict_free(r->dict);
    pthread_mutex_destroy(&r->prefetch_lock);
    free(r->path);
    free(r);
}

unsigned hexz_reader_stream_count(const hexz_reader *r)
{
    return r ? r->stream_count : 0;
}

int hexz_reader_stream_info(const hexz_reader *r, unsigned stream, hexz_stream_info *out)
{
    if (!r || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_stream_info: NULL argument");
    if (stream >= r->stream_count)
        return hx_error(HEXZ_ERANGE, "%s: no stream %u (the archive has %u)", r->path, stream,
                        r->stream_count);
    static const size_t ends[] = {sizeof(hexz_stream_info)}; /* common/versioned.h */
    const hx_stream_desc *d = &r->streams[stream].desc;
    hexz_stream_info full;
    memset(&full, 0, sizeof full);
    strcpy(full.name, d->name);
    full.size = d->size;
    full.block_count = d->block_count;
    return hx_info_give(out, &full, ends, HEXZ_STREAM_INFO_VERSION, r->path, "stream info");
}

int hexz_reader_find_stream(const hexz_reader *r, const char *name, unsigned *out)
{
    if (!r || !name || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_find_stream: NULL argument");
    for (uint32_t i = 0; i < r->stream_count; i++) {
        if (strcmp(r->streams[i].desc.name, name) == 0) {
            *out = i;
            return 0;
        }
    }
    return hx_error(HEXZ_ENOTFOUND, "%s: no stream named %s", r->path, name);
}

uint64_t hexz_reader_file_count(const hexz_reader *r)
{
    return r ? r->file_count : 0;
}

int hexz_reader_has_file_tree(const hexz_reader *r)
{
    return r ? r->has_tree : 0;
}

void hexz_reader_set_cache_size(hexz_reader *r, size_t bytes)
{
    if (r) hx_cache_set_capacity(&r->blocks, bytes);
}
