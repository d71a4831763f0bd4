/*
 * cmd_mount_nofuse.c - 'hexz mount' in a build without libfuse3 (-DHEXZ_WITH_FUSE=OFF):
 * CMakeLists.txt compiles this file instead of cmd_mount.c and mount_fs.c. --help prints the
 * same help and parses the same options as the FUSE build (usage errors exit 2); a command
 * line that would mount fails with "not built with FUSE", exit 1.
 */
#include "commands.h"
#include "mount_args.h"

static int run_mount(const cli_command *self, int argc, char **argv)
{
    (void)self;
    mount_args a;
    int rc = mount_parse_args(&a, argc, argv);
    if (rc >= 0) return rc;
    cli_error("mount", "not built with FUSE (rebuild with libfuse3 and -DHEXZ_WITH_FUSE=ON)");
    return CLI_FAIL;
}

const cli_command cli_cmd_mount = {
    "mount", "serve an archive as a read-only file system (FUSE; not in this build)",
    CLI_MOUNT_SYNOPSIS, cli_mount_help, run_mount};
