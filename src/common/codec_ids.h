/*
 * codec_ids.h - the codec ids of docs/FORMAT.md (a block entry's codec byte), in one place.
 *
 * They are on-disk values, so both format/ (which checks that a decoded entry names a known
 * codec) and codec/ (which implements them) need them; both sit at level 2 and may not include
 * each other, so the ids live here below both. They equal the public hexz_codec values.
 */
#ifndef HX_CODEC_IDS_H
#define HX_CODEC_IDS_H

enum { HX_CODEC_NONE = 1, HX_CODEC_LZ4 = 2, HX_CODEC_ZSTD = 3, HX_CODEC_ZSTD_DICT = 4 };

/* Is `codec` an id the format knows? */
static inline int hx_codec_id_known(int codec)
{
    return codec >= HX_CODEC_NONE && codec <= HX_CODEC_ZSTD_DICT;
}

#endif
