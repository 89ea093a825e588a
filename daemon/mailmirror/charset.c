/* charset.c - the terminal's character set (charset.h). */
#include "mailmirror/charset.h"

#include <errno.h>
#include <iconv.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

enum kind {
	KIND_UTF8,    /* also before charset_init */
	KIND_ASCII,   /* the C locale: UTF-8 out, UTF-8's widths */
	KIND_CONVERT, /* another set: converted */
};

static struct {
	enum kind kind;
	locale_t utf8; /* C.UTF-8, for widths outside a UTF-8 locale */
	iconv_t to;    /* UTF-8 to the set, transliterating */
	iconv_t from;  /* the set to UTF-8 */
	iconv_t exact; /* UTF-8 to the set, for the stream */
} cs = {KIND_UTF8, (locale_t)0, (iconv_t)-1, (iconv_t)-1, (iconv_t)-1};

static void close_all(void)
{
	iconv_t *cds[] = {&cs.to, &cs.from, &cs.exact};
	for (size_t i = 0; i < 3; i++)
		if (*cds[i] != (iconv_t)-1) {
			iconv_close(*cds[i]);
			*cds[i] = (iconv_t)-1;
		}
}

int charset_init(void)
{
	const char *set = nl_langinfo(CODESET);
	char translit[96];

	close_all();
	if (strcmp(set, "UTF-8") == 0) {
		cs.kind = KIND_UTF8;
		return 0;
	}
	if (cs.utf8 == (locale_t)0)
		cs.utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	cs.kind = KIND_ASCII;
	if (strcmp(set, "ANSI_X3.4-1968") == 0)
		return 0;
	snprintf(translit, sizeof(translit), "%s//TRANSLIT", set);
	cs.to = iconv_open(translit, "UTF-8");
	cs.from = iconv_open("UTF-8", set);
	cs.exact = iconv_open(set, "UTF-8");
	if (cs.to == (iconv_t)-1 || cs.from == (iconv_t)-1 ||
	    cs.exact == (iconv_t)-1) {
		close_all();
		return -1;
	}
	cs.kind = KIND_CONVERT;
	return 0;
}

bool charset_converts(void)
{
	return cs.kind == KIND_CONVERT;
}

int charset_cells(uint32_t c)
{
	if (cs.kind == KIND_UTF8 || cs.utf8 == (locale_t)0)
		return wcwidth((wchar_t)c);
	locale_t old = uselocale(cs.utf8);
	int w = wcwidth((wchar_t)c);
	uselocale(old);
	return w;
}

/* The length of the UTF-8 sequence that starts with byte b (1 for a byte
 * that starts none: it is skipped alone). */
static size_t seq_len(unsigned char b)
{
	return b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

/* Doubles the buffer *out of *cap bytes; false when out of memory (and
 * *out freed). */
static bool grow(char **out, size_t *cap)
{
	char *bigger = *cap <= SIZE_MAX / 2 ? realloc(*out, *cap * 2) : NULL;
	if (bigger == NULL) {
		free(*out);
		return false;
	}
	*out = bigger;
	*cap *= 2;
	return true;
}

/* Converts in[0..n) by cd into a malloc'ed, NUL-terminated string; what
 * cd cannot convert becomes bad (one byte of the target set) and is
 * skipped, a UTF-8 sequence at a time when from_utf8. NULL when out of
 * memory. */
static char *convert(iconv_t cd, const char *in, size_t n, char bad,
                     bool from_utf8, size_t *outlen)
{
	size_t cap = n + 16, len = 0, left = n;
	char *out = malloc(cap), *ip = (char *)in;

	if (out == NULL)
		return NULL;
	iconv(cd, NULL, NULL, NULL, NULL);
	while (left > 0) {
		char *op = out + len;
		size_t room = cap - len - 1;
		size_t r = iconv(cd, &ip, &left, &op, &room);
		len = (size_t)(op - out);
		if (r != (size_t)-1)
			continue; /* all of it */
		if (errno == E2BIG) {
			if (!grow(&out, &cap))
				return NULL;
			continue;
		}
		/* EILSEQ (no such character) or EINVAL (cut short): one
		 * stand-in, and on past the character. */
		if (cap - len < 2 && !grow(&out, &cap))
			return NULL;
		out[len++] = bad;
		size_t skip = from_utf8 ? seq_len((unsigned char)*ip) : 1;
		if (skip > left)
			skip = left;
		ip += skip;
		left -= skip;
	}
	/* Back to the initial shift state, for a set that has them
	 * (ISO-2022-JP). */
	for (;;) {
		char *op = out + len;
		size_t room = cap - len - 1;
		size_t r = iconv(cd, NULL, NULL, &op, &room);
		len = (size_t)(op - out);
		if (r != (size_t)-1 || errno != E2BIG)
			break;
		if (!grow(&out, &cap))
			return NULL;
	}
	out[len] = '\0';
	if (outlen)
		*outlen = len;
	return out;
}

char *charset_fit(const char *s)
{
	if (cs.kind != KIND_CONVERT)
		return strdup(s);
	size_t n;
	char *narrow = convert(cs.to, s, strlen(s), '?', true, &n);
	if (narrow == NULL)
		return NULL;
	char *wide = convert(cs.from, narrow, n, '?', false, NULL);
	free(narrow);
	return wide;
}

/* ---- the converting stream */

struct sink {
	FILE *f;
	char held[4]; /* the start of a sequence a write cut off */
	size_t nheld;
};

/* The bytes at the end of buf[0..n) that begin a UTF-8 sequence the
 * buffer does not finish. */
static size_t unfinished(const char *buf, size_t n)
{
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char b = (unsigned char)buf[n - back];
		if ((b & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		return b >= 0xc0 && seq_len(b) > back ? back : 0;
	}
	return 0;
}

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *k = cookie;
	size_t total = k->nheld + n;
	char *all = malloc(total ? total : 1);

	if (all == NULL)
		return -1;
	memcpy(all, k->held, k->nheld);
	memcpy(all + k->nheld, buf, n);
	size_t keep = unfinished(all, total);
	size_t outlen;
	char *out = convert(cs.exact, all, total - keep, '?', true, &outlen);
	memcpy(k->held, all + total - keep, keep);
	k->nheld = keep;
	free(all);
	if (out == NULL)
		return -1;
	size_t put = fwrite(out, 1, outlen, k->f);
	free(out);
	/* Flushed now, so that a write error reaches this stream's caller
	 * (out_end), not f's later flush. */
	if (put != outlen || fflush(k->f) == EOF)
		return -1;
	return (ssize_t)n;
}

static int sink_close(void *cookie)
{
	free(cookie);
	return 0;
}

FILE *charset_stream(FILE *f)
{
	if (cs.kind != KIND_CONVERT)
		return f;
	struct sink *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->f = f;
	FILE *s = fopencookie(k, "w",
	                      (cookie_io_functions_t){
	                              .write = sink_write,
	                              .close = sink_close,
	                      });
	if (s == NULL)
		free(k);
	return s;
}
