/*
 * cmd_verify.c - 'hexz verify': checks every byte of one or more archives with
 * hexz_reader_verify() and reports "ARCHIVE: OK (N blocks, M bytes verified)".
 */
#include <stdio.h>

#include "commands.h"
#include "opt.h"

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_verify(int argc, char **argv, char ***archives, int *count)
{
    opt_parser p;
    opt_init(&p, &cli_cmd_verify, argc, argv, "", NULL);
    for (int c; (c = opt_next(&p)) != OPT_END;) {
        if (c == OPT_HELP) return cli_print_help(&cli_cmd_verify);
        return CLI_USAGE; /* OPT_BAD: already reported */
    }
    static const char *const names[] = {"ARCHIVE", NULL};
    *count = opt_operands(&p, 1, argc, names, archives);
    return *count < 0 ? CLI_USAGE : -1;
}

static int verify_one(const char *archive)
{
    hexz_reader *r;
    if (cli_open("verify", archive, &r) != CLI_OK) return CLI_FAIL;
    int rc = hexz_reader_verify(r, cli_progress_cancel, NULL);
    hexz_inspect_info info;
    if (rc == 0) rc = hexz_reader_inspect(r, &info);
    hexz_reader_free(r);
    if (rc == HEXZ_ECANCELED) {
        cli_error("verify", "%s: interrupted", archive);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("verify", rc, archive);
    printf("%s: OK (%llu blocks, %llu bytes verified)\n", archive, (unsigned long long)info.blocks,
           (unsigned long long)info.logical_bytes);
    fflush(stdout);
    return CLI_OK;
}

static int run_verify(const cli_command *self, int argc, char **argv)
{
    (void)self;
    char **archives;
    int count;
    int rc = parse_verify(argc, argv, &archives, &count);
    if (rc >= 0) return rc;
    cli_catch_interrupts();
    int status = CLI_OK;
    for (int i = 0; i < count && !cli_interrupted(); i++)
        if (verify_one(archives[i]) != CLI_OK) status = CLI_FAIL;
    return cli_interrupted() ? CLI_FAIL : status;
}

static const char verify_help[] =
    "Checks each ARCHIVE completely: the header checksum, the root hash, every section, index\n"
    "page and manifest page against its hash, every stored block against its checksum, exact\n"
    "length and content hash, and the structural rules of the format (every byte of the file\n"
    "accounted for). Prints \"ARCHIVE: OK (N blocks, M bytes verified)\" for an intact archive,\n"
    "where N counts index entries and M logical bytes; reports the first damaged place and\n"
    "exits with status 1 otherwise.\n"
    "\n"
    "Options:\n"
    "  -h, --help              show this help\n";

const cli_command cli_cmd_verify = {"verify", "check every byte of an archive",
                                    "hexz verify ARCHIVE...", verify_help, run_verify};
