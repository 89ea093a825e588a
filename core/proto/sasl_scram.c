/* sasl_scram.c - SCRAM-SHA-1 and SCRAM-SHA-256 clients (RFC 5802, 7677).
 *
 *	client-first  = gs2-header "n=" saslname ",r=" c-nonce
 *	server-first  = ["m=" ext ","] "r=" c-nonce s-nonce ",s=" salt
 *	                ",i=" count ["," extensions]
 *	client-final  = "c=" base64(gs2-header) ",r=" nonce ",p=" proof
 *	server-final  = "v=" signature / "e=" error
 *
 * The password is used as given (no SASLprep), which is what Dovecot and
 * Cyrus do for the stored secrets they compare against.
 */
#include "proto/sasl_scram.h"

#include "imap4.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A server-first message is about 100 bytes; extensions do not need KiBs. */
#define CHALLENGE_MAX 8192

static const char b64_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_encode(struct imap4_buf *b, const unsigned char *p, size_t n)
{
	int rc = imap4_buf_reserve(b, (n + 2) / 3 * 4);
	if (rc < 0)
		return rc;
	char *o = b->data + b->len;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64_chars[v >> 18];
		*o++ = b64_chars[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_chars[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_chars[v & 63] : '=';
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
	return 0;
}

static int b64_value(unsigned char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;
	return p ? (int)(p - b64_chars) : -1;
}

/* Strict RFC 4648 base64 (padding required, no spaces) of s[0..n) into out,
 * which holds n / 4 * 3 bytes. The decoded length, or -1. */
static long b64_decode(unsigned char *out, const char *s, size_t n)
{
	size_t o = 0;

	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad ||
			           (v[k] = b64_value((unsigned char)s[i + k])) <
			                   0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		             (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Bits under the padding must be zero, or one value would
		 * have several spellings. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	return (long)o;
}

/* saslname (RFC 5802 5.1): "=" and "," would end the attribute. */
static int put_saslname(struct imap4_buf *b, const char *s)
{
	int rc = 0;
	for (; *s && rc == 0; s++) {
		if (*s == '=')
			rc = imap4_buf_puts(b, "=3D");
		else if (*s == ',')
			rc = imap4_buf_puts(b, "=2C");
		else
			rc = imap4_buf_putc(b, *s);
	}
	return rc;
}

int imap4_scram_init(struct imap4_scram *sc, bool sha256)
{
	unsigned char rnd[18];
	struct imap4_buf nb;

	memset(sc, 0, sizeof(*sc));
	sc->mac = sha256 ? GNUTLS_MAC_SHA256 : GNUTLS_MAC_SHA1;
	sc->hlen = sha256 ? 32 : 20;
	imap4_buf_init(&sc->auth, 0);
	imap4_buf_init(&sc->gs2, 0);
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return IMAP4_ENOMEM;
	/* 18 bytes make 24 base64 characters, none of them ",". */
	imap4_buf_init(&nb, 0);
	int rc = b64_encode(&nb, rnd, sizeof(rnd));
	if (rc == 0)
		memcpy(sc->nonce, nb.data, nb.len + 1);
	imap4_buf_clear(&nb);
	return rc;
}

void imap4_scram_clear(struct imap4_scram *sc)
{
	imap4_buf_wipe(&sc->auth);
	imap4_buf_clear(&sc->gs2);
	imap4_memzero(sc->server_sig, sizeof(sc->server_sig));
	imap4_memzero(sc->nonce, sizeof(sc->nonce));
}

int imap4_scram_client_first(struct imap4_scram *sc, const char *authzid,
                             const char *user, struct imap4_buf *out)
{
	int rc;

	imap4_buf_reset(&sc->gs2);
	imap4_buf_reset(&sc->auth);
	rc = imap4_buf_puts(&sc->gs2, "n,");
	if (rc == 0 && authzid && *authzid) {
		rc = imap4_buf_puts(&sc->gs2, "a=");
		if (rc == 0)
			rc = put_saslname(&sc->gs2, authzid);
	}
	if (rc == 0)
		rc = imap4_buf_putc(&sc->gs2, ',');
	if (rc == 0)
		rc = imap4_buf_puts(&sc->auth, "n=");
	if (rc == 0)
		rc = put_saslname(&sc->auth, user);
	if (rc == 0)
		rc = imap4_buf_printf(&sc->auth, ",r=%s", sc->nonce);
	if (rc < 0)
		return rc;
	sc->bare_len = sc->auth.len;
	rc = imap4_buf_append(out, sc->gs2.data, sc->gs2.len);
	if (rc == 0)
		rc = imap4_buf_append(out, sc->auth.data, sc->auth.len);
	return rc;
}

/* One "x=value" attribute of a message; *p advances past it and its ",". */
struct attr {
	char name;
	const char *val;
	size_t len;
};

static bool next_attr(struct attr *a, const char **p, const char *end)
{
	const char *s = *p;
	if (end - s < 2 || s[1] != '=' ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	a->name = s[0];
	a->val = s + 2;
	const char *c = memchr(a->val, ',', (size_t)(end - a->val));
	a->len = (size_t)((c ? c : end) - a->val);
	*p = c ? c + 1 : end;
	return true;
}

/* printable = %x21-2B / %x2D-7E: the characters of a nonce */
static bool is_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e ||
		    s[i] == ',')
			return false;
	return n > 0;
}

static bool parse_count(const char *s, size_t n, unsigned *out)
{
	uint32_t v = 0;
	if (n == 0 || n > 10 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > IMAP4_SCRAM_ITER_MAX)
			return false;
	}
	*out = v;
	return v >= IMAP4_SCRAM_ITER_MIN;
}

/* The keys of RFC 5802 3, from SaltedPassword on. */
struct keys {
	unsigned char salted[IMAP4_SCRAM_HASH_MAX];
	unsigned char client_key[IMAP4_SCRAM_HASH_MAX];
	unsigned char stored_key[IMAP4_SCRAM_HASH_MAX];
	unsigned char client_sig[IMAP4_SCRAM_HASH_MAX];
	unsigned char proof[IMAP4_SCRAM_HASH_MAX];
	unsigned char server_key[IMAP4_SCRAM_HASH_MAX];
};

static int derive(struct imap4_scram *sc, struct keys *k, const char *password,
                  const unsigned char *salt, size_t salt_len, unsigned iter)
{
	gnutls_mac_algorithm_t mac = (gnutls_mac_algorithm_t)sc->mac;
	gnutls_digest_algorithm_t dig = sc->mac == GNUTLS_MAC_SHA256
	                                        ? GNUTLS_DIG_SHA256
	                                        : GNUTLS_DIG_SHA1;
	gnutls_datum_t key = {(unsigned char *)password,
	                      (unsigned)strlen(password)};
	gnutls_datum_t sd = {(unsigned char *)salt, (unsigned)salt_len};
	size_t h = sc->hlen;

	if (gnutls_pbkdf2(mac, &key, &sd, iter, k->salted, h) < 0 ||
	    gnutls_hmac_fast(mac, k->salted, h, "Client Key", 10,
	                     k->client_key) < 0 ||
	    gnutls_hash_fast(dig, k->client_key, h, k->stored_key) < 0 ||
	    gnutls_hmac_fast(mac, k->stored_key, h, sc->auth.data, sc->auth.len,
	                     k->client_sig) < 0 ||
	    gnutls_hmac_fast(mac, k->salted, h, "Server Key", 10,
	                     k->server_key) < 0 ||
	    gnutls_hmac_fast(mac, k->server_key, h, sc->auth.data, sc->auth.len,
	                     sc->server_sig) < 0)
		return IMAP4_ENOMEM;
	for (size_t i = 0; i < h; i++)
		k->proof[i] = k->client_key[i] ^ k->client_sig[i];
	return 0;
}

static int refuse(struct imap4_scram *sc, const char *why)
{
	sc->why = why;
	return IMAP4_EPROTO;
}

int imap4_scram_client_final(struct imap4_scram *sc, const char *password,
                             const void *challenge, size_t clen,
                             struct imap4_buf *out)
{
	const char *p = challenge, *end = p + clen;
	struct attr r, s, i, ext;
	unsigned iter;
	size_t nlen = strlen(sc->nonce);
	int rc;

	if (!challenge || clen == 0 || clen > CHALLENGE_MAX ||
	    memchr(challenge, '\0', clen))
		return refuse(sc,
		              "an empty, oversized or NUL-holding challenge");
	/* "m=" marks an extension we must understand: we understand none. */
	if (!next_attr(&r, &p, end) || r.name != 'r' ||
	    !next_attr(&s, &p, end) || s.name != 's' ||
	    !next_attr(&i, &p, end) || i.name != 'i')
		return refuse(sc,
		              "no r=, s= and i= in the server-first message");
	while (p < end)
		if (!next_attr(&ext, &p, end))
			return refuse(sc, "a malformed server-first message");
	if (end[-1] == ',')
		return refuse(sc, "a malformed server-first message");
	/* The server's part of the nonce must be there: a replayed nonce
	 * would let an attacker replay an old exchange. */
	if (!is_printable(r.val, r.len) || r.len <= nlen ||
	    memcmp(r.val, sc->nonce, nlen) != 0)
		return refuse(sc, "the server's nonce does not extend ours");
	if (!parse_count(i.val, i.len, &iter))
		return refuse(sc, "an iteration count outside 4096 to 1000000"
		                  " (too weak, or too costly to compute)");
	unsigned char *salt = malloc(s.len / 4 * 3 + 1);
	if (!salt)
		return IMAP4_ENOMEM;
	long salt_len = b64_decode(salt, s.val, s.len);
	if (salt_len <= 0) {
		free(salt);
		return refuse(sc, "a salt that is not base64");
	}

	/* AuthMessage = client-first-bare "," server-first ","
	 *               client-final-without-proof */
	struct imap4_buf *a = &sc->auth;
	size_t without_proof = 0;
	a->len = sc->bare_len;
	rc = imap4_buf_putc(a, ',');
	if (rc == 0)
		rc = imap4_buf_append(a, challenge, clen);
	if (rc == 0)
		rc = imap4_buf_puts(a, ",c=");
	if (rc == 0)
		rc = b64_encode(a, (const unsigned char *)sc->gs2.data,
		                sc->gs2.len);
	if (rc == 0)
		rc = imap4_buf_puts(a, ",r=");
	if (rc == 0)
		rc = imap4_buf_append(a, r.val, r.len);
	if (rc == 0)
		without_proof = a->len - (sc->bare_len + 1 + clen + 1);

	struct keys k;
	if (rc == 0)
		rc = derive(sc, &k, password, salt, (size_t)salt_len, iter);
	free(salt);
	if (rc == 0)
		rc = imap4_buf_append(out, a->data + a->len - without_proof,
		                      without_proof);
	if (rc == 0)
		rc = imap4_buf_puts(out, ",p=");
	if (rc == 0)
		rc = b64_encode(out, k.proof, sc->hlen);
	imap4_memzero(&k, sizeof(k));
	return rc;
}

int imap4_scram_server_final(struct imap4_scram *sc, const void *challenge,
                             size_t clen, bool *verified)
{
	unsigned char sig[CHALLENGE_MAX / 4 * 3];
	struct attr v;

	*verified = false;
	if (!challenge || clen > CHALLENGE_MAX)
		return refuse(sc, "a malformed server-final message");
	const char *p = challenge, *end = p + clen;
	if (!next_attr(&v, &p, end))
		return refuse(sc, "a malformed server-final message");
	if (v.name == 'e')
		return 0; /* server-error: the tagged NO tells the rest */
	if (v.name != 'v')
		return refuse(sc, "no v= in the server-final message");
	long n = b64_decode(sig, v.val, v.len);
	/* Constant time, though the signature is public once sent: cheap. */
	unsigned char diff = n == (long)sc->hlen ? 0 : 1;
	for (size_t i = 0; i < sc->hlen && n == (long)sc->hlen; i++)
		diff |= sig[i] ^ sc->server_sig[i];
	if (diff)
		return refuse(sc,
		              "the server's signature is wrong: it does not "
		              "know the password");
	*verified = true;
	return 0;
}
