/* hex.h - the value of a hexadecimal digit, for the codecs that decode
 * %XX and =XX escapes (RFC 2047 Q, RFC 2045 quoted-printable, RFC 2231).
 * Internal to libimap4. */
#ifndef IMAP4_PROTO_HEX_H
#define IMAP4_PROTO_HEX_H

/* 0..15, or -1 when c is not a hexadecimal digit (either case). */
static inline int imap4_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#endif
