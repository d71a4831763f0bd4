/*
 * json.h - a tiny streaming JSON writer for the --json output of 'hexz ls' and 'hexz inspect':
 * objects, arrays, strings, integers, fixed-point numbers and booleans, pretty-printed with
 * two-space indentation.
 *
 * Strings decode to exactly their bytes: valid UTF-8 is written as is (control characters,
 * C1 included, as \u00XX), and a byte that is not part of valid UTF-8 as the lone surrogate
 * \udcXX, as Python's "surrogateescape" does. Names (json_kv_name) that are not valid UTF-8 also
 * get a "KEY_hex" member with their bytes in hex, for readers that replace lone surrogates.
 */
#ifndef HEXZ_CLI_JSON_H
#define HEXZ_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct {
    FILE *f;
    int depth;
    int count[JSON_MAX_DEPTH]; /* values written so far at each depth */
    int after_key;             /* a key was just written; its value follows on the same line */
} json_writer;

void json_init(json_writer *w, FILE *f);
/* Ends the document with a newline. */
void json_finish(json_writer *w);

void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);

/* Inside an object: the key of the next value. */
void json_key(json_writer *w, const char *key);

void json_string(json_writer *w, const char *s);
void json_u64(json_writer *w, uint64_t v);
void json_i64(json_writer *w, int64_t v);
/* A finite number with `decimals` digits after the point (non-finite values become 0). */
void json_fixed(json_writer *w, double v, int decimals);
/* true or false. */
void json_bool(json_writer *w, int v);

/* Shorthands for a key and its value. */
void json_kv_string(json_writer *w, const char *key, const char *s);
void json_kv_u64(json_writer *w, const char *key, uint64_t v);
void json_kv_i64(json_writer *w, const char *key, int64_t v);
/* A name from an archive or the command line: "KEY": the string, and when it is not valid UTF-8
 * also "KEY_hex": its bytes as lower-case hex. */
void json_kv_name(json_writer *w, const char *key, const char *name);

#endif
