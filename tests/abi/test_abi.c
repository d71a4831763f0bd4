/*
 * test_abi.c - a program built on the public headers alone (include/hexz.h, hexz_backend.h)
 * and linked with libhexz.so (CTest test_abi): the shared library provides the public API, and
 * its version is the header's and the project()'s.
 */
#include <stdio.h>
#include <string.h>

#include "hexz.h"
#include "hexz_backend.h"

static int closed;

static void count_close(void *ctx)
{
    (void)ctx;
    closed++;
}

int main(void)
{
    int fail = 0;
    if (hexz_version_number() != HEXZ_VERSION_NUMBER) {
        printf("FAIL: hexz_version_number() = %u, header %u\n", hexz_version_number(),
               (unsigned)HEXZ_VERSION_NUMBER);
        fail = 1;
    }
    if (strcmp(hexz_version(), HEXZ_VERSION_STRING) != 0 ||
        strcmp(hexz_version(), HEXZ_EXPECTED_VERSION) != 0) {
        printf("FAIL: hexz_version() = %s, header %s, project %s\n", hexz_version(),
               HEXZ_VERSION_STRING, HEXZ_EXPECTED_VERSION);
        fail = 1;
    }
    hexz_reader *r = NULL;
    if (hexz_reader_open(&r, "/nonexistent/hexz-abi-test.hxz") != HEXZ_ENOTFOUND || r) {
        printf("FAIL: opening a missing archive through libhexz.so: %s\n", hexz_last_error());
        fail = 1;
    }
    /* hexz_backend.h's functions are exported too: a newer backend is refused, and closed. */
    hexz_backend b = {.version = HEXZ_BACKEND_VERSION + 1, .close = count_close};
    if (hexz_reader_open_backend(&r, &b, "abi", NULL) != HEXZ_EUNSUPPORTED || closed != 1) {
        printf("FAIL: a backend newer than the library's through libhexz.so: %s\n",
               hexz_last_error());
        fail = 1;
    }
    hexz_reader_free(NULL);
    if (!fail) printf("OK: libhexz.so %s\n", hexz_version());
    return fail;
}
