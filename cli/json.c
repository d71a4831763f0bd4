/*
 * json.c - see json.h.
 */
#include "json.h"
#include "cli_text.h"

#include <inttypes.h>
#include <math.h>

void json_init(json_writer *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->count[0] = 0;
    w->after_key = 0;
}

void json_finish(json_writer *w)
{
    fputc('\n', w->f);
}

static void indent(json_writer *w)
{
    fputc('\n', w->f);
    for (int i = 0; i < w->depth; i++) fputs("  ", w->f);
}

/* Emits what goes before a value: nothing after a key, else a comma and a new line. */
static void before_value(json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->count[w->depth] > 0) fputc(',', w->f);
    if (w->depth > 0) indent(w);
    w->count[w->depth]++;
}

static void open_container(json_writer *w, char c)
{
    before_value(w);
    fputc(c, w->f);
    if (w->depth + 1 < JSON_MAX_DEPTH) w->depth++;
    w->count[w->depth] = 0;
}

static void close_container(json_writer *w, char c)
{
    int had_values = w->count[w->depth] > 0;
    if (w->depth > 0) w->depth--;
    if (had_values) indent(w);
    fputc(c, w->f);
}

void json_begin_object(json_writer *w)
{
    open_container(w, '{');
}
void json_end_object(json_writer *w)
{
    close_container(w, '}');
}
void json_begin_array(json_writer *w)
{
    open_container(w, '[');
}
void json_end_array(json_writer *w)
{
    close_container(w, ']');
}

/* A JSON string that decodes to exactly the bytes of `str`: valid UTF-8 as is (with `"`, `\` and
 * control characters escaped, C1 controls included), and each byte that is not part of valid
 * UTF-8 as the lone surrogate \udcXX (XX = the byte, 80..ff), which Python's json module reads
 * and str.encode('utf-8', 'surrogateescape') turns back into the byte. */
static void write_escaped(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        int n = cli_text_utf8_len(s);
        if (n == 0) {
            fprintf(f, "\\udc%02x", *s++);
        } else if (*s == '"' || *s == '\\') {
            fputc('\\', f);
            fputc(*s++, f);
        } else if (*s < 0x20 || *s == 0x7F) {
            fprintf(f, "\\u%04x", *s++);
        } else if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) {
            fprintf(f, "\\u%04x", s[1]);
            s += 2;
        } else {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        }
    }
    fputc('"', f);
}

void json_key(json_writer *w, const char *key)
{
    before_value(w);
    write_escaped(w->f, key);
    fputs(": ", w->f);
    w->after_key = 1;
}

void json_string(json_writer *w, const char *s)
{
    before_value(w);
    write_escaped(w->f, s);
}

void json_u64(json_writer *w, uint64_t v)
{
    before_value(w);
    fprintf(w->f, "%" PRIu64, v);
}

void json_i64(json_writer *w, int64_t v)
{
    before_value(w);
    fprintf(w->f, "%" PRId64, v);
}

void json_fixed(json_writer *w, double v, int decimals)
{
    before_value(w);
    fprintf(w->f, "%.*f", decimals, isfinite(v) ? v : 0.0);
}

void json_bool(json_writer *w, int v)
{
    before_value(w);
    fputs(v ? "true" : "false", w->f);
}

void json_kv_string(json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_u64(json_writer *w, const char *key, uint64_t v)
{
    json_key(w, key);
    json_u64(w, v);
}

void json_kv_i64(json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_i64(w, v);
}

void json_kv_name(json_writer *w, const char *key, const char *name)
{
    json_kv_string(w, key, name);
    if (cli_text_is_utf8(name)) return;
    char hkey[64];
    snprintf(hkey, sizeof hkey, "%s_hex", key);
    json_key(w, hkey);
    before_value(w);
    fputc('"', w->f);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) fprintf(w->f, "%02x", *p);
    fputc('"', w->f);
}
