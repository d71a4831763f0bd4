/*
 * mount_help.c - the --help text of 'hexz mount', shared by the FUSE build (cmd_mount.c) and the
 * build without FUSE (cmd_mount_nofuse.c), so that both describe the same command.
 */
#include "mount_help.h"

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
    "                          at most 16G)\n"
    CLI_HELP_BASE_DIR
    "  -o allow_other          let other users see the files (file modes still apply); needs\n"
    "                          user_allow_other in /etc/fuse.conf unless run as root\n"
    "  -h, --help              show this help\n"
    "\n"
    "N is bytes, or a binary multiple with a K, M, G or T suffix (1M = 1048576).\n"
    "Exit status: 0 once mounted (with -f: once unmounted), 1 if ARCHIVE cannot be opened or\n"
    "DIR cannot be mounted, 2 for a usage error.\n";
