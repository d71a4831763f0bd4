/*
 * block_set.h - the set of distinct stored blocks met while scanning an index, keyed by stored
 * offset. verify uses it to check each stored block once however many entries share it, and to
 * check that the sharing entries agree; inspect uses it to count unique blocks.
 *
 * A typed front end on common/hash_set.h: 72 bytes a slot plus a bit, grown at 3/4 load.
 */
#ifndef HX_BLOCK_SET_H
#define HX_BLOCK_SET_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash_set.h"
#include "format/format.h"

typedef hx_hash_set hx_block_set;

void hx_block_set_init(hx_block_set *s);
void hx_block_set_free(hx_block_set *s);
/* The entry stored at e->stored_offset, or NULL. */
const hx_block_entry *hx_block_set_find(const hx_block_set *s, uint64_t stored_offset);
/* Adds a copy of `e` (whose offset must not be present). 0 or HEXZ_ENOMEM. */
int hx_block_set_add(hx_block_set *s, const hx_block_entry *e);

#endif
