/* quote.h - server bytes shown to people.
 *
 * Error messages quote what a server sent ("a malformed response: ..."),
 * and those bytes are untrusted: a terminal escape or a forged line break
 * must not reach a log or a screen as such.
 */
#ifndef IMAP4_UTIL_QUOTE_H
#define IMAP4_UTIL_QUOTE_H

#include <stddef.h>

/* Writes the start of src (len bytes, up to its first CR or LF) into dst
 * (cap > 0 bytes, always NUL-terminated), as C would quote it: '"' and '\'
 * after a backslash (a quoted excerpt of IMAP is full of both, and \x22
 * made it hard to read), control bytes and bytes above 0x7e as \xHH.
 * Stops before a character that would not fit whole. Returns the number
 * of bytes of src shown. */
size_t imap4_quote_start(char *dst, size_t cap, const char *src, size_t len);

/* As imap4_quote_start, but CR and LF do not end it: they are shown as \r
 * and \n, so that an excerpt across line ends (where a response broke)
 * still makes one line. A byte needs 4 characters at most: cap 4 * len + 1
 * shows all of src. */
size_t imap4_quote_bytes(char *dst, size_t cap, const char *src, size_t len);

/* Writes src (len bytes) into dst as an IMAP quoted string: between
 * double quotes, '"' and '\' after a backslash, and each CR, LF and NUL
 * as a space, which no quoted string can hold. Other bytes, 8-bit ones
 * among them, are kept. dst NULL only measures; dst is not NUL-terminated.
 * Returns the length written, at most 2 * len + 2. */
size_t imap4_quote_imap(char *dst, const char *src, size_t len);

/* Turns each CR, LF and NUL of s[0..len) into a space: what the library
 * hands out as text is one line that no NUL cuts short. */
void imap4_quote_scrub(char *s, size_t len);

#endif
