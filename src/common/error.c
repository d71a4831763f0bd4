/*
 * error.c - error names and the per-thread detail message behind hexz_last_error().
 *
 * The message lives in thread-local storage, so concurrent calls on different threads never see
 * each other's errors and the library keeps no shared mutable state.
 */
#include "common/error.h"
#include "hexz_backend.h" /* hexz_error_set */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HX_ERROR_MSG_MAX 1024

static _Thread_local char last_error[HX_ERROR_MSG_MAX];

const char *hexz_strerror(int code)
{
    switch (code) {
    case HEXZ_OK: return "success";
    case HEXZ_EINVAL: return "invalid argument";
    case HEXZ_ENOMEM: return "out of memory";
    case HEXZ_EIO: return "I/O error";
    case HEXZ_ECORRUPT: return "corrupt archive";
    case HEXZ_EUNSUPPORTED: return "unsupported archive feature";
    case HEXZ_EBADSIG: return "bad signature";
    case HEXZ_ENOTFOUND: return "not found";
    case HEXZ_ERANGE: return "out of range";
    case HEXZ_ECANCELED: return "canceled";
    case HEXZ_EEXIST: return "already exists";
    case HEXZ_EPASSWORD: return "password missing or wrong";
    default: return "unknown error";
    }
}

const char *hexz_last_error(void)
{
    return last_error;
}

const char *hexz_version(void)
{
    return HEXZ_VERSION_STRING;
}

/* Messages are formatted into a local buffer first, so that a caller may pass the current
 * message as an argument to prefix it: hx_error(rc, "%s: %s", path, hexz_last_error()). */
int hx_error(int code, const char *fmt, ...)
{
    char msg[HX_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return code;
}

int hx_error_errno(int code, int errnum, const char *fmt, ...)
{
    char msg[HX_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* EFBIG says only "File too large": name the two limits that give it (RLIMIT_FSIZE, as with
     * `ulimit -f`, and the file system's largest file, 4 GiB on FAT). */
    const char *text = errnum == EFBIG ? "file too large (a file size limit of the process or the "
                                         "file system was reached)"
                                       : strerror(errnum);
    if (n >= 0 && (size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - (size_t)n, ": %s", text);
    memcpy(last_error, msg, sizeof msg);
    return code;
}

int hexz_error_set(int code, const char *message)
{
    return hx_error(code, "%s", message ? message : "");
}

void hx_error_clear(void)
{
    last_error[0] = '\0';
}
