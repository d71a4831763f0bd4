/*
 * hexz_backend.h - custom storage backends for libhexz: a program that keeps archives somewhere
 * the library cannot reach by path or URL (in memory, in a database, behind its own network
 * client) hands the reader a hexz_backend, and the reader gets every byte through it.
 *
 * A program that opens archives by path or URL (hexz_reader_open*() in hexz.h) never needs this
 * header. The library's own local-file and remote backends are not reachable from here.
 *
 * Thin archives: a thin archive records the path of its base. A reader opened through a
 * backend finds that base through the backend's open_sibling (version 2), then in the base
 * directory of hexz_open_options if one is given; it never treats the name it was given as a
 * local path or a URL. The base must carry the archive id and root hash the thin archive
 * recorded, exactly as for archives opened by path. See docs/REMOTE.md, "Custom backends".
 */
#ifndef HEXZ_BACKEND_H
#define HEXZ_BACKEND_H

#include "hexz.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HEXZ_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* Where a reader gets its bytes. Fill one in and give it to hexz_reader_open_backend*(), which
 * copies it: the struct itself may be a local variable, but `ctx` then belongs to the reader.
 *
 * Versions: 1 has version, ctx, size, read_at and close; 2 appends open_sibling. The library
 * reads only the members of the version given (a version 1 struct may be the smaller struct
 * of an older hexz_backend.h) and refuses a version newer than HEXZ_BACKEND_VERSION with
 * HEXZ_EUNSUPPORTED. New members are only ever appended. */
typedef struct hexz_backend {
    unsigned version; /* HEXZ_BACKEND_VERSION (or any 1..HEXZ_BACKEND_VERSION) */
    void *ctx;        /* the backend's state, passed to the functions below; owned by the reader
                         from the open call on, released by close */
    uint64_t size;    /* total bytes of the object (the archive); fixed for the reader's life */

    /* Reads exactly `len` bytes at `offset` (offset + len <= size) into `buf`. Returns 0, or a
     * HEXZ_E* code after calling hexz_error_set() with a one-line message naming the object;
     * a short read is an error (HEXZ_EIO or HEXZ_ECORRUPT), never a partial success. Called
     * from many threads at once (read-ahead threads too), so it must be thread-safe; it is
     * never called after close. Required. */
    int (*read_at)(void *ctx, void *buf, size_t len, uint64_t offset);

    /* Releases ctx. Called exactly once: by hexz_reader_free(), or by the open call itself when
     * it fails (also when it refuses this struct). May be NULL if there is nothing to free. */
    void (*close)(void *ctx);

    /* Version 2. Opens another object beside this one: `name` is the base path a thin archive
     * records, '/'-separated and relative to this object (as a file's path is relative to its
     * directory; it may also be absolute if the archive was packed so: the backend decides
     * what it means). On success fills `*out` (zeroed by the caller; set its version, ctx,
     * size, read_at, close and, to follow a base of the base, open_sibling) and returns 0; the
     * reader then owns out->ctx as above, even if it goes on to refuse the object. If there is
     * no such object, returns HEXZ_ENOTFOUND (the reader goes on to the base directory, then
     * reports the base as not found); any other error code, with hexz_error_set(), is final.
     * On any error *out is ignored: free whatever was made before returning. Called on the
     * thread that opens the reader, only during the open call, never after this ctx's close.
     * May be NULL: a thin archive is then found only in the base directory. */
    int (*open_sibling)(void *ctx, const char *name, struct hexz_backend *out);
} hexz_backend;

#define HEXZ_BACKEND_VERSION 2

/* Opens an archive read through `backend` (copied; the reader owns backend->ctx from now on,
 * even when this fails: close is called then). `name` names the archive in messages and in
 * hexz_base_info; it is not opened. `password` is for an encrypted archive (may be NULL). A
 * thin archive's base is found through backend->open_sibling only (no base directory: use
 * hexz_reader_open_backend_opts()). Errors: HEXZ_EINVAL for a NULL argument, version 0 or no
 * read_at; HEXZ_EUNSUPPORTED for a version newer than this library's; otherwise those of
 * hexz_reader_open(). Thread-safe. */
int hexz_reader_open_backend(hexz_reader **out, const hexz_backend *backend, const char *name,
                             const char *password);

/* Like hexz_reader_open_backend(), with the options of hexz_reader_open_opts(): password,
 * base_dir (a local directory where bases are looked for after open_sibling), signatures_only
 * and the KDF limits; opts->remote is not used (a backend's bases come from the backend or the
 * local base directory). opts may be NULL (the defaults). Thread-safe. */
int hexz_reader_open_backend_opts(hexz_reader **out, const hexz_backend *backend, const char *name,
                                  const hexz_open_options *opts);

/* Sets this thread's hexz_last_error() message to `message` (copied; may be NULL for none) and
 * returns `code`: for backends to report errors the way the library does. Thread-safe. */
int hexz_error_set(int code, const char *message);

#if defined(HEXZ_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* HEXZ_BACKEND_H */
