/* ascii.h - how far a text runs in ASCII, eight bytes at a time.
 *
 * Header fields, flags, addresses and most bodies are ASCII, and each
 * codec steps over such a run before it looks at a byte of its own: the
 * spans below are that step, written once. The word-level pieces they are
 * made of are here too, for a scan that stops at other bytes (the control
 * characters of mime_text.c). Words are loaded with memcpy, so any
 * alignment is fine and no object is read through another type; nothing
 * is read past s + len. Internal to libimap4 and its in-tree users.
 */
#ifndef IMAP4_UTIL_ASCII_H
#define IMAP4_UTIL_ASCII_H

#include <stddef.h>
#include <stdint.h>

/* The length of the run of bytes below 0x80 that s[0..len) starts with
 * (len when every byte is one): NUL counts as ASCII. */
size_t imap4_ascii_span(const void *s, size_t len);

/* The length of the run of bytes 0x01..0x7f that s[0..len) starts with:
 * what passes unchanged through a codec whose output is a C string. */
size_t imap4_ascii_nonul_span(const void *s, size_t len);

#define IMAP4_ASCII_ONES 0x0101010101010101u
#define IMAP4_ASCII_HIGH 0x8080808080808080u

/* x (eight bytes in memory order, as memcpy loads them) with the high bit
 * of each byte below n (1 <= n <= 0x80) set and every other bit clear,
 * except that a borrow may also mark bytes above the lowest marked one:
 * the lowest mark is exact, and so is whether there is one. */
static inline uint64_t imap4_ascii_below(uint64_t x, unsigned n)
{
	return (x - IMAP4_ASCII_ONES * n) & ~x & IMAP4_ASCII_HIGH;
}

/* The offset in memory of the lowest byte marked in m (m != 0), marks as
 * imap4_ascii_below() or x & IMAP4_ASCII_HIGH make them; 0 where the byte
 * order is not known, which only makes the caller look at the bytes one at
 * a time from the start of the word. */
static inline size_t imap4_ascii_first(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	(void)m;
	return 0;
#endif
}

#endif
