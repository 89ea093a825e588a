/* sasl.c - the SASL client mechanisms; see sasl.h for the contract.
 *
 * Each mechanism is a short fixed script of client messages, so the state
 * is just the number of steps taken. The secret is copied into memory that
 * is wiped on free; messages that carry it are the caller's to wipe.
 */
#include "proto/sasl.h"

#include "proto/sasl_scram.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum mech {
	MECH_PLAIN,
	MECH_LOGIN,
	MECH_CRAM_MD5,
	MECH_SCRAM_SHA_256,
	MECH_SCRAM_SHA_1,
	MECH_XOAUTH2,
	MECH_OAUTHBEARER,
};

static const struct {
	const char *name;
	enum mech mech;
	bool client_first;
} mechs[] = {
        {"PLAIN", MECH_PLAIN, true},
        {"LOGIN", MECH_LOGIN, false},
        {"CRAM-MD5", MECH_CRAM_MD5, false},
        {"SCRAM-SHA-256", MECH_SCRAM_SHA_256, true},
        {"SCRAM-SHA-1", MECH_SCRAM_SHA_1, true},
        {"XOAUTH2", MECH_XOAUTH2, true},
        {"OAUTHBEARER", MECH_OAUTHBEARER, true},
};

struct imap4_sasl {
	enum mech mech;
	bool client_first;
	bool failed; /* an error ended the exchange */
	bool verified;
	unsigned step; /* client messages produced so far */
	char *authzid; /* "" when none */
	char *user;
	char *secret; /* wiped on free */
	size_t secret_len;
	struct imap4_scram scram;
};

static bool is_scram(enum mech m)
{
	return m == MECH_SCRAM_SHA_256 || m == MECH_SCRAM_SHA_1;
}

static bool is_oauth(enum mech m)
{
	return m == MECH_XOAUTH2 || m == MECH_OAUTHBEARER;
}

/* RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/" ) *"=". Anything else could end the "auth=" field early. */
static bool is_b64token(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~' || c == '+' || c == '/'))
			break;
	}
	if (i == 0)
		return false;
	while (s[i] == '=')
		i++;
	return s[i] == '\0';
}

void imap4_sasl_free(struct imap4_sasl **sp)
{
	struct imap4_sasl *s;

	if (!sp || !(s = *sp))
		return;
	if (s->secret) {
		imap4_memzero(s->secret, s->secret_len);
		free(s->secret);
	}
	free(s->authzid);
	free(s->user);
	if (is_scram(s->mech))
		imap4_scram_clear(&s->scram);
	imap4_memzero(s, sizeof(*s));
	free(s);
	*sp = NULL;
}

int imap4_sasl_new(struct imap4_sasl **out, const char *mechanism,
                   const char *authzid, const char *user, const char *secret)
{
	struct imap4_sasl *s;
	size_t i, n = sizeof(mechs) / sizeof(mechs[0]);

	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	if (!mechanism || !user || !secret)
		return IMAP4_EINVAL;
	for (i = 0; i < n; i++)
		if (strcasecmp(mechanism, mechs[i].name) == 0)
			break;
	if (i == n)
		return IMAP4_EINVAL;
	/* The OAuth messages separate fields with ^A. */
	if (is_oauth(mechs[i].mech) &&
	    (strchr(user, '\x01') || (authzid && strchr(authzid, '\x01')) ||
	     !is_b64token(secret)))
		return IMAP4_EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return IMAP4_ENOMEM;
	s->mech = mechs[i].mech;
	s->client_first = mechs[i].client_first;
	s->verified = !is_scram(s->mech);
	s->secret_len = strlen(secret);
	s->authzid = strdup(authzid ? authzid : "");
	s->user = strdup(user);
	s->secret = malloc(s->secret_len + 1);
	if (!s->authzid || !s->user || !s->secret) {
		imap4_sasl_free(&s);
		return IMAP4_ENOMEM;
	}
	memcpy(s->secret, secret, s->secret_len + 1);
	if (is_scram(s->mech) &&
	    imap4_scram_init(&s->scram, s->mech == MECH_SCRAM_SHA_256) < 0) {
		/* mech is set, so free clears the half-made state */
		imap4_sasl_free(&s);
		return IMAP4_ENOMEM;
	}
	*out = s;
	return 0;
}

bool imap4_sasl_client_first(const struct imap4_sasl *s)
{
	return s && s->client_first;
}

bool imap4_sasl_server_verified(const struct imap4_sasl *s)
{
	return s && s->verified;
}

int imap4_sasl_set_nonce_for_test(struct imap4_sasl *s, const char *nonce)
{
	size_t n;

	if (!s || !nonce || !is_scram(s->mech) || s->step)
		return IMAP4_EINVAL;
	n = strlen(nonce);
	if (n == 0 || n > IMAP4_SCRAM_NONCE_MAX)
		return IMAP4_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (nonce[i] < 0x21 || nonce[i] > 0x7e || nonce[i] == ',')
			return IMAP4_EINVAL;
	memcpy(s->scram.nonce, nonce, n + 1);
	return 0;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd */
static int plain(struct imap4_sasl *s, struct imap4_buf *out)
{
	int rc = imap4_buf_append(out, s->authzid, strlen(s->authzid) + 1);
	if (rc == 0)
		rc = imap4_buf_append(out, s->user, strlen(s->user) + 1);
	if (rc == 0)
		rc = imap4_buf_append(out, s->secret, s->secret_len);
	return rc;
}

/* RFC 2195: user SP hex(HMAC-MD5(password, challenge)) */
static int cram_md5(struct imap4_sasl *s, const void *challenge, size_t clen,
                    struct imap4_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[16];
	char text[33];

	if (clen == 0)
		return IMAP4_EPROTO;
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, s->secret, s->secret_len,
	                     challenge, clen, mac) < 0)
		return IMAP4_ENOMEM;
	for (size_t i = 0; i < sizeof(mac); i++) {
		text[2 * i] = hex[mac[i] >> 4];
		text[2 * i + 1] = hex[mac[i] & 15];
	}
	text[32] = '\0';
	imap4_memzero(mac, sizeof(mac));
	int rc = imap4_buf_printf(out, "%s %s", s->user, text);
	imap4_memzero(text, sizeof(text));
	return rc;
}

/* Google's XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A */
static int xoauth2(struct imap4_sasl *s, struct imap4_buf *out)
{
	return imap4_buf_printf(out,
	                        "user=%s\x01"
	                        "auth=Bearer %s\x01\x01",
	                        s->user, s->secret);
}

/* RFC 7628 3.1: gs2-header ^A "auth=Bearer " token ^A ^A, where the
 * gs2-header names the authorization identity (the user unless an authzid
 * is given) as a saslname. */
static int oauthbearer(struct imap4_sasl *s, struct imap4_buf *out)
{
	const char *who = *s->authzid ? s->authzid : s->user;
	int rc = imap4_buf_puts(out, "n,a=");

	for (; *who && rc == 0; who++) {
		if (*who == '=')
			rc = imap4_buf_puts(out, "=3D");
		else if (*who == ',')
			rc = imap4_buf_puts(out, "=2C");
		else
			rc = imap4_buf_putc(out, *who);
	}
	if (rc == 0)
		rc = imap4_buf_printf(out,
		                      ",\x01"
		                      "auth=Bearer %s\x01\x01",
		                      s->secret);
	return rc;
}

/* The message for step s->step; mechanisms end at different lengths. */
static int next_message(struct imap4_sasl *s, const void *challenge,
                        size_t clen, struct imap4_buf *out)
{
	/* A client-first mechanism opens either with the initial response
	 * (no challenge) or after an empty "+" from a server without
	 * SASL-IR; anything else there is not a SASL exchange we know. */
	if (s->client_first && s->step == 0 && clen != 0)
		return IMAP4_EPROTO;

	switch (s->mech) {
	case MECH_PLAIN:
		return s->step == 0 ? plain(s, out) : IMAP4_EPROTO;
	case MECH_LOGIN:
		/* The prompts ("Username:", "Password:", or localised) are
		 * not standard; their order is. */
		if (s->step == 0)
			return imap4_buf_puts(out, s->user);
		if (s->step == 1)
			return imap4_buf_append(out, s->secret, s->secret_len);
		return IMAP4_EPROTO;
	case MECH_CRAM_MD5:
		return s->step == 0 ? cram_md5(s, challenge, clen, out)
		                    : IMAP4_EPROTO;
	case MECH_XOAUTH2:
	case MECH_OAUTHBEARER:
		if (s->step == 0)
			return s->mech == MECH_XOAUTH2 ? xoauth2(s, out)
			                               : oauthbearer(s, out);
		/* A challenge after the token carries the error as JSON;
		 * the client must answer (XOAUTH2: empty; RFC 7628 3.2.3:
		 * ^A) so the server can send its NO. */
		if (s->step == 1)
			return s->mech == MECH_XOAUTH2
			               ? 0
			               : imap4_buf_putc(out, '\x01');
		return IMAP4_EPROTO;
	case MECH_SCRAM_SHA_256:
	case MECH_SCRAM_SHA_1:
		if (s->step == 0)
			return imap4_scram_client_first(&s->scram, s->authzid,
			                                s->user, out);
		if (s->step == 1)
			return imap4_scram_client_final(&s->scram, s->secret,
			                                challenge, clen, out);
		if (s->step == 2)
			return imap4_scram_server_final(&s->scram, challenge,
			                                clen, &s->verified);
		return IMAP4_EPROTO;
	}
	return IMAP4_EPROTO;
}

const char *imap4_sasl_why(const struct imap4_sasl *s)
{
	bool scram =
	        s->mech == MECH_SCRAM_SHA_256 || s->mech == MECH_SCRAM_SHA_1;

	if (scram && s->scram.why)
		return s->scram.why;
	return "a challenge the mechanism does not expect here";
}

int imap4_sasl_step(struct imap4_sasl *s, const void *challenge, size_t clen,
                    struct imap4_buf *out)
{
	if (!s || !out || (!challenge && clen))
		return IMAP4_EINVAL;
	if (s->failed)
		return IMAP4_EPROTO;
	size_t mark = out->len;
	int rc = next_message(s, challenge, clen, out);
	if (rc < 0) {
		/* Leave out as it was, without a half-written secret. */
		if (out->data) {
			imap4_memzero(out->data + mark, out->len - mark);
			out->len = mark;
			out->data[mark] = '\0';
		}
		s->failed = true;
		return rc;
	}
	s->step++;
	return 0;
}
