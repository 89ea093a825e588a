/* fetch_prefix.c - which FETCH item a streamed literal belongs to.
 *
 * The prefix is raw response bytes, not yet parsed: this is a small scanner
 * of its own over RFC 9051's
 *	message-data = nz-number SP "FETCH" SP msg-att
 *	msg-att      = "(" item-name SP value *(SP item-name SP value) ")"
 * that skips values (atoms, quoted strings, literals, nested lists) until
 * the bytes end. It never recurses and never allocates, so a hostile
 * prefix costs one pass over its bytes.
 */
#include "proto/fetch.h"

#include "imap4.h"

#include <string.h>
#include <strings.h>

struct scan {
	const char *p, *end;
};

static bool eat(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || strncasecmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static int scan_nz32(struct scan *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		v = v * 10 + (uint64_t)(*s->p - '0');
		if (v > UINT32_MAX)
			return IMAP4_EPROTO;
		s->p++;
	}
	if (s->p == start || v == 0)
		return IMAP4_EPROTO;
	*out = (uint32_t)v;
	return 0;
}

/* An item name, with spaces allowed inside its brackets
 * ("BODY[HEADER.FIELDS (FROM TO)]<0>"). */
static int scan_name(struct scan *s, const char **name, size_t *len)
{
	const char *start = s->p;
	size_t brackets = 0;
	while (s->p < s->end) {
		char c = *s->p;
		if (c == '[')
			brackets++;
		else if (c == ']' && brackets > 0)
			brackets--;
		else if (brackets == 0 && (c == ' ' || c == '(' || c == ')'))
			break;
		else if (c == '\r' || c == '\n' || c == '"' || c == '{')
			return IMAP4_EPROTO;
		s->p++;
	}
	if (s->p == start || s->p == s->end)
		return IMAP4_EPROTO;
	*name = start;
	*len = (size_t)(s->p - start);
	return 0;
}

/* {n}CRLF and n bytes, or ~{n}CRLF (RFC 3516 literal8). */
static int skip_literal(struct scan *s)
{
	if (*s->p == '~')
		s->p++;
	s->p++;	/* '{' */
	uint64_t n = 0;
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (n > (UINT64_MAX - 9) / 10)
			return IMAP4_EPROTO;
		n = n * 10 + (uint64_t)(*s->p - '0');
		s->p++;
	}
	if (s->p == start || !eat(s, "}\r\n"))
		return IMAP4_EPROTO;
	if ((uint64_t)(s->end - s->p) < n)
		return IMAP4_EPROTO;
	s->p += n;
	return 0;
}

/* Skips one value. 1 when the prefix ends inside it where a literal may
 * start (after "(" or a space in a list), 0 when it was skipped whole. */
static int skip_value(struct scan *s)
{
	size_t depth = 0;
	for (;;) {
		if (s->p == s->end)
			return depth > 0 && (s->p[-1] == '(' || s->p[-1] == ' ')
				       ? 1
				       : IMAP4_EPROTO;
		char c = *s->p;
		if (c == '(') {
			depth++;
			s->p++;
			continue;
		}
		if (c == ')') {
			if (depth == 0)
				return IMAP4_EPROTO;
			depth--;
			s->p++;
		} else if (c == ' ') {
			if (depth == 0)
				return IMAP4_EPROTO;
			s->p++;
			continue;
		} else if (c == '"') {
			s->p++;
			while (s->p < s->end && *s->p != '"') {
				if (*s->p == '\\' && s->end - s->p > 1)
					s->p++;
				s->p++;
			}
			if (s->p == s->end)
				return IMAP4_EPROTO;
			s->p++;
		} else if (c == '{' || (c == '~' && s->end - s->p > 1 &&
					s->p[1] == '{')) {
			int rc = skip_literal(s);
			if (rc < 0)
				return rc;
		} else if (c == '\r' || c == '\n') {
			return IMAP4_EPROTO;
		} else {
			const char *start = s->p;
			while (s->p < s->end && *s->p != ' ' && *s->p != '(' &&
			       *s->p != ')' && *s->p != '\r' && *s->p != '\n')
				s->p++;
			/* an atom cut by the end of the prefix: no literal
			 * starts inside an atom */
			if (s->p == s->end || s->p == start)
				return IMAP4_EPROTO;
		}
		if (depth == 0)
			return 0;
	}
}

static int scan_prefix(uint32_t *seq, const char **name, size_t *namelen,
		       struct scan *s)
{
	if (!eat(s, "* "))
		return IMAP4_EPROTO;
	int rc = scan_nz32(s, seq);
	if (rc < 0)
		return rc;
	if (!eat(s, " FETCH ("))
		return IMAP4_EPROTO;
	for (;;) {
		rc = scan_name(s, name, namelen);
		if (rc < 0)
			return rc;
		if (!eat(s, " "))
			return IMAP4_EPROTO;
		if (s->p == s->end)
			return 0;	/* the literal is this item's value */
		rc = skip_value(s);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return 0;	/* the literal is inside the value */
		if (!eat(s, " "))
			return IMAP4_EPROTO;
	}
}

int imap4_fetch_prefix_parse(uint32_t *seq, char *item, size_t itemlen,
			     const char *prefix, size_t len)
{
	if (!seq || (!item && itemlen) || (!prefix && len))
		return IMAP4_EINVAL;
	*seq = 0;
	if (itemlen)
		item[0] = '\0';
	if (!prefix)
		return IMAP4_EPROTO;

	struct scan s = {prefix, prefix + len};
	uint32_t n = 0;
	const char *name = NULL;
	size_t namelen = 0;
	int rc = scan_prefix(&n, &name, &namelen, &s);
	if (rc < 0)
		return rc;
	if (namelen >= itemlen)
		return IMAP4_ELIMIT;
	memcpy(item, name, namelen);
	item[namelen] = '\0';
	*seq = n;
	return 0;
}
