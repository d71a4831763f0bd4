/*
 * cli_util.h - what every hexz verb shares: the command descriptor, exit codes, one-line error
 * reporting, opening archives, interrupt handling, CDC size options, and small formatting helpers.
 *
 * The CLI is built on the public API (include/hexz.h) only.
 */
#ifndef HEXZ_CLI_UTIL_H
#define HEXZ_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "hexz.h"

/* Exit codes: success, a failure (I/O, damaged archive, ...), a usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One verb of the command line. run() gets argv with argv[0] = the verb's name. */
typedef struct cli_command {
    const char *name;
    const char *summary;  /* one line, for 'hexz help' */
    const char *synopsis; /* "hexz pack INPUT -o OUTPUT [OPTIONS]" */
    const char *help;     /* the text printed after the synopsis by --help */
    int (*run)(const struct cli_command *self, int argc, char **argv);
} cli_command;

/* Prints "hexz VERB: MESSAGE" as one line on stderr. `verb` may be NULL ("hexz: MESSAGE"). */
void cli_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a failed library call: the library's hexz_last_error() message, or, when that is
 * empty, "WHAT: <hexz_strerror(code)>". Returns CLI_FAIL. */
int cli_lib_error(const char *verb, int code, const char *what);

/* Reports a usage error: the one-line message, then the verb's synopsis on a second line.
 * Returns CLI_USAGE. `cmd` may be NULL for the top level. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the full help of `cmd` to stdout. Returns CLI_OK. */
int cli_print_help(const cli_command *cmd);

/* Opens `path` as an archive; on failure reports it and returns CLI_FAIL, else CLI_OK. An
 * encrypted archive is opened with $HEXZ_PASSWORD, or a password asked for on a terminal: this is
 * cli_open_password() (password.h) without a password file. */
int cli_open(const char *verb, const char *path, hexz_reader **out);

/* Signals. cli_signals_init() (main() calls it for every verb but mount, which keeps FUSE's
 * handlers) makes SIGINT, SIGTERM and SIGHUP request cancellation and ignores SIGXFSZ, so that a
 * file size limit is a write error (EFBIG) instead of a kill. The handler only records the
 * signal; cli_progress_cancel() (a hexz_progress_fn) then asks the running library operation to
 * stop, and cli_interrupted() tells the verb's own loops. If the process has not ended a second
 * after the signal (a verb blocked where no callback runs), a watchdog prints
 * "hexz VERB: interrupted" and exits with 128 + the signal's number; a second signal does so at
 * once. cli_catch_interrupts() is cli_signals_init() for callers that did not (a no-op after it).
 * Not thread-safe: call them before starting threads. */
void cli_signals_init(const char *verb);
void cli_catch_interrupts(void);
int cli_progress_cancel(const hexz_progress *progress, void *user);
int cli_interrupted(void);

/* -q of a verb: the "interrupted" line is not printed (the exit status tells). */
void cli_set_quiet(int quiet);

/* The exit status of a verb that returned `rc`: after a signal, a failure becomes 128 + the
 * signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP), with the line "hexz VERB: interrupted"
 * unless the verb printed an error line of its own after the signal, or -q. A verb that completed
 * (CLI_OK) keeps its status: its output is whole. */
int cli_interrupt_status(int rc);

/* Writes all of buf to fd, retrying on EINTR and short writes. Returns 0 or an errno value. */
int cli_write_all(int fd, const void *buf, size_t len);

/* The bounds of every chunk size option (--block-size, --min, --avg, --max). */
#define CLI_CHUNK_MIN 64u
#define CLI_CHUNK_MAX (64u << 20)

/* The CDC sizes a command line gave (--min, --avg, --max). */
typedef struct {
    int have_min, have_avg, have_max;
    uint64_t min, avg, max;
} cli_cdc_sizes;

/* Puts the given CDC sizes into *wo: --avg (a power of two) also sets min to avg/4 and max to
 * avg*4 (within the bounds above) unless they are given; the others keep *wo's values. Checks
 * min <= avg <= max. Returns CLI_OK, or CLI_USAGE after reporting a usage error of `cmd`. */
int cli_apply_cdc_sizes(const cli_command *cmd, const cli_cdc_sizes *s, hexz_write_options *wo);

/* --compression lz4|zstd|none as an OPT_CALL of opt.h: the hexz_codec at `codec` gets it. */
int cli_opt_codec(const cli_command *cmd, void *args, void *codec, char *arg);

/* Names for the library's enums. */
const char *cli_codec_name(hexz_codec codec);
const char *cli_chunking_name(hexz_chunking chunking);

/* Lower-case hex of `len` bytes into `out`, which holds at least 2 * len + 1 bytes. */
void cli_hex(const uint8_t *bytes, size_t len, char *out);

/* A power-of-two size as "512", "16K", "1M", "2G" (exact multiples only; else plain digits). */
void cli_size_label(uint64_t n, char *out, size_t cap);

/* A byte count for humans: "1234 B", "16.0 KiB", "24.0 MiB". */
void cli_human_bytes(uint64_t n, char *out, size_t cap);

/* A time as ISO-8601 UTC, "2024-05-01T12:00:00Z". */
void cli_iso_time(int64_t sec, char *out, size_t cap);

#endif
