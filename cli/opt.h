/*
 * opt.h - command-line option parsing for the hexz verbs: each verb describes its options in a
 * table (opt_spec: long name, short letter, whether it takes a value, what it sets, its help
 * line) and opt_parse() walks argv against it in one loop, on top of a thin getopt_long wrapper
 * that turns unknown options and missing values into one-line usage errors. Also parsers for
 * sizes (64K, 1M, 1G), integers with range checks and keyword choices.
 *
 * Every parser that fails has already printed its usage error and returns CLI_USAGE, so a verb
 * can simply `return` the result.
 */
#ifndef HEXZ_CLI_OPT_H
#define HEXZ_CLI_OPT_H

#include <getopt.h>
#include <stddef.h>
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
    struct option long_buf[48];
} opt_parser;

/* Prepares to parse argv[1..argc) of `cmd`. Options and operands may be mixed; "--" ends the
 * options. */
void opt_init(opt_parser *p, const cli_command *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts);

/* The next option's value (its letter, or its long value), OPT_HELP for -h/--help, OPT_END when
 * the options are done, or OPT_BAD after printing a usage error. The option's argument, if any,
 * is in `optarg`. */
int opt_next(opt_parser *p);

/* What an option of a table sets in the verb's argument struct (at opt_spec.field). */
typedef enum {
    OPT_FLAG,   /* takes no value; the int field gets opt_spec.lo (usually 1) */
    OPT_STRING, /* the const char * field points at the value */
    OPT_SIZE,   /* the uint64_t field gets the value read by opt_size() within [smin, smax] */
    OPT_NUMBER, /* the integer field (int, unsigned, long long or uint64_t) gets the value read
                 * by opt_int() within [lo, hi] */
    OPT_LIST,   /* repeatable, takes a value: call() gets each value in turn, to add it */
    OPT_CALL,   /* the odd ones: call() gets the value (NULL if it takes none) */
} opt_kind;

/* One option of a verb. A table ends with an entry whose name and letter are both 0; --help
 * and -h are always added. Long options are matched (and abbreviations resolved) in the
 * table's order. */
typedef struct opt_spec {
    const char *name;  /* the long name without "--", or NULL */
    char letter;       /* the short letter, or 0 */
    const char *value; /* the value's name in help ("SIZE"), or NULL: it takes no value */
    opt_kind kind;
    size_t field;        /* offset in the verb's argument struct of what it sets */
    size_t width;        /* OPT_NUMBER: the size of that field */
    size_t have;         /* 1 + the offset of an int set to 1 when the option is given; 0: none */
    long long lo, hi;    /* OPT_FLAG: the value set; OPT_NUMBER: the bounds */
    uint64_t smin, smax; /* OPT_SIZE: the bounds */
    /* OPT_LIST, OPT_CALL: handles the value; `args` is the argument struct, `field` its field.
     * Returns CLI_OK or, after reporting a usage error, its exit code. */
    int (*call)(const cli_command *cmd, void *args, void *field, char *arg);
    const char *help; /* one line saying what it does (for generated documentation) */
} opt_spec;

/* Table entries. T is the argument struct's type, F a field of it. */
#define OPT_HAVE(T, H) (offsetof(T, H) + 1)
#define OPT_E_FLAG(N, L, T, F, HELP) OPT_E_SET(N, L, T, F, 1, HELP)
#define OPT_E_SET(N, L, T, F, V, HELP)                                                             \
    {                                                                                              \
        N, L, NULL, OPT_FLAG, offsetof(T, F), 0, 0, V, 0, 0, 0, NULL, HELP                         \
    }
#define OPT_E_STRING(N, L, VAL, T, F, HELP)                                                        \
    {                                                                                              \
        N, L, VAL, OPT_STRING, offsetof(T, F), 0, 0, 0, 0, 0, 0, NULL, HELP                        \
    }
#define OPT_E_SIZE(N, L, VAL, T, F, HAVE, MIN, MAX, HELP)                                          \
    {                                                                                              \
        N, L, VAL, OPT_SIZE, offsetof(T, F), 0, HAVE, 0, 0, MIN, MAX, NULL, HELP                   \
    }
#define OPT_E_NUMBER(N, L, VAL, T, F, HAVE, LO, HI, HELP)                                          \
    {                                                                                              \
        N, L, VAL, OPT_NUMBER, offsetof(T, F), sizeof(((T *)0)->F), HAVE, LO, HI, 0, 0, NULL, HELP \
    }
#define OPT_E_LIST(N, L, VAL, T, F, FN, HELP)                                                      \
    {                                                                                              \
        N, L, VAL, OPT_LIST, offsetof(T, F), 0, 0, 0, 0, 0, 0, FN, HELP                            \
    }
#define OPT_E_CALL(N, L, VAL, T, F, HAVE, FN, HELP)                                                \
    {                                                                                              \
        N, L, VAL, OPT_CALL, offsetof(T, F), 0, HAVE, 0, 0, 0, 0, FN, HELP                         \
    }
/* A chunk size option (--block-size, --min, --avg, --max) of pack and predict: within
 * CLI_CHUNK_MIN and CLI_CHUNK_MAX, with a given-flag H. */
#define CLI_OPT_CHUNK_SIZE(N, T, F, H, HELP)                                                       \
    OPT_E_SIZE(N, 0, "SIZE", T, F, OPT_HAVE(T, H), CLI_CHUNK_MIN, CLI_CHUNK_MAX, HELP)
#define OPT_E_END                                                                                  \
    {                                                                                              \
        NULL, 0, NULL, OPT_FLAG, 0, 0, 0, 0, 0, 0, 0, NULL, NULL                                   \
    }

/* Parses the options of argv[1..argc) against `table` into the struct at `args`, in argv's
 * order; -h/--help prints cmd's help. Returns -1 when the options are done (then call
 * opt_operands), or the exit code to return (CLI_OK after --help, CLI_USAGE after a usage
 * error, which has been reported). */
int opt_parse(opt_parser *p, const cli_command *cmd, const opt_spec *table, void *args, int argc,
              char **argv);

/* After OPT_END: checks that there are between min and max operands (naming the first missing
 * one from `names`, a NULL-terminated list) and points *out at them. Returns their count, or
 * -1 after a usage error. */
int opt_operands(opt_parser *p, int min, int max, const char *const names[], char ***out);

/* opt_operands() for exactly one operand, ARCHIVE: *out gets it. Returns 0, or -1 after a
 * usage error. */
int opt_archive(opt_parser *p, const char **out);

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
