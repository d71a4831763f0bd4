/*
 * tmpname.h - temporary names for files being written: random name suffixes, and giving an
 * unnamed (O_TMPFILE) file a name. Shared by the archive writer's output file and extraction.
 */
#ifndef HX_COMMON_TMPNAME_H
#define HX_COMMON_TMPNAME_H

#include <stddef.h>

/* How many characters at the end of a name template hx_tmpname_randomize() replaces. */
#define HX_TMPNAME_SUFFIX 6

/* Replaces the last HX_TMPNAME_SUFFIX characters of `name` (which must have that many) with
 * random letters and digits. Thread-safe. */
void hx_tmpname_randomize(char *name);

/* Links the unnamed file `fd` as `name` in `dirfd` (AT_FDCWD: relative to the working
 * directory). Never replaces: an existing name is EEXIST. Goes through /proc/self/fd, which
 * needs no privilege, unlike linkat's AT_EMPTY_PATH. 0, or -1 and errno. */
int hx_tmpname_link(int fd, int dirfd, const char *name);

/* Links the unnamed file `fd` under a fresh random name: `name` is a template whose last
 * HX_TMPNAME_SUFFIX characters are replaced (and left holding the name used); retried on
 * EEXIST. 0, or -1 and errno. */
int hx_tmpname_link_random(int fd, int dirfd, char *name);

#endif
