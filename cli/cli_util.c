/*
 * cli_util.c - see cli_util.h: error reporting, opening archives (through password.c),
 * interrupts, CDC size options and formatting helpers shared by the hexz verbs.
 */
#include "cli_util.h"
#include "cli_text.h"
#include "password.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;     /* the first signal's number, 0 if none */
static volatile sig_atomic_t reported;        /* an error line was printed after it */
static volatile sig_atomic_t quiet_interrupt; /* -q: no "interrupted" line */

/* The message is escaped (cli_text.h): names from an archive or the command line that it quotes
 * can neither break it into several lines nor send control sequences to the terminal. */
static void vprint_error(const char *verb, const char *fmt, va_list ap)
{
    fflush(stdout);
    if (interrupted) reported = 1; /* the verb's own account of the interruption */
    if (verb) fprintf(stderr, "hexz %s: ", verb);
    else fputs("hexz: ", stderr);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) >= 0) {
        cli_text_put(stderr, msg);
        free(msg);
    }
    fputc('\n', stderr);
}

void cli_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(verb, fmt, ap);
    va_end(ap);
}

int cli_lib_error(const char *verb, int code, const char *what)
{
    const char *msg = hexz_last_error();
    if (msg && *msg) cli_error(verb, "%s", msg);
    else cli_error(verb, "%s: %s", what, hexz_strerror(code));
    return CLI_FAIL;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(cmd ? cmd->name : NULL, fmt, ap);
    va_end(ap);
    if (cmd) fprintf(stderr, "usage: %s (see 'hexz %s --help')\n", cmd->synopsis, cmd->name);
    else fputs("usage: hexz COMMAND [ARGS...] (see 'hexz help')\n", stderr);
    return CLI_USAGE;
}

int cli_print_help(const cli_command *cmd)
{
    printf("usage: %s\n\n%s", cmd->synopsis, cmd->help);
    return CLI_OK;
}

int cli_open(const char *verb, const char *path, hexz_reader **out)
{
    return cli_open_password(verb, path, NULL, out, NULL);
}

/* Signals (see cli_util.h). The handler only records the first signal and arms the watchdog;
 * the library notices through cli_progress_cancel(), which its loops call at least every few MiB
 * and, while a read of a pipe, terminal or device waits, every 100 ms (src/ops/pack_tree.c polls
 * with a timeout). SA_RESTART stays on, so reads and writes are restarted and the library sees
 * no EINTR from them (poll(2) is never restarted: pack_tree.c takes its EINTR as a reason to
 * ask the callback at once). The watchdog (SIGALRM, CLI_INTERRUPT_GRACE seconds later) ends a verb
 * that is blocked where the library cannot look (a write to a full pipe, a slow file system, a verb
 * without a cancel callback): it prints the line and _exit()s with the same status. Unnamed
 * (O_TMPFILE) outputs vanish with the process, so even that path leaves nothing behind. */
#define CLI_INTERRUPT_GRACE 1

static char interrupt_line[128]; /* "hexz VERB: interrupted\n", made beforehand */
static size_t interrupt_line_len;
static int signals_installed;

/* Async-signal-safe: write(2) of the line made before any signal could come. */
static void write_interrupt_line(void)
{
    if (reported || quiet_interrupt || !interrupt_line_len) return;
    reported = 1;
    ssize_t n = write(STDERR_FILENO, interrupt_line, interrupt_line_len);
    (void)n;
}

static void on_signal(int sig)
{
    int saved = errno;
    if (interrupted) {
        /* A second signal: the user insists, so stop at once. */
        write_interrupt_line();
        _exit(128 + sig);
    }
    interrupted = sig;
    alarm(CLI_INTERRUPT_GRACE);
    errno = saved;
}

static void on_watchdog(int sig)
{
    (void)sig;
    write_interrupt_line();
    _exit(128 + (interrupted ? interrupted : SIGALRM));
}

void cli_signals_init(const char *verb)
{
    int n = verb ? snprintf(interrupt_line, sizeof interrupt_line, "hexz %s: interrupted\n", verb)
                 : snprintf(interrupt_line, sizeof interrupt_line, "hexz: interrupted\n");
    interrupt_line_len = n > 0 && (size_t)n < sizeof interrupt_line ? (size_t)n : 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* One handler at a time: a second signal during the first is the second, not a race. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaddset(&sa.sa_mask, SIGALRM);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_watchdog;
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
    signals_installed = 1;
}

void cli_catch_interrupts(void)
{
    if (!signals_installed) cli_signals_init(NULL);
}

void cli_set_quiet(int quiet)
{
    quiet_interrupt = quiet != 0;
}

int cli_progress_cancel(const hexz_progress *progress, void *user)
{
    (void)progress;
    (void)user;
    return interrupted != 0;
}

int cli_interrupted(void)
{
    return interrupted != 0;
}

int cli_interrupt_status(int rc)
{
    if (!interrupted || rc == CLI_OK) return rc;
    write_interrupt_line();
    return 128 + interrupted;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int cli_apply_cdc_sizes(const cli_command *cmd, const cli_cdc_sizes *s, hexz_write_options *wo)
{
    if (s->have_avg) {
        if (s->avg & (s->avg - 1))
            return cli_usage_error(cmd, "--avg: %llu is not a power of two",
                                   (unsigned long long)s->avg);
        wo->avg_size = (uint32_t)s->avg;
        wo->min_size = s->avg / 4 < CLI_CHUNK_MIN ? CLI_CHUNK_MIN : (uint32_t)(s->avg / 4);
        wo->max_size = s->avg * 4 > CLI_CHUNK_MAX ? CLI_CHUNK_MAX : (uint32_t)(s->avg * 4);
    }
    if (s->have_min) wo->min_size = (uint32_t)s->min;
    if (s->have_max) wo->max_size = (uint32_t)s->max;
    if (wo->min_size > wo->avg_size)
        return cli_usage_error(cmd, "--min (%u) must not exceed --avg (%u)", wo->min_size,
                               wo->avg_size);
    if (wo->avg_size > wo->max_size)
        return cli_usage_error(cmd, "--avg (%u) must not exceed --max (%u)", wo->avg_size,
                               wo->max_size);
    return CLI_OK;
}

const char *cli_codec_name(hexz_codec codec)
{
    switch (codec) {
    case HEXZ_CODEC_NONE: return "none";
    case HEXZ_CODEC_LZ4: return "lz4";
    case HEXZ_CODEC_ZSTD: return "zstd";
    default: return "unknown";
    }
}

const char *cli_chunking_name(hexz_chunking chunking)
{
    switch (chunking) {
    case HEXZ_CHUNK_FIXED: return "fixed";
    case HEXZ_CHUNK_CDC: return "cdc";
    default: return "unknown";
    }
}

void cli_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

void cli_size_label(uint64_t n, char *out, size_t cap)
{
    static const char units[] = "KMGTPE";
    int unit = -1;
    while (n >= 1024 && n % 1024 == 0 && unit < 5) {
        n /= 1024;
        unit++;
    }
    if (unit < 0) snprintf(out, cap, "%" PRIu64, n);
    else snprintf(out, cap, "%" PRIu64 "%c", n, units[unit]);
}

void cli_human_bytes(uint64_t n, char *out, size_t cap)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (n < 1024) {
        snprintf(out, cap, "%" PRIu64 " B", n);
        return;
    }
    double v = (double)n / 1024.0;
    int unit = 0;
    while (v >= 1024.0 && unit < 5) {
        v /= 1024.0;
        unit++;
    }
    snprintf(out, cap, "%.1f %s", v, units[unit]);
}

void cli_iso_time(int64_t sec, char *out, size_t cap)
{
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "@%" PRId64, sec);
}

int cli_opt_codec(const cli_command *cmd, void *args, void *codec, char *arg)
{
    static const char *const names[] = {"lz4", "zstd", "none", NULL};
    static const hexz_codec codecs[] = {HEXZ_CODEC_LZ4, HEXZ_CODEC_ZSTD, HEXZ_CODEC_NONE};
    (void)args;
    int i;
    int rc = opt_choice(cmd, "--compression", arg, names, &i);
    if (rc == CLI_OK) *(hexz_codec *)codec = codecs[i];
    return rc;
}
