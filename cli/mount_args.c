/*
 * mount_args.c - the command line of 'hexz mount': the --help text, the option table and the
 * parser, shared by the FUSE build (cmd_mount.c) and the build without FUSE
 * (cmd_mount_nofuse.c), so that both describe, accept and refuse the same command lines.
 */
#include "mount_args.h"

#include <string.h>

#include "commands.h"
#include "opt.h"
#include "password.h"

const char cli_mount_help[] =
    "Serves ARCHIVE read-only at the directory DIR through FUSE: the file tree of a packed\n"
    "directory (regular files with their modes and mtimes, directories, symbolic links), or,\n"
    "for an archive packed from a single file or device, one file per stream (DIR/main).\n"
    "Every block is verified before its bytes are returned; a damaged one reads as an I/O\n"
    "error (EIO), and the first such error is logged on stderr. Writes fail with EROFS.\n"
    "\n"
    "Without -f, hexz mount returns once the file system is mounted and serves it in the\n"
    "background. Unmount it with 'fusermount3 -u DIR' (or 'umount DIR' as root).\n"
    "\n"
    "Options:\n"
    "  -f, --foreground        stay in the foreground until DIR is unmounted; SIGINT or\n"
    "                          SIGTERM unmounts it\n"
    "      --cache-size N      also cache up to N bytes of decoded data, in 128K extents, in\n"
    "                          front of the library's own block cache (default 0: none;\n"
    "                          at most 16G)\n" CLI_HELP_BASE_DIR
    "  -o allow_other          let other users see the files (file modes still apply); needs\n"
    "                          user_allow_other in /etc/fuse.conf unless run as root\n"
    "  -h, --help              show this help\n"
    "\n"
    "N is bytes, or a binary multiple with a K, M, G or T suffix (1M = 1048576).\n"
    "Exit status: 0 once mounted (with -f: once unmounted), 1 if ARCHIVE cannot be opened or\n"
    "DIR cannot be mounted, 2 for a usage error.\n";

#define MOUNT_CACHE_MAX ((uint64_t)16 << 30)

/* -o: checks a comma-separated list; only the options hexz supports are accepted.
 * `allow_other` is mount_args.allow_other. */
static int mount_options(const cli_command *cmd, void *args, void *allow_other, char *list)
{
    (void)args;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        if (len == strlen("allow_other") && strncmp(p, "allow_other", len) == 0)
            *(int *)allow_other = 1;
        else if (!(len == 2 && strncmp(p, "ro", 2) == 0)) /* "ro" is always on */
            return cli_usage_error(
                cmd, "-o: unsupported mount option '%.*s' (supported: allow_other)", (int)len, p);
        if (p[len] == '\0') return CLI_OK;
        p += len + 1;
    }
}

static const opt_spec mount_opts[] = {
    OPT_E_FLAG("foreground", 'f', mount_args, foreground, "stay in the foreground"),
    OPT_E_SIZE("cache-size", 0, "SIZE", mount_args, cache_size, 0, 0, MOUNT_CACHE_MAX,
               "the block cache's size"),
    CLI_OPT_BASE_DIR(mount_args, base_dir),
    OPT_E_CALL(NULL, 'o', "OPTIONS", mount_args, allow_other, 0, mount_options,
               "mount options: ro, allow_other"),
    OPT_E_END,
};

int mount_parse_args(mount_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_mount, mount_opts, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"ARCHIVE", "DIR", NULL};
    char **ops;
    if (opt_operands(&p, 2, 2, names, &ops) < 0) return CLI_USAGE;
    a->archive = ops[0];
    a->dir = ops[1];
    return -1;
}
