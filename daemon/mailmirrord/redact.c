/* redact.c - a secret masked out of text meant for the log; see redact.h. */
#include "mailmirrord/redact.h"

#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What a character is to the edge of a word. A short secret glued to a
 * letter of its own script is part of a word ("a" in "mail", "é" in
 * "café"); next to punctuation, a space, or a letter of another script
 * (an ASCII password in Japanese text, which has no spaces) it stands
 * apart, as a server sets an echo apart. Scripts are told apart only as
 * Latin (ASCII letters and digits, and the accented letters) and the
 * rest. */
enum glue { GLUE_NONE, GLUE_LATIN, GLUE_OTHER };

/* Punctuation, spaces and symbols beyond ASCII: «», “”, a no-break space,
 * 「」, arrows, emoji. What is not listed counts as a letter. */
static bool is_wide_punct(uint32_t c)
{
	return c <= 0xbf || c == 0xd7 || c == 0xf7 ||
	       (c >= 0x2000 && c <= 0x2bff) || (c >= 0x2e00 && c <= 0x2e7f) ||
	       (c >= 0x3000 && c <= 0x303f) || (c >= 0xfe10 && c <= 0xfe6f) ||
	       (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
	       (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65) ||
	       c >= 0xfff0;
}

/* The character whose encoding starts at s[at] (at < len), decoded as
 * UTF-8; a byte that starts none is 0xfffd, punctuation here. */
static uint32_t char_at(const char *s, size_t len, size_t at)
{
	const unsigned char *u = (const unsigned char *)s + at;
	size_t left = len - at, n;
	uint32_t c;
	if (u[0] < 0x80)
		return u[0];
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, c = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, c = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, c = u[0] & 0x07;
	else
		return 0xfffd;
	if (n > left)
		return 0xfffd;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = c << 6 | (u[i] & 0x3f);
	}
	return c;
}

/* The start of the character that ends just before s[end] (end > 0). */
static size_t char_start_before(const char *s, size_t end)
{
	size_t at = end - 1;
	for (int i = 0;
	     i < 3 && at > 0 && ((unsigned char)s[at] & 0xc0) == 0x80; i++)
		at--;
	return at;
}

static enum glue glue_of(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return GLUE_LATIN;
	if (c < 0x80 || is_wide_punct(c))
		return GLUE_NONE;
	if ((c >= 0xc0 && c <= 0x24f) || (c >= 0x1e00 && c <= 0x1eff))
		return GLUE_LATIN;
	return GLUE_OTHER;
}

static bool glued(uint32_t edge, uint32_t beside)
{
	enum glue g = glue_of(edge);
	return g != GLUE_NONE && g == glue_of(beside);
}

bool redact_stands_alone(const char *s, size_t len, size_t at, size_t n)
{
	if (n == 0)
		return true;
	if (at > 0 && glued(char_at(s, len, at),
	                    char_at(s, len, char_start_before(s, at))))
		return false;
	return at + n >= len ||
	       !glued(char_at(s, len, char_start_before(s, at + n)),
	              char_at(s, len, at + n));
}

/* alone: only the occurrences that stand alone. */
static void mask_all(char *s, size_t len, const char *what, size_t n,
                     bool alone)
{
	for (char *p = s;
	     n && (p = memmem(p, len - (size_t)(p - s), what, n)) != NULL;) {
		if (alone && !redact_stands_alone(s, len, (size_t)(p - s), n)) {
			p++;
			continue;
		}
		memset(p, '*', n);
		p += n;
	}
}

/* The length of the longest start of s[0..len) found in what[0..n). */
static size_t longest_part(const char *s, size_t len, const char *what,
                           size_t n)
{
	size_t best = 0;
	for (size_t j = 0; j < n && best < len; j++) {
		size_t k = 0;
		while (k < len && j + k < n && s[k] == what[j + k])
			k++;
		if (k > best)
			best = k;
	}
	return best;
}

void redact_secret_parts(char *s, size_t len, const char *secret, size_t n)
{
	if (!secret || n == 0)
		return;
	size_t min = n < REDACT_PART_MIN ? n : REDACT_PART_MIN;
	bool alone = n < REDACT_ANYWHERE_MIN;
	/* Runs are looked for in the text as it was: masking one as found
	 * would hide the start of an overlapping one that goes further. */
	char *was = malloc(len ? len : 1);
	if (!was) { /* all of it, rather than the secret */
		memset(s, '*', len);
		return;
	}
	memcpy(was, s, len);
	for (size_t i = 0; i + min <= len; i++) {
		size_t k = longest_part(was + i, len - i, secret, n);
		/* Each start of a run is a run too: the longest that stands
		 * alone. */
		while (alone && k >= min &&
		       !redact_stands_alone(was, len, i, k))
			k--;
		if (k >= min)
			memset(s + i, '*', k);
	}
	explicit_bzero(was, len);
	free(was);
}

/* The longest end of s[0..len) that is a start of what[0..n), masked;
 * alone: the longest that does not start inside a word (its end is the
 * cut, where the rest of the secret may have followed). */
static void mask_tail(char *s, size_t len, const char *what, size_t n,
                      bool alone)
{
	for (size_t k = n - 1 < len ? n - 1 : len; k > 0; k--)
		if (memcmp(s + len - k, what, k) == 0 &&
		    (!alone || redact_stands_alone(s, len, len - k, k))) {
			memset(s + len - k, '*', k);
			return;
		}
}

void redact_secret(char *s, size_t len, const char *secret, size_t n,
                   bool cut)
{
	if (!secret || n == 0)
		return;
	/* By the secret's own length, for its quoted form too. */
	bool alone = n < REDACT_ANYWHERE_MIN;
	mask_all(s, len, secret, n, alone);
	if (cut)
		mask_tail(s, len, secret, n, alone);
	if (!memchr(secret, '\\', n) && !memchr(secret, '"', n))
		return;
	char *quoted = malloc(2 * n);
	if (!quoted) { /* all of it, rather than the secret */
		memset(s, '*', len);
		return;
	}
	size_t q = 0;
	for (size_t i = 0; i < n; i++) {
		if (secret[i] == '\\' || secret[i] == '"')
			quoted[q++] = '\\';
		quoted[q++] = secret[i];
	}
	mask_all(s, len, quoted, q, alone);
	if (cut)
		mask_tail(s, len, quoted, q, alone);
	explicit_bzero(quoted, q);
	free(quoted);
}

static bool is_base64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/* Whether s[0..n) mixes two of: capitals, small letters, digits and
 * symbols. */
static bool looks_encoded(const char *s, size_t n)
{
	bool upper = false, lower = false, other = false;
	for (size_t i = 0; i < n; i++) {
		upper |= s[i] >= 'A' && s[i] <= 'Z';
		lower |= s[i] >= 'a' && s[i] <= 'z';
		other |= !(s[i] >= 'A' && s[i] <= 'Z') &&
		         !(s[i] >= 'a' && s[i] <= 'z');
	}
	return upper + lower + other >= 2;
}

void redact_encoded(char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && is_base64_char(s[j]))
			j++;
		for (int pad = 0; pad < 2 && j > i && j < len && s[j] == '=';
		     pad++)
			j++;
		if (j - i >= REDACT_BASE64_MIN && looks_encoded(s + i, j - i))
			memset(s + i, '*', j - i);
		i = j > i ? j : i + 1;
	}
}

/* Whether b[0..n) reads as text: UTF-8 without control characters but
 * NUL and ^A, which SASL PLAIN and XOAUTH2 put between their fields.
 * Credentials do; an ordinary word taken for base64 ("Disconnected",
 * "Internal") decodes to bytes that do not. */
static bool reads_as_text(const char *b, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t c = char_at(b, n, i);
		if ((c < 0x20 && c > 1) || c == 0x7f || c == 0xfffd)
			return false;
		i += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	}
	return true;
}

/* Whether secret[0..sn) is in out[0..size); alone: only as a word of
 * text. A secret of a byte or two is in about one decoded run of base64 in
 * thirty by chance: masking those hid ordinary words of the server's
 * ("BYE ************ for inactivity" for the password "r"). */
static bool holds_secret(const char *out, size_t size, const char *secret,
                         size_t sn, bool alone)
{
	if (alone && !reads_as_text(out, size))
		return false;
	for (const char *p = out;
	     (p = memmem(p, size - (size_t)(p - out), secret, sn)) != NULL; p++)
		if (!alone ||
		    redact_stands_alone(out, size, (size_t)(p - out), sn))
			return true;
	return false;
}

/* Whether the base64 text b64[0..n) decodes to bytes that hold
 * secret[0..sn) (holds_secret). Missing padding is supplied; what does not
 * decode holds nothing. */
static bool decodes_to_secret(const char *b64, size_t n, const char *secret,
                              size_t sn)
{
	char text[REDACT_DECODE_MAX + 3];
	if (n > REDACT_DECODE_MAX || n % 4 == 1)
		return false;
	memcpy(text, b64, n);
	while (n % 4)
		text[n++] = '=';
	gnutls_datum_t in = {(unsigned char *)text, (unsigned)n}, out = {0};
	if (gnutls_base64_decode2(&in, &out) < 0)
		return false;
	bool found = out.size >= sn &&
	             holds_secret((const char *)out.data, out.size, secret, sn,
	                          sn < REDACT_ANYWHERE_MIN);
	gnutls_memset(out.data, 0, out.size);
	gnutls_free(out.data);
	return found;
}

void redact_encoded_secret(char *s, size_t len, const char *secret, size_t n)
{
	if (!secret || n == 0)
		return;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && is_base64_char(s[j]))
			j++;
		size_t run = j;
		for (int pad = 0; pad < 2 && j > i && j < len && s[j] == '=';
		     pad++)
			j++;
		if (run - i >= 8 &&
		    decodes_to_secret(s + i, run - i, secret, n))
			memset(s + i, '*', j - i);
		i = j > i ? j : i + 1;
	}
}
