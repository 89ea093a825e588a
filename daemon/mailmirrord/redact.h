/* redact.h - a secret masked out of text meant for the log.
 *
 * Text that may echo a secret (a server's answer to our login, a
 * password command's stderr) goes through these before it is logged or
 * stored: every byte masked becomes '*'. They mask in place and never
 * shorten the text, so that what is around a secret stays readable.
 * Mask before anything cuts the text: a secret across a cut leaves its
 * start behind, which no later pass can recognise.
 */
#ifndef MAILMIRRORD_REDACT_H
#define MAILMIRRORD_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* A run of base64 this long may carry credentials: a SASL response is
 * the base64 of the user and the secret (PLAIN, XOAUTH2, OAUTHBEARER). */
#define REDACT_BASE64_MIN 16

/* A secret of this many bytes or more is masked wherever it is found,
 * inside a word too; a shorter one only where it stands alone
 * (redact_stands_alone). A password of one to seven bytes ("a",
 * "mail5") is found inside ordinary words: masked there, every line of
 * the log lost letters ("m*ilbox"), and which ones told the reader the
 * secret all the same. A server that echoes the secret sets it apart
 * (a quoted LOGIN argument, "NO bad password a", an AUTHENTICATE
 * line), so that standing alone is where it shows. From eight bytes on
 * a word that holds the secret by chance is rare, and a server may glue
 * it to anything ("password=hunter2secret;"). */
#define REDACT_ANYWHERE_MIN 8

/* Whether s[at..at+n) of s[0..len) is not part of a longer word: no
 * letter or digit at either of its ends touches one of the same kind in
 * the text beside it. ASCII letters and digits are one kind, letters
 * beyond ASCII another: an ASCII password between Japanese words, or
 * in quotes such as « » and “ ”, stands alone. A secret's punctuation
 * ("pw!") ends it whatever follows; a byte that is not UTF-8 is
 * punctuation. */
bool redact_stands_alone(const char *s, size_t len, size_t at, size_t n);

/* Masks in s[0..len) every occurrence of secret[0..n), raw and in the
 * quoted form LOGIN sends it in ('"' and '\' escaped with '\'); one
 * shorter than REDACT_ANYWHERE_MIN only where it stands alone. With cut
 * (the text was cut short of what was said), a start of the secret at
 * the very end is masked too (a short one's where it starts a word). A
 * NULL or empty secret masks nothing. */
void redact_secret(char *s, size_t len, const char *secret, size_t n,
                   bool cut);

/* A piece of a secret this long is masked where a piece may show
 * (redact_secret_parts). */
#define REDACT_PART_MIN 4

/* Masks in s[0..len) every run of REDACT_PART_MIN or more bytes (the
 * whole secret when it is shorter) that is also a run of secret[0..n):
 * for text a secret's owner printed, a password command's stderr ("echo
 * ${PW:0:12} >&2"), where a piece of the secret is as bad as all of it.
 * It masks more than the secret (a word that shares four letters with
 * it), which in such text is the safe side; of a secret shorter than
 * REDACT_ANYWHERE_MIN, only the runs that stand alone. */
void redact_secret_parts(char *s, size_t len, const char *secret, size_t n);

/* Masks in s[0..len) every run of base64, eight characters or more,
 * whose bytes hold secret[0..n): the credentials of AUTHENTICATE PLAIN
 * ("\0joe\0abc", AGpvZQBhYmM=) are shorter than REDACT_BASE64_MIN when
 * the user and password are. Of a secret shorter than REDACT_ANYWHERE_MIN,
 * only runs that decode to text (UTF-8; NUL and ^A the only controls)
 * where the secret stands alone: ordinary words decode to bytes that hold
 * one of a byte or two by chance. */
void redact_encoded_secret(char *s, size_t len, const char *secret, size_t n);

/* The longest run redact_encoded_secret decodes: longer ones are masked
 * by redact_encoded already when they are credentials. */
#define REDACT_DECODE_MAX 4096

/* Masks in s[0..len) every run of REDACT_BASE64_MIN or more characters
 * of the base64 alphabet ('=' only as its padding) that mixes two of
 * capitals, small letters, and digits or symbols: base64 of credentials
 * does, words and response codes ("AUTHENTICATIONFAILED",
 * "THREAD=REFERENCES") do not. */
void redact_encoded(char *s, size_t len);

#endif
