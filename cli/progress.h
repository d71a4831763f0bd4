/*
 * progress.h - the progress display of pack, extract and verify: one stderr line redrawn with
 * '\r' (percentage and bar when the total is known, bytes done, MiB/s, ETA) at most ten times a
 * second, shown on a terminal, forced by --progress, suppressed by -q/--quiet; plus the clock and
 * rate helpers for the one-line summaries the verbs print at the end.
 */
#ifndef HEXZ_CLI_PROGRESS_H
#define HEXZ_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "cli_util.h"
#include "opt.h"

/* What the user asked for: -q, --progress, or neither (a bar only if stderr is a terminal). */
typedef enum { CLI_SHOW_AUTO = 0, CLI_SHOW_PROGRESS, CLI_SHOW_QUIET } cli_show;

/* -q, --quiet (an OPT_CALL of opt.h): sets the cli_show at `show` to CLI_SHOW_QUIET and calls
 * cli_set_quiet(1). */
int cli_opt_quiet(const cli_command *cmd, void *args, void *show, char *arg);

/* Option-table entries (opt.h) for --progress and -q, --quiet: they set a cli_show field F. */
#define CLI_OPT_PROGRESS(T, F)                                                                     \
    OPT_E_SET("progress", 0, T, F, CLI_SHOW_PROGRESS, "show the progress line")
#define CLI_OPT_QUIET(T, F)                                                                        \
    OPT_E_CALL("quiet", 'q', NULL, T, F, 0, cli_opt_quiet, "no progress line and no summary")

#define CLI_HELP_PROGRESS                                                                          \
    "      --progress          show the progress line even when stderr is not a terminal\n"        \
    "  -q, --quiet             show neither the progress line nor the summary\n"

typedef struct {
    int bar;              /* draw the progress line */
    int count_out;        /* progress is bytes_out, not bytes_in (tree extraction) */
    uint64_t total;       /* expected bytes; the library's bytes_total wins when it is known */
    uint64_t done;        /* bytes done at the last update */
    double start;         /* cli_now() when started */
    double last;          /* when the line was last drawn */
    int drawn;            /* a line is on screen (so a newline must end it) */
    size_t width;         /* length of the last line, to blank what a shorter one leaves */
    size_t columns;       /* the terminal's width, to keep the line from wrapping; 0 if unknown */
    hexz_progress report; /* the library's latest report (for pack: the final figures) */
} cli_progress;

/* Seconds on a monotonic clock. */
double cli_now(void);

/* MiB per second for `bytes` in `seconds` (0 when no time has passed). */
double cli_mib_per_s(uint64_t bytes, double seconds);

/* Starts the clock; the line is drawn if `show` asks for it or stderr is a terminal (never for
 * CLI_SHOW_QUIET). `total` is the expected byte count if known (else 0). */
void cli_progress_start(cli_progress *p, cli_show show, uint64_t total);

/* A hexz_progress_fn (user = the cli_progress): redraws the line if due, and asks the library to
 * stop after SIGINT/SIGTERM (see cli_catch_interrupts()). */
int cli_progress_update(const hexz_progress *progress, void *user);

/* Ends the line: when `ok`, draws it a last time as complete; then a newline if anything was
 * drawn, so that what follows starts on a line of its own. */
void cli_progress_end(cli_progress *p, int ok);

/* Erases the line, if one is drawn, so that a message can take its place on stderr; the next
 * update draws it again. */
void cli_progress_clear(cli_progress *p);

/* Seconds since cli_progress_start(). */
double cli_progress_elapsed(const cli_progress *p);

/* Non-zero if a summary should be printed: the line was shown and the user did not ask -q. */
int cli_progress_shown(const cli_progress *p);

#endif
