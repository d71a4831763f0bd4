/*
 * cmd_keygen.c - 'hexz keygen': makes an Ed25519 key pair for signing archives with
 * hexz_keygen() and writes it as NAME.key (secret, mode 0600) and NAME.pub (public) with
 * hexz_key_write(); prints the key id and both paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opt.h"

typedef struct {
    const char *name;
    int force;
} keygen_args;

static const opt_spec keygen_options[] = {
    OPT_E_STRING("output", 'o', "NAME", keygen_args, name, "write NAME.key and NAME.pub"),
    OPT_E_FLAG("force", 'f', keygen_args, force, "overwrite them"),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_keygen(int argc, char **argv, const char **name, int *force)
{
    opt_parser p;
    keygen_args a = {NULL, 0};
    int rc = opt_parse(&p, &cli_cmd_keygen, keygen_options, &a, argc, argv);
    if (rc >= 0) return rc;
    *name = a.name;
    *force = a.force;
    char **ops;
    if (opt_operands(&p, 0, 0, NULL, &ops) < 0) return CLI_USAGE;
    if (!*name) return cli_usage_error(&cli_cmd_keygen, "missing -o NAME");
    if (!**name) return cli_usage_error(&cli_cmd_keygen, "-o: the name is empty");
    if (strcmp(*name, "-") == 0)
        return cli_usage_error(&cli_cmd_keygen,
                               "-o -: the keys go to two files, NAME.key and "
                               "NAME.pub, never to standard output; name them (./- for -.key "
                               "and -.pub)");
    return -1;
}

static int write_pair(const char *secret_path, const char *public_path, int force)
{
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN], sk[HEXZ_SECRET_KEY_LEN], id[HEXZ_KEY_ID_LEN];
    int rc = hexz_keygen(pk, sk);
    if (rc == 0) rc = hexz_key_write(secret_path, public_path, pk, sk, force);
    explicit_bzero(sk, sizeof sk);
    if (rc < 0) return cli_lib_error("keygen", rc, secret_path);
    char hex[2 * HEXZ_KEY_ID_LEN + 1];
    hexz_key_id(pk, id);
    cli_hex(id, sizeof id, hex);
    printf("key id: %s\nsecret key: %s\npublic key: %s\n", hex, secret_path, public_path);
    return CLI_OK;
}

static int run_keygen(const cli_command *self, int argc, char **argv)
{
    (void)self;
    const char *name = NULL;
    int force = 0;
    int rc = parse_keygen(argc, argv, &name, &force);
    if (rc >= 0) return rc;
    size_t len = strlen(name);
    char *secret_path = malloc(len + 5), *public_path = malloc(len + 5);
    if (!secret_path || !public_path) {
        rc = cli_lib_error("keygen", HEXZ_ENOMEM, name);
    } else {
        snprintf(secret_path, len + 5, "%s.key", name);
        snprintf(public_path, len + 5, "%s.pub", name);
        rc = write_pair(secret_path, public_path, force);
    }
    free(secret_path);
    free(public_path);
    return rc;
}

static const char keygen_help[] =
    "Makes a new Ed25519 key pair for signing archives: the secret key goes to NAME.key\n"
    "(readable by its owner only, mode 0600), the public key to NAME.pub. Prints the key id\n"
    "(16 hex digits; signatures name their key by it) and both paths. Existing files are\n"
    "not replaced unless --force is given.\n"
    "\n"
    "Sign with 'hexz sign ARCHIVE -k NAME.key'; check with 'hexz verify ARCHIVE -p NAME.pub'.\n"
    "\n"
    "Options:\n"
    "  -o, --output NAME       the key files to write, NAME.key and NAME.pub (required;\n"
    "                          not \"-\": keys never go to standard output)\n"
    "  -f, --force             replace existing key files\n"
    "  -h, --help              show this help\n";

const cli_command cli_cmd_keygen = {"keygen", "make a key pair for signing archives",
                                    "hexz keygen -o NAME [--force]", keygen_help, run_keygen};
