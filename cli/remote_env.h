/*
 * remote_env.h - the settings of the remote backends (hexz_remote_options) taken from the
 * process environment: the library reads no environment variables, the hexz tool passes them.
 */
#ifndef CLI_REMOTE_ENV_H
#define CLI_REMOTE_ENV_H

#include "hexz.h"

/* Options whose lookup is getenv(): HEXZ_HTTP_WINDOW, HEXZ_S3_ENDPOINT, AWS_REGION, ... as
 * listed at hexz_remote_options. Static; valid for the whole run. */
const hexz_remote_options *cli_remote_env(void);

#endif
