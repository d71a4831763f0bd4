/*
 * cmd_passwd.c - 'hexz passwd': changes the password of an encrypted archive with
 * hexz_change_password_opts(): by default re-encrypting it under a new data key, so that the
 * old password is revoked; with --keep-key only re-wrapping the data key. Warns that the
 * archive's signatures are dropped.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "opt.h"
#include "password.h"
#include "progress.h"

typedef struct {
    const char *archive, *new_password_file;
    cli_open_args open;
    hexz_kdf_strength kdf;
    int keep_key;
} passwd_args;

static const opt_spec passwd_options[] = {
    OPT_E_CALL("kdf", 0, "LEVEL", passwd_args, kdf, 0, cli_opt_kdf, "the new key's KDF level"),
    OPT_E_FLAG("keep-key", 0, passwd_args, keep_key, "keep the data key; rewrap it only"),
    CLI_OPTS_KDF_LIMITS(passwd_args, open),
    CLI_OPT_PASSWORD_FILE(passwd_args, open.password_file),
    OPT_E_STRING("new-password-file", 0, "FILE", passwd_args, new_password_file,
                 "read the new password from FILE"),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_passwd(passwd_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_passwd, passwd_options, a, argc, argv);
    if (rc >= 0) return rc;
    if (opt_archive(&p, &a->archive) < 0) return CLI_USAGE;
    return -1;
}

/* Opens the archive with the old password (so a wrong one fails before the new one is asked
 * for); *old gets it and *signatures the number of signatures that will be dropped. */
static int check_old(const passwd_args *a, char **old, unsigned *signatures)
{
    hexz_reader *r;
    if (cli_open_archive("passwd", a->archive, &a->open, &r, old) != CLI_OK) return CLI_FAIL;
    int encrypted = hexz_reader_is_encrypted(r);
    *signatures = hexz_reader_signature_count(r);
    hexz_reader_free(r);
    if (encrypted) return CLI_OK;
    cli_error("passwd", "%s: archive is not encrypted", a->archive);
    return CLI_FAIL;
}

static int get_new(const passwd_args *a, char **out)
{
    cli_password_source src = {a->new_password_file, CLI_NEW_PASSWORD_ENV, "new password",
                               a->archive, 1};
    if (cli_password_get("passwd", &src, out) != CLI_OK) return CLI_FAIL;
    if (*out) return CLI_OK;
    cli_error("passwd", "no new password: use --new-password-file FILE or set %s",
              CLI_NEW_PASSWORD_ENV);
    return CLI_FAIL;
}

static int change(const passwd_args *a, const char *old, const char *new_password,
                  unsigned signatures)
{
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    o.kdf = a->kdf;
    o.keep_key = a->keep_key;
    if (cli_kdf_limits("passwd", &a->open, &o.max_kdf_memory, &o.max_kdf_ops) != CLI_OK)
        return CLI_FAIL;
    /* Re-encryption reads and writes the whole archive: a progress line on a terminal. */
    cli_progress prog;
    cli_progress_start(&prog, a->keep_key ? CLI_SHOW_QUIET : CLI_SHOW_AUTO, 0);
    o.progress = cli_progress_update;
    o.progress_user = &prog;
    cli_catch_interrupts();
    int rc = hexz_change_password_opts(a->archive, old, new_password, &o);
    cli_progress_end(&prog, rc == 0);
    if (rc == HEXZ_ECANCELED) {
        cli_error("passwd", "%s: interrupted; the password is unchanged", a->archive);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("passwd", rc, a->archive);
    if (signatures > 0)
        cli_error("passwd",
                  "warning: %s: %u signature%s dropped (signatures cover the key "
                  "record, which changed); sign the archive again",
                  a->archive, signatures, signatures == 1 ? "" : "s");
    printf("%s: password changed\n", a->archive);
    return CLI_OK;
}

static int run_passwd(const cli_command *self, int argc, char **argv)
{
    (void)self;
    passwd_args a;
    memset(&a, 0, sizeof a);
    a.kdf = HEXZ_KDF_INTERACTIVE;
    int rc = parse_passwd(&a, argc, argv);
    if (rc >= 0) return rc;
    char *old = NULL, *new_password = NULL;
    unsigned signatures = 0;
    rc = check_old(&a, &old, &signatures);
    if (rc == CLI_OK) rc = get_new(&a, &new_password);
    if (rc == CLI_OK) rc = change(&a, old, new_password, signatures);
    cli_password_free(old);
    cli_password_free(new_password);
    return rc;
}

static const char passwd_help[] =
    "Changes the password of the encrypted ARCHIVE. By default the whole archive is\n"
    "re-encrypted under a new random data key wrapped by the new password (the content, its\n"
    "blocks, streams, file tree, codec and archive id stay the same), so the old password is\n"
    "revoked: a copy of the old key record, e.g. from a backup, no longer opens it. This reads\n"
    "and writes the whole archive.\n"
    "\n"
    "With --keep-key only the record that wraps the data key is rewritten, which is instant,\n"
    "but does NOT revoke the old password: anyone who kept the archive's old key record (112\n"
    "bytes) can put it back and open the archive with the old password.\n"
    "\n"
    "The archive is rewritten beside itself and renamed into place (through a symbolic link\n"
    "to its target, which keeps its owner and mode; an archive with several hard links is\n"
    "refused, since the other names would keep the old password). Signatures covered the old\n"
    "bytes, so they are dropped (a warning says so): sign the archive again.\n"
    "\n"
    "The current password comes from --password-file, else $HEXZ_PASSWORD, else a prompt;\n"
    "the new one from --new-password-file, else $HEXZ_NEW_PASSWORD, else a prompt (twice).\n"
    "Prompts need standard input to be a terminal.\n"
    "\n"
    "Options:\n"
    "      --kdf STRENGTH      how hard the new password is stretched (Argon2id): interactive\n"
    "                          (default; about 0.1 s and 64 MiB) or moderate (0.7 s, 256 MiB)\n"
    "      --keep-key          only re-wrap the data key (fast; the old password is not revoked)\n"
    "      --password-file FILE\n"
    "                          the current password is the first line of FILE\n"
    "      --new-password-file FILE\n"
    "                          the new password is the first line of FILE\n" CLI_HELP_KDF_LIMITS
    "  -h, --help              show this help\n";

const cli_command cli_cmd_passwd = {"passwd", "change the password of an encrypted archive",
                                    "hexz passwd ARCHIVE [--kdf STRENGTH] [--keep-key]",
                                    passwd_help, run_passwd};
