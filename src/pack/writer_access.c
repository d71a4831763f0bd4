/*
 * writer_access.c - the accessors of writer.h: what the layer above (src/ops/) reads or sets of
 * a hexz_writer, so that it never touches the struct's fields (pack/writer_impl.h).
 */
#include "pack/writer_impl.h"

const char *hx_writer_path(const hexz_writer *w)
{
    return w->out.dest;
}

int hx_writer_out_fd(const hexz_writer *w)
{
    return w->out.fd;
}

void hx_writer_set_tree(hexz_writer *w)
{
    w->tree = 1;
}

void hx_writer_set_bytes_total(hexz_writer *w, uint64_t total)
{
    w->progress.bytes_total = total;
}

int hx_writer_check_source(hexz_writer *w, int fd)
{
    return hx_outfile_check_source(&w->out, fd);
}
