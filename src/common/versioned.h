/*
 * versioned.h - the ABI rules for the public structs that begin with `unsigned version`
 * (docs/ABI.md): what a caller built against an older or newer header gets.
 *
 * Each struct's owner keeps a table `ends`: ends[v - 1] is where the fields of version v end
 * (HX_FIELD_END of version v's last field; sizeof for the current version). A caller's struct
 * of version v is at least that long, so copying that far never reads or writes past it.
 */
#ifndef HEXZ_COMMON_VERSIONED_H
#define HEXZ_COMMON_VERSIONED_H

#include <stddef.h>

/* Where field F of struct T ends: the end of the version whose last field it is. Not the next
 * field's offset, which padding may put past the end of an older, smaller struct. */
#define HX_FIELD_END(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))

/* Takes a caller's option struct `src` (NULL: keep the defaults): `dst` already holds the
 * defaults of the current version; the fields src's version defines are copied over them and
 * dst->version stays `current`. A version of 0 is HEXZ_EINVAL, one newer than `current`
 * HEXZ_EUNSUPPORTED, with a message "NAME: WHAT version V ..." (NAME: the file, or the call). */
int hx_options_take(void *dst, const void *src, const size_t *ends, unsigned current,
                    const char *name, const char *what);

/* Fills a caller's info struct `dst` from the complete `full` (of version `current`): as far as
 * dst's version defines, or `current` if dst's is newer, and writes back the version filled.
 * A version of 0 is HEXZ_EINVAL and dst is left untouched. */
int hx_info_give(void *dst, const void *full, const size_t *ends, unsigned current,
                 const char *name, const char *what);

/* The check hx_info_give() makes, for calls that should refuse a bad struct before working. */
int hx_info_check(const void *dst, const char *name, const char *what);

#endif
