/*
 * mount_args.h - the command line of 'hexz mount' (mount_args.c): its synopsis, --help text,
 * options and operands, shared by the FUSE build (cmd_mount.c) and the build without FUSE
 * (cmd_mount_nofuse.c), so that both accept and refuse the same command lines.
 */
#ifndef HEXZ_CLI_MOUNT_ARGS_H
#define HEXZ_CLI_MOUNT_ARGS_H

#include <stdint.h>

#define CLI_MOUNT_SYNOPSIS "hexz mount ARCHIVE DIR [-f] [--cache-size N] [-o allow_other]"

extern const char cli_mount_help[];

typedef struct {
    const char *archive, *dir, *base_dir;
    int foreground, allow_other;
    uint64_t cache_size;
} mount_args;

/* Parses argv into *a (zeroed first); returns -1 to go on, or the exit code to return (after
 * --help, or a usage error already printed). */
int mount_parse_args(mount_args *a, int argc, char **argv);

#endif
