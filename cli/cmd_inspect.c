/*
 * cmd_inspect.c - 'hexz inspect': prints everything hexz_reader_inspect() reports about an
 * archive (format, identity, encryption, signatures, parameters, streams, space accounting,
 * dedup, holes, codecs, file tree counts, chunk-size histogram) and, for a thin archive, its
 * chain of bases and the bytes each level serves; aligned for people or as JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_text.h"
#include "commands.h"
#include "json.h"
#include "opt.h"
#include "password.h"

#define LABEL_WIDTH 18

/* Everything inspect shows: the library's figures plus the per-stream details. */
typedef struct {
    const char *archive;
    hexz_inspect_info info;
    hexz_stream_info *streams;
    char id_hex[33], root_hex[65];
    int encrypted;
    unsigned signature_count;
    hexz_signature_info *signatures; /* as recorded; inspect does not check them */
    hexz_base_info *bases;           /* bases[k - 1] is the base at level k */
} inspect_data;

typedef struct {
    const char *archive;
    cli_open_args open;
    int json;
} inspect_args;

static const opt_spec inspect_options[] = {
    OPT_E_FLAG("json", 0, inspect_args, json, "print JSON"),
    CLI_OPTS_OPEN(inspect_args, open),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_inspect(inspect_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_inspect, inspect_options, a, argc, argv);
    if (rc >= 0) return rc;
    if (opt_archive(&p, &a->archive) < 0) return CLI_USAGE;
    return -1;
}

static double ratio_of(const hexz_inspect_info *in)
{
    return in->file_size ? (double)in->logical_bytes / (double)in->file_size : 0.0;
}

static void bucket_label(unsigned i, char *out, size_t cap)
{
    char lo[16], hi[16];
    cli_size_label((uint64_t)1 << i, lo, sizeof lo);
    cli_size_label((uint64_t)1 << (i + 1), hi, sizeof hi);
    snprintf(out, cap, "%s-%s", lo, hi);
}

/* ---- human-readable output ------------------------------------------------------------------ */

static void row(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row(const char *label, const char *fmt, ...)
{
    printf("%-*s", LABEL_WIDTH, label);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void row_bytes(const char *label, uint64_t n)
{
    char h[32];
    cli_human_bytes(n, h, sizeof h);
    if (n < 1024) row(label, "%llu", (unsigned long long)n);
    else row(label, "%llu (%s)", (unsigned long long)n, h);
}

static void row_count(const char *label, uint64_t n)
{
    row(label, "%llu", (unsigned long long)n);
}

static void print_params(const hexz_inspect_info *in)
{
    if (in->chunking == HEXZ_CHUNK_FIXED) row("chunking", "fixed, block size %u", in->block_size);
    else
        row("chunking", "%s, min %u, avg %u, max %u", cli_chunking_name(in->chunking), in->min_size,
            in->avg_size, in->max_size);
    if (in->codec == HEXZ_CODEC_NONE) row("codec", "none");
    else if (in->level == 0) row("codec", "%s, default level", cli_codec_name(in->codec));
    else row("codec", "%s, level %d", cli_codec_name(in->codec), in->level);
}

static void print_streams(const inspect_data *d)
{
    row("streams", "%u", d->info.stream_count);
    for (unsigned i = 0; i < d->info.stream_count; i++) {
        const hexz_stream_info *s = &d->streams[i];
        char *name = cli_text_escape(s->name); /* from the archive: escaped, one line */
        printf("  %-*s%llu bytes, %llu blocks\n", LABEL_WIDTH - 2, name ? name : "?",
               (unsigned long long)s->size, (unsigned long long)s->block_count);
        free(name);
    }
}

static void print_space(const hexz_inspect_info *in)
{
    row_bytes("logical bytes", in->logical_bytes);
    row_bytes("stored bytes", in->stored_bytes);
    row("ratio", "%.2f", ratio_of(in));
    row_count("blocks", in->blocks);
    row("unique blocks", "%llu (%llu logical bytes)", (unsigned long long)in->unique_blocks,
        (unsigned long long)in->unique_logical_bytes);
    row("dedup", "%llu blocks, %llu bytes", (unsigned long long)in->dedup_blocks,
        (unsigned long long)in->dedup_bytes);
    row("holes", "%llu blocks, %llu bytes", (unsigned long long)in->hole_blocks,
        (unsigned long long)in->hole_bytes);
    row("stored by codec", "none %llu, lz4 %llu, zstd %llu", (unsigned long long)in->raw_blocks,
        (unsigned long long)in->lz4_blocks, (unsigned long long)in->zstd_blocks);
    row_bytes("index bytes", in->index_bytes);
    row_bytes("manifest bytes", in->manifest_bytes);
}

static void print_histogram(const hexz_inspect_info *in)
{
    puts("chunk sizes");
    for (unsigned i = 0; i < HEXZ_HISTOGRAM_BUCKETS; i++) {
        if (!in->histogram[i]) continue;
        char label[40];
        bucket_label(i, label, sizeof label);
        printf("  %-*s%llu\n", LABEL_WIDTH - 2, label, (unsigned long long)in->histogram[i]);
    }
}

static void print_signatures(const inspect_data *d)
{
    row("signatures", "%u%s", d->signature_count, d->signature_count ? " (unverified)" : "");
    for (unsigned i = 0; i < d->signature_count; i++) {
        char id[2 * HEXZ_KEY_ID_LEN + 1], when[64];
        cli_hex(d->signatures[i].key_id, HEXZ_KEY_ID_LEN, id);
        cli_iso_time(d->signatures[i].signed_at, when, sizeof when);
        printf("  key %s, signed %s\n", id, when);
    }
}

/* "chain": the bases below a thin archive, then the logical bytes each level serves. */
static void print_chain(const inspect_data *d)
{
    const hexz_inspect_info *in = &d->info;
    if (in->chain_length == 0) {
        row("chain", "none (self-contained)");
        return;
    }
    row("chain", "%u base%s below this archive", in->chain_length,
        in->chain_length == 1 ? "" : "s");
    for (unsigned k = 1; k <= in->chain_length; k++) {
        const hexz_base_info *b = &d->bases[k - 1];
        char id[33], label[32];
        cli_hex(b->archive_id, sizeof b->archive_id, id);
        snprintf(label, sizeof label, "level %u", k);
        printf("  %-*s", LABEL_WIDTH - 2, label);
        cli_text_put(stdout, b->path); /* made from the path the thin archive records */
        printf(", id %s, %llu bytes\n", id, (unsigned long long)b->file_size);
    }
    row("base references", "%llu blocks, %llu bytes", (unsigned long long)in->base_blocks,
        (unsigned long long)in->base_bytes);
    puts("bytes by level");
    for (unsigned k = 0; k <= in->chain_length && k <= HEXZ_CHAIN_MAX; k++) {
        char label[32];
        snprintf(label, sizeof label, "level %u", k);
        printf("  %-*s%llu%s\n", LABEL_WIDTH - 2, label, (unsigned long long)in->level_bytes[k],
               k == 0 ? " (this archive)" : "");
    }
}

static void print_human(const inspect_data *d)
{
    const hexz_inspect_info *in = &d->info;
    char *archive = cli_text_escape(d->archive);
    row("archive", "%s", archive ? archive : "?");
    free(archive);
    row("format", "%u.%u", in->format_major, in->format_minor);
    row("archive id", "%s", d->id_hex);
    row("root hash", "%s", d->root_hex);
    row_bytes("file size", in->file_size);
    row("encrypted", "%s", d->encrypted ? "yes" : "no");
    print_signatures(d);
    print_chain(d);
    print_params(in);
    print_streams(d);
    print_space(in);
    row_count("files", in->files);
    row_count("dirs", in->dirs);
    row_count("symlinks", in->symlinks);
    print_histogram(in);
}

/* ---- JSON output ---------------------------------------------------------------------------- */

static void json_params(json_writer *w, const hexz_inspect_info *in)
{
    json_kv_string(w, "chunking", cli_chunking_name(in->chunking));
    json_kv_u64(w, "block_size", in->block_size);
    json_kv_u64(w, "min_size", in->min_size);
    json_kv_u64(w, "avg_size", in->avg_size);
    json_kv_u64(w, "max_size", in->max_size);
    json_kv_string(w, "codec", cli_codec_name(in->codec));
    json_kv_i64(w, "level", in->level);
}

static void json_streams(json_writer *w, const inspect_data *d)
{
    json_key(w, "streams");
    json_begin_array(w);
    for (unsigned i = 0; i < d->info.stream_count; i++) {
        json_begin_object(w);
        json_kv_name(w, "name", d->streams[i].name);
        json_kv_u64(w, "size", d->streams[i].size);
        json_kv_u64(w, "blocks", d->streams[i].block_count);
        json_end_object(w);
    }
    json_end_array(w);
}

static void json_space(json_writer *w, const hexz_inspect_info *in)
{
    json_kv_u64(w, "logical_bytes", in->logical_bytes);
    json_kv_u64(w, "stored_bytes", in->stored_bytes);
    json_key(w, "ratio");
    json_fixed(w, ratio_of(in), 4);
    json_kv_u64(w, "blocks", in->blocks);
    json_kv_u64(w, "unique_blocks", in->unique_blocks);
    json_kv_u64(w, "unique_logical_bytes", in->unique_logical_bytes);
    json_kv_u64(w, "dedup_blocks", in->dedup_blocks);
    json_kv_u64(w, "dedup_bytes", in->dedup_bytes);
    json_kv_u64(w, "hole_blocks", in->hole_blocks);
    json_kv_u64(w, "hole_bytes", in->hole_bytes);
    json_key(w, "codec_blocks");
    json_begin_object(w);
    json_kv_u64(w, "none", in->raw_blocks);
    json_kv_u64(w, "lz4", in->lz4_blocks);
    json_kv_u64(w, "zstd", in->zstd_blocks);
    json_end_object(w);
    json_kv_u64(w, "index_bytes", in->index_bytes);
    json_kv_u64(w, "manifest_bytes", in->manifest_bytes);
}

static void json_histogram(json_writer *w, const hexz_inspect_info *in)
{
    json_key(w, "chunk_sizes");
    json_begin_array(w);
    for (unsigned i = 0; i < HEXZ_HISTOGRAM_BUCKETS; i++) {
        if (!in->histogram[i]) continue;
        char label[40];
        bucket_label(i, label, sizeof label);
        json_begin_object(w);
        json_kv_string(w, "bucket", label);
        json_kv_u64(w, "min", (uint64_t)1 << i);
        json_kv_u64(w, "max", (uint64_t)1 << (i + 1));
        json_kv_u64(w, "count", in->histogram[i]);
        json_end_object(w);
    }
    json_end_array(w);
}

static void json_signatures(json_writer *w, const inspect_data *d)
{
    json_key(w, "encrypted");
    json_bool(w, d->encrypted);
    json_key(w, "signatures");
    json_begin_array(w);
    for (unsigned i = 0; i < d->signature_count; i++) {
        char id[2 * HEXZ_KEY_ID_LEN + 1], when[64];
        cli_hex(d->signatures[i].key_id, HEXZ_KEY_ID_LEN, id);
        cli_iso_time(d->signatures[i].signed_at, when, sizeof when);
        json_begin_object(w);
        json_kv_string(w, "key_id", id);
        json_kv_string(w, "signed_at", when);
        json_kv_string(w, "comment", d->signatures[i].comment);
        json_end_object(w);
    }
    json_end_array(w);
}

/* "chain_length", "base_blocks", "base_bytes", "level_bytes" (levels 0..chain_length) and
 * "chain", one object per base with the bytes it serves. */
static void json_chain(json_writer *w, const inspect_data *d)
{
    const hexz_inspect_info *in = &d->info;
    unsigned n = in->chain_length <= HEXZ_CHAIN_MAX ? in->chain_length : HEXZ_CHAIN_MAX;
    json_kv_u64(w, "chain_length", in->chain_length);
    json_kv_u64(w, "base_blocks", in->base_blocks);
    json_kv_u64(w, "base_bytes", in->base_bytes);
    json_key(w, "level_bytes");
    json_begin_array(w);
    for (unsigned k = 0; k <= n; k++) json_u64(w, in->level_bytes[k]);
    json_end_array(w);
    json_key(w, "chain");
    json_begin_array(w);
    for (unsigned k = 1; k <= n; k++) {
        const hexz_base_info *b = &d->bases[k - 1];
        char id[33], root[65];
        cli_hex(b->archive_id, sizeof b->archive_id, id);
        cli_hex(b->root_hash, sizeof b->root_hash, root);
        json_begin_object(w);
        json_kv_u64(w, "level", k);
        json_kv_name(w, "path", b->path);
        json_kv_string(w, "archive_id", id);
        json_kv_string(w, "root_hash", root);
        json_kv_u64(w, "file_size", b->file_size);
        json_kv_u64(w, "bytes_served", in->level_bytes[k]);
        json_end_object(w);
    }
    json_end_array(w);
}

static void print_json(const inspect_data *d)
{
    const hexz_inspect_info *in = &d->info;
    char version[16];
    snprintf(version, sizeof version, "%u.%u", in->format_major, in->format_minor);
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w);
    json_kv_name(&w, "archive", d->archive);
    json_kv_string(&w, "format_version", version);
    json_kv_string(&w, "archive_id", d->id_hex);
    json_kv_string(&w, "root_hash", d->root_hex);
    json_kv_u64(&w, "file_size", in->file_size);
    json_signatures(&w, d);
    json_chain(&w, d);
    json_params(&w, in);
    json_streams(&w, d);
    json_space(&w, in);
    json_kv_u64(&w, "files", in->files);
    json_kv_u64(&w, "dirs", in->dirs);
    json_kv_u64(&w, "symlinks", in->symlinks);
    json_histogram(&w, in);
    json_end_object(&w);
    json_finish(&w);
}

/* ---- gathering ------------------------------------------------------------------------------ */

static int gather_signatures(hexz_reader *r, inspect_data *d)
{
    d->encrypted = hexz_reader_is_encrypted(r);
    d->signature_count = hexz_reader_signature_count(r);
    unsigned n = d->signature_count;
    d->signatures = calloc(n ? n : 1, sizeof *d->signatures);
    if (!d->signatures) return cli_lib_error("inspect", HEXZ_ENOMEM, d->archive);
    for (unsigned i = 0; i < n; i++) {
        d->signatures[i].version = HEXZ_SIGNATURE_INFO_VERSION;
        int rc = hexz_reader_signature_at(r, i, &d->signatures[i]);
        if (rc < 0) return cli_lib_error("inspect", rc, d->archive);
    }
    return CLI_OK;
}

static int gather_chain(hexz_reader *r, inspect_data *d)
{
    unsigned n = hexz_reader_chain_length(r);
    if (n > HEXZ_CHAIN_MAX) n = HEXZ_CHAIN_MAX;
    d->bases = calloc(n ? n : 1, sizeof *d->bases);
    if (!d->bases) return cli_lib_error("inspect", HEXZ_ENOMEM, d->archive);
    for (unsigned k = 1; k <= n; k++) {
        d->bases[k - 1].version = HEXZ_BASE_INFO_VERSION;
        int rc = hexz_reader_base_info(r, k, &d->bases[k - 1]);
        if (rc < 0) return cli_lib_error("inspect", rc, d->archive);
    }
    if (d->info.chain_length > n) d->info.chain_length = n;
    return CLI_OK;
}

static int gather(hexz_reader *r, inspect_data *d)
{
    d->info.version = HEXZ_INSPECT_INFO_VERSION;
    int rc = hexz_reader_inspect(r, &d->info);
    if (rc < 0) return cli_lib_error("inspect", rc, d->archive);
    cli_hex(d->info.archive_id, sizeof d->info.archive_id, d->id_hex);
    cli_hex(d->info.root_hash, sizeof d->info.root_hash, d->root_hex);
    unsigned n = d->info.stream_count;
    d->streams = calloc(n ? n : 1, sizeof *d->streams);
    if (!d->streams) return cli_lib_error("inspect", HEXZ_ENOMEM, d->archive);
    for (unsigned i = 0; i < n; i++) {
        d->streams[i].version = HEXZ_STREAM_INFO_VERSION;
        rc = hexz_reader_stream_info(r, i, &d->streams[i]);
        if (rc < 0) return cli_lib_error("inspect", rc, d->archive);
    }
    rc = gather_signatures(r, d);
    return rc == CLI_OK ? gather_chain(r, d) : rc;
}

static int run_inspect(const cli_command *self, int argc, char **argv)
{
    (void)self;
    inspect_args a = {0};
    int rc = parse_inspect(&a, argc, argv);
    if (rc >= 0) return rc;
    inspect_data d = {0};
    d.archive = a.archive;
    hexz_reader *r;
    if (cli_open_archive("inspect", a.archive, &a.open, &r, NULL) != CLI_OK) return CLI_FAIL;
    rc = gather(r, &d);
    if (rc == CLI_OK) { /* before freeing the reader: the bases' paths are borrowed from it */
        if (a.json) print_json(&d);
        else print_human(&d);
    }
    hexz_reader_free(r);
    free(d.streams);
    free(d.signatures);
    free(d.bases);
    return rc;
}

static const char inspect_help[] =
    "Shows what ARCHIVE holds and how it is stored: format version, archive id, root hash,\n"
    "file size, chunking parameters, codec and level, the streams, logical and stored bytes,\n"
    "the ratio (logical bytes / file size), blocks, unique and deduplicated blocks, holes\n"
    "(runs of zeros stored as nothing), stored blocks by codec, index and manifest bytes,\n"
    "file tree counts, and a histogram of chunk sizes; whether it is encrypted, and the key\n"
    "ids and times of its signatures (unchecked). Reads the index, not the data blocks; use\n"
    "'hexz verify' to check the data, and 'hexz verify -p KEY.pub' a signature.\n"
    "\n"
    "For a thin archive (packed with --base), \"chain\" lists the bases below it, level 1 being\n"
    "its own base and level 2 that base's base, each with the path it was opened from, its\n"
    "archive id and its size; \"base references\" counts the entries whose bytes are in a base,\n"
    "and \"bytes by level\" the logical bytes of data each level serves (level 0: this archive's\n"
    "own blocks). In JSON: \"chain_length\", \"base_blocks\", \"base_bytes\", \"level_bytes\" (an\n"
    "array, level 0 first) and \"chain\" (an array of bases with \"bytes_served\").\n"
    "\n"
    "Options:\n"
    "      --json              print one JSON object instead\n" CLI_HELP_PASSWORD_FILE
        CLI_HELP_BASE_DIR CLI_HELP_KDF_LIMITS "  -h, --help              show this help\n";

const cli_command cli_cmd_inspect = {"inspect",
                                     "show an archive's parameters, layout and statistics",
                                     "hexz inspect ARCHIVE [--json]", inspect_help, run_inspect};
