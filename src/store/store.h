/*
 * store.h - opening the bytes of an archive from a location: a local file, or a URL handled by
 * a remote backend. Every backend is a hexz_backend (include/hexz_backend.h); the reader sees only
 * that.
 *
 * Remote backends live in their own files (store_http.c, store_s3.c) and register here by
 * scheme, so this file never needs an #ifdef.
 */
#ifndef HX_STORE_H
#define HX_STORE_H

#include "hexz_backend.h" /* hexz_backend; includes hexz.h */

/* The settings of the remote backends: the caller's hexz_remote_options (include/hexz.h,
 * which lists the names; docs/REMOTE.md). The backends read every setting through
 * hx_remote_setting(); the library reads no environment variables. */
typedef hexz_remote_options hx_remote_settings;

/* The value of setting `name`, or NULL if it is unset or empty (or `s` is NULL). */
const char *hx_remote_setting(const hx_remote_settings *s, const char *name);

/* Opens `location`. For a local file, *fd_out (if not NULL) gets a descriptor that stays owned
 * by the backend (valid until its close), for callers that copy files; -1 for remote ones.
 * Remote backends take their settings from `settings` (NULL: all defaults, no credentials). */
int hx_store_open_with(hexz_backend *out, const char *location, int *fd_out,
                       const hx_remote_settings *settings);

/* Is `location` a URL (scheme://...) rather than a local path? */
int hx_store_is_url(const char *location);

/* Local files (store_file.c). */
int hx_store_file_open(hexz_backend *out, const char *path, int *fd_out);
/* NULL for a regular file's st_mode, else what the file is: "a FIFO", "a directory", ... */
const char *hx_store_file_kind(unsigned mode);

/* Remote backends (store_http.c, store_s3.c; docs/REMOTE.md). */
int hx_store_http_open(hexz_backend *out, const char *url, const hx_remote_settings *settings);
int hx_store_s3_open(hexz_backend *out, const char *url, const hx_remote_settings *settings);

#endif
