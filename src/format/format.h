/*
 * format.h - the on-disk structures of docs/FORMAT.md as C values, with their encoders and
 * decoders.
 *
 * This module is the only place that knows byte offsets. Encoders write a structure field by
 * field into a caller buffer of the documented size; decoders read one back and check every rule
 * that can be checked from the structure alone (magic, reserved fields, value ranges), returning
 * HEXZ_ECORRUPT with a message that says which rule broke. Rules that need context (bounds
 * against the file, order between pages) are checked by the reader.
 */
#ifndef HX_FORMAT_H
#define HX_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "hash/hash.h"
#include "hexz.h"

/* ---- Constants (mirrors of docs/FORMAT.md) -------------------------------------------------- */

#define HX_MAGIC "\x89HXZ\r\n\x1a\n"
#define HX_MAGIC_LEN 8
#define HX_FORMAT_MAJOR 1
#define HX_FORMAT_MINOR 5
#define HX_HEADER_LEN 128
#define HX_HEADER_CHECKSUM_OFF 120
#define HX_ARCHIVE_ID_LEN 16

#define HX_SECTION_ENTRY_LEN 64
#define HX_SECTION_MAX_COUNT 4096
#define HX_SECTION_CRITICAL 1u
#define HX_SECTION_OUTSIDE_ROOT 2u
#define HX_SECTION_KNOWN_FLAGS (HX_SECTION_CRITICAL | HX_SECTION_OUTSIDE_ROOT)

enum {
    HX_SECTION_PARAMS = 1,
    HX_SECTION_STREAMS = 2,
    HX_SECTION_PAGE_DIR = 3,
    HX_SECTION_MANIFEST_DIR = 4,
    HX_SECTION_SIGNATURE = 5,
    HX_SECTION_ENCRYPTION = 6,
    HX_SECTION_BASES = 7,
    HX_SECTION_DICTIONARY = 8
};
#define HX_SECTION_LAST_KNOWN HX_SECTION_DICTIONARY
#define HX_DICTIONARY_MAX (1u << 20)

/* Required feature bits (header). */
#define HX_FEATURE_ENCRYPTED 1ull
#define HX_FEATURE_THIN 2ull
#define HX_FEATURES_KNOWN (HX_FEATURE_ENCRYPTED | HX_FEATURE_THIN)

/* Thin archives: how deep a chain of bases may go. */
#define HX_BASE_DEPTH_MAX 16
#define HX_SIGNATURE_MAX_COUNT 256

#define HX_PARAMS_LEN 64
#define HX_STREAM_MAX_COUNT 1024
#define HX_STREAM_NAME_MAX 255

#define HX_PAGE_DIR_ENTRY_LEN 64
#define HX_PAGE_HEADER_LEN 32
#define HX_BLOCK_ENTRY_LEN 72
#define HX_PAGE_MAGIC "HXIP"
#define HX_PAGE_ENTRIES_DEFAULT 1024
#define HX_PAGE_ENTRIES_LIMIT 65536

#define HX_BLOCK_HOLE 0
#define HX_BLOCK_STORED 1
#define HX_BLOCK_BASE 2 /* the bytes are in the base archive (FORMAT.md §13) */
#define HX_HOLE_MAX (1u << 30)
#define HX_BLOCK_MAX_LIMIT (64u << 20)

#define HX_MANIFEST_PAGE_MAGIC "HXMP"
#define HX_MANIFEST_PAGE_HEADER_LEN 16
#define HX_MANIFEST_ENTRY_FIXED_LEN 40
#define HX_MANIFEST_PAGE_MAX (1u << 20)
#define HX_MANIFEST_PAGE_TARGET (64u << 10)
#define HX_MANIFEST_PAGE_ENTRIES_LIMIT 65536
#define HX_PATH_MAX 4095

#define HX_ROOT_DOMAIN "hexz-root-v1"

/* ---- Header --------------------------------------------------------------------------------- */

typedef struct {
    uint16_t major, minor;
    uint32_t header_length;
    uint64_t required_features, optional_features;
    uint8_t archive_id[HX_ARCHIVE_ID_LEN];
    uint64_t section_table_offset;
    uint32_t section_count;
    uint8_t root_hash[HX_HASH_LEN];
    uint64_t file_length;
} hx_header;

void hx_header_encode(const hx_header *h, uint8_t out[HX_HEADER_LEN]);
/* Checks magic, checksum, version, length, features and reserved bytes. `name` names the file
 * in messages. */
int hx_header_decode(hx_header *h, const uint8_t in[HX_HEADER_LEN], const char *name);

/* ---- Section table ---------------------------------------------------------------------------- */

typedef struct {
    uint32_t type, flags;
    uint64_t offset, length;
    uint32_t aux;
    uint8_t hash[HX_HASH_LEN];
} hx_section;

void hx_section_encode(const hx_section *s, uint8_t out[HX_SECTION_ENTRY_LEN]);
int hx_section_decode(hx_section *s, const uint8_t in[HX_SECTION_ENTRY_LEN], const char *name);

/* The root hash over the header's [8, 48) bytes and the encoded section table `table`
 * (`count` entries), skipping OUTSIDE_ROOT entries. */
void hx_root_hash(const uint8_t header[HX_HEADER_LEN], const uint8_t *table, uint32_t count,
                  uint8_t out[HX_HASH_LEN]);

/* ---- PARAMS ----------------------------------------------------------------------------------- */

typedef struct {
    uint8_t chunking, codec;
    int32_t level;
    uint32_t block_size, min_size, avg_size, max_size;
    uint32_t page_entries;
    uint32_t alignment;
} hx_params;

void hx_params_encode(const hx_params *p, uint8_t out[HX_PARAMS_LEN]);
int hx_params_decode(hx_params *p, const uint8_t *in, size_t len, const char *name);

/* ---- STREAMS ---------------------------------------------------------------------------------- */

typedef struct {
    char name[HX_STREAM_NAME_MAX + 1];
    uint64_t size;
    uint64_t block_count;
    uint32_t page_count;
} hx_stream_desc;

/* Encoded size of the STREAMS section for these streams. */
size_t hx_streams_encoded_len(const hx_stream_desc *s, uint32_t count);
void hx_streams_encode(const hx_stream_desc *s, uint32_t count, uint8_t *out);
/* Decodes into a malloc'd array (*out, *out_count). */
int hx_streams_decode(hx_stream_desc **out, uint32_t *out_count, const uint8_t *in, size_t len,
                      const char *name);

/* ---- Page directory and index pages ---------------------------------------------------------- */

typedef struct {
    uint64_t first_logical;
    uint64_t first_block;
    uint64_t page_offset;
    uint32_t page_length;
    uint32_t entry_count;
    uint8_t page_hash[HX_HASH_LEN];
} hx_page_ref;

void hx_page_ref_encode(const hx_page_ref *p, uint8_t out[HX_PAGE_DIR_ENTRY_LEN]);
void hx_page_ref_decode(hx_page_ref *p, const uint8_t in[HX_PAGE_DIR_ENTRY_LEN]);

typedef struct {
    uint64_t logical_offset;
    uint64_t stored_offset;
    uint32_t logical_length;
    uint32_t stored_length;
    uint8_t kind;
    uint8_t codec;
    uint64_t stored_checksum;
    uint8_t content_hash[HX_HASH_LEN];
} hx_block_entry;

typedef struct {
    uint32_t stream;
    uint32_t entry_count;
    uint64_t first_logical;
    uint64_t first_block;
} hx_page_header;

void hx_page_header_encode(const hx_page_header *h, uint8_t out[HX_PAGE_HEADER_LEN]);
int hx_page_header_decode(hx_page_header *h, const uint8_t in[HX_PAGE_HEADER_LEN],
                          const char *name);
void hx_block_entry_encode(const hx_block_entry *e, uint8_t out[HX_BLOCK_ENTRY_LEN]);
/* Checks kind, codec, reserved bytes and the per-entry length rules (given the archive's
 * max_size, and the bytes encryption adds to each stored block: 0 or 40). */
int hx_block_entry_decode(hx_block_entry *e, const uint8_t in[HX_BLOCK_ENTRY_LEN],
                          uint32_t max_size, uint32_t overhead, const char *name);

/* The largest stored_length a block of `max_size` logical bytes may have. */
uint64_t hx_stored_length_limit(uint32_t max_size, uint32_t overhead);

/* ---- Bases of a thin archive ------------------------------------------------------------------- */

typedef struct {
    uint8_t archive_id[HX_ARCHIVE_ID_LEN];
    uint8_t root_hash[HX_HASH_LEN];
    char path[HX_PATH_MAX + 1]; /* relative to the thin archive's directory, or absolute */
} hx_base_ref;

/* Encoded BASES section for one base (the only kind libhexz writes). */
size_t hx_bases_encode(const hx_base_ref *b, uint8_t *out, size_t cap);
/* Decodes the single base of a BASES section. */
int hx_bases_decode(hx_base_ref *b, const uint8_t *in, size_t len, const char *name);

/* ---- Manifest --------------------------------------------------------------------------------- */

enum { HX_FILE_REGULAR = 1, HX_FILE_DIR = 2, HX_FILE_SYMLINK = 3 };

typedef struct {
    uint8_t type;
    uint32_t mode;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t offset, size;
    uint16_t path_length;
    uint32_t target_length;
    const char *path;   /* borrowed: points into the page buffer or the writer's strings */
    const char *target; /* likewise; NULL-free, not NUL-terminated: use the lengths */
} hx_manifest_entry;

/* Encoded size of one entry. */
size_t hx_manifest_entry_len(const hx_manifest_entry *e);
void hx_manifest_entry_encode(const hx_manifest_entry *e, uint8_t *out);
/* Decodes the entry at in[0..avail); *consumed gets its encoded size. Path and target point into
 * `in`. Checks type, mode, nsec, lengths and path syntax. */
int hx_manifest_entry_decode(hx_manifest_entry *e, const uint8_t *in, size_t avail,
                             size_t *consumed, const char *name);

void hx_manifest_page_header_encode(uint32_t entry_count, uint64_t first_index,
                                    uint8_t out[HX_MANIFEST_PAGE_HEADER_LEN]);
int hx_manifest_page_header_decode(uint32_t *entry_count, uint64_t *first_index,
                                   const uint8_t in[HX_MANIFEST_PAGE_HEADER_LEN], const char *name);

/* Manifest order: bytewise with '/' below every other byte. Returns <0, 0, >0. */
int hx_path_compare(const char *a, size_t alen, const char *b, size_t blen);
/* Is this a valid manifest path (relative, no empty/./.. components, no NUL, length limits)? */
int hx_path_valid(const char *p, size_t len);

/* ---- Signature record (a SIGNATURE section, FORMAT.md §11) --------------------------------- */

#define HX_SIG_MAGIC "HXSG"
#define HX_SIG_FIXED_LEN 88
#define HX_SIG_COMMENT_MAX 1024
#define HX_SIG_DOMAIN "hexz-signature-v1"

/* A parsed signature section. */
typedef struct {
    uint8_t key_id[HEXZ_KEY_ID_LEN];
    int64_t signed_at;
    uint8_t signature[64];
    char comment[HX_SIG_COMMENT_MAX + 1];
    uint16_t comment_length;
} hx_signature;

/* Encodes `s` into a malloc'd buffer (*out, *len). */
int hx_signature_encode(const hx_signature *s, uint8_t **out, size_t *len);
int hx_signature_decode(hx_signature *s, const uint8_t *in, size_t len, const char *name);

/* The bytes a signature signs for archive header `h` (FORMAT.md §11): the Ed25519 message that
 * crypto/sign.h signs and checks. out must hold HX_SIG_MSG_MAX bytes; returns the length. */
#define HX_SIG_MSG_MAX (17 + 16 + 4 + 32 + 8 + 8 + 2 + HX_SIG_COMMENT_MAX)
size_t hx_signature_message(const hx_signature *s, const hx_header *h, uint8_t *out);

#endif
