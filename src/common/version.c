/*
 * version.c - hexz_version_number(): the version of the library actually linked, for programs
 * that check it against the HEXZ_VERSION_NUMBER of the header they were built with.
 */
#include "hexz.h"

unsigned hexz_version_number(void)
{
    return HEXZ_VERSION_NUMBER;
}
