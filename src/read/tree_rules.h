/*
 * tree_rules.h - the rules a file tree must obey beyond each manifest entry's own syntax, checked
 * in manifest order by both hexz_reader_verify() and extraction, so that an archive verify
 * accepts is one extract can write (FORMAT.md §10): every name component is at most 255 bytes
 * (NAME_MAX, what a POSIX file system can create), and nothing lies below an entry that is not a
 * directory (a file "l/x" below the symbolic link or regular file "l").
 */
#ifndef HX_TREE_RULES_H
#define HX_TREE_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "format/format.h"

#define HX_NAME_MAX 255

/* The chain of entries that are ancestors of the last path seen: in manifest order (a depth-
 * first walk) an entry's ancestors with entries of their own all come before it, and every
 * entry between an ancestor and it lies below that ancestor, so a stack is enough. Each entry on
 * the stack is a prefix of `path`, the deepest one. About 10 KiB: allocate it, do not put it on
 * a small stack. */
typedef struct {
    char path[HX_PATH_MAX + 1];
    uint16_t len[HX_PATH_MAX / 2 + 1];
    uint8_t type[HX_PATH_MAX / 2 + 1];
    size_t depth;
} hx_tree_check;

void hx_tree_check_init(hx_tree_check *t);

/* Checks the next entry in manifest order (path[0..len) already valid by hx_path_valid, `type`
 * an HX_FILE_* value). Returns 0, or HEXZ_ECORRUPT with a message naming `archive` and the
 * path. */
int hx_tree_check_next(hx_tree_check *t, const char *path, size_t len, unsigned type,
                       const char *archive);

#endif
