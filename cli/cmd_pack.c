/*
 * cmd_pack.c - 'hexz pack': packs a file, block device, directory tree or standard input into an
 * archive with hexz_pack(), after checking every option value: optionally encrypted with a
 * password, thin against a base archive (--base), with a trained zstd dictionary (--dict), with
 * extra named streams (--add-stream); prints the library's warnings, shows a progress line on a
 * terminal and prints a one-line summary.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "opt.h"
#include "password.h"
#include "progress.h"

#define THREADS_MAX 1024
#define DICT_SIZE_MIN 1024u
#define DICT_SIZE_MAX (1u << 20)

typedef struct {
    const char *input, *output, *password_file;
    hexz_write_options wo;
    hexz_pack_options po;
    hexz_stream_source *streams; /* --add-stream, room for one per argument */
    cli_show show;
    int force, encrypt, have_kdf, dict, have_dict_size;
    int chunking_set, have_block, have_level;
    uint64_t block, dict_size;
    cli_cdc_sizes cdc;
    long long level;
} pack_args;

static int from_stdin(const pack_args *a)
{
    return strcmp(a->input, "-") == 0;
}

static int parse_chunking(const cli_command *cmd, void *args, void *chunking, char *arg)
{
    static const char *const names[] = {"fixed", "cdc", NULL};
    (void)args;
    int i = 0;
    int rc = opt_choice(cmd, "--chunking", arg, names, &i);
    *(hexz_chunking *)chunking = i == 0 ? HEXZ_CHUNK_FIXED : HEXZ_CHUNK_CDC;
    return rc;
}

/* --add-stream NAME=FILE: split in place (argv strings are writable) into name and path. */
static int parse_add_stream(const cli_command *cmd, void *args, void *field, char *arg)
{
    (void)field;
    pack_args *a = args;
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg || eq[1] == '\0')
        return cli_usage_error(cmd, "--add-stream: expected NAME=FILE, not '%s'", arg);
    *eq = '\0';
    if (strlen(arg) >= HEXZ_STREAM_NAME_MAX)
        return cli_usage_error(cmd, "--add-stream: the name is longer than %d bytes",
                               HEXZ_STREAM_NAME_MAX - 1);
    if (strcmp(arg, "main") == 0)
        return cli_usage_error(cmd, "--add-stream: 'main' is INPUT's stream; use another name");
    for (size_t i = 0; i < a->po.extra_stream_count; i++)
        if (strcmp(a->streams[i].name, arg) == 0)
            return cli_usage_error(cmd, "--add-stream: stream '%s' is given twice", arg);
    a->streams[a->po.extra_stream_count++] = (hexz_stream_source){arg, eq + 1};
    return CLI_OK;
}

static const opt_spec pack_options[] = {
    OPT_E_STRING("output", 'o', "OUTPUT", pack_args, output, "write the archive to OUTPUT"),
    OPT_E_CALL("chunking", 0, "MODE", pack_args, wo.chunking, OPT_HAVE(pack_args, chunking_set),
               parse_chunking, "fixed or cdc"),
    CLI_OPT_CHUNK_SIZE("block-size", pack_args, block, have_block, "the fixed chunk size"),
    CLI_OPT_CHUNK_SIZE("min", pack_args, cdc.min, cdc.have_min, "the smallest cdc chunk"),
    CLI_OPT_CHUNK_SIZE("avg", pack_args, cdc.avg, cdc.have_avg,
                       "the average cdc chunk (a power of two)"),
    CLI_OPT_CHUNK_SIZE("max", pack_args, cdc.max, cdc.have_max, "the largest cdc chunk"),
    OPT_E_CALL("compression", 0, "CODEC", pack_args, wo.codec, 0, cli_opt_codec,
               "lz4, zstd or none"),
    OPT_E_NUMBER("level", 0, "N", pack_args, level, OPT_HAVE(pack_args, have_level), INT_MIN,
                 INT_MAX, "the codec's level"),
    OPT_E_SET("no-dedup", 0, pack_args, wo.dedup, 0, "store identical chunks again"),
    OPT_E_NUMBER("threads", 'j', "N", pack_args, wo.threads, 0, 0, THREADS_MAX,
                 "compression workers"),
    OPT_E_FLAG("force", 'f', pack_args, force, "overwrite OUTPUT"),
    CLI_OPT_QUIET(pack_args, show),
    CLI_OPT_PROGRESS(pack_args, show),
    OPT_E_FLAG("encrypt", 0, pack_args, encrypt, "encrypt with a password"),
    OPT_E_CALL("kdf", 0, "LEVEL", pack_args, wo.kdf, OPT_HAVE(pack_args, have_kdf), cli_opt_kdf,
               "the password's KDF level"),
    CLI_OPT_PASSWORD_FILE(pack_args, password_file),
    OPT_E_STRING("base", 0, "ARCHIVE", pack_args, wo.base, "a thin archive over ARCHIVE"),
    OPT_E_FLAG("dict", 0, pack_args, dict, "train a zstd dictionary"),
    OPT_E_SIZE("dict-size", 0, "SIZE", pack_args, dict_size, OPT_HAVE(pack_args, have_dict_size),
               DICT_SIZE_MIN, DICT_SIZE_MAX, "the dictionary's size"),
    OPT_E_LIST("add-stream", 0, "NAME=FILE", pack_args, streams, parse_add_stream,
               "add FILE as stream NAME"),
    OPT_E_FLAG("skip-unreadable", 0, pack_args, po.skip_unreadable,
               "skip files that cannot be read"),
    OPT_E_END,
};

/* Fixed block size, or the CDC sizes with unset ones derived from --avg, from the base (with
 * --base) or from the defaults. Without --chunking, --block-size selects fixed and any CDC size
 * cdc; with none of them the mode stays the default's or the base's. */
static int check_chunking(pack_args *a)
{
    const cli_command *cmd = &cli_cmd_pack;
    int cdc_sizes = a->cdc.have_min || a->cdc.have_avg || a->cdc.have_max;
    if (!a->chunking_set && (a->have_block || cdc_sizes))
        a->wo.chunking = a->have_block ? HEXZ_CHUNK_FIXED : HEXZ_CHUNK_CDC;
    if (a->wo.chunking == HEXZ_CHUNK_FIXED) {
        if (cdc_sizes)
            return cli_usage_error(cmd, "--min, --avg and --max apply only to cdc chunking");
        if (a->have_block) a->wo.block_size = (uint32_t)a->block;
        return CLI_OK;
    }
    if (a->have_block) return cli_usage_error(cmd, "--block-size applies only to fixed chunking");
    return cli_apply_cdc_sizes(cmd, &a->cdc, &a->wo);
}

static int check_level(pack_args *a)
{
    if (!a->have_level) return CLI_OK;
    const char *codec = cli_codec_name(a->wo.codec);
    long long hi = a->wo.codec == HEXZ_CODEC_ZSTD ? 22 : 12;
    if (a->wo.codec == HEXZ_CODEC_NONE)
        return cli_usage_error(&cli_cmd_pack, "--level does not apply to --compression none");
    if (a->level < 1 || a->level > hi)
        return cli_usage_error(&cli_cmd_pack, "--level: %lld is out of range for %s (1 to %lld)",
                               a->level, codec, hi);
    a->wo.level = (int)a->level;
    return CLI_OK;
}

static int check_encrypt(const pack_args *a)
{
    if (a->encrypt) return CLI_OK;
    if (a->have_kdf) return cli_usage_error(&cli_cmd_pack, "--kdf applies only with --encrypt");
    if (a->password_file)
        return cli_usage_error(&cli_cmd_pack, "--password-file applies only with --encrypt");
    return CLI_OK;
}

/* --dict, --base and standard input: the combinations that cannot work. */
static int check_extras(const pack_args *a)
{
    const cli_command *cmd = &cli_cmd_pack;
    if (a->dict && a->wo.codec != HEXZ_CODEC_ZSTD)
        return cli_usage_error(cmd, "--dict requires --compression zstd");
    if (a->have_dict_size && !a->dict)
        return cli_usage_error(cmd, "--dict-size applies only with --dict");
    if (a->dict && from_stdin(a))
        return cli_usage_error(cmd, "--dict cannot train on standard input");
    if (a->wo.base && a->encrypt)
        return cli_usage_error(cmd, "--base cannot be combined with --encrypt");
    return CLI_OK;
}

/* The checks after parsing. With --base, the base's chunking comes first, so that the chunking
 * options given explicitly still win. */
static int check_pack(pack_args *a)
{
    int rc = check_level(a);
    if (rc == CLI_OK) rc = check_encrypt(a);
    if (rc == CLI_OK) rc = check_extras(a);
    if (rc != CLI_OK) return rc;
    if (a->wo.base) {
        int lrc = hexz_base_chunking(a->wo.base, &a->wo);
        if (lrc < 0) return cli_lib_error("pack", lrc, a->wo.base);
    }
    return check_chunking(a);
}

/* Parses argv into *a. Returns -1 to go on, or the exit code to return. */
static int parse_pack(pack_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_pack, pack_options, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"INPUT", NULL};
    char **ops;
    if (opt_operands(&p, 1, 1, names, &ops) < 0) return CLI_USAGE;
    a->input = ops[0];
    if (!a->output) return cli_usage_error(&cli_cmd_pack, "missing -o OUTPUT");
    if (strcmp(a->output, "-") == 0)
        return cli_usage_error(&cli_cmd_pack,
                               "-o -: an archive cannot be written to standard "
                               "output (it is seeked and renamed into place); name a file (./- "
                               "for one called -)");
    rc = check_pack(a);
    if (rc != CLI_OK) return rc;
    a->wo.overwrite = a->force;
    return -1;
}

static int report_exists(const char *output)
{
    cli_error("pack", "%s: already exists (use --force to overwrite)", output);
    return CLI_FAIL;
}

/* "packed IN -> OUT: N bytes in, M bytes out (ratio R), dedup saved D bytes, S MiB/s, T s"
 * on stderr, with ", the base holds B bytes" before the speed for a thin archive: the figures
 * of the library's last progress report, which it makes when the archive is complete (reading
 * the archive back would cost a second key derivation when encrypted, and every index page). */
static int print_summary(const pack_args *a, const hexz_progress *last, double seconds)
{
    uint64_t logical = last->bytes_in, size = last->bytes_out;
    double ratio = size ? (double)logical / (double)size : 0.0;
    char base[64] = "";
    if (a->wo.base)
        snprintf(base, sizeof base, ", the base holds %llu bytes",
                 (unsigned long long)last->base_bytes);
    fprintf(stderr,
            "packed %s -> %s: %llu bytes in, %llu bytes out (ratio %.2f), dedup saved %llu "
            "bytes%s, %.1f MiB/s, %.2f s\n",
            from_stdin(a) ? "standard input" : a->input, a->output, (unsigned long long)logical,
            (unsigned long long)size, ratio, (unsigned long long)last->dedup_bytes, base,
            cli_mib_per_s(logical, seconds), seconds);
    return CLI_OK;
}

/* --encrypt: the password from --password-file, $HEXZ_PASSWORD or a prompt (asked twice). */
static int get_password(const pack_args *a, char **out)
{
    cli_password_source src = {a->password_file, CLI_PASSWORD_ENV, "password", a->output, 1};
    if (cli_password_get("pack", &src, out) != CLI_OK) return CLI_FAIL;
    if (*out) return CLI_OK;
    cli_error("pack", "--encrypt needs a password: use --password-file FILE or set %s",
              CLI_PASSWORD_ENV);
    return CLI_FAIL;
}

/* A warning from the library (a skipped special file, a file that changed while read, ...):
 * one line on stderr, in place of the progress line, which the next update draws again. */
static void print_warning(const char *message, void *user)
{
    cli_progress_clear(user);
    cli_error("pack", "warning: %s", message);
}

static int pack_with_progress(pack_args *a)
{
    cli_progress prog;
    cli_progress_start(&prog, a->show, 0);
    cli_catch_interrupts();
    a->wo.progress = cli_progress_update;
    a->wo.progress_user = &prog;
    a->po.extra_streams = a->streams;
    a->po.warn = print_warning;
    a->po.warn_user = &prog;
    int rc = hexz_pack(a->input, a->output, &a->wo, &a->po);
    cli_progress_end(&prog, rc == 0);
    double seconds = cli_progress_elapsed(&prog);
    if (rc == HEXZ_EEXIST && !a->force) return report_exists(a->output);
    if (rc == HEXZ_ECANCELED) {
        if (a->show != CLI_SHOW_QUIET)
            cli_error("pack", "%s: interrupted; nothing was written", a->output);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("pack", rc, from_stdin(a) ? "standard input" : a->input);
    return a->show == CLI_SHOW_QUIET ? CLI_OK : print_summary(a, &prog.report, seconds);
}

/* --dict: a zstd dictionary trained on INPUT, stored in the archive and used for every block. */
static int train_dictionary(pack_args *a, void **dict)
{
    size_t len = 0;
    *dict = NULL;
    if (!a->dict) return CLI_OK;
    int rc = hexz_train_dictionary(a->input, a->have_dict_size ? (size_t)a->dict_size : 0, dict,
                                   &len);
    if (rc < 0) return cli_lib_error("pack", rc, a->input);
    a->wo.dictionary = *dict;
    a->wo.dictionary_size = len;
    return CLI_OK;
}

/* Everything after parsing: the output check, the password, the dictionary, then packing. */
static int pack_checked(pack_args *a)
{
    struct stat st;
    if (!a->force && lstat(a->output, &st) == 0) return report_exists(a->output);
    char *password = NULL;
    if (a->encrypt && get_password(a, &password) != CLI_OK) return CLI_FAIL;
    a->wo.password = password;
    void *dict = NULL;
    int rc = train_dictionary(a, &dict);
    if (rc == CLI_OK) rc = pack_with_progress(a);
    hexz_free(dict);
    cli_password_free(password);
    return rc;
}

static int run_pack(const cli_command *self, int argc, char **argv)
{
    (void)self;
    pack_args a = {0};
    hexz_write_options_init(&a.wo);
    a.po = (hexz_pack_options)HEXZ_PACK_OPTIONS_INIT;
    a.streams = calloc((size_t)argc, sizeof *a.streams); /* at most one per argument */
    if (!a.streams) return cli_lib_error("pack", HEXZ_ENOMEM, "pack");
    int rc = parse_pack(&a, argc, argv);
    if (rc < 0) rc = pack_checked(&a);
    free(a.streams);
    return rc;
}

static const char pack_help[] =
    "Packs INPUT, a regular file, block device or directory tree, into the archive OUTPUT.\n"
    "A directory becomes a file tree (regular files, directories and symbolic links with their\n"
    "modes and modification times); anything else becomes the stream \"main\". INPUT \"-\"\n"
    "reads standard input to its end into \"main\". The archive is written to a temporary file\n"
    "and renamed into place only when it is complete; OUTPUT cannot be \"-\" (standard output).\n"
    "\n"
    "SIGINT (Ctrl-C), SIGTERM and SIGHUP stop packing within a second, also while it waits for\n"
    "input that does not come; nothing is written, and the exit status is 128 + the signal's\n"
    "number (130, 143, 129).\n"
    "\n"
    "What packing goes past is reported on stderr as \"hexz pack: warning: MESSAGE\", one line\n"
    "each, without failing: fifos, sockets and device files in a tree (skipped), files that\n"
    "changed while they were read, entries that vanished (or became another kind of file)\n"
    "between the listing of their directory and their turn, and with --skip-unreadable the\n"
    "entries skipped.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUTPUT     the archive to write (required)\n"
    "      --chunking MODE     fixed or cdc (content-defined, the default; --block-size alone\n"
    "                          selects fixed)\n"
    "      --block-size N      fixed chunking: the block size (default 64K)\n"
    "      --min N             cdc: the minimum chunk size (default 16K, or avg/4)\n"
    "      --avg N             cdc: the average chunk size, a power of two (default 64K)\n"
    "      --max N             cdc: the maximum chunk size (default 256K, or avg*4)\n"
    "      --compression C     lz4 (default), zstd or none; blocks that do not shrink are\n"
    "                          stored raw\n"
    "      --level N           compression level: zstd 1..22 (default 3), lz4 1..12\n"
    "                          (default 1; 2 and up use LZ4 HC)\n"
    "      --no-dedup          store repeated blocks again instead of once\n"
    "      --base ARCHIVE      make a thin archive: blocks already in ARCHIVE (or in its own\n"
    "                          bases) are stored as references to it; chunking follows\n"
    "                          ARCHIVE's unless given here. Reading it needs ARCHIVE (see\n"
    "                          --base-dir of the reading commands); 'hexz flatten' makes a\n"
    "                          self-contained copy. Not with --encrypt\n"
    "      --dict              train a zstd dictionary on INPUT, store it in the archive and\n"
    "                          use it for every block: smaller archives of many small,\n"
    "                          similar files (needs --compression zstd; not for INPUT -)\n"
    "      --dict-size N       --dict: the dictionary's largest size, 1K to 1M (default 110K)\n"
    "      --add-stream NAME=FILE\n"
    "                          also store the bytes of FILE (a file or block device) as the\n"
    "                          stream NAME (not main); may be repeated. 'hexz cat --stream\n"
    "                          NAME' reads it back\n"
    "      --skip-unreadable   skip the files and directories of a tree that cannot be read,\n"
    "                          with a warning, instead of failing\n"
    "  -j, --threads N         compression threads: 0 = one per CPU (default), 1 = none;\n"
    "                          the archive's bytes do not depend on it\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "      --encrypt           encrypt the archive with a password: file names, sizes, times,\n"
    "                          the index and the content are all sealed\n"
    "      --kdf STRENGTH      how hard the password is stretched (Argon2id): interactive\n"
    "                          (default; about 0.1 s and 64 MiB) or moderate (0.7 s, 256 MiB)\n"
    "      --password-file FILE\n"
    "                          --encrypt: the password is the first line of FILE (else\n"
    "                          $HEXZ_PASSWORD, else it is asked for twice on a terminal)\n"
    "      --progress          show the progress line even when stderr is not a terminal\n"
    "  -q, --quiet             show neither the progress line nor the summary line\n"
    "  -h, --help              show this help\n"
    "\n"
    "Sizes are bytes, or binary multiples with a K, M or G suffix (64K = 65536); the chunk\n"
    "sizes must lie between 64 and 64M.\n"
    "\n"
    "On a terminal a progress line shows the percentage (for a file or device), the bytes read,\n"
    "MiB/s and the time left. At the end a summary goes to stderr:\n"
    "  packed IN -> OUT: N bytes in, M bytes out (ratio R), dedup saved D bytes, S MiB/s, T s\n"
    "N counts the logical bytes packed, M the archive's size, D the bytes that deduplication\n"
    "did not store again. A thin archive adds \", the base holds B bytes\" before the speed: the\n"
    "logical bytes stored as references to its base.\n";

const cli_command cli_cmd_pack = {"pack",
                                  "pack a file, block device or directory tree into an archive",
                                  "hexz pack INPUT -o OUTPUT [OPTIONS]", pack_help, run_pack};
