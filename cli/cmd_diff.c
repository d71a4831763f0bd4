/*
 * cmd_diff.c - 'hexz diff': compares two archives by block content with hexz_diff(): the
 * distinct content (bytes and blocks) both hold, only A holds and only B holds, in total, per
 * stream and per regular file; as an aligned table for people or as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_text.h"
#include "commands.h"
#include "json.h"
#include "opt.h"
#include "password.h"

#define FILES_SHOWN_MAX 50 /* file lines appear without --files up to this many files */
#define LABEL_WIDTH 12
#define NUMBER_WIDTH 15

typedef struct {
    const char *a, *b, *base_dir;
    int json, files, streams;
} diff_args;

/* The counts of one stream or one file. */
typedef struct {
    char *name;
    hexz_diff_counts counts;
} diff_item;

typedef struct {
    diff_item *items;
    size_t count, cap;
} diff_list;

/* What hexz_diff() reported. */
typedef struct {
    hexz_diff_counts total;
    diff_list streams, files;
    int out_of_memory;
} diff_result;

static const opt_spec diff_options[] = {
    OPT_E_FLAG("json", 0, diff_args, json, "print JSON"),
    OPT_E_FLAG("files", 0, diff_args, files, "list every file that differs"),
    OPT_E_FLAG("streams", 0, diff_args, streams, "list every stream"),
    CLI_OPT_BASE_DIR(diff_args, base_dir),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_diff(diff_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_diff, diff_options, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"A", "B", NULL};
    char **ops;
    if (opt_operands(&p, 2, 2, names, &ops) < 0) return CLI_USAGE;
    a->a = ops[0];
    a->b = ops[1];
    return -1;
}

/* ---- gathering ------------------------------------------------------------------------------ */

static int list_add(diff_list *l, const char *name, const hexz_diff_counts *counts)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        diff_item *items = realloc(l->items, cap * sizeof *items);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) return -1;
    l->items[l->count++] = (diff_item){copy, *counts};
    return 0;
}

static void list_free(diff_list *l)
{
    for (size_t i = 0; i < l->count; i++) free(l->items[i].name);
    free(l->items);
}

/* A hexz_diff_fn: keeps every stream's and file's counts. */
static void on_item(const char *kind, const char *name, const hexz_diff_counts *counts, void *user)
{
    diff_result *d = user;
    diff_list *l = strcmp(kind, "stream") == 0 ? &d->streams : &d->files;
    if (list_add(l, name, counts) != 0) d->out_of_memory = 1;
}

/* Which lists to show: streams when asked or when there is more than one; files when asked or
 * when there are at most FILES_SHOWN_MAX of them. */
static int show_streams(const diff_args *a, const diff_result *d)
{
    return a->streams || d->streams.count > 1;
}

static int show_files(const diff_args *a, const diff_result *d)
{
    return a->files || (d->files.count > 0 && d->files.count <= FILES_SHOWN_MAX);
}

/* ---- human-readable output ------------------------------------------------------------------ */

static void total_row(const char *label, uint64_t blocks, uint64_t bytes)
{
    char h[32];
    cli_human_bytes(bytes, h, sizeof h);
    printf("%-*s%*llu%*llu", LABEL_WIDTH, label, NUMBER_WIDTH, (unsigned long long)blocks,
           NUMBER_WIDTH, (unsigned long long)bytes);
    if (bytes >= 1024) printf("  (%s)", h);
    putchar('\n');
}

static void print_list(const char *kind, const diff_list *l)
{
    printf("\n%*s%*s%*s  %s\n", NUMBER_WIDTH, "shared", NUMBER_WIDTH, "only in A", NUMBER_WIDTH,
           "only in B", kind);
    for (size_t i = 0; i < l->count; i++) {
        const hexz_diff_counts *c = &l->items[i].counts;
        printf("%*llu%*llu%*llu  ", NUMBER_WIDTH, (unsigned long long)c->shared_bytes, NUMBER_WIDTH,
               (unsigned long long)c->only_a_bytes, NUMBER_WIDTH,
               (unsigned long long)c->only_b_bytes);
        cli_text_put(stdout, l->items[i].name); /* from the archives: escaped, one line each */
        putchar('\n');
    }
}

static void print_human(const diff_args *a, const diff_result *d)
{
    printf("%-*s", LABEL_WIDTH, "A");
    cli_text_put(stdout, a->a);
    printf("\n%-*s", LABEL_WIDTH, "B");
    cli_text_put(stdout, a->b);
    fputs("\n\n", stdout);
    printf("%-*s%*s%*s\n", LABEL_WIDTH, "", NUMBER_WIDTH, "blocks", NUMBER_WIDTH, "bytes");
    total_row("shared", d->total.shared_blocks, d->total.shared_bytes);
    total_row("only in A", d->total.only_a_blocks, d->total.only_a_bytes);
    total_row("only in B", d->total.only_b_blocks, d->total.only_b_bytes);
    if (show_streams(a, d)) print_list("stream", &d->streams);
    if (show_files(a, d)) print_list("file", &d->files);
}

/* ---- JSON output ---------------------------------------------------------------------------- */

static void json_counts(json_writer *w, const hexz_diff_counts *c)
{
    json_kv_u64(w, "shared_blocks", c->shared_blocks);
    json_kv_u64(w, "shared_bytes", c->shared_bytes);
    json_kv_u64(w, "only_a_blocks", c->only_a_blocks);
    json_kv_u64(w, "only_a_bytes", c->only_a_bytes);
    json_kv_u64(w, "only_b_blocks", c->only_b_blocks);
    json_kv_u64(w, "only_b_bytes", c->only_b_bytes);
}

static void json_list(json_writer *w, const char *key, const char *name_key, const diff_list *l)
{
    json_key(w, key);
    json_begin_array(w);
    for (size_t i = 0; i < l->count; i++) {
        json_begin_object(w);
        json_kv_name(w, name_key, l->items[i].name);
        json_counts(w, &l->items[i].counts);
        json_end_object(w);
    }
    json_end_array(w);
}

static void print_json(const diff_args *a, const diff_result *d)
{
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w);
    json_kv_name(&w, "a", a->a);
    json_kv_name(&w, "b", a->b);
    json_key(&w, "total");
    json_begin_object(&w);
    json_counts(&w, &d->total);
    json_end_object(&w);
    json_list(&w, "streams", "name", &d->streams);
    if (show_files(a, d)) json_list(&w, "files", "path", &d->files);
    json_end_object(&w);
    json_finish(&w);
}

/* ---- running -------------------------------------------------------------------------------- */

static int compare(hexz_reader *ra, hexz_reader *rb, const diff_args *a, diff_result *d)
{
    d->total.version = HEXZ_DIFF_COUNTS_VERSION;
    int rc = hexz_diff(ra, rb, &d->total, on_item, d);
    if (rc < 0) return cli_lib_error("diff", rc, a->a);
    if (d->out_of_memory) return cli_lib_error("diff", HEXZ_ENOMEM, a->a);
    if (a->json) print_json(a, d);
    else print_human(a, d);
    return CLI_OK;
}

static int run_diff(const cli_command *self, int argc, char **argv)
{
    (void)self;
    diff_args a = {0};
    int rc = parse_diff(&a, argc, argv);
    if (rc >= 0) return rc;
    cli_open_args open = {.base_dir = a.base_dir};
    hexz_reader *ra = NULL, *rb = NULL;
    if (cli_open_archive("diff", a.a, &open, &ra, NULL) != CLI_OK) return CLI_FAIL;
    if (cli_open_archive("diff", a.b, &open, &rb, NULL) != CLI_OK) {
        hexz_reader_free(ra);
        return CLI_FAIL;
    }
    diff_result d;
    memset(&d, 0, sizeof d);
    rc = compare(ra, rb, &a, &d);
    list_free(&d.streams);
    list_free(&d.files);
    hexz_reader_free(ra);
    hexz_reader_free(rb);
    return rc;
}

static const char diff_help[] =
    "Compares archives A and B by the content of their blocks (by content hash, so content is\n"
    "found wherever it sits: moved, renamed, in another stream, or behind a thin archive's\n"
    "reference to its base). Each side's distinct blocks are counted once, as deduplication\n"
    "would store them; holes (runs of zeros) are not content. Prints the blocks and bytes that\n"
    "both hold (shared), that only A holds and that only B holds:\n"
    "\n"
    "  A           v1.hxz\n"
    "  B           v2.hxz\n"
    "\n"
    "                       blocks          bytes\n"
    "  shared                  125        8323072  (7.9 MiB)\n"
    "  only in A                 2         131072  (128.0 KiB)\n"
    "  only in B                 3         196608  (192.0 KiB)\n"
    "\n"
    "then, in bytes, the same per stream (when either archive has more than one stream, or\n"
    "with --streams) and per regular file of the trees, matched by path (with --files, or\n"
    "when the trees hold at most 50 regular files between them).\n"
    "\n"
    "Options:\n"
    "      --json              print one JSON object instead: \"a\", \"b\", \"total\", "
    "\"streams\"\n"
    "                          (always) and \"files\" (as above), each with shared_blocks,\n"
    "                          shared_bytes, only_a_blocks, only_a_bytes, only_b_blocks and\n"
    "                          only_b_bytes\n"
    "      --files             list every file, however many there are\n"
    "      --streams           list the streams even when both archives hold only "
    "\"main\"\n" CLI_HELP_BASE_DIR "  -h, --help              show this help\n"
    "\n"
    "Encrypted archives cannot be compared: their content hashes are keyed.\n";

const cli_command cli_cmd_diff = {"diff", "compare the content of two archives",
                                  "hexz diff A B [--json] [--files] [--streams] [--base-dir DIR]",
                                  diff_help, run_diff};
