/*
 * opt.c - see opt.h: the one option loop that walks argv against a verb's table, getopt_long
 * with hexz's usage errors under it, and the value parsers.
 */
#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void opt_init(opt_parser *p, const cli_command *cmd, int argc, char **argv, const char *shortopts,
              const struct option *longopts)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    /* ':' first: report a missing value as ':' rather than '?'. */
    snprintf(p->short_buf, sizeof p->short_buf, ":h%s", shortopts ? shortopts : "");
    size_t n = 0;
    for (; longopts && longopts[n].name && n + 2 < sizeof p->long_buf / sizeof p->long_buf[0]; n++)
        p->long_buf[n] = longopts[n];
    p->long_buf[n++] = (struct option){"help", no_argument, NULL, 'h'};
    p->long_buf[n] = (struct option){NULL, 0, NULL, 0};
    p->shortopts = p->short_buf;
    p->longopts = p->long_buf;
    optind = 0; /* glibc: 0 re-initialises the scanner completely */
    opterr = 0;
}

/* The long name of the option whose value is `val`, or NULL. */
static const char *long_name(const opt_parser *p, int val)
{
    for (const struct option *o = p->longopts; o->name; o++)
        if (o->val == val && !o->flag) return o->name;
    return NULL;
}

/* Is `c` one of the short option letters? */
static int is_short(const opt_parser *p, int c)
{
    return c > 0 && c < 256 && c != ':' && strchr(p->shortopts, c) != NULL;
}

/* The option just scanned, as the user typed it: "--name" (without "=value") or "-c". */
static void typed_name(const opt_parser *p, int val, char *out, size_t cap)
{
    const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : NULL;
    if (arg && strncmp(arg, "--", 2) == 0) {
        size_t len = strcspn(arg, "=");
        snprintf(out, cap, "%.*s", (int)len, arg);
    } else if (val > 0 && val < 256) {
        snprintf(out, cap, "-%c", val);
    } else {
        const char *name = long_name(p, val);
        snprintf(out, cap, "--%s", name ? name : "?");
    }
}

static int report_missing(const opt_parser *p)
{
    char name[128];
    typed_name(p, optopt, name, sizeof name);
    cli_usage_error(p->cmd, "option '%s' requires a value", name);
    return OPT_BAD;
}

/* Lists in `out` the long options that `typed` ("--na", "--na=v") abbreviates; returns how many. */
static int matching_longs(const opt_parser *p, const char *typed, char *out, size_t cap)
{
    const char *name = typed + 2;
    size_t len = strcspn(name, "="), used = 0;
    int count = 0;
    out[0] = '\0';
    for (const struct option *o = p->longopts; o->name; o++) {
        if (strncmp(o->name, name, len) != 0) continue;
        int n = snprintf(out + used, cap - used, "%s--%s", count ? ", " : "", o->name);
        if (n > 0 && (size_t)n < cap - used) used += (size_t)n;
        count++;
    }
    return count;
}

static int report_unknown(const opt_parser *p)
{
    char name[128];
    if (optopt >= OPT_LONG_BASE || is_short(p, optopt)) {
        /* A known option rejected with '?': a long option given a value it does not take. */
        const char *lname = long_name(p, optopt);
        snprintf(name, sizeof name, "--%s", lname ? lname : "?");
        cli_usage_error(p->cmd, "option '%s' does not take a value", name);
    } else if (optopt != 0) {
        cli_usage_error(p->cmd, "unknown option '-%c'", optopt);
    } else {
        typed_name(p, 0, name, sizeof name);
        char matches[256];
        if (strncmp(name, "--", 2) == 0 && matching_longs(p, name, matches, sizeof matches) > 1)
            cli_usage_error(p->cmd, "option '%s' is ambiguous (%s)", name, matches);
        else cli_usage_error(p->cmd, "unknown option '%s'", name);
    }
    return OPT_BAD;
}

int opt_next(opt_parser *p)
{
    int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
    switch (c) {
    case -1: return OPT_END;
    case 'h': return OPT_HELP;
    case ':': return report_missing(p);
    case '?': return report_unknown(p);
    default: return c;
    }
}

/* The option's name for messages: "--name", or "-c" for one with only a letter. */
static void spec_name(const opt_spec *o, char *out, size_t cap)
{
    if (o->name) snprintf(out, cap, "--%s", o->name);
    else snprintf(out, cap, "-%c", o->letter);
}

/* Stores `v` in an integer field of `width` bytes (v is within the option's bounds). */
static void store_number(void *field, size_t width, long long v)
{
    if (width == sizeof(int)) {
        int n = (int)v;
        memcpy(field, &n, sizeof n);
    } else {
        memcpy(field, &v, sizeof v);
    }
}

/* Does what option `o` says with its value `arg` (NULL if it takes none). */
static int apply(const cli_command *cmd, const opt_spec *o, char *args, char *arg)
{
    char name[80];
    spec_name(o, name, sizeof name);
    if (o->have) *(int *)(void *)(args + o->have - 1) = 1;
    void *field = args + o->field;
    long long v;
    int rc;
    switch (o->kind) {
    case OPT_FLAG: *(int *)field = (int)o->lo; return CLI_OK;
    case OPT_STRING: *(const char **)field = arg; return CLI_OK;
    case OPT_SIZE: return opt_size(cmd, name, arg, o->smin, o->smax, field);
    case OPT_NUMBER:
        rc = opt_int(cmd, name, arg, o->lo, o->hi, &v);
        if (rc == CLI_OK) store_number(field, o->width, v);
        return rc;
    case OPT_LIST:
    case OPT_CALL: return o->call(cmd, args, field, arg);
    }
    return CLI_USAGE;
}

/* getopt's description of `table`: each option's value is its letter, or OPT_LONG_BASE + its
 * index for a long-only one. */
static void describe(const opt_spec *table, char *shorts, size_t cap, struct option *longs,
                     size_t max_longs)
{
    size_t ns = 0, nl = 0;
    for (size_t i = 0; table[i].name || table[i].letter; i++) {
        const opt_spec *o = &table[i];
        int val = o->letter ? o->letter : OPT_LONG_BASE + (int)i;
        if (o->letter && ns + 3 < cap) {
            shorts[ns++] = o->letter;
            if (o->value) shorts[ns++] = ':';
        }
        if (o->name && nl + 1 < max_longs)
            longs[nl++] = (struct option){o->name, o->value ? required_argument : no_argument, NULL,
                                          val};
    }
    shorts[ns] = '\0';
    longs[nl] = (struct option){NULL, 0, NULL, 0};
}

/* The table entry of getopt's value `c`. */
static const opt_spec *find_spec(const opt_spec *table, int c)
{
    if (c >= OPT_LONG_BASE) return &table[c - OPT_LONG_BASE];
    for (const opt_spec *o = table; o->name || o->letter; o++)
        if (o->letter == c) return o;
    return NULL;
}

int opt_parse(opt_parser *p, const cli_command *cmd, const opt_spec *table, void *args, int argc,
              char **argv)
{
    char shorts[64];
    struct option longs[48];
    describe(table, shorts, sizeof shorts, longs, sizeof longs / sizeof longs[0]);
    opt_init(p, cmd, argc, argv, shorts, longs);
    for (int c; (c = opt_next(p)) != OPT_END;) {
        if (c == OPT_HELP) return cli_print_help(cmd);
        if (c == OPT_BAD) return CLI_USAGE;
        const opt_spec *o = find_spec(table, c);
        int rc = o ? apply(cmd, o, args, o->value ? optarg : NULL) : CLI_USAGE;
        if (rc != CLI_OK) return rc;
    }
    return -1;
}

int opt_operands(opt_parser *p, int min, int max, const char *const names[], char ***out)
{
    int count = p->argc - optind;
    if (count < min) {
        cli_usage_error(p->cmd, "missing %s", names[count]);
        return -1;
    }
    if (count > max) {
        cli_usage_error(p->cmd, "unexpected argument '%s'", p->argv[optind + max]);
        return -1;
    }
    *out = p->argv + optind;
    return count;
}

int opt_archive(opt_parser *p, const char **out)
{
    static const char *const names[] = {"ARCHIVE", NULL};
    char **ops;
    if (opt_operands(p, 1, 1, names, &ops) < 0) return -1;
    *out = ops[0];
    return 0;
}

/* The multiplier for a size suffix, or 0 if it is not one. */
static uint64_t suffix_multiplier(const char *s)
{
    static const char *const names[][2] = {{"K", "KiB"}, {"M", "MiB"}, {"G", "GiB"}, {"T", "TiB"}};
    if (*s == '\0') return 1;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i][0]) == 0 || strcasecmp(s, names[i][1]) == 0)
            return (uint64_t)1 << (10 * (i + 1));
    return 0;
}

int opt_parse_size(const char *arg, uint64_t *out)
{
    if (!isdigit((unsigned char)arg[0])) return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno) return -1;
    uint64_t mul = suffix_multiplier(end);
    if (mul == 0 || (v != 0 && (uint64_t)v > UINT64_MAX / mul)) return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

int opt_size(const cli_command *cmd, const char *name, const char *arg, uint64_t min, uint64_t max,
             uint64_t *out)
{
    uint64_t v;
    if (opt_parse_size(arg, &v) < 0)
        return cli_usage_error(
            cmd, "%s: invalid size '%s' (expected a number like 4096, 64K or 1M)", name, arg);
    if (v < min || v > max) {
        char lo[32], hi[32];
        cli_size_label(min, lo, sizeof lo);
        cli_size_label(max, hi, sizeof hi);
        return cli_usage_error(cmd, "%s: %s is out of range (%s to %s)", name, arg, lo, hi);
    }
    *out = v;
    return CLI_OK;
}

int opt_int(const cli_command *cmd, const char *name, const char *arg, long long min, long long max,
            long long *out)
{
    errno = 0;
    char *end;
    long long v = strtoll(arg, &end, 10);
    int syntax_ok = (isdigit((unsigned char)arg[0]) || arg[0] == '-') && *end == '\0' && end != arg;
    if (!syntax_ok || errno == EINVAL)
        return cli_usage_error(cmd, "%s: invalid value '%s' (expected an integer)", name, arg);
    if (errno == ERANGE || v < min || v > max)
        return cli_usage_error(cmd, "%s: %s is out of range (%lld to %lld)", name, arg, min, max);
    *out = v;
    return CLI_OK;
}

int opt_choice(const cli_command *cmd, const char *name, const char *arg,
               const char *const choices[], int *out)
{
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; choices[i]; i++) {
        if (strcmp(arg, choices[i]) == 0) {
            *out = i;
            return CLI_OK;
        }
        const char *sep = i == 0 ? "" : choices[i + 1] ? ", " : " or ";
        int n = snprintf(list + used, sizeof list - used, "%s%s", sep, choices[i]);
        if (n > 0 && (size_t)n < sizeof list - used) used += (size_t)n;
    }
    return cli_usage_error(cmd, "%s: invalid value '%s' (expected %s)", name, arg, list);
}
