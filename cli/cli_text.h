/*
 * cli_text.h - printing names that come from an archive (or from anywhere untrusted) so that
 * they can neither forge output lines nor reach the terminal as control sequences, and can be
 * turned back into the exact bytes.
 *
 * The text scheme (README.md, "Names in output"): valid UTF-8 other than control characters is
 * printed as is; a backslash is printed as `\\`; BEL, BS, TAB, LF, VT, FF and CR as `\a`, `\b`,
 * `\t`, `\n`, `\v`, `\f`, `\r`; every other byte of a C0 control, DEL, a C1 control (U+0080 to
 * U+009F) and every byte that is not part of valid UTF-8 as `\` and three octal digits (ESC is
 * `\033`, a lone 0xFF is `\377`). Every backslash in the output starts one of these escapes, so
 * the output decodes back to exactly the name's bytes.
 */
#ifndef HEXZ_CLI_TEXT_H
#define HEXZ_CLI_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Length (1..4) of the valid UTF-8 sequence at s (strict: no overlong forms, surrogates or code
 * points above U+10FFFF), or 0 if the bytes there are not one. s[0] must not be NUL. */
int cli_text_utf8_len(const unsigned char *s);

/* Is the whole NUL-terminated string valid UTF-8? */
int cli_text_is_utf8(const char *s);

/* Writes `s` to `f` in the text scheme above. */
void cli_text_put(FILE *f, const char *s);

/* `s` in the text scheme, malloc'd (NULL when out of memory). */
char *cli_text_escape(const char *s);

#endif
