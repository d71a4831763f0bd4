/*
 * cmd_verify.c - 'hexz verify': checks every byte of one or more archives with
 * hexz_reader_verify() and reports "ARCHIVE: OK (N blocks, M bytes verified)"; with -p, checks
 * that each given public key signed the archive (hexz_reader_verify_signature()), and without,
 * lists the signatures present as unverified. Shows a progress line on a terminal.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "opt.h"
#include "password.h"
#include "progress.h"

/* A public key given with -p. */
typedef struct {
    const char *path;
    uint8_t key[HEXZ_PUBLIC_KEY_LEN];
} verify_key;

typedef struct {
    char **archives;
    int count;
    verify_key *keys;
    int key_count;
    cli_open_args open;
    cli_show show;
} verify_args;

/* -p FILE: one more public key (keys has room for one per argument). */
static int add_key(const cli_command *cmd, void *args, void *field, char *path)
{
    (void)cmd, (void)field;
    verify_args *a = args;
    a->keys[a->key_count++].path = path;
    return CLI_OK;
}

static const opt_spec verify_options[] = {
    OPT_E_LIST("public-key", 'p', "FILE", verify_args, keys, add_key, "a key to check with"),
    CLI_OPTS_OPEN(verify_args, open),
    CLI_OPT_PROGRESS(verify_args, show),
    CLI_OPT_QUIET(verify_args, show),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_verify(verify_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_verify, verify_options, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"ARCHIVE", NULL};
    a->count = opt_operands(&p, 1, argc, names, &a->archives);
    return a->count < 0 ? CLI_USAGE : -1;
}

static int load_keys(verify_args *a)
{
    for (int i = 0; i < a->key_count; i++) {
        int rc = hexz_public_key_load(a->keys[i].path, a->keys[i].key);
        if (rc < 0) return cli_lib_error("verify", rc, a->keys[i].path);
    }
    return CLI_OK;
}

/* The trusted comment with control characters shown as '?', so it stays on one line. */
static void print_comment(const char *comment)
{
    fputs(", trusted comment: ", stdout);
    for (const unsigned char *c = (const unsigned char *)comment; *c; c++)
        putchar(*c < 0x20 || *c == 0x7f ? '?' : *c);
}

static void print_good(const char *archive, const hexz_signature_info *si)
{
    char id[2 * HEXZ_KEY_ID_LEN + 1], when[64];
    cli_hex(si->key_id, HEXZ_KEY_ID_LEN, id);
    cli_iso_time(si->signed_at, when, sizeof when);
    printf("%s: good signature by key %s, signed %s", archive, id, when);
    if (si->comment[0]) print_comment(si->comment);
    putchar('\n');
}

/* Without -p: the signatures present, which nothing here checks. */
static int list_signatures(hexz_reader *r, const char *archive)
{
    unsigned n = hexz_reader_signature_count(r);
    for (unsigned i = 0; i < n; i++) {
        hexz_signature_info si = HEXZ_SIGNATURE_INFO_INIT;
        int rc = hexz_reader_signature_at(r, i, &si);
        if (rc < 0) return cli_lib_error("verify", rc, archive);
        char id[2 * HEXZ_KEY_ID_LEN + 1];
        cli_hex(si.key_id, HEXZ_KEY_ID_LEN, id);
        printf("%s: signature by key %s, unverified (use -p PUBLIC.pub to check it)\n", archive,
               id);
    }
    return CLI_OK;
}

/* With -p: every key given must have a good signature; si[i] describes key i's. */
static int check_signatures(hexz_reader *r, const verify_args *a, const char *archive,
                            hexz_signature_info *si)
{
    for (int i = 0; i < a->key_count; i++) {
        si[i].version = HEXZ_SIGNATURE_INFO_VERSION;
        int rc = hexz_reader_verify_signature(r, a->keys[i].key, &si[i]);
        if (rc < 0) return cli_lib_error("verify", rc, archive);
    }
    return CLI_OK;
}

/* The logical bytes verify will go through: the sum of the stream sizes. */
static uint64_t logical_size(hexz_reader *r)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < hexz_reader_stream_count(r); i++) {
        hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
        if (hexz_reader_stream_info(r, i, &si) == 0) total += si.size;
    }
    return total;
}

static int verify_data(hexz_reader *r, const verify_args *a, const char *archive,
                       hexz_inspect_info *info)
{
    cli_progress prog;
    cli_progress_start(&prog, a->show, logical_size(r));
    int rc = hexz_reader_verify(r, cli_progress_update, &prog);
    cli_progress_end(&prog, rc == 0);
    info->version = HEXZ_INSPECT_INFO_VERSION;
    if (rc == 0) rc = hexz_reader_inspect(r, info);
    if (rc == HEXZ_ECANCELED) {
        cli_error("verify", "%s: interrupted", archive);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("verify", rc, archive);
    if (cli_progress_shown(&prog)) {
        double seconds = cli_progress_elapsed(&prog);
        fprintf(stderr, "verified %s: %llu bytes, %.1f MiB/s, %.2f s\n", archive,
                (unsigned long long)info->logical_bytes,
                cli_mib_per_s(info->logical_bytes, seconds), seconds);
    }
    return CLI_OK;
}

/* The signatures (cheap) first, then every byte; the results only when both pass. */
static int verify_reader(hexz_reader *r, const verify_args *a, const char *archive,
                         hexz_signature_info *si)
{
    hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
    int rc = check_signatures(r, a, archive, si);
    if (rc == CLI_OK) rc = verify_data(r, a, archive, &info);
    if (rc != CLI_OK) return rc;
    for (int i = 0; i < a->key_count; i++) print_good(archive, &si[i]);
    printf("%s: OK (%llu blocks, %llu bytes verified)\n", archive, (unsigned long long)info.blocks,
           (unsigned long long)info.logical_bytes);
    return a->key_count == 0 ? list_signatures(r, archive) : CLI_OK;
}

static int verify_one(const verify_args *a, const char *archive)
{
    hexz_signature_info *si = calloc((size_t)a->key_count + 1, sizeof *si);
    if (!si) return cli_lib_error("verify", HEXZ_ENOMEM, archive);
    hexz_reader *r;
    int rc = cli_open_archive("verify", archive, &a->open, &r, NULL);
    if (rc == CLI_OK) {
        rc = verify_reader(r, a, archive, si);
        hexz_reader_free(r);
    }
    free(si);
    fflush(stdout);
    return rc;
}

static int verify_all(verify_args *a)
{
    int rc = load_keys(a);
    if (rc != CLI_OK) return rc;
    cli_catch_interrupts();
    int status = CLI_OK;
    for (int i = 0; i < a->count && !cli_interrupted(); i++)
        if (verify_one(a, a->archives[i]) != CLI_OK) status = CLI_FAIL;
    return cli_interrupted() ? CLI_FAIL : status;
}

static int run_verify(const cli_command *self, int argc, char **argv)
{
    (void)self;
    verify_args a = {0};
    a.keys = calloc((size_t)argc, sizeof *a.keys); /* at most one -p per argument */
    if (!a.keys) return cli_lib_error("verify", HEXZ_ENOMEM, "verify");
    int rc = parse_verify(&a, argc, argv);
    if (rc < 0) rc = verify_all(&a);
    free(a.keys);
    return rc;
}

static const char verify_help[] =
    "Checks each ARCHIVE completely: the header checksum, the root hash, every section, index\n"
    "page and manifest page against its hash, every stored block against its checksum, exact\n"
    "length and content hash, and the structural rules of the format (every byte of the file\n"
    "accounted for). Prints \"ARCHIVE: OK (N blocks, M bytes verified)\" for an intact archive,\n"
    "where N counts index entries and M logical bytes; reports the first damaged place and\n"
    "exits with status 1 otherwise.\n"
    "\n"
    "With -p, each public key given must also have made a good signature of the archive (the\n"
    "signature covers the root hash, which commits to every byte checked above); for each,\n"
    "verify prints \"ARCHIVE: good signature by key KEYID, signed TIME, trusted comment: TEXT\"\n"
    "(TIME in UTC, as the signer's clock said) before the OK line; a missing or bad signature\n"
    "fails. Without -p, the signatures present are listed after the OK line as unverified.\n"
    "\n"
    "Options:\n"
    "  -p, --public-key FILE   a public key (from 'hexz keygen') that must have signed each\n"
    "                          ARCHIVE; may be given several times\n" CLI_HELP_PASSWORD_FILE
        CLI_HELP_BASE_DIR CLI_HELP_KDF_LIMITS CLI_HELP_PROGRESS
    "  -h, --help              show this help\n";

const cli_command cli_cmd_verify = {"verify", "check every byte of an archive, and its signatures",
                                    "hexz verify ARCHIVE...", verify_help, run_verify};
