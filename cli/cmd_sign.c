/*
 * cmd_sign.c - 'hexz sign': adds an Ed25519 signature to an archive with hexz_sign(), after
 * checking every byte of it (hexz_reader_verify()) unless --no-verify; prints the signing key's
 * id.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "opt.h"
#include "password.h"

typedef struct {
    const char *archive, *key_path, *comment;
    cli_open_args open;
    int no_verify;
} sign_args;

static const opt_spec sign_options[] = {
    OPT_E_STRING("secret-key", 'k', "SECRET.key", sign_args, key_path,
                 "the secret key to sign with"),
    OPT_E_STRING("trusted-comment", 0, "TEXT", sign_args, comment, "the signature's comment"),
    OPT_E_FLAG("no-verify", 0, sign_args, no_verify, "do not verify the archive first"),
    CLI_OPTS_OPEN(sign_args, open),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_sign(sign_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_sign, sign_options, a, argc, argv);
    if (rc >= 0) return rc;
    if (opt_archive(&p, &a->archive) < 0) return CLI_USAGE;
    if (!a->key_path) return cli_usage_error(&cli_cmd_sign, "missing -k SECRET.key");
    if (a->comment && strlen(a->comment) > HEXZ_COMMENT_MAX)
        return cli_usage_error(&cli_cmd_sign, "--trusted-comment: longer than %d bytes",
                               HEXZ_COMMENT_MAX);
    return -1;
}

/* Checks every byte first: a signature should vouch only for an intact archive. */
static int verify_first(const sign_args *a)
{
    hexz_reader *r;
    if (cli_open_archive("sign", a->archive, &a->open, &r, NULL) != CLI_OK) return CLI_FAIL;
    cli_catch_interrupts();
    int rc = hexz_reader_verify(r, cli_progress_cancel, NULL);
    hexz_reader_free(r);
    if (rc == HEXZ_ECANCELED) {
        cli_error("sign", "%s: interrupted; not signed", a->archive);
        return CLI_FAIL;
    }
    return rc < 0 ? cli_lib_error("sign", rc, a->archive) : CLI_OK;
}

static int sign_archive(const sign_args *a, const uint8_t *sk)
{
    if (!a->no_verify && verify_first(a) != CLI_OK) return CLI_FAIL;
    int rc = hexz_sign(a->archive, sk, a->comment);
    if (rc < 0) return cli_lib_error("sign", rc, a->archive);
    /* A secret key is the seed followed by the public key (docs/FORMAT.md §11). */
    uint8_t id[HEXZ_KEY_ID_LEN];
    char hex[2 * HEXZ_KEY_ID_LEN + 1];
    hexz_key_id(sk + HEXZ_SECRET_KEY_LEN - HEXZ_PUBLIC_KEY_LEN, id);
    cli_hex(id, sizeof id, hex);
    printf("%s: signed by key %s\n", a->archive, hex);
    return CLI_OK;
}

static int run_sign(const cli_command *self, int argc, char **argv)
{
    (void)self;
    sign_args a = {0};
    int rc = parse_sign(&a, argc, argv);
    if (rc >= 0) return rc;
    uint8_t sk[HEXZ_SECRET_KEY_LEN];
    rc = hexz_secret_key_load(a.key_path, sk);
    if (rc < 0) return cli_lib_error("sign", rc, a.key_path);
    rc = sign_archive(&a, sk);
    explicit_bzero(sk, sizeof sk);
    return rc;
}

static const char sign_help[] =
    "Adds a signature by the secret key SECRET.key (from 'hexz keygen') to ARCHIVE. The\n"
    "signature covers the archive's root hash, which commits to every byte of it, with the\n"
    "time and the trusted comment; signatures already there are kept (at most 256: one more is\n"
    "refused). The archive is rewritten beside itself and renamed into place; through a\n"
    "symbolic link its target is updated (the link stays a link), the owner and mode are\n"
    "kept, and an archive with several hard links is refused (the other names would stay\n"
    "unsigned). Prints \"ARCHIVE: signed by key KEYID\".\n"
    "\n"
    "First, every byte of ARCHIVE is checked as by 'hexz verify' (an encrypted archive needs\n"
    "its password for that; signing itself does not), so that only an intact archive is\n"
    "signed. Check a signature with 'hexz verify ARCHIVE -p PUBLIC.pub'.\n"
    "\n"
    "Options:\n"
    "  -k, --secret-key FILE   the secret key to sign with (required)\n"
    "      --trusted-comment TEXT\n"
    "                          text stored and signed with the signature (at most 1024\n"
    "                          bytes); 'hexz verify -p' shows it\n"
    "      --no-verify         sign without checking the archive first\n" CLI_HELP_PASSWORD_FILE
        CLI_HELP_BASE_DIR CLI_HELP_KDF_LIMITS "  -h, --help              show this help\n";

const cli_command cli_cmd_sign = {
    "sign", "sign an archive with a secret key",
    "hexz sign ARCHIVE -k SECRET.key [--trusted-comment TEXT] [--no-verify]", sign_help, run_sign};
