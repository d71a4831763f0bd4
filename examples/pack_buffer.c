/*
 * pack_buffer.c - packs bytes held in memory into an archive with the streaming writer: a
 * "main" stream written in pieces, a run of zeros that costs nothing, and a second named
 * stream. Usage: pack_buffer OUT.hxz
 */
#include <stdio.h>
#include <string.h>

#include <hexz.h>

static int fail(const char *what, int rc)
{
    fprintf(stderr, "pack_buffer: %s: %s (%s)\n", what, hexz_strerror(rc), hexz_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pack_buffer OUT.hxz\n");
        return 2;
    }
    hexz_write_options opts = HEXZ_WRITE_OPTIONS_INIT;
    opts.codec = HEXZ_CODEC_ZSTD;
    hexz_writer *w;
    int rc = hexz_writer_create(&w, argv[1], &opts);
    if (rc) return fail(argv[1], rc);
    static char line[64];
    for (int i = 0; i < 100000 && !rc; i++) { /* ~3 MiB of text, written line by line */
        int n = snprintf(line, sizeof line, "record %d of the example\n", i);
        rc = hexz_writer_write(w, line, (size_t)n);
    }
    if (!rc) rc = hexz_writer_write_zeros(w, 64u << 20); /* a 64 MiB hole */
    if (!rc) rc = hexz_writer_begin_stream(w, "notes");
    if (!rc) rc = hexz_writer_write(w, "a second stream\n", 16);
    if (!rc) rc = hexz_writer_finish(w); /* the archive appears only now, atomically */
    hexz_writer_free(w);
    if (rc) return fail(argv[1], rc);
    printf("wrote %s\n", argv[1]);
    return 0;
}
