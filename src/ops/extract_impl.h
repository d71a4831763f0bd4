/*
 * extract_impl.h - the descriptor-walking helpers behind extraction (extract_path.c): opening a
 * directory below the destination one component at a time without following links, and files
 * and symbolic links that are made under no name (or a hidden temporary one) and then linked or
 * renamed into place, so that nothing already in the destination is ever written through;
 * and the single-stream half of extraction (extract_stream.c).
 *
 * The path helpers report failure as -1 with errno set; the caller names the path in its
 * message.
 *
 * Part of ops/ (level 4). Included by ops/ files only (extract.c, extract_path.c,
 * extract_stream.c).
 */
#ifndef HX_EXTRACT_IMPL_H
#define HX_EXTRACT_IMPL_H

#include <stddef.h>
#include <sys/types.h>

#include "hexz.h"

/* extract_stream.c: the "main" stream of a single-stream archive into the file `dest`
 * (HEXZ_EEXIST if it exists and o->force is not set). Returns a HEXZ_ code, message set. */
int hx_extract_stream(hexz_reader *r, const char *dest, const hexz_extract_options *o);

/* A caller's extract options as this library reads them (common/versioned.h): defaults, then
 * the fields src's version defines; src NULL gives the defaults. */
int hx_extract_options_take(hexz_extract_options *dst, const hexz_extract_options *src,
                            const char *name);

/* Opens the directory rel[0..len) below `root` ("" is root itself) one component at a time
 * with O_NOFOLLOW | O_DIRECTORY. With `create`, missing components are made (0755 under the
 * umask); with `create` and `force`, a non-directory in the way is removed and replaced by a
 * directory. Returns a new descriptor, or -1 with errno set and *failed_len the length of the
 * prefix that could not be opened (ENOENT: it does not exist; ELOOP or ENOTDIR: it is not a
 * directory). */
int hx_xp_open_dir(int root, const char *rel, size_t len, int create, int force,
                   size_t *failed_len);

/* A regular file being written in the directory `dirfd`: unnamed (O_TMPFILE) where the file
 * system allows it, else a hidden temporary name; mode 0600 until the caller fchmods it. */
typedef struct {
    int dirfd;
    int fd;
    int anonymous; /* no name yet */
    int named;     /* tmp names it in dirfd */
    char tmp[32];
} hx_xp_file;

int hx_xp_file_open(hx_xp_file *f, int dirfd);
/* Gives the complete file the name `name`: without `force` only if the name is free (EEXIST
 * otherwise, even if it was taken after an earlier check); with `force` by rename over
 * whatever is there (an empty directory is removed first). Closes f->fd. */
int hx_xp_file_commit(hx_xp_file *f, const char *name, int force);
/* Closes and removes what is left of a file not committed. Safe after commit. */
void hx_xp_file_discard(hx_xp_file *f);

/* Creates a symbolic link `name` -> `target` in dirfd with its times `ts` (not following it):
 * without `force` only if the name is free; with `force` made under a temporary name and renamed
 * over whatever is there. */
int hx_xp_symlink(int dirfd, const char *name, const char *target, const struct timespec ts[2],
                  int force);

#endif
