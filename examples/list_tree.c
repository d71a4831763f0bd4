/*
 * list_tree.c - lists the file tree of an archive packed from a directory, parents before
 * children, like `ls -l` without owners. Usage: list_tree ARCHIVE
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <hexz.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: list_tree ARCHIVE\n");
        return 2;
    }
    hexz_reader *r;
    int rc = hexz_reader_open(&r, argv[1]);
    if (!rc && !hexz_reader_has_file_tree(r)) {
        fprintf(stderr, "list_tree: %s holds no file tree\n", argv[1]);
        hexz_reader_free(r);
        return 1;
    }
    hexz_file_info *fi = malloc(sizeof *fi); /* two paths inline: too big for a small stack */
    uint64_t n = rc ? 0 : hexz_reader_file_count(r);
    for (uint64_t i = 0; i < n && !rc; i++) {
        rc = fi ? hexz_reader_file_at(r, i, fi) : HEXZ_ENOMEM;
        if (rc) break;
        char kind = fi->type == HEXZ_FILE_DIR ? 'd' : fi->type == HEXZ_FILE_SYMLINK ? 'l' : '-';
        printf("%c%04o %10" PRIu64 " %s%s%s\n", kind, (unsigned)fi->mode, fi->size, fi->path,
               fi->type == HEXZ_FILE_SYMLINK ? " -> " : "", fi->target);
    }
    if (rc) fprintf(stderr, "list_tree: %s: %s\n", hexz_strerror(rc), hexz_last_error());
    free(fi);
    hexz_reader_free(r);
    return rc ? 1 : 0;
}
