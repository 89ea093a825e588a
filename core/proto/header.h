/* header.h - reading the fields of a message's header (RFC 5322).
 *
 * envelope_header.c splits a header into its fields and builds the
 * ENVELOPE a server would send for it; address.c reads the address lists
 * among them. Everything is allocated in the caller's arena; the only
 * error is IMAP4_ENOMEM (out of memory or the arena's cap).
 */
#ifndef IMAP4_PROTO_HEADER_H
#define IMAP4_PROTO_HEADER_H

#include "imap4.h"
#include "proto/charset.h"
#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>

/* The end of the RFC 5322 comment that starts at p ("("): past its ")",
 * with nested comments and quoted pairs; end when it is not closed (with
 * end NULL, p is a C string and its NUL the end). *closed (when not NULL)
 * tells which. */
const char *imap4_comment_end(const char *p, const char *end, bool *closed);

/* Appends the addresses of the RFC 5322 address list in the n bytes at v
 * (a field's value, folded or not) at *tail, the next pointer of the last
 * address so far, and moves *tail to that of the new last one. */
int imap4_address_list_parse(const imap4_address ***tail,
                             struct imap4_arena *arena, const char *v,
                             size_t n);

/* The charset a message declares for its text (header_charset.c), into
 * label: the charset parameter of its Content-Type value ctype[0..n),
 * else, for a multipart message, that of its first text part that names
 * one, when its body is the body_len bytes at body (NULL: not at hand).
 * true when there is one; label is then a C string. */
bool imap4_header_charset(char label[IMAP4_CHARSET_MAX + 1], const char *ctype,
                          size_t ctype_len, const char *body, size_t body_len);

#endif
