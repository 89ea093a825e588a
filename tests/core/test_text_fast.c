/* test_text_fast.c - the bulk paths of the body text extractor: plain
 * text written straight into the output eight bytes at a time (CR LF, a
 * lone CR and the other control characters at every position, invisible
 * characters and their neighbours, the line ends a part begins with, a
 * CR that ends a piece), and the charset
 * stream's 32-byte ASCII step. Each is checked against a model written
 * here, a character at a time, and against the sink's own path, which a limit
 * the text just fits in selects. */
#include "imap4.h"
#include "proto/charset.h"
#include "proto/mime_text.h"
#include "proto/utf8.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The characters the text leaves out: the soft hyphen, U+200B..U+200D,
 * the word joiner and U+FEFF. */
static bool invisible(uint32_t cp)
{
	return cp == 0xad || (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 ||
	       cp == 0xfeff;
}

/* What a text/plain body without a charset reads as, a character at a
 * time: bytes that are not UTF-8 are windows-1252, NUL is U+FFFD, and the
 * invisible characters go; then CR LF and a lone CR end a line, and other
 * control characters but tab and LF are spaces; then the part's leading
 * line ends and the trailing white space go. */
static void model(struct imap4_buf *out, const char *body, size_t n)
{
	const unsigned char *p = (const unsigned char *)body;
	uint32_t *cps = malloc((n + 1) * sizeof(*cps));
	size_t m = 0;
	cr_assert_not_null(cps);
	for (size_t i = 0, k; i < n; i += k) {
		uint32_t cp = p[i];
		if (p[i] == 0)
			cp = 0xfffd;
		if (p[i] < 0x80 ||
		    (k = imap4_utf8_decode(&cp, p + i, n - i)) == 0)
			k = 1;
		if (p[i] >= 0x80 && k == 1)
			cp = imap4_charset_cp1252(p[i]);
		if (!invisible(cp))
			cps[m++] = cp;
	}
	struct imap4_buf t;
	imap4_buf_init(&t, 0);
	for (size_t i = 0; i < m; i++) {
		uint32_t cp = cps[i];
		if (cp == '\r') {
			cr_assert_eq(imap4_buf_putc(&t, '\n'), 0);
			i += i + 1 < m && cps[i + 1] == '\n';
		} else if (cp < 0x20 && cp != '\t' && cp != '\n') {
			cr_assert_eq(imap4_buf_putc(&t, ' '), 0);
		} else {
			cr_assert_eq(imap4_utf8_put(&t, cp), 0);
		}
	}
	free(cps);
	size_t a = 0, z = t.len;
	while (a < z && t.data[a] == '\n')
		a++;
	while (z > a && (t.data[z - 1] == '\n' || t.data[z - 1] == ' ' ||
	                 t.data[z - 1] == '\t'))
		z--;
	imap4_buf_reset(out);
	cr_assert_eq(imap4_buf_append(out, t.data ? t.data + a : "", z - a), 0);
	imap4_buf_clear(&t);
}

/* The text of a message with this body, whole and with a limit it just
 * fits in, both equal to the model. */
static void check_body(const char *body, size_t n)
{
	static const char head[] = "Subject: s\r\n\r\n";
	size_t hl = sizeof(head) - 1;
	char *msg = malloc(hl + n + 1);
	cr_assert_not_null(msg);
	memcpy(msg, head, hl);
	memcpy(msg + hl, body, n);

	struct imap4_buf want, got;
	imap4_buf_init(&want, 0);
	imap4_buf_init(&got, 0);
	model(&want, body, n);

	cr_assert_eq(imap4_mime_text(&got, msg, hl + n, 0), 0);
	cr_assert(got.len == want.len && memcmp(got.data ? got.data : "",
	                                        want.data, want.len) == 0,
	          "body of %zu bytes: %zu bytes of text, want %zu", n, got.len,
	          want.len);

	/* text that shrank leaves the fast path no room: the sink writes it
	 * (1 when trailing white space, trimmed at the end, met the limit) */
	imap4_buf_reset(&got);
	if (want.len > 0) {
		int rc = imap4_mime_text(&got, msg, hl + n, want.len);
		cr_assert(rc == 0 || rc == 1, "limited: %d", rc);
		cr_assert(got.len == want.len &&
		                  memcmp(got.data, want.data, want.len) == 0,
		          "limited: body of %zu bytes", n);
	}
	imap4_buf_clear(&want);
	imap4_buf_clear(&got);
	free(msg);
}

/* Each of odd[0..count) in a run of letters, at every position of every
 * length up to 40. */
static void at_every_position(const char *const *odd, const size_t *odd_len,
                              size_t count)
{
	char body[80];
	for (size_t o = 0; o < count; o++)
		for (size_t len = odd_len[o]; len <= 40; len++)
			for (size_t at = 0; at + odd_len[o] <= len; at++) {
				memset(body, 'a', len);
				memcpy(body + at, odd[o], odd_len[o]);
				check_body(body, len);
			}
}

Test(text_fast, odd_bytes_at_every_position)
{
	static const char *const odd[] = {
	        "\r\n",   "\r",   "\n",   "\x01",     "\t",
	        "\x7f",   "\x1f", "\x00", "\xc3\xa9", "\xe9",
	        "\r\r\n", "\n\r", " ",    "\r\n\r\n",
	};
	static const size_t odd_len[] = {2, 1, 1, 1, 1, 1, 1,
	                                 1, 2, 1, 3, 2, 1, 4};
	at_every_position(odd, odd_len, sizeof(odd) / sizeof(odd[0]));
}

/* The invisible characters, one from windows-1252, and characters that
 * start with the same bytes, alone and after a line end. */
Test(text_fast, invisible_at_every_position)
{
	static const char *const odd[] = {
	        "\xc2\xad",     "\xad",         "\xe2\x80\x8b",
	        "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf",
	        "\xc2\xa9",     "\xe2\x80\x94", "\xef\xbb\xbe",
	        "\xe2\x80\x8e", "\xef",         "\r\n\xc2\xad",
	        "\r\xc2\xad\n", "\r\xad\n",     "\xc2\xad\xc2\xad",
	};
	static const size_t odd_len[] = {2, 1, 3, 3, 3, 3, 2, 3,
	                                 3, 3, 1, 4, 4, 3, 4};
	at_every_position(odd, odd_len, sizeof(odd) / sizeof(odd[0]));
}

Test(text_fast, line_ends_that_begin_and_end_the_part)
{
	static const char *const bodies[] = {
	        "\r\n\r\nafter two blank lines\r\n",
	        "\n\n\r\r\n\x01 a control after the line ends",
	        "\r",
	        "\r\n",
	        "\r\n\r\n\r\n",
	        "text that ends in a CR\r",
	        "\r\xc3\xa9 UTF-8 first",
	        "\r\n\xe9 windows-1252 first",
	        "\tabcdefgh\r\nabcdefgh\r\n",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		check_body(bodies[i], strlen(bodies[i]));
	/* a NUL first: strlen() would stop at it */
	static const char nul_first[] = "\r\n\x00 NUL first\r\n";
	check_body(nul_first, sizeof(nul_first) - 1);
}

/* xorshift: reproducible, and the same on every platform */
static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

Test(text_fast, random_mixtures)
{
	static const char *const atoms[] = {
	        "abcdefgh", "a",    "\r\n",         "\r",
	        "\n",       "\t",   "\x01",         "\x00",
	        "\xc3\xa9", "\xe9", "\xe2\x82\xac", " ",
	        "\xc2\xad", "\xad", "\xe2\x80\x8d", "\xef\xbb\xbf",
	        "\xc2\xa0", "\xef",
	};
	static const size_t atom_len[] = {8, 1, 2, 1, 1, 1, 1, 1, 2,
	                                  1, 3, 1, 2, 1, 3, 3, 2, 1};
	uint32_t seed = 2463534242u;
	char body[600];
	for (int round = 0; round < 3000; round++) {
		size_t n = 0, want = next(&seed) % 120;
		while (n < want) {
			size_t a = next(&seed) %
			           (sizeof(atoms) / sizeof(atoms[0]));
			if (n + atom_len[a] > sizeof(body))
				break;
			memcpy(body + n, atoms[a], atom_len[a]);
			n += atom_len[a];
		}
		check_body(body, n);
	}
}

/* A CR that ends a piece of the pipeline (pieces end after the first LF
 * past 64 KiB) and the LF that starts the next. */
Test(text_fast, cr_between_pieces)
{
	size_t n = 64 * 1024 + 300;
	char *body = malloc(n);
	cr_assert_not_null(body);
	for (size_t i = 0; i < n; i++)
		body[i] = i % 61 == 60 ? '\n' : i % 61 == 59 ? '\r' : 'x';
	check_body(body, n);
	for (size_t at = 64 * 1024 - 4; at < 64 * 1024 + 70; at++) {
		for (size_t i = 0; i < n; i++)
			body[i] = 'y';
		body[at] = '\r';
		body[at + 1] = '\n';
		body[at + 2] = '\r';
		check_body(body, n);
	}
	free(body);
}

/* How many bytes a byte-at-a-time reader keeps as they are: ASCII but
 * NUL, and valid UTF-8 unless a sequence is cut by the end. */
static size_t same_model(const unsigned char *p, size_t n, bool cp1252)
{
	size_t i = 0;
	uint32_t cp;
	while (i < n) {
		size_t k = p[i] == 0     ? 0
		           : p[i] < 0x80 ? 1
		           : cp1252      ? 0
		                         : imap4_utf8_decode(&cp, p + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

Test(text_fast, charset_same_at_every_position)
{
	static const char *const odd[] = {"\x00", "\x80", "\xe9", "\xc3\xa9",
	                                  "\xe2\x82"};
	static const size_t odd_len[] = {1, 1, 1, 2, 2};
	static const char *const labels[] = {NULL, "utf-8", "iso-8859-1"};
	unsigned char buf[100];
	for (size_t l = 0; l < 3; l++) {
		struct imap4_charset_stream cs;
		cr_assert_eq(imap4_charset_stream_open(&cs, labels[l]), 1);
		for (size_t o = 0; o < sizeof(odd) / sizeof(odd[0]); o++)
			for (size_t len = 0; len <= 90; len++)
				for (size_t at = 0; at <= len; at++) {
					memset(buf, 'b', len);
					size_t k = at + odd_len[o] <= len
					                   ? odd_len[o]
					                   : 0;
					memcpy(buf + at, odd[o], k);
					size_t want =
					        same_model(buf, len, l == 2);
					size_t got = imap4_charset_stream_same(
					        &cs, (const char *)buf, len);
					cr_assert_eq(
					        got, want,
					        "label %zu, odd %zu, len %zu, "
					        "at %zu: %zu, want %zu",
					        l, o, len, at, got, want);
				}
		imap4_charset_stream_close(&cs);
	}
}

/* The same walk stops at an invisible character too, where the stream
 * reads UTF-8, and says how long it is. */
Test(text_fast, charset_visible_at_every_position)
{
	static const char *const odd[] = {"\xc2\xad", "\xe2\x80\x8b",
	                                  "\xef\xbb\xbf", "\xc3\xa9", "\xad"};
	static const size_t odd_len[] = {2, 3, 3, 2, 1};
	static const char *const labels[] = {NULL, "utf-8", "iso-8859-1"};
	unsigned char buf[100];
	for (size_t l = 0; l < 3; l++) {
		struct imap4_charset_stream cs;
		cr_assert_eq(imap4_charset_stream_open(&cs, labels[l]), 1);
		for (size_t o = 0; o < sizeof(odd) / sizeof(odd[0]); o++)
			for (size_t len = odd_len[o]; len <= 90; len++)
				for (size_t at = 0; at + odd_len[o] <= len;
				     at++) {
					memset(buf, 'b', len);
					memcpy(buf + at, odd[o], odd_len[o]);
					size_t skip = 99;
					size_t got =
					        imap4_charset_stream_visible(
					                &cs, (const char *)buf,
					                len, &skip);
					/* windows-1252 stops at every 8-bit
					 * byte, UTF-8 at the invisible ones
					 * and at 0xAD, which is none */
					bool stops = l == 2 || o != 3;
					size_t want_skip =
					        l < 2 && o < 3 ? odd_len[o] : 0;
					cr_assert(got == (stops ? at : len) &&
					                  skip == want_skip,
					          "label %zu, odd %zu, len "
					          "%zu, at "
					          "%zu: %zu %zu",
					          l, o, len, at, got, skip);
				}
		imap4_charset_stream_close(&cs);
	}
}

/* Base64 (GnuTLS's) in lines of 76 characters, CRLF after each full
 * one, into dst, which has room for both. */
static size_t base64_lines(char *dst, const unsigned char *p, size_t n)
{
	gnutls_datum_t in = {(unsigned char *)p, (unsigned)n}, b64;
	cr_assert_eq(gnutls_base64_encode2(&in, &b64), 0);
	size_t o = 0;
	for (size_t i = 0; i < b64.size; i += 76) {
		size_t k = b64.size - i < 76 ? b64.size - i : 76;
		memcpy(dst + o, b64.data + i, k);
		o += k;
		if (k == 76) {
			dst[o++] = '\r';
			dst[o++] = '\n';
		}
	}
	gnutls_free(b64.data);
	return o;
}

/* Decoded base64 pieces end anywhere: a CR LF whose CR ends one piece and
 * whose LF starts the next is one line end, as are a CR and a CR LF. */
Test(text_fast, base64_line_end_cut_between_pieces)
{
	static const char head[] = "Subject: s\r\nContent-Transfer-Encoding: "
	                           "base64\r\n\r\n";
	size_t hl = sizeof(head) - 1, n = 64 * 1024 / 4 * 3 + 2000;
	unsigned char *text = malloc(n);
	char *msg = malloc(hl + n / 3 * 4 + n / 57 * 2 + 16);
	cr_assert(text && msg);
	memcpy(msg, head, hl);
	/* the first piece ends after the first LF past 64 KiB of base64:
	 * after 841 lines of 78 bytes, 841 * 57 = 47,937 decoded bytes; the
	 * line ends move across that */
	for (size_t at = 47937 - 80; at < 47937 + 80; at++) {
		memset(text, 'z', n);
		text[at] = '\r';
		text[at + 1] = '\n';
		text[at + 5] = '\r';
		size_t len = hl + base64_lines(msg + hl, text, n);
		struct imap4_buf got, want;
		imap4_buf_init(&got, 0);
		imap4_buf_init(&want, 0);
		model(&want, (const char *)text, n);
		cr_assert_eq(imap4_mime_text(&got, msg, len, 0), 0);
		cr_assert(got.len == want.len &&
		                  memcmp(got.data, want.data, want.len) == 0,
		          "line end at %zu", at);
		imap4_buf_clear(&got);
		imap4_buf_clear(&want);
	}
	free(text);
	free(msg);
}
