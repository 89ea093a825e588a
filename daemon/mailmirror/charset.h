/* charset.h - the terminal's character set, as the locale tells it.
 *
 * The cache holds UTF-8, and so does everything mailmirror builds to
 * print. Three kinds of locale meet it:
 * - a UTF-8 locale: printed as it is;
 * - the C or POSIX locale (ASCII), which cron jobs, ssh sessions and
 *   containers often run under while their terminal shows UTF-8: printed
 *   as UTF-8 all the same, but a character's width in cells is UTF-8's
 *   (wcwidth in the C locale calls every non-ASCII character 1 cell, and
 *   tables of CJK names overflowed their lines, explore42);
 * - any other (ISO-8859-1, KOI8-R, ...): text is cut down to the
 *   characters that set has (transliterated where the C library can,
 *   "?" where not) and written in it. Written as UTF-8, its bytes 0x80 to
 *   0x9F are C1 controls to such a terminal (0x9B is CSI, explore42).
 *   JSON stays UTF-8 by its standard, with every non-ASCII character
 *   \u-escaped, so that it is ASCII to the terminal as well.
 */
#ifndef MAILMIRROR_CHARSET_H
#define MAILMIRROR_CHARSET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Reads the locale's character set (LC_CTYPE, after setlocale). Without
 * it, the rest behave as under a UTF-8 locale. 0, or -1 when the C
 * library cannot convert to that set (then printed as UTF-8). */
int charset_init(void);

/* Whether the terminal's set is neither UTF-8 nor ASCII: text is cut down
 * by charset_fit and written through charset_stream. */
bool charset_converts(void);

/* How many cells code point c takes on a terminal: 0, 1 or 2; -1 for a
 * character that has no width (wcwidth's answer, in a UTF-8 locale). */
int charset_cells(uint32_t c);

/* A copy of the UTF-8 text s holding only characters of the terminal's
 * set (charset_converts), still as UTF-8; the caller frees it. NULL when
 * out of memory. Under other locales, a plain copy. */
char *charset_fit(const char *s);

/* A stream that writes to f in the terminal's set what is written to it
 * in UTF-8 (charset_converts), or f itself. NULL when out of memory. Closing
 * it flushes it and leaves f open. */
FILE *charset_stream(FILE *f);

#endif
