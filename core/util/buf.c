/* buf.c - growable byte buffer; see buf.h for the contract. */
#include "util/buf.h"

#include "imap4.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void imap4_buf_init(struct imap4_buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void imap4_buf_clear(struct imap4_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void imap4_buf_wipe(struct imap4_buf *b)
{
	if (b->data)
		imap4_memzero(b->data, b->alloc);
	imap4_buf_clear(b);
}

void imap4_buf_reset(struct imap4_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int imap4_buf_grow(struct imap4_buf *b, size_t n)
{
	if (n > SIZE_MAX - 1 - b->len)
		return IMAP4_ELIMIT;
	size_t need = b->len + n + 1;
	if (b->cap && need - 1 > b->cap)
		return IMAP4_ELIMIT;
	if (need <= b->alloc)
		return 0;
	size_t alloc = b->alloc ? b->alloc : 256;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	char *p = realloc(b->data, alloc);
	if (!p)
		return IMAP4_ENOMEM;
	b->data = p;
	b->alloc = alloc;
	return 0;
}

int imap4_buf_append(struct imap4_buf *b, const void *p, size_t n)
{
	int rc = imap4_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int imap4_buf_puts(struct imap4_buf *b, const char *s)
{
	return imap4_buf_append(b, s, strlen(s));
}

int imap4_buf_vprintf(struct imap4_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return IMAP4_EINVAL;
	int rc = imap4_buf_reserve(b, (size_t)n);
	if (rc < 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int imap4_buf_printf(struct imap4_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = imap4_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void imap4_buf_consume(struct imap4_buf *b, size_t n)
{
	if (n >= b->len) {
		imap4_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *imap4_buf_steal(struct imap4_buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}
