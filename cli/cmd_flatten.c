/*
 * cmd_flatten.c - 'hexz flatten': writes a self-contained copy of an archive with
 * hexz_flatten(): a thin archive's references are resolved through its chain of bases, so the
 * copy needs none of them. Block boundaries, streams and the file tree are kept; the codec,
 * level and threads are chosen here. Shows a progress line on a terminal and a summary.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "opt.h"
#include "password.h"
#include "progress.h"
#include "remote_env.h"

#define THREADS_MAX 1024

typedef struct {
    const char *archive, *output, *base_dir;
    hexz_write_options wo;
    cli_show show;
    int force, have_level;
    long long level;
} flatten_args;

static const opt_spec flatten_options[] = {
    OPT_E_STRING("output", 'o', "OUTPUT", flatten_args, output, "write the archive to OUTPUT"),
    CLI_OPT_BASE_DIR(flatten_args, base_dir),
    OPT_E_CALL("compression", 0, "CODEC", flatten_args, wo.codec, 0, cli_opt_codec,
               "lz4, zstd or none"),
    OPT_E_NUMBER("level", 0, "N", flatten_args, level, OPT_HAVE(flatten_args, have_level), INT_MIN,
                 INT_MAX, "the codec's level"),
    OPT_E_NUMBER("threads", 'j', "N", flatten_args, wo.threads, 0, 0, THREADS_MAX,
                 "compression workers"),
    OPT_E_FLAG("force", 'f', flatten_args, force, "overwrite OUTPUT"),
    CLI_OPT_QUIET(flatten_args, show),
    CLI_OPT_PROGRESS(flatten_args, show),
    OPT_E_END,
};

/* The same ranges as 'hexz pack --level'. */
static int check_level(flatten_args *a)
{
    if (!a->have_level) return CLI_OK;
    long long hi = a->wo.codec == HEXZ_CODEC_ZSTD ? 22 : 12;
    if (a->wo.codec == HEXZ_CODEC_NONE)
        return cli_usage_error(&cli_cmd_flatten, "--level does not apply to --compression none");
    if (a->level < 1 || a->level > hi)
        return cli_usage_error(&cli_cmd_flatten, "--level: %lld is out of range for %s (1 to %lld)",
                               a->level, cli_codec_name(a->wo.codec), hi);
    a->wo.level = (int)a->level;
    return CLI_OK;
}

/* Parses argv into *a. Returns -1 to go on, or the exit code to return. */
static int parse_flatten(flatten_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_flatten, flatten_options, a, argc, argv);
    if (rc >= 0) return rc;
    if (opt_archive(&p, &a->archive) < 0) return CLI_USAGE;
    if (!a->output) return cli_usage_error(&cli_cmd_flatten, "missing -o OUTPUT");
    if (strcmp(a->output, "-") == 0)
        return cli_usage_error(&cli_cmd_flatten,
                               "-o -: an archive cannot be written to standard "
                               "output (it is seeked and renamed into place); name a file (./- "
                               "for one called -)");
    if (a->show == CLI_SHOW_QUIET) cli_set_quiet(1);
    rc = check_level(a);
    if (rc != CLI_OK) return rc;
    a->wo.overwrite = a->force;
    return -1;
}

static int report_exists(const char *output)
{
    cli_error("flatten", "%s: already exists (use --force to overwrite)", output);
    return CLI_FAIL;
}

/* Opens the source first, so that a missing base is reported with the usual hint before
 * anything is written; *total gets the logical bytes of every stream, what the copy will hold. */
static int check_source(const flatten_args *a, uint64_t *total)
{
    hexz_reader *r;
    cli_open_args open = {.base_dir = a->base_dir};
    if (cli_open_archive("flatten", a->archive, &open, &r, NULL) != CLI_OK) return CLI_FAIL;
    if (hexz_reader_is_encrypted(r)) {
        hexz_reader_free(r);
        cli_error("flatten", "%s: an encrypted archive is never thin; there is nothing to flatten",
                  a->archive);
        return CLI_FAIL;
    }
    *total = 0;
    for (unsigned i = 0; i < hexz_reader_stream_count(r); i++) {
        hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
        if (hexz_reader_stream_info(r, i, &si) == 0) *total += si.size;
    }
    hexz_reader_free(r);
    return CLI_OK;
}

/* "flattened IN -> OUT: N bytes, M bytes out (ratio R), S MiB/s, T s" on stderr. */
static void print_summary(const flatten_args *a, uint64_t total, double seconds)
{
    struct stat st;
    uint64_t out = stat(a->output, &st) == 0 ? (uint64_t)st.st_size : 0;
    double ratio = out ? (double)total / (double)out : 0.0;
    fprintf(stderr,
            "flattened %s -> %s: %llu bytes, %llu bytes out (ratio %.2f), %.1f MiB/s, "
            "%.2f s\n",
            a->archive, a->output, (unsigned long long)total, (unsigned long long)out, ratio,
            cli_mib_per_s(total, seconds), seconds);
}

static int flatten_with_progress(flatten_args *a, uint64_t total)
{
    cli_progress prog;
    cli_progress_start(&prog, a->show, total);
    cli_catch_interrupts();
    a->wo.progress = cli_progress_update;
    a->wo.progress_user = &prog;
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    oo.base_dir = cli_base_dir(a->base_dir);
    oo.remote = cli_remote_env();
    int rc = hexz_flatten(a->archive, &oo, a->output, &a->wo);
    cli_progress_end(&prog, rc == 0);
    if (rc == HEXZ_EEXIST && !a->force) return report_exists(a->output);
    if (rc == HEXZ_ECANCELED) {
        if (a->show != CLI_SHOW_QUIET)
            cli_error("flatten", "%s: interrupted; nothing was written", a->output);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("flatten", rc, a->archive);
    if (a->show != CLI_SHOW_QUIET) print_summary(a, total, cli_progress_elapsed(&prog));
    return CLI_OK;
}

static int run_flatten(const cli_command *self, int argc, char **argv)
{
    (void)self;
    flatten_args a = {0};
    hexz_write_options_init(&a.wo);
    int rc = parse_flatten(&a, argc, argv);
    if (rc >= 0) return rc;
    struct stat st;
    if (!a.force && lstat(a.output, &st) == 0) return report_exists(a.output);
    uint64_t total = 0;
    if (check_source(&a, &total) != CLI_OK) return CLI_FAIL;
    return flatten_with_progress(&a, total);
}

static const char flatten_help[] =
    "Writes OUTPUT, a self-contained copy of ARCHIVE: when ARCHIVE is thin (packed with\n"
    "'hexz pack --base'), every block it takes from its chain of bases is copied in, so that\n"
    "OUTPUT reads without any of them. The block boundaries, the streams and the file tree are\n"
    "kept as they are; blocks are deduplicated and compressed again with the codec chosen here.\n"
    "OUTPUT is written to a temporary file and renamed into place only when it is complete;\n"
    "it cannot be \"-\" (standard output). SIGINT, SIGTERM and SIGHUP stop flatten within a\n"
    "second, writing nothing; the exit status is then 128 + the signal's number.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUTPUT     the archive to write (required)\n"
    "      --compression C     lz4 (default), zstd or none\n"
    "      --level N           compression level: zstd 1..22 (default 3), lz4 1..12\n"
    "                          (default 1)\n"
    "  -j, --threads N         compression threads: 0 = one per CPU (default), 1 = none\n"
    "  -f, --force             replace OUTPUT if it exists\n" CLI_HELP_BASE_DIR CLI_HELP_PROGRESS
    "  -h, --help              show this help\n"
    "\n"
    "At the end a summary goes to stderr (unless -q):\n"
    "  flattened IN -> OUT: N bytes, M bytes out (ratio R), S MiB/s, T s\n";

const cli_command cli_cmd_flatten = {
    "flatten", "write a self-contained copy of a thin archive",
    "hexz flatten ARCHIVE -o OUTPUT [--base-dir DIR] [--compression C] [--level N] [OPTIONS]",
    flatten_help, run_flatten};
