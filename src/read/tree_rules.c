/*
 * tree_rules.c - the file-tree rules shared by verify and extract (see tree_rules.h): name
 * components of at most 255 bytes, and no entry below a non-directory entry.
 */
#include "read/tree_rules.h"

#include <string.h>

#include "common/error.h"

void hx_tree_check_init(hx_tree_check *t)
{
    t->depth = 0;
}

static const char *type_name(unsigned type)
{
    return type == HX_FILE_SYMLINK ? "symbolic link" : "regular file";
}

int hx_tree_check_next(hx_tree_check *t, const char *path, size_t len, unsigned type,
                       const char *archive)
{
    for (size_t start = 0, i = 0; i <= len; i++) {
        if (i < len && path[i] != '/') continue;
        if (i - start > HX_NAME_MAX)
            return hx_error(HEXZ_ECORRUPT,
                            "%s: manifest entry %.*s has a name longer than %d bytes", archive,
                            (int)len, path, HX_NAME_MAX);
        start = i + 1;
    }
    /* Drop the entries that are not ancestors of this one. */
    while (t->depth > 0) {
        size_t n = t->len[t->depth - 1];
        if (n < len && path[n] == '/' && memcmp(path, t->path, n) == 0) break;
        t->depth--;
    }
    if (t->depth > 0 && t->type[t->depth - 1] != HX_FILE_DIR)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry %.*s lies below the %s %.*s", archive,
                        (int)len, path, type_name(t->type[t->depth - 1]), (int)t->len[t->depth - 1],
                        t->path);
    /* Every entry on the stack is a proper prefix of this path, so at most one per '/' plus
     * this one: the stack cannot overflow for a path of at most HX_PATH_MAX bytes. */
    if (len > HX_PATH_MAX || t->depth >= sizeof t->len / sizeof t->len[0])
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry path too long", archive);
    memcpy(t->path, path, len);
    t->path[len] = '\0';
    t->len[t->depth] = (uint16_t)len;
    t->type[t->depth] = (uint8_t)type;
    t->depth++;
    return 0;
}
