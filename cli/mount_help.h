/*
 * mount_help.h - the synopsis and --help text of 'hexz mount' (mount_help.c), for cmd_mount.c
 * and cmd_mount_nofuse.c.
 */
#ifndef HEXZ_CLI_MOUNT_HELP_H
#define HEXZ_CLI_MOUNT_HELP_H

#define CLI_MOUNT_SYNOPSIS "hexz mount ARCHIVE DIR [-f] [--cache-size N] [-o allow_other]"

extern const char cli_mount_help[];

#endif
