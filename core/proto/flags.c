/* flags.c - imaplib's Int2AP and ParseFlags. */
#include "imap4.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void imap4_int2ap(char buf[static 17], uint64_t num)
{
	static const char ap[16] = "ABCDEFGHIJKLMNOP";
	char tmp[16];
	size_t n = 0;

	/* As imaplib: 0 gives the empty string. */
	while (num) {
		tmp[n++] = ap[num & 15];
		num >>= 4;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* bytes.split()'s whitespace */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* imaplib matches r'.*FLAGS \((?P<flags>[^\)]*)\)' from the start of the
 * response: the greedy ".*" cannot cross a newline, so "FLAGS (" must be on
 * the first line, and the last such place followed by a ")" wins. The
 * flags themselves may run over lines. */
static const char *find_flags(const char *s, const char **close)
{
	const char *nl = strchr(s, '\n');
	const char *line_end = nl ? nl : s + strlen(s);
	const char *best = NULL, *best_close = NULL;

	for (const char *p = s; (p = strstr(p, "FLAGS (")) && p < line_end;
	     p++) {
		const char *c = strchr(p + 7, ')');
		if (!c)
			break; /* no later candidate has one either */
		best = p + 7;
		best_close = c;
	}
	*close = best_close;
	return best;
}

int imap4_parse_flags(char ***out, size_t *count, const char *s)
{
	const char *open, *close = NULL;
	size_t n = 0, bytes = 0;

	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	if (count)
		*count = 0;
	if (!s)
		return IMAP4_EINVAL;
	open = find_flags(s, &close);
	if (!open)
		open = close = s; /* no match: an empty tuple */

	for (const char *p = open; p < close;) {
		while (p < close && is_space(*p))
			p++;
		if (p == close)
			break;
		const char *w = p;
		while (p < close && !is_space(*p))
			p++;
		n++;
		bytes += (size_t)(p - w) + 1;
	}

	/* One block: the pointer array, then the strings it points to. */
	char **v = malloc((n + 1) * sizeof(char *) + bytes);
	if (!v)
		return IMAP4_ENOMEM;
	char *dst = (char *)(v + n + 1);
	size_t i = 0;
	for (const char *p = open; p < close;) {
		while (p < close && is_space(*p))
			p++;
		if (p == close)
			break;
		const char *w = p;
		while (p < close && !is_space(*p))
			p++;
		v[i++] = dst;
		memcpy(dst, w, (size_t)(p - w));
		dst += p - w;
		*dst++ = '\0';
	}
	v[i] = NULL;
	*out = v;
	if (count)
		*count = n;
	return 0;
}
