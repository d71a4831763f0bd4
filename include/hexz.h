/*
 * hexz.h - the public API of libhexz: seekable, deduplicated, compressed snapshot archives.
 *
 * Conventions (they hold for every function below unless its comment says otherwise):
 *  - Functions return 0 on success or a negative HEXZ_E* code. hexz_strerror() names the code;
 *    hexz_last_error() gives a one-line detail message (naming the file and the problem) that the
 *    failing call left for the calling thread.
 *  - Results come back through out-parameters, which are written only on success.
 *  - Handles are opaque. Every *_open / *_create has a matching *_free, and *_free(NULL) is a
 * no-op.
 *  - Memory the library allocates for the caller is released with hexz_free() (handles with
 *    their own *_free).
 *  - Versioned structs (the ABI rules, docs/ABI.md): every struct passed by pointer begins with
 *    `unsigned version`, and new fields are only ever appended, each under a new version.
 *    Option structs (read by the library): initialise with the _INIT macro or *_init(); the
 *    library accepts any version from 1 to its own and reads only the fields that version
 *    defines (the rest take their defaults), so a program built against an older header keeps
 *    working with a newer library; a newer version than the library's is HEXZ_EUNSUPPORTED.
 *    Info structs (filled by the library): set `version` (the _INIT macro) before the call; the
 *    library fills the fields of that version, or of its own if that is older, and writes back
 *    the version it filled; 0 is HEXZ_EINVAL. Structs the library hands to callbacks
 *    (hexz_progress, hexz_diff_counts) carry the version the library filled.
 *  - Calls and structs inside `#ifdef HEXZ_STATIC_LINKING_ONLY` are experimental: they are
 *    exported, but may change in any minor release; a program using them must run with the
 *    exact version it was built against.
 *  - Strings are UTF-8 or raw bytes as the file system gave them, NUL-terminated.
 *  - The library has no global mutable state. The only per-thread state is the last error message.
 */
#ifndef HEXZ_H
#define HEXZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* While libhexz itself is built (with -fvisibility=hidden), the functions declared in this
 * header, and only they, get default visibility: they are what libhexz.so exports. */
#if defined(HEXZ_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* The library's version: equal to the project() version in CMakeLists.txt (the test_exports
 * test checks it). HEXZ_VERSION_NUMBER is MAJOR * 10000 + MINOR * 100 + PATCH. */
#define HEXZ_VERSION_MAJOR 1
#define HEXZ_VERSION_MINOR 0
#define HEXZ_VERSION_PATCH 0
#define HEXZ_VERSION_STRING "1.0.0"
#define HEXZ_VERSION_NUMBER                                                                        \
    (HEXZ_VERSION_MAJOR * 10000 + HEXZ_VERSION_MINOR * 100 + HEXZ_VERSION_PATCH)

/* The archive format version this library writes (docs/FORMAT.md). */
#define HEXZ_FORMAT_MAJOR 1
#define HEXZ_FORMAT_MINOR 5

/* ---- Errors -------------------------------------------------------------------------------- */

enum {
    HEXZ_OK = 0,
    HEXZ_EINVAL = -1,       /* a bad argument from the caller */
    HEXZ_ENOMEM = -2,       /* out of memory */
    HEXZ_EIO = -3,          /* the operating system reported an I/O error */
    HEXZ_ECORRUPT = -4,     /* the archive is damaged or not an archive */
    HEXZ_EUNSUPPORTED = -5, /* a valid archive that needs a feature this library lacks */
    HEXZ_EBADSIG = -6,      /* a signature does not verify */
    HEXZ_ENOTFOUND = -7,    /* no such stream, file or entry */
    HEXZ_ERANGE = -8,       /* an offset or index outside the object */
    HEXZ_ECANCELED = -9,    /* the caller's progress callback asked to stop */
    HEXZ_EEXIST = -10,      /* the destination exists and overwriting was not asked for */
    HEXZ_EPASSWORD = -11    /* the archive is encrypted and the password is missing or wrong */
};

/* The longest path (file-tree entries, symlink targets) plus its NUL. */
#define HEXZ_PATH_MAX 4096

/* A static, human-readable name for an error code. Thread-safe. */
const char *hexz_strerror(int code);

/* The detail message of the last failing hexz call on this thread, or "" if none.
 * Borrowed: valid until the next hexz call on this thread. Thread-safe (per-thread storage). */
const char *hexz_last_error(void);

/* The library's version string, e.g. "1.0.0". Thread-safe. */
const char *hexz_version(void);

/* Releases memory the library allocated for the caller (e.g. hexz_train_dictionary's output).
 * NULL is a no-op. Thread-safe. */
void hexz_free(void *p);

/* HEXZ_VERSION_NUMBER of the library actually linked (which may be newer than the header a
 * program was built with). Thread-safe. */
unsigned hexz_version_number(void);

/* ---- Codecs and chunking -------------------------------------------------------------------- */

typedef enum {
    HEXZ_CODEC_NONE = 1, /* stored raw */
    HEXZ_CODEC_LZ4 = 2,
    HEXZ_CODEC_ZSTD = 3
} hexz_codec;

typedef enum {
    HEXZ_CHUNK_FIXED = 1, /* blocks of exactly block_size bytes (the last one may be shorter) */
    HEXZ_CHUNK_CDC = 2    /* FastCDC content-defined chunks between min_size and max_size */
} hexz_chunking;

/* ---- Progress and cancellation -------------------------------------------------------------- */

typedef struct {
    unsigned version;     /* HEXZ_PROGRESS_VERSION: the fields the library filled */
    uint64_t bytes_in;    /* logical bytes consumed so far */
    uint64_t bytes_total; /* expected logical bytes, 0 when unknown */
    uint64_t bytes_out;   /* bytes written to the destination so far */
    uint64_t blocks;      /* blocks (index entries) produced so far */
    uint64_t dedup_hits;  /* blocks that reused stored bytes */
    uint64_t dedup_bytes; /* logical bytes of those blocks */
    uint64_t base_bytes;  /* thin archives: logical bytes stored as references to the base */
} hexz_progress;

#define HEXZ_PROGRESS_VERSION 1

/* Packing calls the callback a last time when the archive is complete: bytes_in is then the
 * archive's logical size and bytes_out its file size, so a caller has the final figures
 * without opening the archive again. */

/* Called from the thread that drives the operation, at most every few MiB. Return non-zero to
 * cancel: the operation then stops and returns HEXZ_ECANCELED. An archive or a single extracted
 * file being written is removed (outputs appear only when complete); a file tree being
 * extracted keeps the entries already written, but never a partial file. */
typedef int (*hexz_progress_fn)(const hexz_progress *progress, void *user);

/* ---- Writing -------------------------------------------------------------------------------- */

/* Argon2id work factors (libsodium's named limits): INTERACTIVE takes about 0.1 s and 64 MiB,
 * MODERATE about 0.7 s and 256 MiB, to derive the key from the password. MINIMAL (libsodium's
 * minimum limits) offers no real resistance to password guessing: it exists so that tests can
 * open an encrypted archive thousands of times; never use it for data that matters. */
typedef enum {
    HEXZ_KDF_INTERACTIVE = 0,
    HEXZ_KDF_MODERATE = 1,
    HEXZ_KDF_MINIMAL = 2
} hexz_kdf_strength;

typedef struct {
    unsigned version;       /* HEXZ_WRITE_OPTIONS_VERSION */
    hexz_chunking chunking; /* default HEXZ_CHUNK_CDC */
    uint32_t block_size;    /* fixed chunking: block size; default 65536 */
    uint32_t min_size;      /* CDC: minimum chunk; default 16384 */
    uint32_t avg_size;      /* CDC: average chunk, a power of two; default 65536 */
    uint32_t max_size;      /* CDC: maximum chunk; default 262144 */
    hexz_codec codec;       /* default HEXZ_CODEC_LZ4 */
    int level;              /* codec level; 0 = the codec's default (zstd 3) */
    int dedup;              /* non-zero: identical blocks are stored once; default 1 */
    int overwrite;          /* non-zero: replace an existing destination; default 1 */
    hexz_progress_fn progress;
    void *progress_user;
    unsigned threads;          /* compression workers; 0 = one per online CPU, 1 = no threads.
                                  The archive's bytes do not depend on it. */
    const uint8_t *archive_id; /* 16 bytes to use as the archive id, or NULL for random ones
                                  (set it to make packing reproducible, e.g. in tests) */
    const char *password;      /* non-NULL: encrypt the archive with this password (bytes up to
                                  the NUL; docs/FORMAT.md §12). Borrowed during create only. */
    hexz_kdf_strength kdf;  /* how hard the password is stretched; default HEXZ_KDF_INTERACTIVE */
    const char *base;       /* non-NULL: make a thin archive against this (unencrypted) archive:
                               blocks it already holds are stored as references to it. Use
                               hexz_base_chunking() first so that chunks line up. It must be
                               a regular file with fewer than HEXZ_CHAIN_MAX bases below it,
                               else create fails with HEXZ_EINVAL before writing anything. */
    const void *dictionary; /* zstd only: a dictionary (e.g. from hexz_train_dictionary) stored
                               in the archive and used for every block; copied at create */
    size_t dictionary_size;
} hexz_write_options;

#define HEXZ_WRITE_OPTIONS_VERSION 1
#define HEXZ_WRITE_OPTIONS_INIT                                                                    \
    {                                                                                              \
        HEXZ_WRITE_OPTIONS_VERSION, HEXZ_CHUNK_CDC, 65536, 16384, 65536, 262144, HEXZ_CODEC_LZ4,   \
            0, 1, 1, NULL, NULL, 0, NULL, NULL, HEXZ_KDF_INTERACTIVE, NULL, NULL, 0                \
    }

/* Fills *opts with the defaults above. Thread-safe. */
void hexz_write_options_init(hexz_write_options *opts);

/* Trains a zstd dictionary of at most `max_size` bytes (0: 110 KiB) on samples of `input` (a
 * file, or the files of a directory tree: slices spread over them, all-zero ones skipped).
 * *out is allocated by the library: release it with hexz_free(); *out_len gets its size.
 * HEXZ_EINVAL if there is too little material to train on. Thread-safe. */
int hexz_train_dictionary(const char *input, size_t max_size, void **out, size_t *out_len);

/* Copies the chunking settings (mode and sizes) of the archive `base` into *opts, so that a
 * thin archive cuts its input where the base did. `base` must be a regular file (HEXZ_EINVAL
 * for a FIFO, device or directory, refused without opening it). Thread-safe. */
int hexz_base_chunking(const char *base, hexz_write_options *opts);

typedef struct hexz_writer hexz_writer;

/* Starts a new archive that will appear at `path` only when hexz_writer_finish() succeeds. Data
 * goes to a temporary file in the same directory; nothing under `path` changes before finish.
 * An existing `path` (with opts->overwrite) is updated as the file it names: a symlink is
 * followed and its target replaced (the link stays a link); the new file keeps the old one's
 * owner and mode; a file with several hard links, or not a regular file, is refused
 * (HEXZ_EINVAL), since the other names would keep the old version.
 * `opts` may be NULL for defaults; it is copied. One writer is used by one thread at a time. */
int hexz_writer_create(hexz_writer **out, const char *path, const hexz_write_options *opts);

/* Makes `name` the current stream, creating it if it is new (the first stream is "main" unless
 * another is begun first). Names are 1..255 bytes. Not thread-safe on the same writer. */
int hexz_writer_begin_stream(hexz_writer *w, const char *name);

/* Appends `len` bytes to the current stream (creating "main" if none was begun). The bytes are
 * chunked, hashed, deduplicated, compressed and written; memory stays bounded whatever the total.
 * Not thread-safe on the same writer. */
int hexz_writer_write(hexz_writer *w, const void *buf, size_t len);

/* Appends `len` zero bytes to the current stream without the caller providing them: the same
 * archive as writing that many zeros, found far faster (a sparse file's holes cost nothing).
 * Not thread-safe on the same writer. */
int hexz_writer_write_zeros(hexz_writer *w, uint64_t len);

/* File-tree entries. A regular file's content is the bytes written between
 * hexz_writer_begin_file() and hexz_writer_end_file(); it goes to the "main" stream and starts on
 * a chunk boundary. Paths are relative, '/'-separated, without "." or ".." components, unique,
 * at most HEXZ_PATH_MAX - 1 bytes. Entries may come in any order. Not thread-safe on one writer. */
int hexz_writer_add_dir(hexz_writer *w, const char *path, uint32_t mode, int64_t mtime_sec,
                        uint32_t mtime_nsec);
int hexz_writer_add_symlink(hexz_writer *w, const char *path, const char *target, int64_t mtime_sec,
                            uint32_t mtime_nsec);
int hexz_writer_begin_file(hexz_writer *w, const char *path, uint32_t mode, int64_t mtime_sec,
                           uint32_t mtime_nsec);
int hexz_writer_end_file(hexz_writer *w);

/* Writes the index, manifest and header, fsyncs and renames the archive into place, atomically.
 * After it (success or failure) only hexz_writer_free() may be called. On failure no file appears
 * under the destination name and the temporary file is removed. The rename is the commit: once
 * it succeeded this returns 0, even if the fsync of the directory that follows fails (the
 * archive is in place; only its survival of a power loss is then in doubt). */
int hexz_writer_finish(hexz_writer *w);

/* Frees the writer. An unfinished archive is discarded (its temporary file removed). */
void hexz_writer_free(hexz_writer *w);

/* Packs a regular file, block device or directory tree at `input` into the archive `output`.
 * A directory becomes a file tree (regular files, directories, symlinks with modes and mtimes);
 * anything else becomes the "main" stream. Thread-safe (uses no shared state). */
int hexz_pack_path(const char *input, const char *output, const hexz_write_options *opts);

typedef struct {
    const char *name; /* stream name, 1..255 bytes, not "main" */
    const char *path; /* a file or block device whose bytes become the stream */
} hexz_stream_source;

/* Called with a one-line warning (naming the file) about something packing went past. */
typedef void (*hexz_warn_fn)(const char *message, void *user);

typedef struct {
    unsigned version;                        /* HEXZ_PACK_OPTIONS_VERSION */
    const hexz_stream_source *extra_streams; /* added after the input, in order */
    size_t extra_stream_count;
    int skip_unreadable; /* a file or directory of the tree that cannot be read is skipped with a
                            warning instead of failing the pack */
    hexz_warn_fn warn;   /* warnings: special files skipped (fifos, sockets, devices), files
                            that changed while they were read, entries that vanished or became
                            another kind of file between listing and packing (skipped),
                            unreadable files skipped */
    void *warn_user;
} hexz_pack_options;

#define HEXZ_PACK_OPTIONS_VERSION 1
#define HEXZ_PACK_OPTIONS_INIT                                                                     \
    {                                                                                              \
        HEXZ_PACK_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL                                          \
    }

/* hexz_pack_path() with more: `input` "-" reads standard input (of any length) into "main";
 * extra named streams; warnings; skipping unreadable files. Holes of sparse input files are
 * found with SEEK_DATA/SEEK_HOLE and cost no reading. `pack_opts` may be NULL. Thread-safe.
 * Inputs are opened with O_NONBLOCK (a fifo never blocks the open) and every read first waits
 * in poll(); while input does not come (a quiet pipe, a fifo without a writer, a device) the
 * progress callback is called every 100 ms, so that returning non-zero stops the pack there
 * too. The callback is also asked once before the archive is committed. */
int hexz_pack(const char *input, const char *output, const hexz_write_options *opts,
              const hexz_pack_options *pack_opts);

/* ---- Reading -------------------------------------------------------------------------------- */

typedef struct hexz_reader hexz_reader;

/* Opens the archive at `path`, validating its header, section table, root hash and index
 * directories. Index pages and blocks are read (and verified) on demand. An encrypted archive
 * needs hexz_reader_open_password(); here it fails with HEXZ_EPASSWORD. Thread-safe. */
int hexz_reader_open(hexz_reader **out, const char *path);

/* Like hexz_reader_open(), with the password for an encrypted archive (ignored, may be NULL,
 * for one that is not). A wrong password is HEXZ_EPASSWORD; a key record asking for more
 * Argon2id work than the default limits (HEXZ_KDF_MEMORY_LIMIT, HEXZ_KDF_OPS_LIMIT) is
 * HEXZ_EUNSUPPORTED (hexz_reader_open_opts() can raise them). Thread-safe. */
int hexz_reader_open_password(hexz_reader **out, const char *path, const char *password);

/* Custom storage backends: see hexz_backend.h. */

/* The settings of the remote backends (http://, https://, s3://; docs/REMOTE.md), given by the
 * caller: the library reads no environment variables. `setting` is asked for a setting by
 * name and returns its value, or NULL (or "") when it is unset; the value is borrowed and must
 * stay valid until the open that asked for it returns (settings are read only while opening).
 * Opens in several threads may call it at once. The names asked for:
 *   HEXZ_HTTP_WINDOW    bytes per request: a power of two, 4K..64M (K/M/G suffix; default 1M)
 *   HEXZ_HTTP_CACHE     bytes of fetched windows kept in memory (default 64M; 0: none)
 *   HEXZ_CACHE_DIR      a directory for a disk cache of fetched windows (default: none)
 *   HEXZ_HTTP_ATTEMPTS  tries per request (default 4, 1..16)
 *   HEXZ_HTTP_TIMEOUT   seconds without progress before a try is given up (default 15)
 *   HEXZ_S3_ENDPOINT, AWS_ENDPOINT_URL            an S3-compatible endpoint (default AWS)
 *   AWS_REGION, AWS_DEFAULT_REGION                the region (default us-east-1)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN   credentials for SigV4
 * NULL options or a NULL `setting` mean every default and no credentials (unsigned requests).
 * The hexz tool answers these lookups from its environment. */
typedef struct {
    unsigned version; /* HEXZ_REMOTE_OPTIONS_VERSION */
    const char *(*setting)(void *user, const char *name);
    void *user; /* passed to setting */
} hexz_remote_options;

#define HEXZ_REMOTE_OPTIONS_VERSION 1
#define HEXZ_REMOTE_OPTIONS_INIT                                                                   \
    {                                                                                              \
        HEXZ_REMOTE_OPTIONS_VERSION, NULL, NULL                                                    \
    }

typedef struct {
    unsigned version;     /* HEXZ_OPEN_OPTIONS_VERSION */
    const char *password; /* for an encrypted archive, or NULL */
    const char *base_dir; /* thin archives: where to look for bases not found at their recorded
                             path (relative to the archive), or NULL */
    int signatures_only;  /* open an encrypted archive without its password, far enough to list
                             and check signatures (their root hash is checked against the
                             section table); nothing can be read from such a reader */
    /* Version 2: the most Argon2id work an encrypted archive's key record may ask for. The
     * record is the archive's, so anyone can raise its cost (up to the format's 1 GiB and 16
     * passes) to make every password attempt slow; more than these is refused with
     * HEXZ_EUNSUPPORTED before anything is derived. 0 means the default. */
    uint64_t max_kdf_memory; /* bytes; default HEXZ_KDF_MEMORY_LIMIT (256 MiB) */
    uint64_t max_kdf_ops;    /* passes; default HEXZ_KDF_OPS_LIMIT (3) */
    /* Version 3: the settings of the remote backends (NULL: defaults, no credentials), for
     * this archive and every base of its chain. Borrowed: used only while the open runs. */
    const hexz_remote_options *remote;
} hexz_open_options;

/* The default ceilings of the key derivation a reader accepts: libsodium's MODERATE level,
 * the strongest hexz writes (HEXZ_KDF_MODERATE). */
#define HEXZ_KDF_MEMORY_LIMIT (256ull << 20)
#define HEXZ_KDF_OPS_LIMIT 3ull

/* Versions 1 (without the KDF limits) and 2 (without remote) are still accepted: only the
 * fields of the version given are read. */
#define HEXZ_OPEN_OPTIONS_VERSION 3
#define HEXZ_OPEN_OPTIONS_INIT                                                                     \
    {                                                                                              \
        HEXZ_OPEN_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, NULL                                       \
    }

/* Opens with options (NULL: as hexz_reader_open). A thin archive's chain of bases is opened
 * too, each checked against the archive id and root hash recorded for it. Thread-safe. */
int hexz_reader_open_opts(hexz_reader **out, const char *path, const hexz_open_options *opts);

/* ---- Thin archives ---------------------------------------------------------------------------- */

/* How many archives stand below this one (0 if it is self-contained). Thread-safe. */
unsigned hexz_reader_chain_length(const hexz_reader *r);

typedef struct {
    unsigned version; /* set to HEXZ_BASE_INFO_VERSION (the _INIT macro) */
    const char *path; /* where it was opened from; owned by the reader, valid until it is freed */
    uint8_t archive_id[16];
    uint8_t root_hash[32];
    uint64_t file_size;
} hexz_base_info;

#define HEXZ_BASE_INFO_VERSION 1
#define HEXZ_BASE_INFO_INIT                                                                        \
    {                                                                                              \
        .version = HEXZ_BASE_INFO_VERSION                                                          \
    }

/* The base at `level` (1 = this archive's base, 2 = its base, ...). Thread-safe. */
int hexz_reader_base_info(const hexz_reader *r, unsigned level, hexz_base_info *out);

/* Writes a self-contained copy of `src` (opened with `open_opts`, which may be NULL) to `dest`:
 * a thin archive's references are resolved through its chain of bases. Block boundaries,
 * streams and the file tree are kept; `write_opts` (NULL for defaults) chooses codec, threads,
 * encryption; its chunking fields are replaced by the source's. Thread-safe. */
int hexz_flatten(const char *src, const hexz_open_options *open_opts, const char *dest,
                 const hexz_write_options *write_opts);

/* ---- Predicting --------------------------------------------------------------------------- */

typedef struct {
    hexz_chunking chunking;
    hexz_codec codec;
    uint64_t estimated_bytes; /* the archive's size, estimated */
} hexz_prediction;

/* Room for more chunking and codec combinations than today's four, so that adding one needs
 * no new struct version. */
#define HEXZ_PREDICTIONS_MAX 8

typedef struct {
    unsigned version; /* set to HEXZ_PREDICT_INFO_VERSION (the _INIT macro) */
    uint64_t input_bytes;
    uint64_t zero_bytes;         /* in chunks that would be holes (CDC) */
    uint64_t unique_bytes_fixed; /* non-zero bytes left after dedup, fixed chunking */
    uint64_t unique_bytes_cdc;   /* the same with CDC */
    uint64_t sampled_bytes;      /* bytes actually compressed to estimate the ratios */
    unsigned prediction_count;   /* entries of predictions[] filled (4 today) */
    hexz_prediction predictions[HEXZ_PREDICTIONS_MAX]; /* fixed+lz4, fixed+zstd, cdc+lz4,
                                                          cdc+zstd */
    unsigned recommended; /* index of the one to use: the smallest, preferring lz4 (faster)
                             when it is within 5% */
} hexz_predict_info;

#define HEXZ_PREDICT_INFO_VERSION 1
#define HEXZ_PREDICT_INFO_INIT                                                                     \
    {                                                                                              \
        .version = HEXZ_PREDICT_INFO_VERSION                                                       \
    }

/* Estimates, without writing anything, how large an archive of the file `input` would be with
 * each chunking and codec, using the sizes and level of `opts` (NULL: defaults). It reads the
 * input, cuts and hashes every chunk (dedup and holes are counted exactly) but compresses only
 * a sample of the distinct chunks (every 4th, all of an input under 64 MiB). Thread-safe. */
int hexz_predict(const char *input, const hexz_write_options *opts, hexz_predict_info *out);

/* ---- Comparing archives --------------------------------------------------------------------- */

typedef struct {
    unsigned version; /* total: set to HEXZ_DIFF_COUNTS_VERSION (the _INIT macro); given to the
                         callback: the version the library filled */
    uint64_t shared_blocks, shared_bytes; /* distinct content both sides hold */
    uint64_t only_a_blocks, only_a_bytes; /* distinct content only A holds */
    uint64_t only_b_blocks, only_b_bytes; /* distinct content only B holds */
} hexz_diff_counts;

#define HEXZ_DIFF_COUNTS_VERSION 1
#define HEXZ_DIFF_COUNTS_INIT                                                                      \
    {                                                                                              \
        .version = HEXZ_DIFF_COUNTS_VERSION                                                        \
    }

/* Called per stream (kind "stream", by name) and per regular file (kind "file", by path). */
typedef void (*hexz_diff_fn)(const char *kind, const char *name, const hexz_diff_counts *counts,
                             void *user);

/* Compares two archives by block content hash (holes are not content): totals in *total, and,
 * if fn is not NULL, per stream and per file. Not for encrypted archives (their hashes are
 * keyed). Thread-safe. */
int hexz_diff(hexz_reader *a, hexz_reader *b, hexz_diff_counts *total, hexz_diff_fn fn, void *user);

/* Non-zero if the archive is encrypted. Thread-safe. */
int hexz_reader_is_encrypted(const hexz_reader *r);

/* How hexz_change_password_opts() changes a password. */
typedef struct {
    unsigned version;          /* HEXZ_PASSWD_OPTIONS_VERSION */
    hexz_kdf_strength kdf;     /* how hard the new password is stretched; default INTERACTIVE */
    int keep_key;              /* non-zero: only re-wrap the archive's data key under the new
                                  password (fast, nothing re-encrypted). The old password is then
                                  NOT revoked: whoever kept a copy of the archive's old key record
                                  (112 bytes, e.g. from a backup) can put it back and open the
                                  archive with the old password. Default 0: re-encrypt. */
    unsigned threads;          /* re-encryption: compression workers, as hexz_write_options */
    hexz_progress_fn progress; /* re-encryption: progress and cancellation, as for packing */
    void *progress_user;
    uint64_t max_kdf_memory; /* opening with the old password: as hexz_open_options */
    uint64_t max_kdf_ops;
} hexz_passwd_options;

#define HEXZ_PASSWD_OPTIONS_VERSION 1
#define HEXZ_PASSWD_OPTIONS_INIT                                                                   \
    {                                                                                              \
        HEXZ_PASSWD_OPTIONS_VERSION, HEXZ_KDF_INTERACTIVE, 0, 0, NULL, NULL, 0, 0                  \
    }

/* Changes the password of encrypted `archive` (opened with `old_password`) to `new_password`
 * (non-empty). By default the whole archive is re-encrypted under a new random data key: every
 * stream, block boundary, hole and file-tree entry is kept, the content reads back byte for
 * byte, the archive id and the codec, level, chunking and dictionary stay, and nothing made
 * from the old key (a backed-up key record, a copy's blocks) opens the new archive. With
 * opts->keep_key only the key record is rewritten (see above). Either way signatures are
 * dropped (they covered the old bytes), and the archive is replaced atomically as the rewriting
 * verbs do (a symlink is followed and stays a link; owner and mode are kept; a file with other
 * hard links is refused). `archive` must be a local file: a URL is refused with HEXZ_EINVAL
 * before anything is read. `opts` may be NULL for defaults. Thread-safe. */
int hexz_change_password_opts(const char *archive, const char *old_password,
                              const char *new_password, const hexz_passwd_options *opts);

/* hexz_change_password_opts() with the defaults and the given strength (re-encrypts). */
int hexz_change_password(const char *archive, const char *old_password, const char *new_password,
                         hexz_kdf_strength kdf);

/* Frees the reader. No other call on it may be in progress. */
void hexz_reader_free(hexz_reader *r);

#define HEXZ_STREAM_NAME_MAX 256

typedef struct {
    unsigned version;                /* set to HEXZ_STREAM_INFO_VERSION (the _INIT macro) */
    char name[HEXZ_STREAM_NAME_MAX]; /* NUL-terminated */
    uint64_t size;                   /* logical bytes */
    uint64_t block_count;            /* index entries */
} hexz_stream_info;

#define HEXZ_STREAM_INFO_VERSION 1
#define HEXZ_STREAM_INFO_INIT                                                                      \
    {                                                                                              \
        .version = HEXZ_STREAM_INFO_VERSION                                                        \
    }

/* Number of streams; stream indices run from 0 to count - 1. Thread-safe. */
unsigned hexz_reader_stream_count(const hexz_reader *r);
int hexz_reader_stream_info(const hexz_reader *r, unsigned stream, hexz_stream_info *out);
/* Index of the stream called `name`, or HEXZ_ENOTFOUND. Thread-safe. */
int hexz_reader_find_stream(const hexz_reader *r, const char *name, unsigned *out);

/* Reads up to `len` bytes of `stream` at logical offset `offset` into `buf`; *out_read gets the
 * count, which is short only at the end of the stream (0 at or past it). Every block is checked
 * against its stored checksum, exact decompressed length and content hash before its bytes are
 * returned; damage yields HEXZ_ECORRUPT, never wrong bytes. O(log n) in the number of blocks.
 * Thread-safe and reentrant (pread semantics): many threads may read one reader at once. */
int hexz_reader_read_at(hexz_reader *r, unsigned stream, void *buf, size_t len, uint64_t offset,
                        size_t *out_read);

typedef enum { HEXZ_FILE_REGULAR = 1, HEXZ_FILE_DIR = 2, HEXZ_FILE_SYMLINK = 3 } hexz_file_type;

typedef struct {
    hexz_file_type type;
    uint32_t mode; /* permission bits (07777) */
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t offset; /* regular files: where the content starts in the "main" stream */
    uint64_t size;   /* regular files: content length; symlinks: target length */
    char path[HEXZ_PATH_MAX];
    char target[HEXZ_PATH_MAX]; /* symlinks only; "" otherwise */
} hexz_file_info;

/* Number of file-tree entries (0 for an archive packed from a single file). Thread-safe. */
uint64_t hexz_reader_file_count(const hexz_reader *r);

/* Non-zero if the archive holds a file tree (even an empty one, packed from an empty
 * directory); zero if it holds only streams. Thread-safe. */
int hexz_reader_has_file_tree(const hexz_reader *r);

/* The index-th entry in manifest order (see docs/FORMAT.md: parents before children).
 * O(log n). Thread-safe. */
int hexz_reader_file_at(hexz_reader *r, uint64_t index, hexz_file_info *out);

/* Looks an entry up by its path, in O(log n). HEXZ_ENOTFOUND if absent. Thread-safe. */
int hexz_reader_file_lookup(hexz_reader *r, const char *path, hexz_file_info *out);

/* The index of the first entry whose path is not before `path` in manifest order (so the
 * entry itself if present; for a directory "d", the entries of "d/..." follow it). It is
 * hexz_reader_file_count() if every entry comes before. O(log n). Thread-safe. */
int hexz_reader_file_seek(hexz_reader *r, const char *path, uint64_t *out_index);

/* Sets how many threads decompress ahead of long sequential reads (extract, cat, large
 * read_at): default one per online CPU (at most 8); 1 turns it off. Takes effect only before the
 * first long read. Thread-safe. */
void hexz_reader_set_threads(hexz_reader *r, unsigned threads);

/* Sets how many bytes of decompressed blocks the reader keeps (default 64 MiB; 0 turns the
 * block cache off). Call before reading from several threads; thread-safe with itself. */
void hexz_reader_set_cache_size(hexz_reader *r, size_t bytes);

/* ---- Experimental: HEXZ_STATIC_LINKING_ONLY ------------------------------------------------ */

/* Block-level introspection shows how the format stores a stream, which is an implementation
 * detail that may change in any minor release (docs/ABI.md): define HEXZ_STATIC_LINKING_ONLY
 * before including this header to use it, and run with the exact version built against. */
#if defined(HEXZ_STATIC_LINKING_ONLY) || defined(HEXZ_BUILDING_LIBRARY)
typedef struct {
    unsigned version;        /* set to HEXZ_BLOCK_INFO_VERSION (the _INIT macro) */
    uint64_t logical_offset; /* within the stream */
    uint32_t logical_length;
    uint64_t stored_offset;   /* absolute file offset; 0 for holes */
    uint32_t stored_length;   /* 0 for holes */
    int is_hole;              /* a run of zeros, no stored bytes */
    int is_base_ref;          /* the bytes are in the base archive (stored_offset is then the
                                 logical offset in base stream number stored_length) */
    hexz_codec codec;         /* how the stored bytes are encoded (NONE for holes) */
    uint8_t content_hash[32]; /* BLAKE3 of the logical bytes (zero for holes) */
} hexz_block_info;

#define HEXZ_BLOCK_INFO_VERSION 1
#define HEXZ_BLOCK_INFO_INIT                                                                       \
    {                                                                                              \
        .version = HEXZ_BLOCK_INFO_VERSION                                                         \
    }

/* The index-th block of `stream`, in logical order. O(log n). Thread-safe. */
int hexz_reader_block_at(hexz_reader *r, unsigned stream, uint64_t index, hexz_block_info *out);
#endif /* HEXZ_STATIC_LINKING_ONLY */

/* Checks everything: every index page and manifest page against its hash, every stored block
 * against its checksum, exact length and content hash, and the structural rules of
 * docs/FORMAT.md. Returns 0 if the archive is intact, HEXZ_ECORRUPT (with a message naming the
 * first damaged place) if not. Thread-safe. */
int hexz_reader_verify(hexz_reader *r, hexz_progress_fn progress, void *user);

#define HEXZ_HISTOGRAM_BUCKETS 32
#define HEXZ_CHAIN_MAX 16 /* the deepest chain of bases a reader follows */

typedef struct {
    unsigned version; /* set to HEXZ_INSPECT_INFO_VERSION (the _INIT macro) */
    uint16_t format_major, format_minor;
    uint8_t archive_id[16];
    uint8_t root_hash[32];
    uint64_t file_size; /* bytes of the archive file */
    hexz_chunking chunking;
    uint32_t block_size, min_size, avg_size, max_size;
    hexz_codec codec; /* the default codec blocks were compressed with */
    int level;
    unsigned stream_count;
    uint64_t logical_bytes; /* sum of stream sizes */
    uint64_t blocks;        /* index entries of all streams */
    uint64_t hole_blocks, hole_bytes;
    uint64_t unique_blocks; /* distinct stored blocks */
    uint64_t unique_logical_bytes;
    uint64_t dedup_blocks;                        /* entries that reuse another's stored bytes */
    uint64_t dedup_bytes;                         /* logical bytes those entries cover */
    uint64_t stored_bytes;                        /* bytes of distinct stored blocks */
    uint64_t raw_blocks, lz4_blocks, zstd_blocks; /* distinct stored blocks by codec */
    uint64_t index_bytes;                         /* index pages and directories */
    uint64_t manifest_bytes;                      /* manifest pages and directory */
    uint64_t files, dirs, symlinks;
    /* Chunk sizes of data blocks: bucket i counts logical lengths in [2^i, 2^(i+1)). */
    uint64_t histogram[HEXZ_HISTOGRAM_BUCKETS];
    /* Thin archives: entries whose bytes are in a base, and where they end up. */
    unsigned chain_length; /* bases below this archive */
    uint64_t base_blocks, base_bytes;
    /* Logical bytes of data (not holes) served by each level: 0 = this archive's own stored
     * blocks, k = the k-th base. */
    uint64_t level_bytes[HEXZ_CHAIN_MAX + 1];
} hexz_inspect_info;

#define HEXZ_INSPECT_INFO_VERSION 1
#define HEXZ_INSPECT_INFO_INIT                                                                     \
    {                                                                                              \
        .version = HEXZ_INSPECT_INFO_VERSION                                                       \
    }

/* Gathers the figures above; reads every index page (not the blocks). Thread-safe. */
int hexz_reader_inspect(hexz_reader *r, hexz_inspect_info *out);

/* ---- Signing ------------------------------------------------------------------------------- */

#define HEXZ_PUBLIC_KEY_LEN 32
#define HEXZ_SECRET_KEY_LEN 64
#define HEXZ_KEY_ID_LEN 8
#define HEXZ_COMMENT_MAX 1024

/* A new Ed25519 key pair from the system's random source. Thread-safe. */
int hexz_keygen(uint8_t public_key[HEXZ_PUBLIC_KEY_LEN], uint8_t secret_key[HEXZ_SECRET_KEY_LEN]);

/* Writes the key pair as text files (docs/FORMAT.md §11): the secret key with mode 0600, the
 * public key with mode 0644. An existing file is HEXZ_EEXIST unless `force`. Thread-safe. */
int hexz_key_write(const char *secret_path, const char *public_path,
                   const uint8_t public_key[HEXZ_PUBLIC_KEY_LEN],
                   const uint8_t secret_key[HEXZ_SECRET_KEY_LEN], int force);

/* Reads a key file written by hexz_key_write(), checking its type tag and key id. Thread-safe. */
int hexz_secret_key_load(const char *path, uint8_t secret_key[HEXZ_SECRET_KEY_LEN]);
int hexz_public_key_load(const char *path, uint8_t public_key[HEXZ_PUBLIC_KEY_LEN]);

/* The public half of a secret key. Thread-safe. */
void hexz_key_public(const uint8_t secret_key[HEXZ_SECRET_KEY_LEN],
                     uint8_t public_key[HEXZ_PUBLIC_KEY_LEN]);

/* The 8-byte id that names a public key in signatures. Thread-safe. */
void hexz_key_id(const uint8_t public_key[HEXZ_PUBLIC_KEY_LEN], uint8_t id[HEXZ_KEY_ID_LEN]);

/* Adds a signature by `secret_key` over the archive's root hash (which commits to every byte),
 * its id and format version, the time and `trusted_comment` (NULL or at most HEXZ_COMMENT_MAX
 * bytes; stored and signed). Existing signatures are kept; an archive that already carries
 * 256 (the most a reader accepts) is refused with HEXZ_EINVAL and left untouched. The archive
 * is rewritten beside itself and renamed into place atomically, as hexz_change_password_opts()
 * describes (symlinks followed, owner and mode kept, hard links refused); a URL is refused with
 * HEXZ_EINVAL before anything is read. It is not verified first (see hexz_reader_verify). Not safe
 * against concurrent writers of the same archive. */
int hexz_sign(const char *archive, const uint8_t secret_key[HEXZ_SECRET_KEY_LEN],
              const char *trusted_comment);

typedef struct {
    unsigned version; /* set to HEXZ_SIGNATURE_INFO_VERSION (the _INIT macro) */
    uint8_t key_id[HEXZ_KEY_ID_LEN];
    int64_t signed_at;                  /* seconds since the epoch, as claimed by the signer */
    char comment[HEXZ_COMMENT_MAX + 1]; /* the trusted comment, NUL-terminated */
} hexz_signature_info;

#define HEXZ_SIGNATURE_INFO_VERSION 1
#define HEXZ_SIGNATURE_INFO_INIT                                                                   \
    {                                                                                              \
        .version = HEXZ_SIGNATURE_INFO_VERSION                                                     \
    }

/* Number of signatures the archive carries, and each one's details (not verified). Thread-safe. */
unsigned hexz_reader_signature_count(const hexz_reader *r);
int hexz_reader_signature_at(const hexz_reader *r, unsigned index, hexz_signature_info *out);

/* Checks whether a signature made by `public_key` covers this archive: 0 (and *out, if not NULL,
 * describes it) or HEXZ_EBADSIG. This checks the signature over the root hash, which open has
 * checked against the section table; call hexz_reader_verify() too to check every page and block
 * against it. Thread-safe. */
int hexz_reader_verify_signature(hexz_reader *r, const uint8_t public_key[HEXZ_PUBLIC_KEY_LEN],
                                 hexz_signature_info *out);

/* ---- Extracting ----------------------------------------------------------------------------- */

#define HEXZ_EXTRACT_OPTIONS_VERSION 1

/* How to extract. Fill with hexz_extract_options_init(), then change fields. */
typedef struct {
    unsigned version;          /* HEXZ_EXTRACT_OPTIONS_VERSION (set by init) */
    int force;                 /* replace what is in the way (see hexz_extract_opts); default 0 */
    int same_permissions;      /* restore modes exactly, setuid, setgid and sticky bits included;
                                * default 0: those three bits are dropped and, unless the process
                                * runs as root, the umask is applied (as bsdtar and GNU tar do) */
    hexz_progress_fn progress; /* NULL, or called as for packing; non-zero cancels */
    void *user;                /* passed to progress */
} hexz_extract_options;

/* Defaults: no force, modes without setuid/setgid/sticky and under the umask, no progress. */
void hexz_extract_options_init(hexz_extract_options *o);

/* Writes the archive's content to `dest` (opts NULL: the defaults). Thread-safe; the reader may
 * be shared with other threads.
 *
 * A file tree goes into the directory `dest` (created if missing; a symbolic link naming a
 * directory is followed, as for `tar -C`). First the whole manifest is checked against the
 * rules hexz_reader_verify() checks (no entry below a symlink or file, names of at most 255
 * bytes) and, without opts->force, against the destination: if any path to create already
 * exists as anything but a directory where the archive has a directory, nothing is written
 * and the result is HEXZ_EEXIST naming the first such path. Existing directories are merged.
 * Every path is walked one component at a time from a descriptor of `dest` with O_NOFOLLOW,
 * so no symbolic link in the destination is ever followed, and modes and times are set through
 * descriptors, so a link swapped in during extraction is not followed either. Each regular
 * file is written to an unnamed (or hidden temporary) file in its directory, mode 0600, and
 * linked under its name only when complete: without force with a link that fails if the name
 * was taken meanwhile; with force by rename over whatever is there (a file, a hard link, a
 * FIFO, a symlink or an empty directory: never written through or opened). A file that cannot
 * be completed never appears under its name; the error names its path in the archive. Symlinks
 * are created after the files, directory modes and times last, deepest first. With force a
 * non-directory where a directory must go is removed first.
 *
 * A single-stream archive's "main" stream goes into the file `dest`, written beside it and
 * renamed into place when complete, holes left sparse; an existing `dest` is HEXZ_EEXIST
 * without opts->force and replaced atomically with it (the old file, possibly the archive
 * being read, is intact until then). */
int hexz_extract_opts(hexz_reader *r, const char *dest, const hexz_extract_options *opts);

/* Writes a single-stream archive's "main" stream to the open descriptor `fd` (e.g. standard
 * output), sequentially, holes as zeros; fd stays open. A file tree is HEXZ_EINVAL. Uses
 * opts->progress only. Thread-safe. */
int hexz_extract_to_fd(hexz_reader *r, int fd, const hexz_extract_options *opts);

/* hexz_extract_opts() with the default options and this progress callback. */
int hexz_extract(hexz_reader *r, const char *dest, hexz_progress_fn progress, void *user);

#if defined(HEXZ_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* HEXZ_H */
