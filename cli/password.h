/*
 * password.h - passwords for encrypted archives, gathered in one place for every verb: the first
 * line of a password file (--password-file), else an environment variable (HEXZ_PASSWORD), else,
 * only when standard input is a terminal, a prompt without echo. Also opens archives that may be
 * encrypted, asking for a password only when the library says one is needed.
 */
#ifndef HEXZ_CLI_PASSWORD_H
#define HEXZ_CLI_PASSWORD_H

#include "cli_util.h"
#include "opt.h"

#define CLI_PASSWORD_ENV "HEXZ_PASSWORD"
#define CLI_NEW_PASSWORD_ENV "HEXZ_NEW_PASSWORD"
#define CLI_PASSWORD_MAX 4096 /* bytes, from any source */
#define CLI_BASE_DIR_ENV "HEXZ_BASE_DIR"
#define CLI_MAX_KDF_MEMORY_ENV "HEXZ_MAX_KDF_MEMORY"
#define CLI_MAX_KDF_OPS_ENV "HEXZ_MAX_KDF_OPS"

/* Option-table entries (opt.h) shared by the verbs that open archives: --password-file,
 * --base-dir and the KDF limits, the last two of a cli_open_args field OPEN of struct T. */
#define CLI_OPT_PASSWORD_FILE(T, F)                                                                \
    OPT_E_STRING("password-file", 0, "FILE", T, F, "read the archive's password from FILE")
#define CLI_OPT_BASE_DIR(T, F)                                                                     \
    OPT_E_STRING("base-dir", 0, "DIR", T, F, "look for the base archives of a thin one in DIR")
#define CLI_OPTS_KDF_LIMITS(T, OPEN)                                                               \
    OPT_E_SIZE("max-kdf-memory", 0, "SIZE", T, OPEN.max_kdf_memory, 0, 8192, 1ull << 42,           \
               "the most Argon2id memory an archive may ask for"),                                 \
        OPT_E_NUMBER("max-kdf-ops", 0, "N", T, OPEN.max_kdf_ops, 0, 1, 1 << 20,                    \
                     "the most Argon2id passes an archive may ask for")
/* --password-file, --base-dir and the KDF limits, in this order, into cli_open_args OPEN. */
#define CLI_OPTS_OPEN(T, OPEN)                                                                     \
    CLI_OPT_PASSWORD_FILE(T, OPEN.password_file), CLI_OPT_BASE_DIR(T, OPEN.base_dir),              \
        CLI_OPTS_KDF_LIMITS(T, OPEN)

/* Lines for the verbs' --help texts. */
#define CLI_HELP_PASSWORD_FILE                                                                     \
    "      --password-file FILE\n"                                                                 \
    "                          read the password of an encrypted archive from the first line\n"    \
    "                          of FILE (else $HEXZ_PASSWORD, else a prompt on a terminal)\n"
#define CLI_HELP_KDF_LIMITS                                                                        \
    "      --max-kdf-memory SIZE, --max-kdf-ops N\n"                                               \
    "                          the most Argon2id memory and passes an encrypted archive may ask\n" \
    "                          for before its password is tried (default 256M and 3, the\n"        \
    "                          'moderate' level; else $HEXZ_MAX_KDF_MEMORY, $HEXZ_MAX_KDF_OPS)\n"
#define CLI_HELP_BASE_DIR                                                                          \
    "      --base-dir DIR      thin archives: look for base archives in DIR when they are not\n"   \
    "                          where they were when the thin archive was made (else\n"             \
    "                          $HEXZ_BASE_DIR)\n"

/* Where one password comes from. */
typedef struct {
    const char *file;    /* a password file given on the command line, or NULL */
    const char *env;     /* the environment variable tried next (ignored when empty) */
    const char *what;    /* "password" or "new password": named in prompts */
    const char *archive; /* named in prompts */
    int confirm;         /* prompting: ask twice and compare */
} cli_password_source;

/* Non-zero if `src` names a password without prompting (its file, or a non-empty variable). */
int cli_password_preset(const cli_password_source *src);

/* Gets a password from `src`: its file, else its variable, else a prompt if standard input is
 * a terminal. *out gets it (malloc'd; release with cli_password_free()), or NULL when there is
 * no source at all. Returns CLI_OK, or CLI_FAIL after reporting a problem (unreadable file,
 * empty or too long password, passwords that differ, an interrupted prompt). */
int cli_password_get(const char *verb, const cli_password_source *src, char **out);

/* Wipes and frees a password from this module. NULL is a no-op. */
void cli_password_free(char *password);

/* The directory to look for the bases of thin archives in: `given` (--base-dir), else
 * $HEXZ_BASE_DIR when it is set and not empty, else NULL. */
const char *cli_base_dir(const char *given);

/* How to open an archive: the options that the verbs' command lines give. */
typedef struct {
    const char *password_file; /* --password-file, or NULL */
    const char *base_dir;      /* --base-dir, or NULL to use $HEXZ_BASE_DIR (when set) */
    uint64_t max_kdf_memory;   /* --max-kdf-memory, or 0 for $HEXZ_MAX_KDF_MEMORY or the default */
    uint64_t max_kdf_ops;      /* --max-kdf-ops, likewise */
} cli_open_args;

/* The KDF limits to use: those of `args`, else from the environment (0: the library's
 * defaults). Returns CLI_OK, or CLI_FAIL after reporting a bad environment value. */
int cli_kdf_limits(const char *verb, const cli_open_args *args, uint64_t *memory, uint64_t *ops);

/* Opens the archive `path`, encrypted or not, thin or not. The password from `args->password_file`
 * or $HEXZ_PASSWORD is used when there is one; otherwise the archive is opened without, and only if
 * the library answers HEXZ_EPASSWORD is a password asked for (up to three times, when standard
 * input is a terminal). On failure reports it and returns CLI_FAIL, else CLI_OK. If `used` is not
 * NULL, *used gets the password that opened the archive (NULL if none), to cli_password_free().
 * A thin archive's bases are looked up where it recorded them, then in `args->base_dir`; a
 * base found nowhere is reported with a hint to use --base-dir. `args` may be NULL. */
int cli_open_archive(const char *verb, const char *path, const cli_open_args *args,
                     hexz_reader **out, char **used);

/* cli_open_archive() with a password file and no base directory: what cli_open() does with no
 * password file. */
int cli_open_password(const char *verb, const char *path, const char *password_file,
                      hexz_reader **out, char **used);

/* Parses --kdf: "interactive" or "moderate". */
int cli_parse_kdf(const cli_command *cmd, const char *arg, hexz_kdf_strength *out);

/* --kdf LEVEL as an OPT_CALL of opt.h: cli_parse_kdf() into the hexz_kdf_strength at `kdf`. */
int cli_opt_kdf(const cli_command *cmd, void *args, void *kdf, char *arg);

#endif
