/*
 * password.c - see password.h: reading a password from a file, the environment or a terminal
 * prompt with echo off (restored even when the prompt is interrupted), wiping it after use, and
 * opening archives that may need one (or, when thin, a directory to find their bases in).
 */
#include "password.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "remote_env.h"

#define OPEN_ATTEMPTS 3

static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define PROMPT_SIGNAL_COUNT (sizeof prompt_signals / sizeof prompt_signals[0])

static char *alloc_buffer(const char *verb)
{
    char *buf = calloc(1, CLI_PASSWORD_MAX + 2);
    if (!buf) cli_error(verb, "out of memory");
    return buf;
}

void cli_password_free(char *password)
{
    if (!password) return;
    explicit_bzero(password, CLI_PASSWORD_MAX + 2);
    free(password);
}

/* Cuts `buf` (len bytes, NUL-terminated) at its first newline and drops a '\r' before it. */
static size_t first_line(char *buf, size_t len)
{
    char *nl = memchr(buf, '\n', len);
    size_t n = nl ? (size_t)(nl - buf) : len;
    if (n > 0 && buf[n - 1] == '\r') n--;
    explicit_bzero(buf + n, len - n);
    return n;
}

/* A NUL inside the line would end the password there (the library takes a C string): a UTF-16
 * file holding "correct" would give "c". Refused rather than truncated. */
static int has_nul(const char *buf, size_t n)
{
    return memchr(buf, '\0', n) != NULL;
}

/* Reads up to CLI_PASSWORD_MAX + 1 bytes of `fd`, stopping at a newline. */
static ssize_t read_upto_newline(int fd, char *buf)
{
    size_t len = 0;
    while (len < CLI_PASSWORD_MAX + 1 && !memchr(buf, '\n', len)) {
        ssize_t n = read(fd, buf + len, CLI_PASSWORD_MAX + 1 - len);
        if (n < 0 && errno == EINTR && !prompt_signal) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        len += (size_t)n;
    }
    return (ssize_t)len;
}

static int read_password_file(const char *verb, const char *path, char *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error(verb, "%s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    ssize_t len = read_upto_newline(fd, buf);
    int err = errno;
    close(fd);
    if (len < 0) {
        cli_error(verb, "%s: %s", path, strerror(err));
        return CLI_FAIL;
    }
    size_t n = first_line(buf, (size_t)len);
    if (n > CLI_PASSWORD_MAX) {
        cli_error(verb, "%s: the password is longer than %d bytes", path, CLI_PASSWORD_MAX);
        return CLI_FAIL;
    }
    if (has_nul(buf, n)) {
        cli_error(verb, "%s: the password contains a NUL byte (is the file UTF-16?)", path);
        return CLI_FAIL;
    }
    if (buf[0] == '\0') {
        cli_error(verb, "%s: the first line is empty (no password)", path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int copy_env_password(const char *verb, const char *name, const char *value, char *buf)
{
    size_t len = strlen(value);
    if (len > CLI_PASSWORD_MAX) {
        cli_error(verb, "%s: the password is longer than %d bytes", name, CLI_PASSWORD_MAX);
        return CLI_FAIL;
    }
    memcpy(buf, value, len + 1);
    return CLI_OK;
}

static void set_prompt_handlers(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a signal must end the read */
    prompt_signal = 0;
    for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++) sigaction(prompt_signals[i], &sa, &old[i]);
}

static void restore_handlers(const struct sigaction *old)
{
    for (size_t i = 0; i < PROMPT_SIGNAL_COUNT; i++) sigaction(prompt_signals[i], &old[i], NULL);
}

/* Shows `prompt` and reads one line from the terminal on stdin with echo off (echo is turned
 * off and typed-ahead input discarded before the prompt appears). Returns the bytes read, 0 at
 * end of input, -1 on error (*err = errno) or -2 if a signal interrupted it (already re-raised,
 * with the terminal restored first). */
static ssize_t read_noecho(const char *prompt, char *buf, int *err)
{
    struct termios saved, quiet;
    if (tcgetattr(STDIN_FILENO, &saved) != 0) {
        *err = errno;
        return -1;
    }
    struct sigaction old[PROMPT_SIGNAL_COUNT];
    set_prompt_handlers(old);
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL | ICANON;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    fputs(prompt, stderr);
    fflush(stderr);
    ssize_t len = read_upto_newline(STDIN_FILENO, buf);
    *err = errno;
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    restore_handlers(old);
    if (!prompt_signal) return len;
    fputc('\n', stderr);
    raise(prompt_signal); /* the usual action, now that the terminal is restored */
    return -2;
}

/* Reads a password at a prompt into buf. Returns CLI_OK or CLI_FAIL. */
static int read_hidden(const char *verb, const char *prompt, char *buf)
{
    int err = 0;
    ssize_t len = read_noecho(prompt, buf, &err);
    if (len == -2) {
        cli_error(verb, "interrupted");
        return CLI_FAIL;
    }
    if (len < 0) {
        cli_error(verb, "cannot read a password from the terminal: %s", strerror(err));
        return CLI_FAIL;
    }
    if (len == 0) {
        fputc('\n', stderr); /* end of input: no newline was echoed */
        cli_error(verb, "no password given (end of input)");
        return CLI_FAIL;
    }
    size_t n = first_line(buf, (size_t)len);
    if (n > CLI_PASSWORD_MAX) {
        cli_error(verb, "the password is longer than %d bytes", CLI_PASSWORD_MAX);
        return CLI_FAIL;
    }
    if (has_nul(buf, n)) {
        cli_error(verb, "the password contains a NUL byte");
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* "Password for X: " (or "Repeat new password for X: "). */
static void make_prompt(const cli_password_source *src, int repeat, char *out, size_t cap)
{
    char what[64];
    snprintf(what, sizeof what, "%s", src->what);
    if (!repeat) what[0] = (char)toupper((unsigned char)what[0]);
    snprintf(out, cap, "%s%s for %s: ", repeat ? "Repeat " : "", what, src->archive);
}

static int prompt_password(const char *verb, const cli_password_source *src, char *buf)
{
    char prompt[HEXZ_PATH_MAX + 64];
    make_prompt(src, 0, prompt, sizeof prompt);
    if (read_hidden(verb, prompt, buf) != CLI_OK) return CLI_FAIL;
    if (buf[0] == '\0') {
        cli_error(verb, "the password is empty");
        return CLI_FAIL;
    }
    if (!src->confirm) return CLI_OK;
    char *again = alloc_buffer(verb);
    if (!again) return CLI_FAIL;
    make_prompt(src, 1, prompt, sizeof prompt);
    int rc = read_hidden(verb, prompt, again);
    if (rc == CLI_OK && strcmp(buf, again) != 0) {
        cli_error(verb, "the passwords do not match");
        rc = CLI_FAIL;
    }
    cli_password_free(again);
    return rc;
}

static const char *env_value(const cli_password_source *src)
{
    const char *v = src->env ? getenv(src->env) : NULL;
    return v && *v ? v : NULL;
}

int cli_password_preset(const cli_password_source *src)
{
    return src->file != NULL || env_value(src) != NULL;
}

int cli_password_get(const char *verb, const cli_password_source *src, char **out)
{
    *out = NULL;
    if (!cli_password_preset(src) && !isatty(STDIN_FILENO)) return CLI_OK;
    char *buf = alloc_buffer(verb);
    if (!buf) return CLI_FAIL;
    int rc;
    if (src->file) rc = read_password_file(verb, src->file, buf);
    else if (env_value(src)) rc = copy_env_password(verb, src->env, env_value(src), buf);
    else rc = prompt_password(verb, src, buf);
    if (rc != CLI_OK) {
        cli_password_free(buf);
        return rc;
    }
    *out = buf;
    return CLI_OK;
}

const char *cli_base_dir(const char *given)
{
    if (given) return given;
    const char *env = getenv(CLI_BASE_DIR_ENV);
    return env && *env ? env : NULL;
}

/* A limit from the environment: a size like the options take (512M) for memory, digits for
 * passes. */
static int env_limit(const char *verb, const char *name, int sized, uint64_t *out)
{
    const char *v = getenv(name);
    if (!v || !*v) return CLI_OK;
    uint64_t n = 0;
    int ok;
    if (sized) {
        ok = opt_parse_size(v, &n) == 0;
    } else {
        char *end;
        errno = 0;
        n = strtoull(v, &end, 10);
        ok = isdigit((unsigned char)v[0]) && !*end && !errno;
    }
    if (!ok || n == 0) {
        cli_error(verb, "%s: invalid value '%s' (expected %s)", name, v,
                  sized ? "a size like 512M" : "a number");
        return CLI_FAIL;
    }
    *out = n;
    return CLI_OK;
}

int cli_kdf_limits(const char *verb, const cli_open_args *args, uint64_t *memory, uint64_t *ops)
{
    *memory = args ? args->max_kdf_memory : 0;
    *ops = args ? args->max_kdf_ops : 0;
    if (!*memory && env_limit(verb, CLI_MAX_KDF_MEMORY_ENV, 1, memory) != CLI_OK) return CLI_FAIL;
    if (!*ops && env_limit(verb, CLI_MAX_KDF_OPS_ENV, 0, ops) != CLI_OK) return CLI_FAIL;
    return CLI_OK;
}

/* A thin archive whose base is missing: the archive itself exists, yet opening it found nothing. */
static int base_missing(int rc, const char *path)
{
    struct stat st;
    return rc == HEXZ_ENOTFOUND && stat(path, &st) == 0;
}

/* Reports a failed open; a missing password or base gets a hint where to find one. */
static int report_open_error(const char *verb, int rc, const char *path, const char *password,
                             const char *base_dir)
{
    const char *msg = hexz_last_error();
    if (rc == HEXZ_EPASSWORD && !password) {
        cli_error(verb, "%s (use --password-file FILE or set %s)",
                  msg && *msg ? msg : "a password is needed", CLI_PASSWORD_ENV);
        return CLI_FAIL;
    }
    if (rc == HEXZ_EUNSUPPORTED && msg && strstr(msg, "key derivation cost")) {
        cli_error(verb, "%s (use --max-kdf-memory SIZE / --max-kdf-ops N to allow it)", msg);
        return CLI_FAIL;
    }
    if (!base_dir && msg && *msg && base_missing(rc, path)) {
        cli_error(verb, "%s (use --base-dir DIR or set %s)", msg, CLI_BASE_DIR_ENV);
        return CLI_FAIL;
    }
    return cli_lib_error(verb, rc, path);
}

/* Where to look for bases and the KDF limits: the same for every attempt. */
typedef struct {
    const char *base_dir;
    uint64_t max_kdf_memory, max_kdf_ops;
} open_how;

static int open_with(hexz_reader **out, const char *path, const char *password, const open_how *how)
{
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    oo.password = password;
    oo.base_dir = how->base_dir;
    oo.max_kdf_memory = how->max_kdf_memory;
    oo.max_kdf_ops = how->max_kdf_ops;
    oo.remote = cli_remote_env();
    return hexz_reader_open_opts(out, path, &oo);
}

/* No preset password and the archive wants one: ask, up to OPEN_ATTEMPTS times. */
static int open_prompting(const char *verb, const cli_password_source *src, const open_how *how,
                          hexz_reader **out, char **pw)
{
    int rc = HEXZ_EPASSWORD;
    for (int attempt = 0; attempt < OPEN_ATTEMPTS && rc == HEXZ_EPASSWORD; attempt++) {
        if (attempt > 0) cli_lib_error(verb, rc, src->archive);
        cli_password_free(*pw);
        if (cli_password_get(verb, src, pw) != CLI_OK) return CLI_FAIL;
        rc = open_with(out, src->archive, *pw, how);
    }
    return rc;
}

int cli_open_archive(const char *verb, const char *path, const cli_open_args *args,
                     hexz_reader **out, char **used)
{
    open_how how = {cli_base_dir(args ? args->base_dir : NULL), 0, 0};
    const char *base_dir = how.base_dir;
    if (cli_kdf_limits(verb, args, &how.max_kdf_memory, &how.max_kdf_ops) != CLI_OK)
        return CLI_FAIL;
    cli_password_source src = {args ? args->password_file : NULL, CLI_PASSWORD_ENV, "password",
                               path, 0};
    char *pw = NULL;
    if (used) *used = NULL;
    if (cli_password_preset(&src) && cli_password_get(verb, &src, &pw) != CLI_OK) return CLI_FAIL;
    int rc = open_with(out, path, pw, &how);
    if (rc == HEXZ_EPASSWORD && !pw && isatty(STDIN_FILENO)) {
        rc = open_prompting(verb, &src, &how, out, &pw);
        if (rc == CLI_FAIL) return CLI_FAIL; /* reported; nothing was opened */
    }
    if (rc < 0) {
        report_open_error(verb, rc, path, pw, base_dir);
        cli_password_free(pw);
        return CLI_FAIL;
    }
    if (used && hexz_reader_is_encrypted(*out)) *used = pw;
    else cli_password_free(pw);
    return CLI_OK;
}

int cli_open_password(const char *verb, const char *path, const char *password_file,
                      hexz_reader **out, char **used)
{
    cli_open_args args = {password_file, NULL, 0, 0};
    return cli_open_archive(verb, path, &args, out, used);
}

int cli_parse_kdf(const cli_command *cmd, const char *arg, hexz_kdf_strength *out)
{
    static const char *const names[] = {"interactive", "moderate", NULL};
    static const hexz_kdf_strength values[] = {HEXZ_KDF_INTERACTIVE, HEXZ_KDF_MODERATE};
    int i;
    int rc = opt_choice(cmd, "--kdf", arg, names, &i);
    if (rc == CLI_OK) *out = values[i];
    return rc;
}

int cli_opt_kdf(const cli_command *cmd, void *args, void *kdf, char *arg)
{
    (void)args;
    return cli_parse_kdf(cmd, arg, kdf);
}
