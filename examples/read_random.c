/*
 * read_random.c - random reads: opens an archive and prints `len` bytes of a stream at
 * `offset`, decompressing only the blocks that hold them. Usage:
 * read_random ARCHIVE STREAM OFFSET LEN
 */
#include <stdio.h>
#include <stdlib.h>

#include <hexz.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: read_random ARCHIVE STREAM OFFSET LEN\n");
        return 2;
    }
    uint64_t offset = strtoull(argv[3], NULL, 10);
    size_t len = (size_t)strtoull(argv[4], NULL, 10);
    /* Options through their _INIT macro: built against an older header, this struct is the
     * older, smaller version, and a newer library reads only that much of it. */
    hexz_open_options opts = HEXZ_OPEN_OPTIONS_INIT;
    hexz_reader *r = NULL;
    int rc = hexz_reader_open_opts(&r, argv[1], &opts);
    unsigned stream = 0;
    if (!rc) rc = hexz_reader_find_stream(r, argv[2], &stream);
    char *buf = malloc(len ? len : 1);
    size_t got = 0;
    if (!rc) rc = buf ? hexz_reader_read_at(r, stream, buf, len, offset, &got) : HEXZ_ENOMEM;
    if (!rc) fwrite(buf, 1, got, stdout);
    if (rc) fprintf(stderr, "read_random: %s: %s\n", hexz_strerror(rc), hexz_last_error());
    free(buf);
    hexz_reader_free(r);
    return rc ? 1 : 0;
}
