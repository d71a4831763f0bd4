/*
 * cmd_predict.c - 'hexz predict': estimates with hexz_predict(), without writing anything, how
 * large an archive of a file or block device would be with each chunking (fixed, cdc) and codec
 * (lz4, zstd), and recommends one with the 'hexz pack' command line that uses it.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "opt.h"

#define LABEL_WIDTH 18
#define COMMAND_MAX (HEXZ_PATH_MAX * 4 + 256)

typedef struct {
    const char *input;
    hexz_write_options wo;
    cli_cdc_sizes cdc;
    uint64_t block;
    long long level;
    int json, have_block, have_level;
} predict_args;

static const opt_spec predict_options[] = {
    OPT_E_FLAG("json", 0, predict_args, json, "print JSON"),
    CLI_OPT_CHUNK_SIZE("block-size", predict_args, block, have_block, "the fixed chunk size"),
    CLI_OPT_CHUNK_SIZE("min", predict_args, cdc.min, cdc.have_min, "the smallest cdc chunk"),
    CLI_OPT_CHUNK_SIZE("avg", predict_args, cdc.avg, cdc.have_avg, "the average cdc chunk"),
    CLI_OPT_CHUNK_SIZE("max", predict_args, cdc.max, cdc.have_max, "the largest cdc chunk"),
    OPT_E_NUMBER("level", 0, "N", predict_args, level, OPT_HAVE(predict_args, have_level), 1, 22,
                 "the zstd level"),
    OPT_E_END,
};

/* Parses argv into *a. Returns -1 to go on, or the exit code to return. */
static int parse_predict(predict_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_predict, predict_options, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"INPUT", NULL};
    char **ops;
    if (opt_operands(&p, 1, 1, names, &ops) < 0) return CLI_USAGE;
    a->input = ops[0];
    if (a->have_block) a->wo.block_size = (uint32_t)a->block;
    if (a->have_level) {
        /* The level is zstd's: hexz_predict() applies it to the codec of the options. */
        a->wo.codec = HEXZ_CODEC_ZSTD;
        a->wo.level = (int)a->level;
    }
    rc = cli_apply_cdc_sizes(&cli_cmd_predict, &a->cdc, &a->wo);
    return rc == CLI_OK ? -1 : rc;
}

/* ---- the recommendation --------------------------------------------------------------------- */

/* Appends " s" to the command line in out (cap >= 8 bytes), single-quoted for a POSIX shell
 * when it needs quoting; what does not fit is cut. */
static void append_word(char *out, size_t cap, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-+=.,/:@%";
    size_t len = strlen(out);
    if (*s && strspn(s, plain) == strlen(s)) {
        snprintf(out + len, cap - len, " %s", s);
        return;
    }
    char *d = out + len, *end = out + cap - 6; /* room for an escaped quote, a quote, a NUL */
    if (d + 2 >= end) return;
    *d++ = ' ';
    *d++ = '\'';
    for (; *s && d < end; s++) {
        if (*s == '\'') {
            memcpy(d, "'\\''", 4);
            d += 4;
        } else {
            *d++ = *s;
        }
    }
    *d++ = '\'';
    *d = '\0';
}

/* Appends "--name SIZE" for a size the user gave. */
static void append_size(char *out, size_t cap, const char *name, int have, uint64_t n)
{
    if (!have) return;
    char label[32];
    cli_size_label(n, label, sizeof label);
    append_word(out, cap, name);
    append_word(out, cap, label);
}

/* "hexz pack INPUT -o OUT --chunking cdc --compression lz4", with the sizes and level given. */
static void recommended_command(const predict_args *a, const hexz_prediction *p, char *out,
                                size_t cap)
{
    snprintf(out, cap, "hexz pack");
    append_word(out, cap, a->input);
    append_word(out, cap, "-o");
    append_word(out, cap, "OUT");
    append_word(out, cap, "--chunking");
    append_word(out, cap, cli_chunking_name(p->chunking));
    if (p->chunking == HEXZ_CHUNK_FIXED) {
        append_size(out, cap, "--block-size", a->have_block, a->block);
    } else {
        append_size(out, cap, "--min", a->cdc.have_min, a->cdc.min);
        append_size(out, cap, "--avg", a->cdc.have_avg, a->cdc.avg);
        append_size(out, cap, "--max", a->cdc.have_max, a->cdc.max);
    }
    append_word(out, cap, "--compression");
    append_word(out, cap, cli_codec_name(p->codec));
    if (p->codec == HEXZ_CODEC_ZSTD && a->have_level) {
        char level[16];
        snprintf(level, sizeof level, "%lld", a->level);
        append_word(out, cap, "--level");
        append_word(out, cap, level);
    }
}

static double ratio_of(const hexz_predict_info *in, const hexz_prediction *p)
{
    return p->estimated_bytes ? (double)in->input_bytes / (double)p->estimated_bytes : 0.0;
}

/* ---- human-readable output ------------------------------------------------------------------ */

static void row_bytes(const char *label, uint64_t n, const char *extra)
{
    char h[32];
    cli_human_bytes(n, h, sizeof h);
    printf("%-*s%llu", LABEL_WIDTH, label, (unsigned long long)n);
    if (n >= 1024) printf(" (%s)", h);
    printf("%s\n", extra);
}

static void print_human(const predict_args *a, const hexz_predict_info *in, const char *command)
{
    char fixed[64], cdc[96];
    snprintf(fixed, sizeof fixed, ", block size %u", a->wo.block_size);
    snprintf(cdc, sizeof cdc, ", min %u, avg %u, max %u", a->wo.min_size, a->wo.avg_size,
             a->wo.max_size);
    printf("%-*s%s\n", LABEL_WIDTH, "input", a->input);
    row_bytes("input bytes", in->input_bytes, "");
    row_bytes("zero bytes", in->zero_bytes, ", in holes (cdc)");
    row_bytes("unique (fixed)", in->unique_bytes_fixed, fixed);
    row_bytes("unique (cdc)", in->unique_bytes_cdc, cdc);
    row_bytes("sampled", in->sampled_bytes, ", compressed to estimate the ratios");
    printf("\n  %-10s%-8s%16s%10s\n", "chunking", "codec", "estimated bytes", "ratio");
    for (unsigned i = 0; i < 4; i++) {
        const hexz_prediction *p = &in->predictions[i];
        printf("  %-10s%-8s%16llu%10.2f%s\n", cli_chunking_name(p->chunking),
               cli_codec_name(p->codec), (unsigned long long)p->estimated_bytes, ratio_of(in, p),
               i == in->recommended ? "  <- recommended" : "");
    }
    printf("\nrecommended: %s\n", command);
}

/* ---- JSON output ---------------------------------------------------------------------------- */

static void print_json(const predict_args *a, const hexz_predict_info *in, const char *command)
{
    json_writer w;
    json_init(&w, stdout);
    json_begin_object(&w);
    json_kv_string(&w, "input", a->input);
    json_kv_u64(&w, "input_bytes", in->input_bytes);
    json_kv_u64(&w, "zero_bytes", in->zero_bytes);
    json_kv_u64(&w, "unique_bytes_fixed", in->unique_bytes_fixed);
    json_kv_u64(&w, "unique_bytes_cdc", in->unique_bytes_cdc);
    json_kv_u64(&w, "sampled_bytes", in->sampled_bytes);
    json_key(&w, "predictions");
    json_begin_array(&w);
    for (unsigned i = 0; i < 4; i++) {
        const hexz_prediction *p = &in->predictions[i];
        json_begin_object(&w);
        json_kv_string(&w, "chunking", cli_chunking_name(p->chunking));
        json_kv_string(&w, "codec", cli_codec_name(p->codec));
        json_kv_u64(&w, "estimated_bytes", p->estimated_bytes);
        json_key(&w, "ratio");
        json_fixed(&w, ratio_of(in, p), 4);
        json_key(&w, "recommended");
        json_bool(&w, i == in->recommended);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_kv_u64(&w, "recommended", in->recommended);
    json_kv_string(&w, "command", command);
    json_end_object(&w);
    json_finish(&w);
}

static int run_predict(const cli_command *self, int argc, char **argv)
{
    (void)self;
    predict_args a;
    memset(&a, 0, sizeof a);
    hexz_write_options_init(&a.wo);
    int rc = parse_predict(&a, argc, argv);
    if (rc >= 0) return rc;
    hexz_predict_info info = HEXZ_PREDICT_INFO_INIT;
    rc = hexz_predict(a.input, &a.wo, &info);
    if (rc < 0) return cli_lib_error("predict", rc, a.input);
    unsigned best = info.recommended < 4 ? info.recommended : 0;
    info.recommended = best;
    char command[COMMAND_MAX];
    recommended_command(&a, &info.predictions[best], command, sizeof command);
    if (a.json) print_json(&a, &info, command);
    else print_human(&a, &info, command);
    return CLI_OK;
}

static const char predict_help[] =
    "Estimates, without writing anything, how large an archive of INPUT (a file or block\n"
    "device) would be with each chunking (fixed, cdc) and codec (lz4, zstd), and recommends\n"
    "one: the smallest, or lz4 when it is within 5% of it (lz4 packs and reads several times\n"
    "faster). INPUT is read once per chunking and every chunk hashed, so holes and\n"
    "deduplication are counted exactly; only a sample of the distinct chunks is compressed\n"
    "(all of them for an input under 64 MiB).\n"
    "\n"
    "Prints the input size, the bytes in runs of zeros that become holes, the distinct\n"
    "non-zero bytes left after deduplication with each chunking, the bytes sampled, a table of\n"
    "the four estimates (archive bytes and ratio = input bytes / archive bytes) with the\n"
    "recommended one marked, and the command line that packs with it:\n"
    "  recommended: hexz pack INPUT -o OUT --chunking cdc --compression lz4\n"
    "\n"
    "Options:\n"
    "      --json              print one JSON object instead (\"predictions\", \"recommended\"\n"
    "                          as an index into them, \"command\")\n"
    "      --block-size N      fixed chunking: the block size (default 64K)\n"
    "      --min N             cdc: the minimum chunk size (default 16K, or avg/4)\n"
    "      --avg N             cdc: the average chunk size, a power of two (default 64K)\n"
    "      --max N             cdc: the maximum chunk size (default 256K, or avg*4)\n"
    "      --level N           the zstd level of the zstd estimates, 1..22 (default 3); lz4\n"
    "                          is estimated at its default level\n"
    "  -h, --help              show this help\n"
    "\n"
    "Sizes are bytes, or binary multiples with a K, M or G suffix (64K = 65536), between 64\n"
    "and 64M.\n";

const cli_command cli_cmd_predict = {
    "predict", "estimate an archive's size with each chunking and codec",
    "hexz predict INPUT [--json] [--block-size N] [--min N] [--avg N] [--max N] [--level N]",
    predict_help, run_predict};
