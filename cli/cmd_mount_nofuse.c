/*
 * cmd_mount_nofuse.c - 'hexz mount' in a build without libfuse3 (-DHEXZ_WITH_FUSE=OFF):
 * CMakeLists.txt compiles this file instead of cmd_mount.c and mount_fs.c. --help prints the
 * same help as the FUSE build; anything else fails with "not built with FUSE", exit 1.
 */
#include <string.h>

#include "commands.h"
#include "mount_help.h"

static int run_mount(const cli_command *self, int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_print_help(self);
    cli_error("mount", "not built with FUSE (rebuild with libfuse3 and -DHEXZ_WITH_FUSE=ON)");
    return CLI_FAIL;
}

const cli_command cli_cmd_mount = {
    "mount", "serve an archive as a read-only file system (FUSE; not in this build)",
    CLI_MOUNT_SYNOPSIS, cli_mount_help, run_mount};
