/*
 * cmd_extract.c - 'hexz extract': writes an archive's content back out with hexz_extract(): a
 * file tree into a directory, or the "main" stream into a file.
 */
#include "commands.h"
#include "opt.h"

static const struct option extract_longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {NULL, 0, NULL, 0},
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_extract(int argc, char **argv, const char **archive, const char **dest)
{
    opt_parser p;
    opt_init(&p, &cli_cmd_extract, argc, argv, "o:", extract_longopts);
    for (int c; (c = opt_next(&p)) != OPT_END;) {
        if (c == OPT_HELP) return cli_print_help(&cli_cmd_extract);
        if (c == OPT_BAD) return CLI_USAGE;
        if (c == 'o') *dest = optarg;
    }
    static const char *const names[] = {"ARCHIVE", NULL};
    char **ops;
    if (opt_operands(&p, 1, 1, names, &ops) < 0) return CLI_USAGE;
    *archive = ops[0];
    if (!*dest) return cli_usage_error(&cli_cmd_extract, "missing -o DEST");
    return -1;
}

static int run_extract(const cli_command *self, int argc, char **argv)
{
    (void)self;
    const char *archive = NULL, *dest = NULL;
    int rc = parse_extract(argc, argv, &archive, &dest);
    if (rc >= 0) return rc;
    hexz_reader *r;
    if (cli_open("extract", archive, &r) != CLI_OK) return CLI_FAIL;
    /* Only tree extraction reports progress, so only it can be stopped through the callback;
     * a stream is extracted to a temporary file, and Ctrl-C simply ends the process. */
    if (hexz_reader_file_count(r) > 0) cli_catch_interrupts();
    rc = hexz_extract(r, dest, cli_progress_cancel, NULL);
    hexz_reader_free(r);
    if (rc == HEXZ_ECANCELED) {
        cli_error("extract", "%s: interrupted; the extraction is incomplete", dest);
        return CLI_FAIL;
    }
    return rc < 0 ? cli_lib_error("extract", rc, archive) : CLI_OK;
}

static const char extract_help[] =
    "Writes the content of ARCHIVE to DEST. An archive of a directory tree is extracted into\n"
    "the directory DEST (created if missing), restoring files, directories, symbolic links,\n"
    "modes and modification times, and never writing outside DEST. An archive of a single\n"
    "file or device becomes the file DEST, with runs of zeros left as holes.\n"
    "Every block is verified before its bytes are written.\n"
    "\n"
    "Options:\n"
    "  -o, --output DEST       where to extract to (required)\n"
    "  -h, --help              show this help\n";

const cli_command cli_cmd_extract = {"extract", "write an archive's files or stream back out",
                                     "hexz extract ARCHIVE -o DEST", extract_help, run_extract};
