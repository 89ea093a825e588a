/* charset.h - MIME charset labels to UTF-8, for header words (rfc2047.c)
 * and message bodies (mime_text.c). Internal to libimap4.
 *
 * Labels are matched case-insensitively and mapped to the supersets that
 * senders actually use, as WHATWG's Encoding Standard does ("iso-8859-1"
 * decodes as windows-1252, "gb2312" as GB18030, ...). UTF-8 and the
 * Latin-1 family are decoded here; everything else goes through iconv. A
 * label with characters outside [A-Za-z0-9._:+-] or longer than
 * IMAP4_CHARSET_MAX is unknown (so that no iconv suffix like "//IGNORE"
 * can be smuggled in).
 */
#ifndef IMAP4_PROTO_CHARSET_H
#define IMAP4_PROTO_CHARSET_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP4_CHARSET_MAX 40

/* Strict, in one piece: converts len bytes labelled label to UTF-8,
 * appended to out. 1 done; 0 when the label is unknown or the bytes are
 * not valid in it (out unchanged); IMAP4_ENOMEM / IMAP4_ELIMIT (out
 * unchanged). */
int imap4_charset_convert(struct imap4_buf *out, const char *label,
                          const char *bytes, size_t len);

/* Lenient and incremental, for text that must be shown whatever it holds.
 * The struct is the caller's; its fields are private. */
struct imap4_charset_stream {
	int kind;
	void *cd;    /* iconv_t, or NULL */
	size_t unit; /* UTF-16 (2) or UTF-32 (4) before its order is known */
	size_t step; /* bytes stepped over where iconv finds no character */
	bool shifts; /* UTF-7: a bad byte ends a base64 run */
};

/* Prepares a stream for label (NULL or "" when the text has none: then, as
 * for "us-ascii", bytes that are valid UTF-8 are read as UTF-8 and any
 * other byte as windows-1252, which is what unlabelled 8-bit mail holds).
 * 1 when the label is known; 0 when it is not, and the stream then reads
 * the text as it reads unlabelled text; IMAP4_ENOMEM. Pair every call
 * with imap4_charset_stream_close(), whatever it returned. */
int imap4_charset_stream_open(struct imap4_charset_stream *cs,
                              const char *label);

/* Appends the UTF-8 form of in[0..len) to out: always valid UTF-8, every
 * NUL and every byte that does not decode replaced by U+FFFD. Unless last,
 * a sequence cut by the end of in is left unconsumed for the next call;
 * *used says how many bytes were consumed (all of them when last). 0, or
 * IMAP4_ENOMEM / IMAP4_ELIMIT (out may then hold part of the text). */
int imap4_charset_stream_feed(struct imap4_charset_stream *cs,
                              struct imap4_buf *out, const char *in, size_t len,
                              bool last, size_t *used);

/* How many bytes at the start of in[0..len) the stream would turn into
 * themselves (text without NUL that is ASCII, or for UTF-8 and unlabelled
 * text valid UTF-8; never a sequence the end cuts): a caller may take them
 * as they are and feed only the rest. Reads in, changes nothing. */
size_t imap4_charset_stream_same(const struct imap4_charset_stream *cs,
                                 const char *in, size_t len);

/* imap4_charset_stream_same(), stopping also before an invisible character
 * (imap4_utf8_invisible()) that the stream reads as it is: its length is
 * then in *skip, else *skip is 0. The text extractor steps over it there,
 * in the pass that finds the text it can take as it is. */
size_t imap4_charset_stream_visible(const struct imap4_charset_stream *cs,
                                    const char *in, size_t len, size_t *skip);

void imap4_charset_stream_close(struct imap4_charset_stream *cs);

/* Appends in[0..len), text without a label (raw 8-bit header bytes), as an
 * unlabelled stream reads it: valid UTF-8 kept, any other byte read as
 * windows-1252, NUL replaced by U+FFFD. 0, or IMAP4_ENOMEM /
 * IMAP4_ELIMIT (out may then hold part of the text). */
int imap4_charset_auto_append(struct imap4_buf *out, const char *in,
                              size_t len);

/* Appends in[0..len), raw header text (the bytes around any encoded-word,
 * which say nothing of their charset), as mail readers read it:
 * - with an escape that designates a double-byte set ("ESC $ B") and no
 *   8-bit byte, as ISO-2022-JP(-2), which old Japanese mail sends raw;
 * - else, when valid UTF-8, as it is;
 * - else, when hint (the charset the message declares for its text,
 *   imap4_envelope.charset; NULL for none) is an ASCII-compatible charset
 *   in which all of in is valid, in hint;
 * - else as imap4_charset_auto_append() reads it.
 * Always valid UTF-8, NUL as U+FFFD. 0, or IMAP4_ENOMEM / IMAP4_ELIMIT
 * (out may then hold part of the text). */
int imap4_charset_header_append(struct imap4_buf *out, const char *in,
                                size_t len, const char *hint);

/* Whether imap4_charset_header_append() reads in[0..len) otherwise than
 * as it is: it is not valid UTF-8, or it holds an ISO-2022 escape. */
bool imap4_charset_header_raw(const char *in, size_t len);

/* The code point of byte c in windows-1252 (HTML numeric references in
 * 0x80..0x9F mean these too). */
uint32_t imap4_charset_cp1252(unsigned char c);

#endif
