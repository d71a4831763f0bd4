/*
 * writer.c - the public writer calls: creating a writer, choosing streams, recording file-tree
 * entries, and staging appended bytes so the chunker always sees a whole maximum-size window.
 *
 * Bytes flow: hexz_writer_write() -> stage buffer -> hx_chunker_next() cuts -> emit_chunk() ->
 * the pipeline's workers and writer thread (pipeline.c), or with one thread straight to
 * hx_writer_commit_chunk() (writer_blocks.c). A segment (a stream switch, the end of a file,
 * finish) drains the stage so that the next segment starts on a fresh chunk.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/error.h"
#include "common/versioned.h"
#include "crypto/sign.h"
#include "pack/pipeline.h"
#include "pack/writer_impl.h"

void hexz_write_options_init(hexz_write_options *opts)
{
    hexz_write_options d = HEXZ_WRITE_OPTIONS_INIT;
    *opts = d;
}

static int init_chunker(hexz_writer *w, const char *path)
{
    const hexz_write_options *o = &w->opts;
    int rc;
    if (o->chunking == HEXZ_CHUNK_FIXED) rc = hx_chunker_init_fixed(&w->chunker, o->block_size);
    else if (o->chunking == HEXZ_CHUNK_CDC)
        rc = hx_chunker_init_cdc(&w->chunker, o->min_size, o->avg_size, o->max_size);
    else return hx_error(HEXZ_EINVAL, "%s: unknown chunking mode %d", path, (int)o->chunking);
    if (rc) return hx_error(rc, "%s: %s", path, hexz_last_error());
    return 0;
}

/* Where each version of hexz_write_options ends (common/versioned.h). */
static const size_t write_options_ends[] = {sizeof(hexz_write_options)};

int hx_write_options_take(hexz_write_options *dst, const hexz_write_options *src, const char *name)
{
    hexz_write_options_init(dst);
    return hx_options_take(dst, src, write_options_ends, HEXZ_WRITE_OPTIONS_VERSION, name,
                           "write options");
}

static int check_options(const hexz_write_options *o, const char *path)
{
    if (o->codec != HEXZ_CODEC_NONE && o->codec != HEXZ_CODEC_LZ4 && o->codec != HEXZ_CODEC_ZSTD)
        return hx_error(HEXZ_EINVAL, "%s: unknown codec %d", path, (int)o->codec);
    return 0;
}

/* A dictionary is digested once; every codec context (ours and the workers') borrows it. */
static int setup_dictionary(hexz_writer *w, const char *path)
{
    if (!w->opts.dictionary) return 0;
    if (w->opts.codec != HEXZ_CODEC_ZSTD)
        return hx_error(HEXZ_EINVAL, "%s: a dictionary needs zstd compression", path);
    if (w->opts.dictionary_size == 0 || w->opts.dictionary_size > HX_DICTIONARY_MAX)
        return hx_error(HEXZ_EINVAL, "%s: dictionary size %zu is outside 1..%u", path,
                        w->opts.dictionary_size, HX_DICTIONARY_MAX);
    int rc = hx_codec_dict_create(&w->dict, w->opts.dictionary, w->opts.dictionary_size,
                                  w->opts.level);
    if (rc) return hx_error(rc, "%s: %s", path, hexz_last_error());
    hx_codec_ctx_set_dict(w->codec, w->dict);
    w->opts.dictionary = NULL; /* borrowed for create only; the digested copy stays */
    return 0;
}

static int alloc_buffers(hexz_writer *w)
{
    uint32_t max = hx_chunker_max(&w->chunker);
    w->stage_cap = (size_t)max * 2;
    w->stage = malloc(w->stage_cap);
    w->cbuf_cap = hx_codec_bound(w->codec, max);
    w->cbuf = malloc(w->cbuf_cap);
    w->ebuf = malloc(w->cbuf_cap + HX_AEAD_OVERHEAD);
    w->seal_buf = malloc(HX_PAGE_HEADER_LEN + (size_t)w->page_entries * HX_BLOCK_ENTRY_LEN +
                         HX_AEAD_OVERHEAD);
    if (!w->stage || !w->cbuf || !w->ebuf || !w->seal_buf)
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    return 0;
}

static int choose_archive_id(hexz_writer *w, const char *path)
{
    if (w->opts.archive_id) {
        memcpy(w->archive_id, w->opts.archive_id, sizeof w->archive_id);
        return 0;
    }
    if (getrandom(w->archive_id, sizeof w->archive_id, 0) != (ssize_t)sizeof w->archive_id)
        return hx_error(HEXZ_EIO, "%s: cannot get random bytes for the archive id", path);
    return 0;
}

/* A random data key, wrapped under the password; the subkeys that seal everything. */
static int setup_encryption(hexz_writer *w, const char *path)
{
    if (!w->opts.password) return 0;
    if (w->opts.password[0] == '\0')
        return hx_error(HEXZ_EINVAL, "%s: the password is empty", path);
    int rc = hx_crypto_init();
    if (rc) return rc;
    uint8_t data_key[HX_KEY_LEN];
    hx_random_bytes(data_key, sizeof data_key);
    hx_key_record rec;
    rc = hx_key_record_wrap(&rec, data_key, w->opts.password, w->opts.kdf, w->archive_id);
    if (!rc) {
        hx_key_record_encode(&rec, w->key_record);
        hx_keys_derive(&w->keys, data_key);
        w->encrypted = 1;
        w->crypto.keys = &w->keys;
    }
    hx_wipe(data_key, sizeof data_key);
    w->opts.password = NULL; /* borrowed for create only */
    return rc ? hx_error(rc, "%s: %s", path, hexz_last_error()) : 0;
}

static int start_pipeline(hexz_writer *w)
{
    unsigned n = w->opts.threads;
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (n > 256) n = 256;
    if (n == 1) return 0;
    return hx_pipeline_start(&w->pipeline, w, n);
}

int hx_writer_create(hexz_writer **out, const char *path, const hexz_write_options *opts)
{
    if (!out || !path) return hx_error(HEXZ_EINVAL, "hexz_writer_create: NULL argument");
    hexz_writer *w = calloc(1, sizeof *w);
    if (!w) return hx_error(HEXZ_ENOMEM, "%s: out of memory", path);
    w->out.fd = -1;
    w->current = -1;
    w->page_entries = HX_PAGE_ENTRIES_DEFAULT;
    int rc = hx_write_options_take(&w->opts, opts, path);
    w->opts.base = NULL; /* opened by the caller (ops/writer_open.c), not kept */
    hx_dedup_init(&w->dedup);
    if (!rc) rc = check_options(&w->opts, path);
    if (!rc) rc = init_chunker(w, path);
    if (!rc) {
        rc = hx_codec_ctx_create(&w->codec, (int)w->opts.codec, w->opts.level);
        if (rc) rc = hx_error(rc, "%s: %s", path, hexz_last_error());
    }
    if (!rc) rc = setup_dictionary(w, path);
    if (!rc) rc = hx_outfile_open(&w->out, path, w->opts.overwrite ? HX_OUT_UPDATE : HX_OUT_CREATE);
    if (!rc) rc = alloc_buffers(w);
    if (!rc) rc = choose_archive_id(w, path);
    w->crypto.archive_id = w->archive_id;
    if (!rc) rc = setup_encryption(w, path);
    if (rc) {
        hexz_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int hx_writer_start(hexz_writer *w)
{
    int rc = start_pipeline(w);
    /* The header is written last; reserve its place. */
    uint8_t zeros[HX_HEADER_LEN] = {0};
    if (!rc) rc = hx_outfile_write(&w->out, zeros, sizeof zeros);
    return rc;
}

static int usable(hexz_writer *w)
{
    if (!w) return hx_error(HEXZ_EINVAL, "hexz writer: NULL handle");
    if (w->failed || w->finished)
        return hx_error(HEXZ_EINVAL, "%s: writer already failed or finished", w->out.dest);
    return 0;
}

/* Records the outcome of a call: any failure makes the writer unusable. */
static int outcome(hexz_writer *w, int rc)
{
    if (rc) w->failed = 1;
    return rc;
}

static int report_progress(hexz_writer *w)
{
    if (!w->opts.progress || w->progress.bytes_in < w->next_progress) return 0;
    w->next_progress = w->progress.bytes_in + (4u << 20);
    /* Field by field: the committer (the pipeline's writer thread) updates bytes_out, blocks
     * and the dedup counters atomically while this thread reads them, so a plain copy of the
     * struct would race with it. bytes_in and bytes_total are this thread's own. */
    hexz_progress now = {.version = HEXZ_PROGRESS_VERSION,
                         .bytes_in = w->progress.bytes_in,
                         .bytes_total = w->progress.bytes_total};
    now.bytes_out = __atomic_load_n(&w->progress.bytes_out, __ATOMIC_RELAXED);
    now.blocks = __atomic_load_n(&w->progress.blocks, __ATOMIC_RELAXED);
    now.dedup_hits = __atomic_load_n(&w->progress.dedup_hits, __ATOMIC_RELAXED);
    now.dedup_bytes = __atomic_load_n(&w->progress.dedup_bytes, __ATOMIC_RELAXED);
    now.base_bytes = __atomic_load_n(&w->progress.base_bytes, __ATOMIC_RELAXED);
    if (w->opts.progress(&now, w->opts.progress_user))
        return hx_error(HEXZ_ECANCELED, "%s: canceled", w->out.dest);
    return 0;
}

int hx_writer_poll_cancel(hexz_writer *w)
{
    int rc = usable(w);
    if (rc) return rc;
    w->next_progress = w->progress.bytes_in;
    return outcome(w, report_progress(w));
}

/* Hands one chunk on: to the pipeline, or straight to the committer when there are no threads
 * (then it is hashed first and compressed only if dedup does not find it). */
static int emit_chunk(hexz_writer *w, const uint8_t *data, size_t len)
{
    hx_wstream *s = w->streams[w->current];
    s->queued_size += len;
    w->progress.bytes_in += len;
    if (w->pipeline) return hx_pipeline_submit(w->pipeline, s->index, data, len);
    hx_prepared p;
    hx_block_prepare_hash(data, len, &w->crypto, &p);
    return hx_writer_commit_chunk(w, s->index, data, len, &p);
}

int hx_writer_put_chunk(hexz_writer *w, uint32_t stream, const uint8_t *data, size_t len)
{
    int rc = usable(w);
    if (rc) return rc;
    if (w->stage_len)
        return hx_error(HEXZ_EINVAL, "%s: staged bytes before a whole block", w->out.dest);
    w->current = (int)stream;
    hx_wstream *s = w->streams[stream];
    if (!data) {
        s->queued_size += len;
        w->progress.bytes_in += len;
        if (w->pipeline) rc = hx_pipeline_submit(w->pipeline, s->index, NULL, len);
        else {
            hx_prepared p = {.is_zero = 1};
            rc = hx_writer_commit_chunk(w, s->index, NULL, len, &p);
        }
    } else {
        rc = emit_chunk(w, data, len);
    }
    if (!rc) rc = report_progress(w);
    return outcome(w, rc);
}

/* Cuts and emits chunks from data[0..len) while a full window is there (or all, at_end). */
static int cut_chunks(hexz_writer *w, const uint8_t *data, size_t len, int at_end, size_t *used)
{
    size_t pos = 0, max = hx_chunker_max(&w->chunker);
    while (pos < len && (at_end || len - pos >= max)) {
        size_t n = hx_chunker_next(&w->chunker, data + pos, len - pos, at_end);
        int rc = emit_chunk(w, data + pos, n);
        if (rc) return rc;
        pos += n;
    }
    *used = pos;
    return report_progress(w);
}

static int drain_stage(hexz_writer *w)
{
    size_t used;
    int rc = cut_chunks(w, w->stage + w->stage_start, w->stage_len, 1, &used);
    w->stage_start = w->stage_len = 0;
    return rc;
}

static int find_stream(hexz_writer *w, const char *name)
{
    for (uint32_t i = 0; i < w->stream_count; i++)
        if (strcmp(w->streams[i]->name, name) == 0) return (int)i;
    return -1;
}

static int add_stream(hexz_writer *w, const char *name)
{
    if (w->stream_count == HX_STREAM_MAX_COUNT)
        return hx_error(HEXZ_EINVAL, "%s: too many streams", w->out.dest);
    hx_wstream *s = calloc(1, sizeof *s);
    if (!s) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    strcpy(s->name, name);
    s->index = w->stream_count;
    s->page_buf = malloc(HX_PAGE_HEADER_LEN + (size_t)w->page_entries * HX_BLOCK_ENTRY_LEN);
    if (!s->page_buf) {
        free(s);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    }
    w->streams[w->stream_count++] = s;
    return 0;
}

static int switch_stream(hexz_writer *w, const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > HX_STREAM_NAME_MAX)
        return hx_error(HEXZ_EINVAL, "%s: stream name must be 1 to %d bytes", w->out.dest,
                        HX_STREAM_NAME_MAX);
    int rc = drain_stage(w);
    if (rc) return rc;
    int idx = find_stream(w, name);
    if (idx < 0) {
        rc = add_stream(w, name);
        if (rc) return rc;
        idx = (int)w->stream_count - 1;
    }
    w->current = idx;
    return 0;
}

int hexz_writer_begin_stream(hexz_writer *w, const char *name)
{
    int rc = usable(w);
    if (rc) return rc;
    if (!name) return hx_error(HEXZ_EINVAL, "%s: NULL stream name", w->out.dest);
    if (w->in_file) return hx_error(HEXZ_EINVAL, "%s: a file is still open", w->out.dest);
    return outcome(w, switch_stream(w, name));
}

static int append(hexz_writer *w, const uint8_t *p, size_t len)
{
    size_t max = hx_chunker_max(&w->chunker);
    while (len > 0) {
        if (w->stage_len == 0 && len >= max) {
            /* Nothing staged: cut straight from the caller's buffer and stage only the tail. */
            size_t used;
            int rc = cut_chunks(w, p, len, 0, &used);
            if (rc) return rc;
            p += used;
            len -= used;
            continue;
        }
        if (w->stage_start + w->stage_len + len > w->stage_cap && w->stage_start > 0) {
            memmove(w->stage, w->stage + w->stage_start, w->stage_len);
            w->stage_start = 0;
        }
        size_t room = w->stage_cap - w->stage_start - w->stage_len;
        size_t n = len < room ? len : room;
        memcpy(w->stage + w->stage_start + w->stage_len, p, n);
        w->stage_len += n;
        p += n;
        len -= n;
        size_t used;
        int rc = cut_chunks(w, w->stage + w->stage_start, w->stage_len, 0, &used);
        if (rc) return rc;
        w->stage_start += used;
        w->stage_len -= used;
        if (w->stage_len == 0) w->stage_start = 0;
    }
    return 0;
}

/* Appends one hole chunk of `len` zero bytes without touching any buffer. */
static int emit_hole_chunk(hexz_writer *w, size_t len)
{
    hx_wstream *s = w->streams[w->current];
    s->queued_size += len;
    w->progress.bytes_in += len;
    if (w->pipeline) return hx_pipeline_submit(w->pipeline, s->index, NULL, len);
    hx_prepared p = {.is_zero = 1};
    return hx_writer_commit_chunk(w, s->index, NULL, len, &p);
}

/* Zeros go through the chunker like any bytes until the chunk being cut starts inside the zero
 * run; from there every chunk has the same length (cuts depend only on the bytes from the chunk
 * start, here all zeros), so whole chunks are emitted as holes without scanning anything. The
 * archive is byte for byte the one that writing the zeros would give. */
static int write_zeros(hexz_writer *w, uint64_t len)
{
    size_t max = hx_chunker_max(&w->chunker);
    if (!w->zeros) {
        w->zeros = calloc(1, max);
        if (!w->zeros) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
        w->zero_chunk = hx_chunker_next(&w->chunker, w->zeros, max, 0);
    }
    while (len > 0 &&
           !(w->stage_len < max && hx_is_zero(w->stage + w->stage_start, w->stage_len))) {
        size_t n = len < max ? (size_t)len : max;
        int rc = append(w, w->zeros, n);
        if (rc) return rc;
        len -= n;
    }
    uint64_t run = w->stage_len + len; /* zeros from the current chunk start on */
    if (run < max) return append(w, w->zeros, (size_t)len);
    int rc = 0;
    while (!rc && run >= max) {
        rc = emit_hole_chunk(w, w->zero_chunk);
        run -= w->zero_chunk;
        if (!rc) rc = report_progress(w);
    }
    if (rc) return rc;
    w->stage_start = 0;
    w->stage_len = (size_t)run;
    memset(w->stage, 0, w->stage_len);
    return 0;
}

int hexz_writer_write_zeros(hexz_writer *w, uint64_t len)
{
    int rc = usable(w);
    if (rc) return rc;
    if (w->current < 0 && (rc = switch_stream(w, "main")) != 0) return outcome(w, rc);
    return outcome(w, write_zeros(w, len));
}

int hexz_writer_write(hexz_writer *w, const void *buf, size_t len)
{
    int rc = usable(w);
    if (rc) return rc;
    if (!buf && len) return hx_error(HEXZ_EINVAL, "%s: NULL buffer", w->out.dest);
    if (w->current < 0 && (rc = switch_stream(w, "main")) != 0) return outcome(w, rc);
    return outcome(w, append(w, buf, len));
}

/* Appends a copy of *f: its path and target (NUL-terminated, borrowed) are duplicated and their
 * lengths set. */
static int add_file_entry(hexz_writer *w, const hx_manifest_entry *f)
{
    if (w->file_count == w->file_cap) {
        size_t cap = w->file_cap ? w->file_cap * 2 : 64;
        hx_manifest_entry *p = realloc(w->files, cap * sizeof *p);
        if (!p) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
        w->files = p;
        w->file_cap = cap;
    }
    char *path = strdup(f->path), *target = f->target ? strdup(f->target) : NULL;
    if (!path || (f->target && !target)) {
        free(path);
        free(target);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    }
    hx_manifest_entry *e = &w->files[w->file_count++];
    *e = *f;
    e->path = path;
    e->target = target;
    e->path_length = (uint16_t)strlen(path);
    e->target_length = target ? (uint32_t)strlen(target) : 0;
    return 0;
}

static int new_entry(hexz_writer *w, uint8_t type, const char *path, uint32_t mode, int64_t sec,
                     uint32_t nsec, const char *target)
{
    int rc = usable(w);
    if (rc) return rc;
    if (!path || !hx_path_valid(path, strlen(path)))
        return hx_error(HEXZ_EINVAL, "%s: invalid path in file tree: %s", w->out.dest,
                        path ? path : "(null)");
    if (w->in_file) return hx_error(HEXZ_EINVAL, "%s: a file is still open", w->out.dest);
    if (mode > 07777 || nsec > 999999999u)
        return hx_error(HEXZ_EINVAL, "%s: %s: bad mode or mtime", w->out.dest, path);
    if (target && (target[0] == '\0' || strlen(target) > HX_PATH_MAX))
        return hx_error(HEXZ_EINVAL, "%s: %s: bad symbolic link target", w->out.dest, path);
    hx_manifest_entry f = {.type = type,
                           .mode = mode,
                           .mtime_sec = sec,
                           .mtime_nsec = nsec,
                           .path = path,
                           .target = target};
    w->tree = 1;
    return outcome(w, add_file_entry(w, &f));
}

int hexz_writer_add_dir(hexz_writer *w, const char *path, uint32_t mode, int64_t mtime_sec,
                        uint32_t mtime_nsec)
{
    return new_entry(w, HX_FILE_DIR, path, mode, mtime_sec, mtime_nsec, NULL);
}

int hexz_writer_add_symlink(hexz_writer *w, const char *path, const char *target, int64_t mtime_sec,
                            uint32_t mtime_nsec)
{
    if (!target) return hx_error(HEXZ_EINVAL, "hexz_writer_add_symlink: NULL target");
    return new_entry(w, HX_FILE_SYMLINK, path, 0777, mtime_sec, mtime_nsec, target);
}

int hexz_writer_begin_file(hexz_writer *w, const char *path, uint32_t mode, int64_t mtime_sec,
                           uint32_t mtime_nsec)
{
    int rc = new_entry(w, HX_FILE_REGULAR, path, mode, mtime_sec, mtime_nsec, NULL);
    if (rc) return rc;
    rc = switch_stream(w, "main");
    if (rc) return outcome(w, rc);
    w->files[w->file_count - 1].offset = w->streams[w->current]->queued_size;
    w->in_file = 1;
    return 0;
}

int hexz_writer_end_file(hexz_writer *w)
{
    int rc = usable(w);
    if (rc) return rc;
    if (!w->in_file) return hx_error(HEXZ_EINVAL, "%s: no file is open", w->out.dest);
    rc = drain_stage(w);
    if (rc) return outcome(w, rc);
    hx_manifest_entry *f = &w->files[w->file_count - 1];
    f->size = w->streams[w->current]->queued_size - f->offset;
    w->in_file = 0;
    return 0;
}

int hexz_writer_finish(hexz_writer *w)
{
    int rc = usable(w);
    if (rc) return rc;
    if (w->in_file)
        return outcome(w, hx_error(HEXZ_EINVAL, "%s: a file is still open", w->out.dest));
    if (w->current < 0) rc = switch_stream(w, "main");
    if (!rc) rc = drain_stage(w);
    if (!rc && w->pipeline) rc = hx_pipeline_drain(w->pipeline);
    for (uint32_t i = 0; i < w->stream_count && !rc; i++) {
        rc = hx_writer_flush_hole(w, w->streams[i]);
        if (!rc) rc = hx_writer_flush_page(w, w->streams[i]);
    }
    if (!rc) rc = hx_writer_write_metadata(w);
    if (!rc) rc = hx_outfile_commit(&w->out);
    if (!rc && w->opts.progress) {
        w->progress.bytes_out = w->out.pos;
        w->progress.version = HEXZ_PROGRESS_VERSION;
        w->opts.progress(&w->progress, w->opts.progress_user);
    }
    w->finished = 1;
    return outcome(w, rc);
}

void hexz_writer_free(hexz_writer *w)
{
    if (!w) return;
    hx_pipeline_free(w->pipeline); /* first: its threads use everything below */
    hx_outfile_discard(&w->out);
    for (uint32_t i = 0; i < w->stream_count; i++) {
        free(w->streams[i]->pages);
        free(w->streams[i]->page_buf);
        free(w->streams[i]);
    }
    for (size_t i = 0; i < w->file_count; i++) {
        free((char *)w->files[i].path);
        free((char *)w->files[i].target);
    }
    free(w->files);
    free(w->stage);
    free(w->zeros);
    free(w->cbuf);
    free(w->ebuf);
    free(w->seal_buf);
    hx_wipe(&w->keys, sizeof w->keys);
    hx_codec_ctx_free(w->codec);
    hx_codec_dict_free(w->dict);
    hx_dedup_free(&w->dedup);
    free(w);
}

int hx_writer_add_entry(hexz_writer *w, const hx_manifest_entry *f)
{
    int rc = usable(w);
    if (rc) return rc;
    rc = add_file_entry(w, f);
    w->tree = 1;
    return outcome(w, rc);
}

int hx_writer_stream(hexz_writer *w, const char *name, uint32_t *index)
{
    int rc = usable(w);
    if (!rc) rc = outcome(w, switch_stream(w, name));
    if (!rc) *index = (uint32_t)w->current;
    return rc;
}
