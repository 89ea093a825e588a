/* buf.h - growable byte buffer with a hard cap.
 *
 * Used for outgoing commands and for bytes read but not yet parsed. Every
 * growth is checked against the cap before it allocates (RELIABILITY rule 4).
 * The data is always NUL-terminated (the NUL is not counted in len) so text
 * can be handed to string functions, but it may hold NUL bytes itself.
 */
#ifndef IMAP4_UTIL_BUF_H
#define IMAP4_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct imap4_buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes held */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* limit on len; 0 means no limit */
};

void imap4_buf_init(struct imap4_buf *b, size_t cap);

/* Frees the storage. */
void imap4_buf_clear(struct imap4_buf *b);

/* Overwrites the bytes with zeros (for secrets), then frees them. */
void imap4_buf_wipe(struct imap4_buf *b);

/* Forgets the contents, keeps the storage. */
void imap4_buf_reset(struct imap4_buf *b);

/* The slow path of imap4_buf_reserve: grows the storage. */
int imap4_buf_grow(struct imap4_buf *b, size_t n);

/* Whether n more bytes (and the NUL) fit without growing or passing the
 * cap. len <= cap and len < alloc (once allocated) always hold. */
static inline int imap4_buf_has_room(const struct imap4_buf *b, size_t n)
{
	return b->alloc - b->len > n && (b->cap == 0 || n <= b->cap - b->len);
}

/* Makes room for n more bytes. 0, or IMAP4_ENOMEM / IMAP4_ELIMIT.
 * Inline: the parser and the converters append a few bytes at a time,
 * and the call was a tenth of a first sync's parsing. */
static inline int imap4_buf_reserve(struct imap4_buf *b, size_t n)
{
	return imap4_buf_has_room(b, n) ? 0 : imap4_buf_grow(b, n);
}

/* Appends; 0 or a negative IMAP4_E code, the buffer unchanged on error. */
int imap4_buf_append(struct imap4_buf *b, const void *p, size_t n);
int imap4_buf_puts(struct imap4_buf *b, const char *s);

static inline int imap4_buf_putc(struct imap4_buf *b, char c)
{
	if (!imap4_buf_has_room(b, 1))
		return imap4_buf_append(b, &c, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
	return 0;
}
int imap4_buf_printf(struct imap4_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int imap4_buf_vprintf(struct imap4_buf *b, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

/* Removes the first n bytes (n <= len). */
void imap4_buf_consume(struct imap4_buf *b, size_t n);

/* Hands the storage to the caller (free() it) and empties the buffer. With
 * an empty buffer it returns a freshly allocated "" or NULL on no memory. */
char *imap4_buf_steal(struct imap4_buf *b, size_t *len);

#endif
