/*
 * fuzz_password_file.c - fuzz target for the CLI's password-file reader (cli/password.c,
 * compiled into this target): the input is the file given to --password-file. Oracles: the
 * reader returns CLI_OK or CLI_FAIL (a one-line error, never a crash or a read past the file);
 * a password it accepts is exactly the file's first line without a trailing '\r' - not empty,
 * at most CLI_PASSWORD_MAX bytes, and with nothing cut off (a NUL byte in the line must be
 * refused, not end the password early: issue 10, item 10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "password.h"

/* The one call into cli/password.c, so that a change of its signature touches one place. */
static int read_password_file(const char *path, char **out)
{
    cli_password_source src = {.file = path, .env = NULL, .what = "password", .archive = "fuzz"};
    return cli_password_get("fuzz", &src, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fz_memfd(data, size, path);
    if (fd < 0) return 0;
    char *pw = NULL;
    int rc = read_password_file(path, &pw);
    close(fd);
    FZ_ASSERT(rc == CLI_OK || rc == CLI_FAIL);
    if (rc != CLI_OK) {
        FZ_ASSERT(pw == NULL);
        return 0;
    }
    FZ_ASSERT(pw != NULL);
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line = nl ? (size_t)(nl - data) : size;
    if (line > 0 && data[line - 1] == '\r') line--;
    size_t n = strlen(pw);
    FZ_ASSERT(n >= 1 && n <= CLI_PASSWORD_MAX);
    FZ_ASSERT(n == line && memcmp(pw, data, n) == 0);
    cli_password_free(pw);
    return 0;
}
