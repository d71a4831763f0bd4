/*
 * cmd_pack.c - 'hexz pack': packs a file, block device or directory tree into an archive with
 * hexz_pack_path(), after checking every option value, optionally encrypted with a password;
 * shows a progress line on a terminal and prints a one-line summary.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "commands.h"
#include "opt.h"
#include "password.h"
#include "progress.h"

#define SIZE_MIN_LIMIT 64u
#define SIZE_MAX_LIMIT (64u << 20)
#define THREADS_MAX 1024

enum {
    OPT_CHUNKING = OPT_LONG_BASE,
    OPT_BLOCK_SIZE,
    OPT_MIN,
    OPT_AVG,
    OPT_MAX,
    OPT_COMPRESSION,
    OPT_LEVEL,
    OPT_NO_DEDUP,
    OPT_ENCRYPT,
};

static const struct option pack_longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"chunking", required_argument, NULL, OPT_CHUNKING},
    {"block-size", required_argument, NULL, OPT_BLOCK_SIZE},
    {"min", required_argument, NULL, OPT_MIN},
    {"avg", required_argument, NULL, OPT_AVG},
    {"max", required_argument, NULL, OPT_MAX},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"no-dedup", no_argument, NULL, OPT_NO_DEDUP},
    {"threads", required_argument, NULL, 'j'},
    {"force", no_argument, NULL, 'f'},
    {"quiet", no_argument, NULL, 'q'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"encrypt", no_argument, NULL, OPT_ENCRYPT},
    {"kdf", required_argument, NULL, OPT_KDF},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *input, *output, *password_file;
    hexz_write_options wo;
    cli_show show;
    int force, encrypt, have_kdf;
    int chunking_set, have_block, have_min, have_avg, have_max, have_level;
    uint64_t block, min, avg, max;
    long long level;
} pack_args;

static int parse_threads(pack_args *a, const char *arg)
{
    long long n;
    int rc = opt_int(&cli_cmd_pack, "--threads", arg, 0, THREADS_MAX, &n);
    if (rc == CLI_OK) a->wo.threads = (unsigned)n;
    return rc;
}

static int parse_size_opt(const char *name, const char *arg, uint64_t *out, int *have)
{
    *have = 1;
    return opt_size(&cli_cmd_pack, name, arg, SIZE_MIN_LIMIT, SIZE_MAX_LIMIT, out);
}

static int parse_chunking(pack_args *a, const char *arg)
{
    static const char *const names[] = {"fixed", "cdc", NULL};
    int i;
    int rc = opt_choice(&cli_cmd_pack, "--chunking", arg, names, &i);
    a->wo.chunking = i == 0 ? HEXZ_CHUNK_FIXED : HEXZ_CHUNK_CDC;
    a->chunking_set = 1;
    return rc;
}

static int parse_codec(pack_args *a, const char *arg)
{
    static const char *const names[] = {"lz4", "zstd", "none", NULL};
    static const hexz_codec codecs[] = {HEXZ_CODEC_LZ4, HEXZ_CODEC_ZSTD, HEXZ_CODEC_NONE};
    int i;
    int rc = opt_choice(&cli_cmd_pack, "--compression", arg, names, &i);
    if (rc == CLI_OK) a->wo.codec = codecs[i];
    return rc;
}

/* Handles one option; returns CLI_OK or the usage error's exit code. */
static int pack_option(pack_args *a, int c)
{
    switch (c) {
    case 'o': a->output = optarg; return CLI_OK;
    case 'f': a->force = 1; return CLI_OK;
    case 'q': a->show = CLI_SHOW_QUIET; return CLI_OK;
    case OPT_PROGRESS: a->show = CLI_SHOW_PROGRESS; return CLI_OK;
    case OPT_NO_DEDUP: a->wo.dedup = 0; return CLI_OK;
    case OPT_ENCRYPT: a->encrypt = 1; return CLI_OK;
    case OPT_PASSWORD_FILE: a->password_file = optarg; return CLI_OK;
    case OPT_KDF: a->have_kdf = 1; return cli_parse_kdf(&cli_cmd_pack, optarg, &a->wo.kdf);
    case 'j': return parse_threads(a, optarg);
    case OPT_CHUNKING: return parse_chunking(a, optarg);
    case OPT_COMPRESSION: return parse_codec(a, optarg);
    case OPT_BLOCK_SIZE: return parse_size_opt("--block-size", optarg, &a->block, &a->have_block);
    case OPT_MIN: return parse_size_opt("--min", optarg, &a->min, &a->have_min);
    case OPT_AVG: return parse_size_opt("--avg", optarg, &a->avg, &a->have_avg);
    case OPT_MAX: return parse_size_opt("--max", optarg, &a->max, &a->have_max);
    case OPT_LEVEL:
        a->have_level = 1;
        return opt_int(&cli_cmd_pack, "--level", optarg, INT_MIN, INT_MAX, &a->level);
    default: return CLI_USAGE;
    }
}

/* Fixed block size, or the CDC sizes with unset ones derived from --avg or the defaults. */
static int check_chunking(pack_args *a)
{
    const cli_command *cmd = &cli_cmd_pack;
    int cdc_sizes = a->have_min || a->have_avg || a->have_max;
    if (!a->chunking_set) a->wo.chunking = a->have_block ? HEXZ_CHUNK_FIXED : HEXZ_CHUNK_CDC;
    if (a->wo.chunking == HEXZ_CHUNK_FIXED) {
        if (cdc_sizes)
            return cli_usage_error(cmd, "--min, --avg and --max apply only to cdc chunking");
        if (a->have_block) a->wo.block_size = (uint32_t)a->block;
        return CLI_OK;
    }
    if (a->have_block) return cli_usage_error(cmd, "--block-size applies only to fixed chunking");
    if (a->have_avg) {
        if (a->avg & (a->avg - 1))
            return cli_usage_error(cmd, "--avg: %llu is not a power of two",
                                   (unsigned long long)a->avg);
        a->wo.avg_size = (uint32_t)a->avg;
        a->wo.min_size = a->avg / 4 < SIZE_MIN_LIMIT ? SIZE_MIN_LIMIT : (uint32_t)(a->avg / 4);
        a->wo.max_size = a->avg * 4 > SIZE_MAX_LIMIT ? SIZE_MAX_LIMIT : (uint32_t)(a->avg * 4);
    }
    if (a->have_min) a->wo.min_size = (uint32_t)a->min;
    if (a->have_max) a->wo.max_size = (uint32_t)a->max;
    if (a->wo.min_size > a->wo.avg_size)
        return cli_usage_error(cmd, "--min (%u) must not exceed --avg (%u)", a->wo.min_size,
                               a->wo.avg_size);
    if (a->wo.avg_size > a->wo.max_size)
        return cli_usage_error(cmd, "--avg (%u) must not exceed --max (%u)", a->wo.avg_size,
                               a->wo.max_size);
    return CLI_OK;
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

/* Parses argv into *a. Returns -1 to go on, or the exit code to return. */
static int parse_pack(pack_args *a, int argc, char **argv)
{
    opt_parser p;
    opt_init(&p, &cli_cmd_pack, argc, argv, "o:fqj:", pack_longopts);
    for (int c; (c = opt_next(&p)) != OPT_END;) {
        if (c == OPT_HELP) return cli_print_help(&cli_cmd_pack);
        if (c == OPT_BAD) return CLI_USAGE;
        int rc = pack_option(a, c);
        if (rc != CLI_OK) return rc;
    }
    static const char *const names[] = {"INPUT", NULL};
    char **ops;
    if (opt_operands(&p, 1, 1, names, &ops) < 0) return CLI_USAGE;
    a->input = ops[0];
    if (!a->output) return cli_usage_error(&cli_cmd_pack, "missing -o OUTPUT");
    int rc = check_chunking(a);
    if (rc == CLI_OK) rc = check_level(a);
    if (rc == CLI_OK) rc = check_encrypt(a);
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
 * on stderr: the figures of the archive as written, read back from it. */
static int print_summary(const pack_args *a, double seconds)
{
    hexz_reader *r;
    int rc = hexz_reader_open_password(&r, a->output, a->wo.password);
    hexz_inspect_info info;
    if (rc == 0) {
        rc = hexz_reader_inspect(r, &info);
        hexz_reader_free(r);
    }
    if (rc < 0) return cli_lib_error("pack", rc, a->output);
    double ratio = info.file_size ? (double)info.logical_bytes / (double)info.file_size : 0.0;
    fprintf(stderr,
            "packed %s -> %s: %llu bytes in, %llu bytes out (ratio %.2f), dedup saved %llu bytes, "
            "%.1f MiB/s, %.2f s\n",
            a->input, a->output, (unsigned long long)info.logical_bytes,
            (unsigned long long)info.file_size, ratio, (unsigned long long)info.dedup_bytes,
            cli_mib_per_s(info.logical_bytes, seconds), seconds);
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

static int pack_with_progress(pack_args *a)
{
    cli_progress prog;
    cli_progress_start(&prog, a->show, 0);
    cli_catch_interrupts();
    a->wo.progress = cli_progress_update;
    a->wo.progress_user = &prog;
    int rc = hexz_pack_path(a->input, a->output, &a->wo);
    cli_progress_end(&prog, rc == 0);
    double seconds = cli_progress_elapsed(&prog);
    if (rc == HEXZ_EEXIST && !a->force) return report_exists(a->output);
    if (rc == HEXZ_ECANCELED) {
        cli_error("pack", "%s: interrupted; nothing was written", a->output);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("pack", rc, a->input);
    return a->show == CLI_SHOW_QUIET ? CLI_OK : print_summary(a, seconds);
}

static int run_pack(const cli_command *self, int argc, char **argv)
{
    (void)self;
    pack_args a = {0};
    hexz_write_options_init(&a.wo);
    int rc = parse_pack(&a, argc, argv);
    if (rc >= 0) return rc;
    struct stat st;
    if (!a.force && lstat(a.output, &st) == 0) return report_exists(a.output);
    char *password = NULL;
    if (a.encrypt && get_password(&a, &password) != CLI_OK) return CLI_FAIL;
    a.wo.password = password;
    rc = pack_with_progress(&a);
    cli_password_free(password);
    return rc;
}

static const char pack_help[] =
    "Packs INPUT, a regular file, block device or directory tree, into the archive OUTPUT.\n"
    "A directory becomes a file tree (regular files, directories and symbolic links with their\n"
    "modes and modification times); anything else becomes the stream \"main\". The archive is\n"
    "written to a temporary file and renamed into place only when it is complete.\n"
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
    "Sizes are bytes, or binary multiples with a K, M or G suffix (64K = 65536); every size\n"
    "must lie between 64 and 64M.\n"
    "\n"
    "On a terminal a progress line shows the percentage (for a file or device), the bytes read,\n"
    "MiB/s and the time left. At the end a summary goes to stderr:\n"
    "  packed IN -> OUT: N bytes in, M bytes out (ratio R), dedup saved D bytes, S MiB/s, T s\n"
    "N counts the logical bytes packed, M the archive's size, D the bytes that deduplication\n"
    "did not store again.\n";

const cli_command cli_cmd_pack = {"pack",
                                  "pack a file, block device or directory tree into an archive",
                                  "hexz pack INPUT -o OUTPUT [OPTIONS]", pack_help, run_pack};
