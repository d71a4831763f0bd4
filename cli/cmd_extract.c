/*
 * cmd_extract.c - 'hexz extract': writes an archive's content back out with hexz_extract_opts():
 * a file tree into a directory, or the "main" stream into a file (or, with -o -, to standard
 * output); with a progress line on a terminal and, after it, a one-line summary.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "opt.h"
#include "password.h"
#include "progress.h"

typedef struct {
    const char *archive, *dest;
    int force, same_permissions;
    cli_open_args open;
    cli_show show;
} extract_args;

static const opt_spec extract_options[] = {
    OPT_E_STRING("output", 'o', "DEST", extract_args, dest, "extract into DEST"),
    OPT_E_FLAG("force", 'f', extract_args, force, "overwrite what exists"),
    OPT_E_FLAG("same-permissions", 'p', extract_args, same_permissions,
               "keep the archived modes whatever the umask"),
    CLI_OPTS_OPEN(extract_args, open),
    CLI_OPT_PROGRESS(extract_args, show),
    CLI_OPT_QUIET(extract_args, show),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_extract(extract_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_extract, extract_options, a, argc, argv);
    if (rc >= 0) return rc;
    if (opt_archive(&p, &a->archive) < 0) return CLI_USAGE;
    if (!a->dest) return cli_usage_error(&cli_cmd_extract, "missing -o DEST");
    return -1;
}

/* The bytes to write: the "main" stream, which holds every regular file of a tree. */
static uint64_t content_size(hexz_reader *r)
{
    unsigned stream;
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    if (hexz_reader_find_stream(r, "main", &stream) < 0) return 0;
    return hexz_reader_stream_info(r, stream, &si) < 0 ? 0 : si.size;
}

static int extract_archive(hexz_reader *r, const extract_args *a)
{
    /* "-" is standard output, which can take a stream but not a tree; no file named "-". */
    int to_stdout = strcmp(a->dest, "-") == 0;
    if (to_stdout && hexz_reader_has_file_tree(r))
        return cli_usage_error(&cli_cmd_extract, "%s: cannot write a tree to standard output",
                               a->archive);
    cli_progress prog;
    cli_progress_start(&prog, a->show, content_size(r));
    /* A tree reports the bytes it writes; a stream the logical bytes, holes included. */
    prog.count_out = hexz_reader_has_file_tree(r);
    hexz_extract_options o;
    hexz_extract_options_init(&o);
    o.force = a->force;
    o.same_permissions = a->same_permissions;
    o.progress = cli_progress_update;
    o.user = &prog;
    cli_catch_interrupts();
    int rc = to_stdout ? hexz_extract_to_fd(r, STDOUT_FILENO, &o)
                       : hexz_extract_opts(r, a->dest, &o);
    cli_progress_end(&prog, rc == 0);
    if (rc == HEXZ_ECANCELED) {
        cli_error("extract", "%s: interrupted; the extraction is incomplete", a->dest);
        return CLI_FAIL;
    }
    if (rc < 0) return cli_lib_error("extract", rc, a->archive);
    if (cli_progress_shown(&prog)) {
        double seconds = cli_progress_elapsed(&prog);
        fprintf(stderr, "extracted %s -> %s: %llu bytes, %.1f MiB/s, %.2f s\n", a->archive,
                to_stdout ? "standard output" : a->dest, (unsigned long long)prog.total,
                cli_mib_per_s(prog.total, seconds), seconds);
    }
    return CLI_OK;
}

static int run_extract(const cli_command *self, int argc, char **argv)
{
    (void)self;
    extract_args a = {0};
    int rc = parse_extract(&a, argc, argv);
    if (rc >= 0) return rc;
    hexz_reader *r;
    if (cli_open_archive("extract", a.archive, &a.open, &r, NULL) != CLI_OK) return CLI_FAIL;
    rc = extract_archive(r, &a);
    hexz_reader_free(r);
    return rc;
}

static const char extract_help[] =
    "Writes the content of ARCHIVE to DEST. An archive of a directory tree is extracted into\n"
    "the directory DEST (created if missing; existing directories are merged), restoring\n"
    "files, directories, symbolic links, modes and modification times, and never writing\n"
    "outside DEST: no symbolic link in DEST is followed. An archive of a single file or device\n"
    "becomes the file DEST, with runs of zeros left as holes, or goes to standard output when\n"
    "DEST is '-'. Nothing that exists is replaced without --force: extract refuses before\n"
    "writing anything, naming the first path in the way. Each file is written under a\n"
    "temporary name and renamed into place when complete, so a failed or interrupted extract\n"
    "never leaves a partial file under its name. Modes lose setuid, setgid and sticky bits,\n"
    "and the umask applies unless run as root; -p restores them exactly.\n"
    "Every block is verified before its bytes are written. On a terminal a progress line shows\n"
    "the percentage, bytes written, MiB/s and the time left, then a summary line.\n"
    "\n"
    "Options:\n"
    "  -o, --output DEST       where to extract to (required); '-': standard output (streams)\n"
    "  -f, --force             replace existing files, links and FIFOs (by rename, never\n"
    "                          writing through them) and non-directories where a directory goes\n"
    "  -p, --same-permissions  restore modes exactly, setuid/setgid/sticky included, no "
    "umask\n" CLI_HELP_PASSWORD_FILE CLI_HELP_BASE_DIR CLI_HELP_KDF_LIMITS CLI_HELP_PROGRESS
    "  -h, --help              show this help\n";

const cli_command cli_cmd_extract = {"extract", "write an archive's files or stream back out",
                                     "hexz extract ARCHIVE -o DEST", extract_help, run_extract};
