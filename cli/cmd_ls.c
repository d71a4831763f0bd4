/*
 * cmd_ls.c - 'hexz ls': lists the file-tree entries of an archive (paths; with -l type, mode,
 * size, mtime and symlink targets; or JSON), or, for an archive without a file tree, its
 * streams. Names are printed escaped (cli_text.h), and exactly in JSON (json.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli_text.h"
#include "commands.h"
#include "json.h"
#include "opt.h"
#include "password.h"

typedef struct {
    const char *archive;
    cli_open_args open;
    int long_format, json;
} ls_args;

static const opt_spec ls_options[] = {
    OPT_E_FLAG("long", 'l', ls_args, long_format, "type, mode, size, time and link target"),
    OPT_E_FLAG("json", 0, ls_args, json, "print JSON"),
    CLI_OPTS_OPEN(ls_args, open),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_ls(ls_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_ls, ls_options, a, argc, argv);
    if (rc >= 0) return rc;
    if (opt_archive(&p, &a->archive) < 0) return CLI_USAGE;
    return -1;
}

static char type_char(hexz_file_type t)
{
    return t == HEXZ_FILE_DIR ? 'd' : t == HEXZ_FILE_SYMLINK ? 'l' : '-';
}

static const char *type_name(hexz_file_type t)
{
    return t == HEXZ_FILE_DIR ? "dir" : t == HEXZ_FILE_SYMLINK ? "symlink" : "file";
}

/* Names and targets are escaped (cli_text.h): a name holding a newline or an escape sequence
 * can neither forge a line of the listing nor reach the terminal. */
static void print_entry(const hexz_file_info *fi, int long_format)
{
    if (long_format) {
        char when[64];
        cli_iso_time(fi->mtime_sec, when, sizeof when);
        printf("%c %04o %12llu %s ", type_char(fi->type), (unsigned)fi->mode,
               (unsigned long long)fi->size, when);
    }
    cli_text_put(stdout, fi->path);
    if (long_format && fi->type == HEXZ_FILE_SYMLINK) {
        fputs(" -> ", stdout);
        cli_text_put(stdout, fi->target);
    }
    putchar('\n');
}

static void json_entry(json_writer *w, const hexz_file_info *fi)
{
    char when[64], mode[16];
    cli_iso_time(fi->mtime_sec, when, sizeof when);
    snprintf(mode, sizeof mode, "%04o", (unsigned)fi->mode);
    json_begin_object(w);
    json_kv_name(w, "path", fi->path);
    json_kv_string(w, "type", type_name(fi->type));
    json_kv_string(w, "mode", mode);
    json_kv_u64(w, "size", fi->size);
    json_kv_string(w, "mtime", when);
    json_kv_i64(w, "mtime_sec", fi->mtime_sec);
    json_kv_u64(w, "mtime_nsec", fi->mtime_nsec);
    if (fi->type == HEXZ_FILE_REGULAR) json_kv_u64(w, "offset", fi->offset);
    if (fi->type == HEXZ_FILE_SYMLINK) json_kv_name(w, "target", fi->target);
    json_end_object(w);
}

static int list_files(hexz_reader *r, const ls_args *a, json_writer *w)
{
    hexz_file_info *fi = malloc(sizeof *fi);
    if (!fi) return cli_lib_error("ls", HEXZ_ENOMEM, a->archive);
    uint64_t count = hexz_reader_file_count(r);
    int status = CLI_OK;
    if (w) {
        json_key(w, "entries");
        json_begin_array(w);
    }
    for (uint64_t i = 0; i < count && status == CLI_OK && !ferror(stdout); i++) {
        int rc = hexz_reader_file_at(r, i, fi);
        if (rc < 0) status = cli_lib_error("ls", rc, a->archive);
        else if (w) json_entry(w, fi);
        else print_entry(fi, a->long_format);
    }
    if (w) json_end_array(w);
    free(fi);
    return status;
}

static int list_streams(hexz_reader *r, const ls_args *a, json_writer *w)
{
    unsigned count = hexz_reader_stream_count(r);
    if (w) {
        json_key(w, "streams");
        json_begin_array(w);
    }
    for (unsigned i = 0; i < count; i++) {
        hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
        int rc = hexz_reader_stream_info(r, i, &si);
        if (rc < 0) return cli_lib_error("ls", rc, a->archive);
        if (w) {
            json_begin_object(w);
            json_kv_name(w, "name", si.name);
            json_kv_u64(w, "size", si.size);
            json_kv_u64(w, "blocks", si.block_count);
            json_end_object(w);
        } else {
            cli_text_put(stdout, si.name);
            if (a->long_format)
                printf(" %llu bytes, %llu blocks\n", (unsigned long long)si.size,
                       (unsigned long long)si.block_count);
            else printf(" %llu\n", (unsigned long long)si.size);
        }
    }
    if (w) json_end_array(w);
    return CLI_OK;
}

static int ls_archive(hexz_reader *r, const ls_args *a)
{
    json_writer jw, *w = a->json ? &jw : NULL;
    if (w) {
        json_init(w, stdout);
        json_begin_object(w);
        json_kv_name(w, "archive", a->archive);
    }
    int has_tree = hexz_reader_file_count(r) > 0;
    int rc = has_tree ? list_files(r, a, w) : list_streams(r, a, w);
    if (w && rc == CLI_OK) {
        json_end_object(w);
        json_finish(w);
    }
    return rc;
}

static int run_ls(const cli_command *self, int argc, char **argv)
{
    (void)self;
    ls_args a = {0};
    int rc = parse_ls(&a, argc, argv);
    if (rc >= 0) return rc;
    hexz_reader *r;
    if (cli_open_archive("ls", a.archive, &a.open, &r, NULL) != CLI_OK) return CLI_FAIL;
    rc = ls_archive(r, &a);
    hexz_reader_free(r);
    return rc;
}

static const char ls_help[] =
    "Lists the entries of the file tree in ARCHIVE, one path per line, parents before their\n"
    "contents. An archive packed from a single file or device has no file tree; for it, ls\n"
    "lists the streams with their sizes in bytes.\n"
    "\n"
    "Names are printed so that each entry stays on one line and nothing reaches the terminal\n"
    "as a control sequence: a backslash is shown as \\\\, a tab, newline or carriage return\n"
    "as \\t, \\n or \\r (also \\a, \\b, \\v, \\f), and any other control character or byte\n"
    "that is not valid UTF-8 as a backslash and three octal digits (ESC is \\033). In JSON,\n"
    "a byte that is not valid UTF-8 is \\udcXX (Python's surrogateescape), and such a name also\n"
    "has \"path_hex\" (\"target_hex\", \"name_hex\"): its bytes in hex.\n"
    "\n"
    "Options:\n"
    "  -l, --long              also show the type (d, - or l), permission bits in octal, the\n"
    "                          size in bytes, the modification time (UTC) and symlink targets\n"
    "                          (for streams: the size and the number of blocks)\n"
    "      --json              print a JSON object instead (\"entries\" or "
    "\"streams\")\n" CLI_HELP_PASSWORD_FILE CLI_HELP_BASE_DIR CLI_HELP_KDF_LIMITS
    "  -h, --help              show this help\n";

const cli_command cli_cmd_ls = {"ls", "list the files (or the streams) of an archive",
                                "hexz ls ARCHIVE [-l] [--json]", ls_help, run_ls};
