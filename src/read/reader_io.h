/*
 * reader_io.h - the reader's lowest helpers (reader_io.c): exact reads of the archive and
 * unsealing encrypted metadata. Every file of read/ that reads bytes uses them; they call
 * nothing else in read/.
 */
#ifndef HX_READER_IO_H
#define HX_READER_IO_H

#include <stddef.h>
#include <stdint.h>

#include "hexz.h"

/* Decrypts sealed metadata in[0..len) into a malloc'd *out (len - 40 bytes) when the archive is
 * encrypted (associated data: domain, archive id, a, b); otherwise copies nothing and sets *out
 * to NULL. `what` names the structure in messages. */
int hx_reader_unseal(hexz_reader *r, const uint8_t *in, size_t len, const char *domain, uint32_t a,
                     uint32_t b, uint8_t **out, const char *what);
/* pread exactly len bytes at off, or fail naming the file. */
int hx_pread_exact(hexz_reader *r, void *buf, size_t len, uint64_t off);

#endif
