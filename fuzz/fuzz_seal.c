/*
 * fuzz_seal.c - see fuzz_util.h: encrypted archives in "open form" for fuzz_encrypted.
 *
 * A mutation of ciphertext only ever reaches the first tag check, so fuzz_encrypted mutates an
 * image in which every sealed object holds its plaintext, and seals it just before opening. The
 * walk follows docs/FORMAT.md §12: sealed are every section but PARAMS, SIGNATURE and
 * ENCRYPTION (associated data: section type, aux), the index pages that each PAGE_DIR section
 * lists (stream = the section's aux, page = the entry's position), the manifest pages that the
 * MANIFEST_DIR section lists (page = position), and every stored block an index page names
 * (codec, logical length, content hash). Children are sealed before the structures that hold
 * their hashes, and those before the section hashes, the root hash and the header checksum.
 * Anything that does not parse is left alone: the reader is the one to refuse it.
 *
 * Test-only code: the data key is a constant, and the key record is rebuilt for each archive id.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "crypto/aead.h"
#include "format/format.h"
#include "fuzz_util.h"
#include "hash/hash.h"
#include "hexz.h"

/* Blocks bigger than this keep the content hash they have: decoding them would slow fuzzing. */
#define SEAL_BLOCK_CAP (1u << 20)

static const uint8_t fixed_data_key[HX_KEY_LEN] = "hexz-fuzz-fixed-data-key-32byte";

static const hx_keys *fixed_keys(void)
{
    static hx_keys k;
    static int done;
    if (!done) {
        hx_keys_derive(&k, fixed_data_key);
        done = 1;
    }
    return &k;
}

const uint8_t *fz_seal_hash_key(void)
{
    return fixed_keys()->hash;
}

/* The two calls that depend on the key record's encoding, in one place. */
static int make_key_record(const uint8_t archive_id[16], uint8_t out[HX_KEY_RECORD_LEN])
{
    /* One Argon2id per archive id (the fuzzer rarely changes it): cheap at the minimal cost,
     * but still the most expensive step of an execution. */
    static uint8_t last_id[16], last_rec[HX_KEY_RECORD_LEN];
    static int have;
    if (!have || memcmp(last_id, archive_id, 16) != 0) {
        hx_key_record rec;
        if (hx_key_record_wrap(&rec, fixed_data_key, FZ_PASSWORD, HEXZ_KDF_MINIMAL, archive_id) !=
            0)
            return -1;
        hx_key_record_encode(&rec, last_rec);
        memcpy(last_id, archive_id, 16);
        have = 1;
    }
    memcpy(out, last_rec, HX_KEY_RECORD_LEN);
    return 0;
}

static int read_data_key(const uint8_t *rec_bytes, size_t len, const char *password,
                         const uint8_t archive_id[16], uint8_t key[HX_KEY_LEN])
{
    hx_key_record rec;
    if (hx_key_record_decode(&rec, rec_bytes, len, "seed") != 0) return -1;
    return hx_key_record_unwrap(&rec, password, archive_id, key, "seed") == 0 ? 0 : -1;
}

/* ---- walking the image ------------------------------------------------------------------------ */

typedef struct {
    uint64_t offset;
    uint8_t content_hash[HX_HASH_LEN];
} done_block;

typedef struct {
    uint8_t *img;
    size_t size;
    const uint8_t *id; /* the header's archive id */
    const hx_keys *keys;
    int sealing;      /* 1: open form -> sealed; 0: sealed -> open form */
    int failed;       /* unsealing: an object did not decrypt */
    done_block *done; /* blocks already handled (dedup shares them) */
    size_t done_n, done_cap;
    hx_codec_ctx *codec; /* decodes blocks for their content hash; with the dictionary if any */
    hx_codec_dict *dict;
    uint8_t *scratch;
} walk;

static int in_image(const walk *w, uint64_t off, uint64_t len)
{
    return hx_range_within(off, len, 0, w->size);
}

/* Seals or opens one object of `len` stored bytes in place. */
static void seal_object(walk *w, uint8_t *obj, size_t len, const uint8_t *ad, size_t ad_len,
                        const uint8_t *key, const uint8_t *nonce)
{
    if (len < HX_AEAD_OVERHEAD) return;
    size_t plain = len - HX_AEAD_OVERHEAD;
    if (w->sealing) {
        /* Metadata keeps the nonce its open form holds (deterministic, unlike the writer's
         * random ones); blocks get theirs from the content hash, as the writer does. */
        uint8_t own[HX_AEAD_NONCE_LEN];
        memcpy(own, nonce ? nonce : obj, HX_AEAD_NONCE_LEN);
        /* In place: libsodium allows the ciphertext to start where the message does. */
        hx_seal(obj, obj + HX_AEAD_NONCE_LEN, plain, ad, ad_len, own, key);
        return;
    }
    uint8_t *tmp = malloc(plain + 1);
    FZ_ASSERT(tmp != NULL);
    if (hx_open(tmp, obj, len, ad, ad_len, key) == 0) memcpy(obj + HX_AEAD_NONCE_LEN, tmp, plain);
    else w->failed = 1;
    free(tmp);
    /* The writer's random nonces and the tags mean nothing in open form: zeros keep the seeds
     * that gen_corpus writes the same from run to run. */
    memset(obj, 0, HX_AEAD_NONCE_LEN);
    memset(obj + len - HX_AEAD_TAG_LEN, 0, HX_AEAD_TAG_LEN);
}

static void seal_meta(walk *w, uint8_t *obj, size_t len, const char *domain, uint32_t a, uint32_t b)
{
    uint8_t ad[HX_AD_MAX];
    size_t ad_len = hx_ad(ad, domain, w->id, a, b, NULL);
    seal_object(w, obj, len, ad, ad_len, w->keys->meta, NULL);
}

/* The earlier entry for the block at `off`, or NULL after recording this one. */
static done_block *seen_block(walk *w, uint64_t off)
{
    for (size_t i = 0; i < w->done_n; i++)
        if (w->done[i].offset == off) return &w->done[i];
    if (w->done_n == w->done_cap) {
        size_t cap = w->done_cap ? w->done_cap * 2 : 64;
        done_block *p = realloc(w->done, cap * sizeof *p);
        FZ_ASSERT(p != NULL);
        w->done = p;
        w->done_cap = cap;
    }
    w->done[w->done_n++].offset = off;
    return NULL;
}

/* Sets the content hash of entry `e` to the fixed key's keyed BLAKE3 of its block's logical
 * bytes, decoded from the open form at `stored`; leaves it alone when the block does not decode
 * (or is too big to be worth it): the reader is then the one to refuse it. */
static void rehash_block(walk *w, uint8_t *e, const uint8_t *stored)
{
    uint32_t llen = hx_get32(e + 16), slen = hx_get32(e + 20);
    if (llen == 0 || llen > SEAL_BLOCK_CAP || !hx_codec_valid(e[25]) || !w->codec) return;
    if (hx_codec_decompress(w->codec, e[25], stored + HX_AEAD_NONCE_LEN, slen - HX_AEAD_OVERHEAD,
                            w->scratch, llen) == 0)
        hx_hash_keyed(fixed_keys()->hash, w->scratch, llen, e + 40);
}

/* One 72-byte block entry (in the clear): its stored block, and its checksum and content hash. */
static void seal_block(walk *w, uint8_t *e)
{
    if (e[24] != HX_BLOCK_STORED) return;
    uint64_t off = hx_get64(e + 8);
    uint32_t llen = hx_get32(e + 16), slen = hx_get32(e + 20);
    uint8_t codec = e[25];
    if (!in_image(w, off, slen) || slen < HX_AEAD_OVERHEAD) return;
    uint8_t *stored = w->img + off;
    done_block *first = seen_block(w, off);
    if (first) {
        /* A second reference (dedup): the block is already sealed; take its checksum and the
         * content hash it was sealed with. */
        hx_put64(e + 32, hx_checksum64(stored, slen));
        memcpy(e + 40, first->content_hash, HX_HASH_LEN);
        return;
    }
    size_t slot = w->done_n - 1;
    if (w->sealing) rehash_block(w, e, stored);
    uint8_t ad[HX_AD_MAX], nonce[HX_AEAD_NONCE_LEN];
    size_t ad_len = hx_ad(ad, "hexz-block-v1", w->id, codec, llen, e + 40);
    hx_block_nonce(w->keys, e + 40, nonce);
    seal_object(w, stored, slen, ad, ad_len, w->keys->block, nonce);
    if (!w->sealing) rehash_block(w, e, stored); /* the seed's was keyed by its random data key */
    hx_put64(e + 32, hx_checksum64(stored, slen));
    memcpy(w->done[slot].content_hash, e + 40, HX_HASH_LEN);
}

/* A PAGE_DIR section's plaintext: each index page, and the blocks its entries name. */
static void walk_page_dir(walk *w, uint8_t *dir, uint64_t len, uint32_t stream)
{
    uint32_t index = 0;
    for (uint64_t pos = 0; pos + HX_PAGE_DIR_ENTRY_LEN <= len;
         pos += HX_PAGE_DIR_ENTRY_LEN, index++) {
        uint8_t *ref = dir + pos;
        uint64_t poff = hx_get64(ref + 16);
        uint32_t plen = hx_get32(ref + 24);
        if (!in_image(w, poff, plen) || plen < HX_PAGE_HEADER_LEN + HX_AEAD_OVERHEAD) continue;
        uint8_t *page = w->img + poff;
        if (!w->sealing) seal_meta(w, page, plen, "hexz-index-v1", stream, index);
        uint8_t *entries = page + HX_AEAD_NONCE_LEN + HX_PAGE_HEADER_LEN;
        uint64_t n = (plen - HX_AEAD_OVERHEAD - HX_PAGE_HEADER_LEN) / HX_BLOCK_ENTRY_LEN;
        for (uint64_t i = 0; i < n; i++) seal_block(w, entries + i * HX_BLOCK_ENTRY_LEN);
        if (w->sealing) seal_meta(w, page, plen, "hexz-index-v1", stream, index);
        hx_hash(page, plen, ref + 32);
    }
}

/* A MANIFEST_DIR section's plaintext (layout as in fuzz_util.c's fix_manifest_dir). */
static void walk_manifest_dir(walk *w, uint8_t *dir, uint64_t len)
{
    const uint64_t fixed = 8 + 4 + 4 + 8 + HX_HASH_LEN + 2;
    uint32_t index = 0;
    for (uint64_t pos = 12; pos + fixed <= len; index++) {
        uint8_t *rec = dir + pos;
        uint64_t poff = hx_get64(rec);
        uint32_t plen = hx_get32(rec + 8);
        if (in_image(w, poff, plen)) {
            seal_meta(w, w->img + poff, plen, "hexz-manifest-v1", index, 0);
            hx_hash(w->img + poff, plen, rec + 24);
        }
        pos += fixed + hx_get16(rec + 24 + HX_HASH_LEN);
    }
}

static int sealed_type(uint32_t type)
{
    return type != HX_SECTION_PARAMS && type != HX_SECTION_SIGNATURE &&
           type != HX_SECTION_ENCRYPTION;
}

/* The section table, or NULL when the header does not locate a plausible one. */
static uint8_t *section_table(const walk *w, uint32_t *count)
{
    if (w->size < HX_HEADER_LEN || memcmp(w->img, HX_MAGIC, HX_MAGIC_LEN) != 0) return NULL;
    uint64_t sto = hx_get64(w->img + 48);
    *count = hx_get32(w->img + 56);
    if (*count < 1 || *count > HX_SECTION_MAX_COUNT || sto < HX_HEADER_LEN ||
        !in_image(w, sto, (uint64_t)*count * HX_SECTION_ENTRY_LEN))
        return NULL;
    return w->img + sto;
}

/* The codec context that rehash_block() decodes with, given the DICTIONARY section's bytes in
 * the clear (unsealing: opened first), so that blocks of codec zstd+dict decode too. */
static void setup_codec(walk *w, uint8_t *table, uint32_t count)
{
    w->scratch = malloc(SEAL_BLOCK_CAP);
    if (!w->scratch || hx_codec_ctx_create(&w->codec, HX_CODEC_NONE, 0) != 0) {
        w->codec = NULL;
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
        if (hx_get32(e) != HX_SECTION_DICTIONARY || !in_image(w, off, len) ||
            len <= HX_AEAD_OVERHEAD)
            continue;
        if (!w->sealing)
            seal_meta(w, w->img + off, len, "hexz-section-v1", HX_SECTION_DICTIONARY,
                      hx_get32(e + 24));
        if (!w->dict && hx_codec_dict_create(&w->dict, w->img + off + HX_AEAD_NONCE_LEN,
                                             len - HX_AEAD_OVERHEAD, 0) == 0)
            hx_codec_ctx_set_dict(w->codec, w->dict);
    }
}

static void walk_sections(walk *w, uint8_t *table, uint32_t count)
{
    for (int pass = 0; pass < 2; pass++) {
        /* Unsealing opens each section before reading what it lists; sealing seals children
         * first (pass 0) and the sections themselves after (pass 1). */
        for (uint32_t i = 0; i < count; i++) {
            uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
            uint32_t type = hx_get32(e), aux = hx_get32(e + 24);
            uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
            if (!in_image(w, off, len) || !sealed_type(type) || len < HX_AEAD_OVERHEAD) continue;
            /* Unsealing opened the dictionary already (setup_codec). */
            if (!w->sealing && type == HX_SECTION_DICTIONARY && len > HX_AEAD_OVERHEAD) continue;
            uint8_t *sec = w->img + off;
            if ((pass == 0) == !w->sealing) seal_meta(w, sec, len, "hexz-section-v1", type, aux);
            if (pass == 1) continue;
            uint8_t *plain = sec + HX_AEAD_NONCE_LEN;
            uint64_t plen = len - HX_AEAD_OVERHEAD;
            if (type == HX_SECTION_PAGE_DIR) walk_page_dir(w, plain, plen, aux);
            if (type == HX_SECTION_MANIFEST_DIR) walk_manifest_dir(w, plain, plen);
        }
    }
}

static uint8_t *find_key_record(const walk *w, const uint8_t *table, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
        if (hx_get32(e) == HX_SECTION_ENCRYPTION && len == HX_KEY_RECORD_LEN &&
            in_image(w, off, len))
            return w->img + off;
    }
    return NULL;
}

/* Section hashes, the root hash and the header checksum, over the image as it now is. */
static void rehash_top(walk *w, uint8_t *table, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
        if (in_image(w, off, len)) hx_hash(w->img + off, len, e + 32);
    }
    hx_root_hash(w->img, table, count, w->img + 64);
    hx_put64(w->img + HX_HEADER_CHECKSUM_OFF, hx_checksum64(w->img, HX_HEADER_CHECKSUM_OFF));
}

static void walk_free(walk *w)
{
    free(w->done);
    hx_codec_ctx_free(w->codec);
    hx_codec_dict_free(w->dict);
    free(w->scratch);
}

int fz_unseal_archive(uint8_t *img, size_t size, const char *password)
{
    walk w = {.img = img, .size = size, .sealing = 0};
    uint32_t count;
    uint8_t *table = section_table(&w, &count);
    if (!table) return -1;
    w.id = img + 32;
    uint8_t *rec = find_key_record(&w, table, count);
    uint8_t key[HX_KEY_LEN];
    if (!rec || read_data_key(rec, HX_KEY_RECORD_LEN, password, w.id, key) != 0) return -1;
    hx_keys keys;
    hx_keys_derive(&keys, key);
    w.keys = &keys;
    setup_codec(&w, table, count);
    walk_sections(&w, table, count);
    walk_free(&w);
    hx_wipe(key, sizeof key);
    /* Salt, nonce and wrapped key are random and replaced by fz_seal_archive(): zeros. And the
     * hashes over the open form, so that the same build writes the same seeds. */
    memset(rec + 24, 0, HX_KEY_RECORD_LEN - 24);
    rehash_top(&w, table, count);
    return w.failed ? -1 : 0;
}

int fz_seal_archive(uint8_t *img, size_t size)
{
    walk w = {.img = img, .size = size, .sealing = 1, .keys = fixed_keys()};
    uint32_t count;
    uint8_t *table = section_table(&w, &count);
    if (!table) return 0;
    w.id = img + 32;
    uint8_t *rec = find_key_record(&w, table, count);
    if (rec) make_key_record(w.id, rec);
    setup_codec(&w, table, count);
    walk_sections(&w, table, count);
    rehash_top(&w, table, count);
    walk_free(&w);
    return 1;
}
