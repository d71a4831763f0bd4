/*
 * cli_text.c - see cli_text.h: the escaping of names in text output, and the UTF-8 check it and
 * the JSON writer share.
 */
#include "cli_text.h"

#include <stdlib.h>
#include <string.h>

int cli_text_utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4) return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    /* Reject overlong forms, surrogates and code points above U+10FFFF. */
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0;
    if (n == 4 && s[0] == 0xF0 && s[1] < 0x90) return 0;
    if (n == 4 && s[0] == 0xF4 && s[1] >= 0x90) return 0;
    return n;
}

int cli_text_is_utf8(const char *str)
{
    for (const unsigned char *s = (const unsigned char *)str; *s;) {
        int n = cli_text_utf8_len(s);
        if (n == 0) return 0;
        s += n;
    }
    return 1;
}

/* The letter of a C escape for byte c, or 0. */
static char letter_of(unsigned char c)
{
    static const char from[] = "\a\b\t\n\v\f\r\\", to[] = "abtnvfr\\";
    const char *p = c ? strchr(from, c) : NULL;
    return p ? to[p - from] : 0;
}

/* Where escaped bytes go: a buffer (or nowhere, to count them), or a FILE. */
typedef struct {
    char *buf;
    FILE *f;
    size_t len;
} sink;

static void emit(sink *k, const void *p, size_t n)
{
    if (k->buf) memcpy(k->buf + k->len, p, n);
    if (k->f) fwrite(p, 1, n, k->f);
    k->len += n;
}

static void escape_to(sink *k, const char *str)
{
    for (const unsigned char *s = (const unsigned char *)str; *s;) {
        int n = cli_text_utf8_len(s);
        /* A C1 control is valid UTF-8 (C2 80..C2 9F) but a terminal may act on it: escaped. */
        int plain = n > 1 ? !(s[0] == 0xC2 && s[1] < 0xA0)
                          : n == 1 && s[0] >= 0x20 && s[0] < 0x7F && s[0] != '\\';
        if (plain) {
            emit(k, s, (size_t)n);
            s += n;
            continue;
        }
        /* Escape the bytes one by one: for a C1 control both, for invalid UTF-8 only the first
         * (the next byte starts its own sequence, valid or not). */
        int bytes = n > 1 ? n : 1;
        for (int i = 0; i < bytes; i++, s++) {
            char letter = letter_of(*s);
            char tmp[4] = {'\\', letter, 0, 0};
            if (!letter) {
                tmp[1] = (char)('0' + (*s >> 6));
                tmp[2] = (char)('0' + ((*s >> 3) & 7));
                tmp[3] = (char)('0' + (*s & 7));
            }
            emit(k, tmp, letter ? 2 : 4);
        }
    }
}

char *cli_text_escape(const char *s)
{
    sink count = {0};
    escape_to(&count, s);
    sink k = {.buf = malloc(count.len + 1)};
    if (!k.buf) return NULL;
    escape_to(&k, s);
    k.buf[k.len] = '\0';
    return k.buf;
}

void cli_text_put(FILE *f, const char *s)
{
    sink k = {.f = f};
    escape_to(&k, s);
}
