/*
 * main.c - the hexz command line: the table of verbs, dispatch, the top-level --help and
 * --version, and the 'help' and 'version' verbs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "opt.h"

static int run_help(const cli_command *self, int argc, char **argv);
static int run_version(const cli_command *self, int argc, char **argv);

static const cli_command cmd_help = {
    "help", "show help for hexz or for one command", "hexz help [COMMAND]",
    "Prints the list of commands, or the usage and options of COMMAND.\n", run_help};

static const cli_command cmd_version = {
    "version", "print the version of hexz and of its archive format", "hexz version",
    "Prints \"hexz VERSION (format MAJOR.MINOR)\".\n", run_version};

static const cli_command *const commands[] = {
    &cli_cmd_pack,    &cli_cmd_extract, &cli_cmd_cat,    &cli_cmd_ls,      &cli_cmd_mount,
    &cli_cmd_inspect, &cli_cmd_verify,  &cli_cmd_diff,   &cli_cmd_flatten, &cli_cmd_predict,
    &cli_cmd_keygen,  &cli_cmd_sign,    &cli_cmd_passwd, &cmd_version,     &cmd_help,
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

static void print_top_help(void)
{
    puts("usage: hexz COMMAND [ARGS...]\n\n"
         "hexz packs files, directory trees and disk images into seekable, deduplicated,\n"
         "compressed snapshot archives (.hxz) and reads any byte range back.\n\n"
         "Commands:");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        printf("  %-9s %s\n", commands[i]->name, commands[i]->summary);
    puts("\nRun 'hexz help COMMAND' or 'hexz COMMAND --help' for the options of a command.\n"
         "Exit status: 0 success, 1 failure, 2 usage error, 128 + N after signal N\n"
         "(130 SIGINT, 143 SIGTERM, 129 SIGHUP), which stops any command within a second.");
}

static void print_version(void)
{
    printf("hexz %s (format %d.%d)\n", hexz_version(), HEXZ_FORMAT_MAJOR, HEXZ_FORMAT_MINOR);
}

/* Parses a verb that takes no options but --help; returns -1 to continue, else an exit code. */
static int parse_plain(opt_parser *p, const cli_command *self, int argc, char **argv)
{
    static const opt_spec none[] = {OPT_E_END};
    return opt_parse(p, self, none, NULL, argc, argv);
}

static int run_help(const cli_command *self, int argc, char **argv)
{
    opt_parser p;
    int rc = parse_plain(&p, self, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"COMMAND", NULL};
    char **ops;
    int n = opt_operands(&p, 0, 1, names, &ops);
    if (n < 0) return CLI_USAGE;
    if (n == 0) {
        print_top_help();
        return CLI_OK;
    }
    const cli_command *cmd = find_command(ops[0]);
    if (!cmd) return cli_usage_error(self, "unknown command '%s'", ops[0]);
    return cli_print_help(cmd);
}

static int run_version(const cli_command *self, int argc, char **argv)
{
    opt_parser p;
    int rc = parse_plain(&p, self, argc, argv);
    if (rc >= 0) return rc;
    char **ops;
    if (opt_operands(&p, 0, 0, NULL, &ops) < 0) return CLI_USAGE;
    print_version();
    return CLI_OK;
}

/* Flushes stdout and turns a failed write into exit status 1 (a closed pipe stays quiet). */
static int finish(const char *verb, int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    if (errno == EPIPE) return rc;
    cli_error(verb, "error writing to standard output: %s", strerror(errno));
    return CLI_FAIL;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(NULL, "missing command");
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        print_top_help();
        return CLI_OK;
    }
    if (strcmp(verb, "--version") == 0) {
        print_version();
        return CLI_OK;
    }
    if (verb[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", verb);
    const cli_command *cmd = find_command(verb);
    if (!cmd) return cli_usage_error(NULL, "unknown command '%s'", verb);
    /* mount keeps FUSE's own handlers (FUSE installs them only over the default action). */
    if (cmd != &cli_cmd_mount) cli_signals_init(cmd->name);
    return cli_interrupt_status(cmd->run(cmd, argc - 1, argv + 1));
}

int main(int argc, char **argv)
{
    /* Writes to a closed pipe fail with EPIPE, which the verbs treat as a quiet end. */
    signal(SIGPIPE, SIG_IGN);
    int rc = dispatch(argc, argv);
    return finish(argc >= 2 && find_command(argv[1]) ? argv[1] : NULL, rc);
}
