/* mime_internal.h - the pieces of the MIME text extractor (mime_text.c)
 * that live in their own files: the sink and plain text (mime_sink.c),
 * transfer decoding (mime_decode.c), header field values (mime_field.c),
 * HTML to text (mime_html.c, with its references in mime_entity.c) and
 * format=flowed text (mime_flowed.c). Internal to those files.
 *
 * Every function here takes bytes from a message, hence from anyone: none
 * reads outside the span it is given, none fails on what it cannot parse.
 */
#ifndef IMAP4_PROTO_MIME_INTERNAL_H
#define IMAP4_PROTO_MIME_INTERNAL_H

#include "proto/charset.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ output */

/* Where the text goes: out[start..) is ours, and never grows past limit
 * bytes. Parts are separated by one blank line, written only when the
 * next part has text, so that empty parts leave no trace. */
struct mime_sink {
	struct imap4_buf *out;
	size_t start;
	size_t limit;
	bool cut;        /* a write was cut short at limit */
	bool part_begun; /* a part began and has written nothing yet */
};

/* Appends p[0..n), valid UTF-8 without NUL. Newlines that begin a part
 * are dropped. 0; 1 when the limit cut the text (on a character boundary;
 * every later call also returns 1); IMAP4_ENOMEM / IMAP4_ELIMIT. */
int imap4_mime_sink_put(struct mime_sink *s, const char *p, size_t n);

/* Starts a new part: its first text is set off by a blank line. */
void imap4_mime_sink_part(struct mime_sink *s);

/* Drops the line ends and blanks that end the sink's text. */
void imap4_mime_sink_trim(struct mime_sink *s);

/* Plain text into the sink (mime_sink.c): line ends become LF, other
 * control characters but tab a space. *cr: the previous piece ended in
 * CR, whose LF may start this one. As imap4_mime_sink_put. */
int imap4_mime_plain_feed(struct mime_sink *s, bool *cr, const char *p,
                          size_t n);

/* --------------------------------------------------------- decoding */

/* A base64 decoder's bits between pieces. */
struct mime_base64 {
	uint32_t bits;
	unsigned nbits;
};

/* Appends the decoding of p[0..n) to out (mime_decode.c): base64 whose
 * groups may be cut between calls (st carries them), or quoted-printable
 * whose p ends at a line end or the end of the part. 0, or
 * IMAP4_ENOMEM / IMAP4_ELIMIT. */
int imap4_mime_base64_decode(struct imap4_buf *out, struct mime_base64 *st,
                             const char *p, size_t n);
int imap4_mime_qp_decode(struct imap4_buf *out, const char *p, size_t n);

/* ------------------------------------------------------------ fields */

/* RFC 2046 5.1.1: 1 to 70 characters. */
#define MIME_BOUNDARY_MAX 70

/* The parts of a Content-Type value that steer the extraction. Type and
 * subtype are lower-cased, "" when absent or unreasonably long. */
struct mime_type {
	char type[16];
	char subtype[48];
	char boundary[MIME_BOUNDARY_MAX + 1]; /* "" when absent or invalid */
	char charset[IMAP4_CHARSET_MAX + 1];  /* "" when absent or invalid */
	bool flowed;                          /* format=flowed (RFC 3676) */
	bool delsp;                           /* and DelSp=yes */
};

enum mime_cte {
	MIME_CTE_IDENTITY, /* 7bit, 8bit, binary, and the unknown */
	MIME_CTE_QP,
	MIME_CTE_BASE64,
};

/* Parses a Content-Type value v[0..n) (unfolded or not). */
void imap4_mime_type_parse(struct mime_type *t, const char *v, size_t n);

/* The Content-Transfer-Encoding named by v[0..n). */
enum mime_cte imap4_mime_cte_parse(const char *v, size_t n);

/* Whether the Content-Disposition value v[0..n) says "attachment". */
bool imap4_mime_disposition_is_attachment(const char *v, size_t n);

/* Appends the file name of a part to out, decoded to UTF-8 (RFC 2231
 * sections and charset, or RFC 2047 words as some senders use), on one
 * line: the filename parameter of Content-Disposition (disp), else the
 * name parameter of Content-Type (ctype); either may be NULL. 1 when a
 * name was appended, 0 when there is none (out unchanged), IMAP4_ENOMEM /
 * IMAP4_ELIMIT (out may hold part of the name). */
int imap4_mime_filename(struct imap4_buf *out, const char *ctype,
                        size_t ctype_len, const char *disp, size_t disp_len);

/* -------------------------------------------------------------- html */

/* The state of one text/html part being turned into text; resumable at
 * any byte, so that the part can be fed in pieces. */
struct mime_html {
	int state;
	int quote;          /* in a quoted attribute value: its quote */
	unsigned dashes;    /* in a comment: "-" seen before a ">" */
	unsigned matched;   /* in a script or style: bytes of its end tag */
	const char *rawend; /* that end tag, "</script" or "</style" */
	bool closing;       /* the tag is an end tag */
	bool any;           /* text was written for this part */
	bool space;         /* white space is pending */
	unsigned newlines;  /* line breaks pending (at most 2) */
	unsigned pre;       /* depth of <pre> */
	uint32_t num;       /* the value of a numeric reference, saturated */
	bool hex, digits;   /* its form, and whether a digit came */
	unsigned name_len;
	char name[12]; /* tag name, lower-cased, or reference as written */
};

void imap4_mime_html_init(struct mime_html *h);

/* Turns p[0..n) (valid UTF-8 without NUL) into text written to s. 0, 1
 * when s cut the text, or IMAP4_ENOMEM / IMAP4_ELIMIT. */
int imap4_mime_html_feed(struct mime_html *h, struct mime_sink *s,
                         const char *p, size_t n);

/* Ends the part: writes what an unfinished entity or tag still holds,
 * or with cut (the message was cut there, so that they are fragments of
 * what the sender wrote) drops it. */
int imap4_mime_html_finish(struct mime_html *h, struct mime_sink *s, bool cut);

/* How many bytes of an HTML part the charset of a <meta> is looked for in
 * (the HTML standard's prescan looks at as many). */
#define MIME_HTML_PRESCAN 1024

/* The charset a <meta charset=...> or <meta http-equiv=Content-Type
 * content="...; charset=..."> in p[0..n) names, into label (labelsz
 * bytes, at least 2): true when one was found. For a part whose
 * Content-Type names none: browsers read such mail by it. */
bool imap4_mime_html_meta_charset(const char *p, size_t n, char *label,
                                  size_t labelsz);

/* The code point of the named character reference name[0..n) (without
 * "&" and ";"), 0 when it is not one of the table's (mime_entity.c). */
uint32_t imap4_mime_entity_find(const char *name, size_t n);

/* The longest prefix of name[0..n) that is a reference the HTML Living
 * Standard takes without its ";" (the legacy ones: Latin-1's and & < > "):
 * its length, with its code point in *cp; 0 when there is none. */
size_t imap4_mime_entity_legacy(const char *name, size_t n, uint32_t *cp);

/* ----------------------------------------------------------- flowed */

/* The state of one format=flowed text/plain part being unwrapped;
 * resumable at any byte. */
struct mime_flowed {
	bool delsp;
	bool bol;       /* at a line start: its quote marks are counted */
	bool joining;   /* the line before was flowed */
	unsigned depth; /* the line's quote depth */
	unsigned prev;  /* that of the flowed line before */
	size_t len;     /* the line's content so far, in bytes */
	char head[4];   /* its first bytes: is it the signature's "-- "? */
	unsigned carry_len;
	char carry[2]; /* " ", "\r" or " \r" that end a piece mid-line */
};

void imap4_mime_flowed_init(struct mime_flowed *f, bool delsp);

/* Appends the unwrapped form of p[0..n) (UTF-8) to out: about n bytes at
 * most (a line's quote marks may be written again, up to 64 of them, and
 * a line end; stuffing and soft breaks go). 0, or IMAP4_ENOMEM /
 * IMAP4_ELIMIT. */
int imap4_mime_flowed_feed(struct mime_flowed *f, struct imap4_buf *out,
                           const char *p, size_t n);

/* Ends the part: appends what the state still holds. */
int imap4_mime_flowed_finish(struct mime_flowed *f, struct imap4_buf *out);

#endif
