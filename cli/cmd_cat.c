/*
 * cmd_cat.c - 'hexz cat': writes bytes of an archive to stdout: a whole stream, one file of a
 * packed tree, or a byte range of either (--offset, --length), read through
 * hexz_reader_read_at() 1 MiB at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "opt.h"
#include "password.h"

#define CAT_BUFFER (1u << 20)

typedef struct {
    const char *archive, *path, *stream;
    cli_open_args open;
    uint64_t offset, length;
    int have_length;
} cat_args;

/* What to copy: `size` bytes of stream `stream` starting at `base`. */
typedef struct {
    unsigned stream;
    uint64_t base, size;
    char what[HEXZ_PATH_MAX + 64]; /* names the source in messages */
} cat_source;

static const opt_spec cat_options[] = {
    OPT_E_STRING("stream", 0, "NAME", cat_args, stream, "write the stream NAME"),
    OPT_E_SIZE("offset", 0, "N", cat_args, offset, 0, 0, UINT64_MAX, "start N bytes in"),
    OPT_E_SIZE("length", 0, "N", cat_args, length, OPT_HAVE(cat_args, have_length), 0, UINT64_MAX,
               "write at most N bytes"),
    CLI_OPTS_OPEN(cat_args, open),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_cat(cat_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_cat, cat_options, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"ARCHIVE", NULL};
    char **ops;
    int n = opt_operands(&p, 1, 2, names, &ops);
    if (n < 0) return CLI_USAGE;
    a->archive = ops[0];
    a->path = n > 1 ? ops[1] : NULL;
    if (a->path && a->stream)
        return cli_usage_error(&cli_cmd_cat, "--stream cannot be combined with a PATH");
    return -1;
}

/* Archive paths are relative: drops leading "/" and "./" and trailing "/". */
static const char *normalize_path(const char *path, char *buf, size_t cap)
{
    while (*path == '/' || (path[0] == '.' && path[1] == '/')) path += *path == '/' ? 1 : 2;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    if (len >= cap) return path;
    memcpy(buf, path, len);
    buf[len] = '\0';
    return buf;
}

static int find_stream(hexz_reader *r, const cat_args *a, const char *name, unsigned *out)
{
    int rc = hexz_reader_find_stream(r, name, out);
    if (rc == HEXZ_ENOTFOUND) {
        cli_error("cat", "%s: no stream named '%s'", a->archive, name);
        return CLI_FAIL;
    }
    return rc < 0 ? cli_lib_error("cat", rc, a->archive) : CLI_OK;
}

static int file_source(hexz_reader *r, const cat_args *a, cat_source *src)
{
    char buf[HEXZ_PATH_MAX];
    const char *path = normalize_path(a->path, buf, sizeof buf);
    hexz_file_info *fi = malloc(sizeof *fi);
    if (!fi) return cli_lib_error("cat", HEXZ_ENOMEM, a->archive);
    int rc = hexz_reader_file_lookup(r, path, fi);
    if (rc < 0) {
        free(fi);
        return cli_lib_error("cat", rc, a->archive);
    }
    const char *kind = fi->type == HEXZ_FILE_DIR       ? "is a directory"
                       : fi->type == HEXZ_FILE_SYMLINK ? "is a symbolic link"
                                                       : NULL;
    src->base = fi->offset;
    src->size = fi->size;
    free(fi);
    if (kind) {
        cli_error("cat", "%s: %s: %s", a->archive, path, kind);
        return CLI_FAIL;
    }
    snprintf(src->what, sizeof src->what, "%s", path);
    return find_stream(r, a, "main", &src->stream);
}

static int stream_source(hexz_reader *r, const cat_args *a, cat_source *src)
{
    const char *name = a->stream ? a->stream : "main";
    int rc = find_stream(r, a, name, &src->stream);
    if (rc != CLI_OK) return rc;
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    rc = hexz_reader_stream_info(r, src->stream, &si);
    if (rc < 0) return cli_lib_error("cat", rc, a->archive);
    src->base = 0;
    src->size = si.size;
    snprintf(src->what, sizeof src->what, "stream '%s'", name);
    return CLI_OK;
}

/* Copies [start, start + len) of the stream to stdout. A closed pipe ends the copy quietly. */
static int copy_range(hexz_reader *r, const cat_args *a, unsigned stream, uint64_t start,
                      uint64_t len)
{
    char *buf = malloc(CAT_BUFFER);
    if (!buf) return cli_lib_error("cat", HEXZ_ENOMEM, a->archive);
    int status = CLI_OK;
    while (len > 0 && status == CLI_OK) {
        size_t want = len < CAT_BUFFER ? (size_t)len : CAT_BUFFER, got = 0;
        int rc = hexz_reader_read_at(r, stream, buf, want, start, &got);
        if (rc < 0) {
            status = cli_lib_error("cat", rc, a->archive);
        } else if (got == 0) {
            cli_error("cat", "%s: stream ends early at offset %llu", a->archive,
                      (unsigned long long)start);
            status = CLI_FAIL;
        } else {
            int err = cli_write_all(STDOUT_FILENO, buf, got);
            if (err == EPIPE) break;
            if (err) {
                cli_error("cat", "error writing to standard output: %s", strerror(err));
                status = CLI_FAIL;
            }
            start += got;
            len -= got;
        }
    }
    free(buf);
    return status;
}

static int cat_archive(hexz_reader *r, const cat_args *a)
{
    cat_source src;
    int rc = a->path ? file_source(r, a, &src) : stream_source(r, a, &src);
    if (rc != CLI_OK) return rc;
    if (a->offset > src.size) {
        cli_error("cat", "%s: --offset %llu is past the end of %s (%llu bytes)", a->archive,
                  (unsigned long long)a->offset, src.what, (unsigned long long)src.size);
        return CLI_FAIL;
    }
    uint64_t len = src.size - a->offset;
    if (a->have_length && a->length < len) len = a->length;
    return copy_range(r, a, src.stream, src.base + a->offset, len);
}

static int run_cat(const cli_command *self, int argc, char **argv)
{
    (void)self;
    cat_args a = {0};
    int rc = parse_cat(&a, argc, argv);
    if (rc >= 0) return rc;
    hexz_reader *r;
    if (cli_open_archive("cat", a.archive, &a.open, &r, NULL) != CLI_OK) return CLI_FAIL;
    rc = cat_archive(r, &a);
    hexz_reader_free(r);
    return rc;
}

static const char cat_help[] =
    "Writes bytes of ARCHIVE to standard output: with PATH, the content of that regular file\n"
    "of a packed directory tree; without, a whole stream (\"main\" unless --stream is given).\n"
    "Every block is verified before its bytes are written.\n"
    "\n"
    "Options:\n"
    "      --stream NAME       the stream to read (default main); not with PATH\n"
    "      --offset N          start N bytes into the file or stream (default 0)\n"
    "      --length N          write at most N bytes (default: up to the "
    "end)\n" CLI_HELP_PASSWORD_FILE CLI_HELP_BASE_DIR CLI_HELP_KDF_LIMITS
    "  -h, --help              show this help\n"
    "\n"
    "N is bytes, or a binary multiple with a K, M, G or T suffix (1M = 1048576).\n";

const cli_command cli_cmd_cat = {
    "cat", "write a stream, a file or a byte range of either to stdout",
    "hexz cat ARCHIVE [PATH] [--stream NAME] [--offset N] [--length N]", cat_help, run_cat};
