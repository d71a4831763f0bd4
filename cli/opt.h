/*
 * opt.h - command-line option parsing for the hexz verbs: a thin getopt_long wrapper that turns
 * unknown options and missing values into one-line usage errors, plus parsers for sizes (64K,
 * 1M, 1G), integers with range checks and keyword choices.
 *
 * Every parser that fails has already printed its usage error and returns CLI_USAGE, so a verb
 * can simply `return` the result.
 */
#ifndef HEXZ_CLI_OPT_H
#define HEXZ_CLI_OPT_H

#include <getopt.h>
#include <stdint.h>

#include "cli_util.h"

/* What opt_next() returns besides option values. */
enum { OPT_END = -1, OPT_HELP = -2, OPT_BAD = -3 };

/* Long-only options use values from here up, so they never clash with short option letters. */
enum { OPT_LONG_BASE = 256 };

typedef struct {
    const cli_command *cmd;
    int argc;
    char **argv;
    const char *shortopts;         /* getopt syntax, e.g. "o:q"; 'h' (help) is added */
    const struct option *longopts; /* terminated by a zero entry; "help" is added */
    char short_buf[64];
    struct option long_buf[32];
} opt_parser;

/* Prepares to parse argv[1..argc) of `cmd`. Options and operands may be mixed; "--" ends the
 * options. */
void opt_init(opt_parser *p, const cli_command *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts);

/* The next option's value (its letter, or its long value), OPT_HELP for -h/--help, OPT_END when
 * the options are done, or OPT_BAD after printing a usage error. The option's argument, if any,
 * is in `optarg`. */
int opt_next(opt_parser *p);

/* After OPT_END: checks that there are between min and max operands (naming the first missing
 * one from `names`, a NULL-terminated list) and points *out at them. Returns their count, or
 * -1 after a usage error. */
int opt_operands(opt_parser *p, int min, int max, const char *const names[], char ***out);

/* Parses a byte count: digits with an optional binary suffix K, M, G, T (or KiB, MiB, GiB,
 * TiB; case-insensitive). Checks min <= value <= max. `name` is the option ("--block-size"). */
/* Parses a size: digits with an optional binary suffix K, M, G, T (or KiB ... TiB, any case).
 * 0, or -1 if it is not one or overflows. */
int opt_parse_size(const char *arg, uint64_t *out);
int opt_size(const cli_command *cmd, const char *name, const char *arg, uint64_t min, uint64_t max,
             uint64_t *out);

/* Parses a decimal integer (optionally negative) and checks min <= value <= max. */
int opt_int(const cli_command *cmd, const char *name, const char *arg, long long min, long long max,
            long long *out);

/* Finds `arg` in the NULL-terminated `choices`; *out gets its index. */
int opt_choice(const cli_command *cmd, const char *name, const char *arg,
               const char *const choices[], int *out);

#endif
