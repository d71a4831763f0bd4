/*
 * predict.c - hexz_predict(): the size an archive would have, estimated without writing one.
 *
 * Each chunking is run over the whole input (cutting and hashing are cheap next to
 * compression), so holes and dedup are counted exactly; only every 4th distinct chunk is
 * compressed with each codec. The compression ratio of the sample, applied to all distinct bytes,
 * plus the index's own size, is the estimate.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses chunk/, codec/, hash/ and the dedup table
 * (pack/dedup_table.h); no reader, no writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunk/chunk.h"
#include "codec/codec.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/versioned.h"
#include "format/format.h"
#include "pack/dedup_table.h"
#include "pack/writer.h"

#define SMALL_INPUT (64ull << 20) /* below this, every distinct chunk is compressed */
#define SAMPLE_STRIDE_CHUNKS 4    /* otherwise one chunk per 4 average chunks of distinct bytes */

typedef struct {
    hx_chunker chunker;
    hx_codec_ctx *lz4, *zstd;
    uint8_t *cbuf;
    size_t cap;
    int sample_all;
    hx_dedup_table seen;
    uint64_t chunks, holes, zero_bytes, unique_bytes, sample_in;
    uint64_t stride, next_sample; /* sample the chunk holding each stride-th distinct byte */
    double ratio_lz4, ratio_zstd; /* sums of the sampled chunks' compression ratios */
    uint64_t samples;
    int in_hole;
} pass_state;

static int sample_chunk(pass_state *p, const uint8_t *data, size_t len)
{
    size_t n = 0;
    int rc = hx_codec_compress(p->lz4, data, len, p->cbuf, p->cap, &n);
    if (rc) return rc;
    p->ratio_lz4 += (double)(n < len ? n : len) / (double)len;
    rc = hx_codec_compress(p->zstd, data, len, p->cbuf, p->cap, &n);
    if (rc) return rc;
    p->ratio_zstd += (double)(n < len ? n : len) / (double)len;
    p->sample_in += len;
    p->samples++;
    return 0;
}

static int take_chunk(pass_state *p, const uint8_t *data, size_t len)
{
    if (hx_is_zero(data, len)) {
        p->zero_bytes += len;
        if (!p->in_hole) p->holes++;
        p->in_hole = 1;
        return 0;
    }
    p->in_hole = 0;
    p->chunks++;
    hx_dedup_slot slot = {0};
    hx_hash(data, len, slot.hash);
    if (hx_dedup_find(&p->seen, slot.hash)) return 0;
    int rc = hx_dedup_insert(&p->seen, &slot);
    if (rc) return rc;
    /* Systematic sampling by bytes, in input order: each distinct byte is equally likely to be
     * in the sample (the chunk holding every stride-th one is compressed), so the mean ratio of
     * the sampled chunks estimates the ratio of all bytes. Sampling by chunk count, or by hash,
     * missed that chunks of text and of random data differ in size, and varied by 10%. */
    uint64_t end = p->unique_bytes + len;
    p->unique_bytes = end;
    if (p->sample_all || end > p->next_sample) {
        while (p->next_sample < end) p->next_sample += p->stride;
        rc = sample_chunk(p, data, len);
    }
    return rc;
}

/* One chunking over the whole input: a staging buffer of two maximum chunks, refilled. */
static int run_pass(pass_state *p, int fd, const char *name)
{
    size_t max = hx_chunker_max(&p->chunker), cap = 2 * max + (1u << 20), len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return hx_error(HEXZ_ENOMEM, "out of memory");
    int rc = 0, eof = 0;
    if (lseek(fd, 0, SEEK_SET) < 0) rc = hx_error_errno(HEXZ_EIO, errno, "%s", name);
    while (!rc && (!eof || len > 0)) {
        while (!eof && len < cap) {
            ssize_t n = read(fd, buf + len, cap - len);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) rc = hx_error_errno(HEXZ_EIO, errno, "%s: read failed", name);
            if (n <= 0) eof = 1;
            else len += (size_t)n;
        }
        size_t pos = 0;
        while (!rc && pos < len && (eof || len - pos >= max)) {
            size_t n = hx_chunker_next(&p->chunker, buf + pos, len - pos, eof);
            rc = take_chunk(p, buf + pos, n);
            pos += n;
        }
        memmove(buf, buf + pos, len - pos);
        len -= pos;
    }
    free(buf);
    return rc;
}

static uint64_t index_overhead(uint64_t entries)
{
    uint64_t pages = (entries + HX_PAGE_ENTRIES_DEFAULT - 1) / HX_PAGE_ENTRIES_DEFAULT;
    return HX_HEADER_LEN + entries * HX_BLOCK_ENTRY_LEN +
           pages * (HX_PAGE_HEADER_LEN + HX_PAGE_DIR_ENTRY_LEN) + 512; /* sections and table */
}

static uint64_t estimate(const pass_state *p, double ratio_sum)
{
    double ratio = p->samples ? ratio_sum / (double)p->samples : 1.0;
    return (uint64_t)((double)p->unique_bytes * ratio) + index_overhead(p->chunks + p->holes);
}

static int predict_with(int fd, const char *name, const hexz_write_options *o, int cdc,
                        uint64_t size, hexz_predict_info *out)
{
    pass_state p;
    memset(&p, 0, sizeof p);
    hx_dedup_init(&p.seen);
    p.sample_all = size < SMALL_INPUT;
    int rc = cdc ? hx_chunker_init_cdc(&p.chunker, o->min_size, o->avg_size, o->max_size)
                 : hx_chunker_init_fixed(&p.chunker, o->block_size);
    if (!rc)
        rc = hx_codec_ctx_create(&p.lz4, HX_CODEC_LZ4, o->codec == HEXZ_CODEC_LZ4 ? o->level : 0);
    if (!rc)
        rc = hx_codec_ctx_create(&p.zstd, HX_CODEC_ZSTD,
                                 o->codec == HEXZ_CODEC_ZSTD ? o->level : 0);
    if (!rc) {
        p.cap = hx_codec_bound(p.zstd, hx_chunker_max(&p.chunker)) +
                hx_codec_bound(p.lz4, hx_chunker_max(&p.chunker));
        p.cbuf = malloc(p.cap);
        if (!p.cbuf) rc = hx_error(HEXZ_ENOMEM, "out of memory");
    }
    p.stride = (uint64_t)SAMPLE_STRIDE_CHUNKS * (cdc ? o->avg_size : o->block_size);
    if (!rc) rc = run_pass(&p, fd, name);
    if (!rc) {
        hexz_prediction *lz4 = &out->predictions[cdc ? 2 : 0],
                        *zstd = &out->predictions[cdc ? 3 : 1];
        *lz4 = (hexz_prediction){cdc ? HEXZ_CHUNK_CDC : HEXZ_CHUNK_FIXED, HEXZ_CODEC_LZ4,
                                 estimate(&p, p.ratio_lz4)};
        *zstd = (hexz_prediction){cdc ? HEXZ_CHUNK_CDC : HEXZ_CHUNK_FIXED, HEXZ_CODEC_ZSTD,
                                  estimate(&p, p.ratio_zstd)};
        if (cdc) {
            out->unique_bytes_cdc = p.unique_bytes;
            out->zero_bytes = p.zero_bytes;
        } else {
            out->unique_bytes_fixed = p.unique_bytes;
        }
        out->sampled_bytes += p.sample_in;
    }
    hx_codec_ctx_free(p.lz4);
    hx_codec_ctx_free(p.zstd);
    free(p.cbuf);
    hx_dedup_free(&p.seen);
    return rc ? hx_error(rc, "%s: %s", name, hexz_last_error()) : 0;
}

static unsigned recommend(const hexz_predict_info *o)
{
    unsigned best = 0;
    for (unsigned i = 1; i < 4; i++)
        if (o->predictions[i].estimated_bytes < o->predictions[best].estimated_bytes) best = i;
    /* lz4 packs and reads several times faster than zstd: worth up to 5% of size. */
    unsigned lz4 = best & ~1u;
    if (o->predictions[best].codec == HEXZ_CODEC_ZSTD &&
        o->predictions[lz4].estimated_bytes * 100 <= o->predictions[best].estimated_bytes * 105)
        best = lz4;
    return best;
}

int hexz_predict(const char *input, const hexz_write_options *opts, hexz_predict_info *out)
{
    static const size_t ends[] = {sizeof(hexz_predict_info)}; /* common/versioned.h */
    if (!input || !out) return hx_error(HEXZ_EINVAL, "hexz_predict: NULL argument");
    hexz_write_options o;
    int rc = hx_info_check(out, input, "predict info");
    if (!rc) rc = hx_write_options_take(&o, opts, input);
    if (rc) return rc;
    /* O_NONBLOCK: a fifo must not hold open(2) for ever; it is refused below. */
    int fd = open(input, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", input);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    struct stat st;
    if (fstat(fd, &st) != 0) rc = hx_error_errno(HEXZ_EIO, errno, "%s", input);
    else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        rc = hx_error(HEXZ_EINVAL, "%s: predict reads a file or a block device", input);
    hexz_predict_info info;
    memset(&info, 0, sizeof info);
    info.input_bytes = (uint64_t)st.st_size;
    if (!rc) rc = predict_with(fd, input, &o, 0, info.input_bytes, &info);
    if (!rc) rc = predict_with(fd, input, &o, 1, info.input_bytes, &info);
    close(fd);
    if (rc) return rc;
    info.prediction_count = 4;
    info.recommended = recommend(&info);
    return hx_info_give(out, &info, ends, HEXZ_PREDICT_INFO_VERSION, input, "predict info");
}
