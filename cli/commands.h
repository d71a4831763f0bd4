/*
 * commands.h - the verbs of the hexz command line, one cli_command per cli/cmd_*.c file (help
 * and version live in main.c), gathered into the dispatch table of main.c.
 */
#ifndef HEXZ_CLI_COMMANDS_H
#define HEXZ_CLI_COMMANDS_H

#include "cli_util.h"

extern const cli_command cli_cmd_pack;
extern const cli_command cli_cmd_extract;
extern const cli_command cli_cmd_cat;
extern const cli_command cli_cmd_ls;
extern const cli_command cli_cmd_inspect;
extern const cli_command cli_cmd_verify;
extern const cli_command cli_cmd_diff;
extern const cli_command cli_cmd_flatten;
extern const cli_command cli_cmd_predict;
extern const cli_command cli_cmd_mount;
extern const cli_command cli_cmd_keygen;
extern const cli_command cli_cmd_sign;
extern const cli_command cli_cmd_passwd;

#endif
