/*
 * cmd_pack.c - 'hexz pack': packs a file, block device or directory tree into an archive with
 * hexz_pack_path(), after checking every option value, and prints a one-line summary.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "opt.h"

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
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *input, *output;
    hexz_write_options wo;
    int force, quiet;
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
    case 'q': a->quiet = 1; return CLI_OK;
    case OPT_NO_DEDUP: a->wo.dedup = 0; return CLI_OK;
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
    if (rc != CLI_OK) return rc;
    a->wo.overwrite = a->force;
    return -1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int report_exists(const char *output)
{
    cli_error("pack", "%s: already exists (use --force to overwrite)", output);
    return CLI_FAIL;
}

/* "packed IN -> OUT: N bytes in, M bytes out (ratio R), T s" on stderr. */
static int print_summary(const pack_args *a, double seconds)
{
    hexz_reader *r;
    if (cli_open("pack", a->output, &r) != CLI_OK) return CLI_FAIL;
    hexz_inspect_info info;
    int rc = hexz_reader_inspect(r, &info);
    if (rc < 0) {
        cli_lib_error("pack", rc, a->output);
        hexz_reader_free(r);
        return CLI_FAIL;
    }
    hexz_reader_free(r);
    double ratio = info.file_size ? (double)info.logical_bytes / (double)info.file_size : 0.0;
    fprintf(stderr, "packed %s -> %s: %llu bytes in, %llu bytes out (ratio %.2f), %.2f s\n",
            a->input, a->output, (unsigned long long)info.logical_bytes,
            (unsigned long long)info.file_size, ratio, seconds);
    return CLI_OK;
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
    cli_catch_interrupts();
    a.wo.progress = cli_progress_cancel;
    double start = now_seconds();
    rc = hexz_pack_path(a.input, a.output, &a.wo);
    if (rc == HEXZ_EEXIST && !a.force) return report_exists(a.output);
    if (rc == HEXZ_ECANCELED) {
        cli_error("pack", "%s: interrupted; nothing was written", a.output);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("pack", rc, a.input);
    return a.quiet ? CLI_OK : print_summary(&a, now_seconds() - start);
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
    "  -q, --quiet             do not print the summary line\n"
    "  -h, --help              show this help\n"
    "\n"
    "Sizes are bytes, or binary multiples with a K, M or G suffix (64K = 65536); every size\n"
    "must lie between 64 and 64M.\n";

const cli_command cli_cmd_pack = {"pack",
                                  "pack a file, block device or directory tree into an archive",
                                  "hexz pack INPUT -o OUTPUT [OPTIONS]", pack_help, run_pack};
