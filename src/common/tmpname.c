/*
 * tmpname.c - random temporary names and linking unnamed files (see tmpname.h).
 */
#include "tmpname.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define LINK_ATTEMPTS 100

void hx_tmpname_randomize(char *name)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t rnd[HX_TMPNAME_SUFFIX];
    if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
        /* No entropy yet (early boot): still distinct between processes and calls; EEXIST
         * retries cover the rest. */
        uintptr_t mix = (uintptr_t)getpid() * 2654435761u ^ (uintptr_t)rnd;
        for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)(mix >> (8 * (i % sizeof mix)));
    }
    char *suffix = name + strlen(name) - HX_TMPNAME_SUFFIX;
    for (size_t i = 0; i < HX_TMPNAME_SUFFIX; i++) suffix[i] = alphabet[rnd[i] % 36];
}

int hx_tmpname_link(int fd, int dirfd, const char *name)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

int hx_tmpname_link_random(int fd, int dirfd, char *name)
{
    for (int attempt = 0; attempt < LINK_ATTEMPTS; attempt++) {
        hx_tmpname_randomize(name);
        if (hx_tmpname_link(fd, dirfd, name) == 0) return 0;
        if (errno != EEXIST) return -1;
    }
    return -1;
}
