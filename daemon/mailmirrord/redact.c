/* redact.c - a secret masked out of text meant for the log; see redact.h. */
#include "mailmirrord/redact.h"

#include <stdlib.h>
#include <string.h>

/* A byte of a word: an ASCII letter or digit, or a byte of a multibyte
 * UTF-8 character (a letter, most likely). */
static bool is_word_byte(char c)
{
	unsigned char u = (unsigned char)c;
	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
	       (u >= '0' && u <= '9') || u >= 0x80;
}

bool redact_stands_alone(const char *s, size_t len, size_t at, size_t n)
{
	if (n == 0)
		return true;
	bool glued_before =
	        at > 0 && is_word_byte(s[at]) && is_word_byte(s[at - 1]);
	bool glued_after = at + n < len && is_word_byte(s[at + n - 1]) &&
	                   is_word_byte(s[at + n]);
	return !glued_before && !glued_after;
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
