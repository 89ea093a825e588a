/* secret_echo.c - a secret's echoes masked after it is wiped; see
 * secret_echo.h. */
#include "mailmirrord/secret_echo.h"
#include "mailmirrord/redact.h"

#include <gnutls/crypto.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SALT_LEN   16
#define DIGEST_LEN 32

/* One spelling of the secret. */
struct print {
	size_t n;
	uint64_t roll; /* the rolling hash of its n bytes */
	unsigned char digest[DIGEST_LEN];
};

static _Thread_local struct {
	bool set;
	uint64_t base; /* odd and random: the rolling hash's key */
	unsigned char salt[SALT_LEN];
	struct print forms[2]; /* raw; quoted, when that differs */
	size_t nforms;
	bool alone; /* short: masked only where it stands alone */
} mem;

/* sum of s[i] * base^(n-1-i), modulo 2^64 */
static uint64_t roll_of(const unsigned char *s, size_t n, uint64_t base)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * base + s[i];
	return h;
}

static int digest_of(unsigned char out[DIGEST_LEN], const void *s, size_t n)
{
	gnutls_hash_hd_t hd;
	if (gnutls_hash_init(&hd, GNUTLS_DIG_SHA256) < 0)
		return -1;
	int rc = gnutls_hash(hd, mem.salt, SALT_LEN);
	if (rc == 0)
		rc = gnutls_hash(hd, s, n);
	gnutls_hash_deinit(hd, out);
	return rc < 0 ? -1 : 0;
}

static int add_form(const char *s, size_t n)
{
	struct print *p = &mem.forms[mem.nforms];
	p->n = n;
	p->roll = roll_of((const unsigned char *)s, n, mem.base);
	if (digest_of(p->digest, s, n) < 0)
		return -1;
	mem.nforms++;
	return 0;
}

void secret_echo_forget(void)
{
	explicit_bzero(&mem, sizeof(mem));
}

int secret_echo_remember(const char *secret, size_t n)
{
	secret_echo_forget();
	if (!secret || n == 0)
		return 0;
	if (gnutls_rnd(GNUTLS_RND_NONCE, &mem.base, sizeof(mem.base)) < 0 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, mem.salt, SALT_LEN) < 0)
		return -1;
	mem.base |= 1;
	int rc = add_form(secret, n);
	size_t q = 0;
	char quoted[2 * 1024];
	for (size_t i = 0; rc == 0 && i < n && q + 2 <= sizeof(quoted); i++) {
		if (secret[i] == '\\' || secret[i] == '"')
			quoted[q++] = '\\';
		quoted[q++] = secret[i];
	}
	if (rc == 0 && q != n && q + 2 <= sizeof(quoted))
		rc = add_form(quoted, q);
	explicit_bzero(quoted, q);
	mem.alone = n < REDACT_ANYWHERE_MIN;
	mem.set = rc == 0;
	if (rc < 0)
		secret_echo_forget();
	return rc;
}

/* Masks the occurrences of p in s[0..len): a window whose rolling hash
 * matches is hashed again, salted, to be sure. A byte is masked as it
 * leaves the window, so that the hash rolls over the text as it was. */
static void mask_form(char *s, size_t len, const struct print *p)
{
	if (len < p->n)
		return;
	const unsigned char *u = (const unsigned char *)s;
	uint64_t top = 1; /* base^(n-1) */
	for (size_t i = 1; i < p->n; i++)
		top *= mem.base;
	uint64_t h = roll_of(u, p->n, mem.base);
	size_t i = 0, mask_to = 0;
	for (;; i++) {
		unsigned char d[DIGEST_LEN];
		if (h == p->roll &&
		    (!mem.alone || redact_stands_alone(s, len, i, p->n)) &&
		    digest_of(d, s + i, p->n) == 0 &&
		    memcmp(d, p->digest, DIGEST_LEN) == 0)
			mask_to = i + p->n;
		if (i + p->n >= len)
			break;
		h = (h - u[i] * top) * mem.base + u[i + p->n];
		if (i < mask_to)
			s[i] = '*';
	}
	for (; i < mask_to; i++)
		s[i] = '*';
}

void secret_echo_mask(char *s, size_t len)
{
	if (!mem.set)
		return;
	for (size_t i = 0; i < mem.nforms; i++)
		mask_form(s, len, &mem.forms[i]);
}
