/*
 * error.h - setting the per-thread detail message behind hexz_last_error().
 *
 * Every failing library function calls hx_error() once, at the place that knows the file and
 * the problem, and returns the code it gets back. Callers higher up pass the code through
 * without overwriting the message.
 */
#ifndef HX_ERROR_H
#define HX_ERROR_H

#include "hexz.h"

/* Records a printf-style message for this thread and returns `code`, so that a failure reads
 * `return hx_error(HEXZ_ECORRUPT, "%s: bad header checksum", path);`. */
int hx_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like hx_error(), appending ": " and strerror(errnum). */
int hx_error_errno(int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the message, for calls that succeed after an earlier failure on the same thread. */
void hx_error_clear(void);

#endif
