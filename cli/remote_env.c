/*
 * remote_env.c - hexz_remote_options answered from the environment (getenv), so that
 * `hexz VERB URL` reads the variables of docs/REMOTE.md as the library once did itself.
 */
#include "remote_env.h"

#include <stdlib.h>

static const char *env_setting(void *user, const char *name)
{
    (void)user;
    return getenv(name);
}

const hexz_remote_options *cli_remote_env(void)
{
    static const hexz_remote_options env = {HEXZ_REMOTE_OPTIONS_VERSION, env_setting, NULL};
    return &env;
}
