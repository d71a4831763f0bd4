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

static volatile sig_atomic_t interrupted;

/* The message is escaped (cli_text.h): names from an archive or the command line that it quotes
 * can neither break it into several lines nor send control sequences to the terminal. */
static void vprint_error(const char *verb, const char *fmt, va_list ap)
{
    fflush(stdout);
    if (verb)
        fprintf(stderr, "hexz %s: ", verb);
    else
        fputs("hexz: ", stderr);
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
    if (msg && *msg)
        cli_error(verb, "%s", msg);
    else
        cli_error(verb, "%s: %s", what, hexz_strerror(code));
    return CLI_FAIL;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(cmd ? cmd->name : NULL, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "usage: %s (see 'hexz %s --help')\n", cmd->synopsis, cmd->name);
    else
        fputs("usage: hexz COMMAND [ARGS...] (see 'hexz help')\n", stderr);
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

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cli_catch_interrupts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* Restart interrupted system calls so the library sees no EINTR; a second signal gets the
     * default action and ends the process. */
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_progress_cancel(const hexz_progress *progress, void *user)
{
    (void)progress;
    (void)user;
    return interrupted != 0;
}

int cli_interrupted(void) { return interrupted != 0; }

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
    if (unit < 0)
        snprintf(out, cap, "%" PRIu64, n);
    else
        snprintf(out, cap, "%" PRIu64 "%c", n, units[unit]);
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
