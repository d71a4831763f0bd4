/*
 * version.c - the library-wide entry points that belong to no layer: hexz_version_number() (the
 * version of the library actually linked, for programs that check it against the
 * HEXZ_VERSION_NUMBER of the header they were built with) and hexz_free() (memory the library
 * allocated for the caller, released by the same allocator that made it, whatever allocator the
 * program uses).
 */
#include <stdlib.h>

#include "hexz.h"

unsigned hexz_version_number(void)
{
    return HEXZ_VERSION_NUMBER;
}

void hexz_free(void *p)
{
    free(p);
}
