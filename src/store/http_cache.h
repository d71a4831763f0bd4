/*
 * http_cache.h - turns an hx_http (http_fetch.h) into a hexz_backend that reads the remote
 * object in aligned windows, so that the many small reads of a reader become few requests.
 *
 * Window i covers bytes [i*W, (i+1)*W) of the object, W = HEXZ_HTTP_WINDOW (a power of two from
 * 4 KiB to 64 MiB, default 1 MiB). Windows are kept in an in-memory LRU bounded by
 * HEXZ_HTTP_CACHE bytes (default 64 MiB, 0 = keep none beyond the reads in progress) and, if
 * HEXZ_CACHE_DIR is set and the server gave an ETag or Last-Modified, in files under that
 * directory keyed by a hash of the URL, the validator, the size and W, written atomically.
 * Two threads that want the same window share one request: the first fetches, the others wait
 * for it on a condition variable. No lock is held during network or disk I/O.
 */
#ifndef HX_HTTP_CACHE_H
#define HX_HTTP_CACHE_H

#include "hexz.h"
#include "store/http_fetch.h"

/* Builds the windowed backend over `http`, which it owns from now on (freed on failure too).
 * HEXZ_HTTP_WINDOW, HEXZ_HTTP_CACHE and HEXZ_CACHE_DIR come from `settings` (NULL: defaults). */
int hx_http_cache_backend(hexz_backend *out, hx_http *http, const hx_remote_settings *settings);

#endif
