/* auth.c - LOGIN and AUTHENTICATE.
 *
 * Secrets: the password goes out as a quoted string or a literal, never as
 * an atom; the encoder marks it secret so the trace shows "***", and the
 * command buffer is wiped when the next command starts or the handle is
 * freed. Every AUTHENTICATE line is secret in the trace, and the buffers
 * holding client responses are wiped as soon as they are sent.
 */
#include "api/internal.h"
#include "proto/sasl.h"

#include <ctype.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int imap4_after_auth(imap4 *h, unsigned caps_gen_before)
{
	h->state = IMAP4_STATE_AUTH;
	/* RFC 3501 6.2.2/6.2.3: capabilities may change after
	 * authentication; use the [CAPABILITY] of the completion when the
	 * server sent one, else ask. */
	if (h->sess.caps_gen != caps_gen_before)
		return IMAP4_OK;
	int rc = imap4_refresh_caps_after(h);
	return rc < 0 ? rc : imap4_ok(h);
}

int imap4_login(imap4 *h, const char *user, const char *password)
{
	struct imap4_run run = {
	        .expect = NULL, .no_is_error = true, .limit_aborts = true};
	unsigned gen;
	int rc = imap4_cmd_start(h, IMAP4_NONAUTH, "LOGIN");

	if (rc)
		return rc;
	/* RFC 3501 6.2.3: LOGIN MUST NOT be sent when LOGINDISABLED. */
	if (imap4_session_has_cap(&h->sess, "LOGINDISABLED"))
		return imap4_fail(h, IMAP4_ECAPA,
		                  "LOGIN is disabled by the server "
		                  "(LOGINDISABLED)");
	if (password == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "LOGIN: no password");
	imap4_cmd_astring(&h->cmd, user);
	imap4_cmd_secret(&h->cmd);
	imap4_cmd_string(&h->cmd, password, strlen(password));
	gen = h->sess.caps_gen;
	rc = imap4_run(h, &run);
	imap4_cmd_clear(&h->cmd);
	if (rc)
		return rc;
	return imap4_after_auth(h, gen);
}

/* ---- the AUTHENTICATE exchange (RFC 3501 6.2.2, RFC 4959 SASL-IR) */

struct exchange {
	/* either the caller's callback ... */
	imap4_auth_cb cb;
	void *payload;
	/* ... or a built-in mechanism */
	struct imap4_sasl *sasl;
	int error;       /* why the exchange was cancelled */
	const char *why; /* in words (static), when known */
};

/* Sends one client response line: base64 of data, "=" for none is not
 * needed here (RFC 3501 sends an empty line), or "*" to cancel. */
static int send_line(imap4 *h, struct imap4_run *run, const void *data,
                     size_t len, bool cancel)
{
	gnutls_datum_t in = {(unsigned char *)data, (unsigned)len};
	gnutls_datum_t b64 = {NULL, 0};
	struct imap4_buf line;
	int rc;

	imap4_buf_init(&line, 0);
	if (cancel) {
		rc = imap4_buf_puts(&line, "*");
	} else if (len > 0) {
		if (len > UINT32_MAX / 2 ||
		    gnutls_base64_encode2(&in, &b64) < 0)
			return imap4_fail(h, IMAP4_ENOMEM, "base64 failed");
		rc = imap4_buf_append(&line, b64.data, b64.size);
		imap4_memzero(b64.data, b64.size);
		gnutls_free(b64.data);
	} else {
		rc = 0;
	}
	if (rc == 0)
		rc = imap4_buf_append(&line, "\r\n", 2);
	if (rc == 0)
		rc = imap4_write(h, line.data, line.len, cancel ? SIZE_MAX : 0,
		                 run->deadline);
	else
		rc = imap4_fail(h, rc, NULL);
	imap4_buf_wipe(&line);
	return rc;
}

static int decode_challenge(gnutls_datum_t *out, const char *text)
{
	gnutls_datum_t in;

	out->data = NULL;
	out->size = 0;
	if (text == NULL || *text == '\0')
		return 0;
	in.data = (unsigned char *)text;
	in.size = (unsigned)strlen(text);
	return gnutls_base64_decode2(&in, out) < 0 ? IMAP4_EPROTO : 0;
}

static int on_challenge(imap4 *h, struct imap4_run *run, const imap4_resp *resp)
{
	struct exchange *ex = run->cont_state;
	gnutls_datum_t ch;
	const void *data;
	void *answer = NULL;
	size_t alen = 0;
	int rc, cb;

	if (ex->error) /* cancelled already: the server must end */
		return imap4_fail(h, IMAP4_EPROTO,
		                  "continuation after a cancelled "
		                  "AUTHENTICATE");
	if (decode_challenge(&ch, resp->text)) {
		ex->error = IMAP4_EPROTO;
		ex->why = "a challenge that is not base64";
		return send_line(h, run, NULL, 0, true);
	}
	/* An empty challenge is a challenge, not the absence of one. */
	data = ch.data ? (const void *)ch.data : "";
	if (ex->sasl) {
		struct imap4_buf out;

		imap4_buf_init(&out, 0);
		rc = imap4_sasl_step(ex->sasl, data, ch.size, &out);
		if (rc == 0)
			rc = send_line(h, run, out.data, out.len, false);
		else
			ex->error = rc;
		if (ex->error == IMAP4_EPROTO)
			ex->why = imap4_sasl_why(ex->sasl);
		imap4_buf_wipe(&out);
		gnutls_free(ch.data);
		return ex->error ? send_line(h, run, NULL, 0, true) : rc;
	}
	cb = ex->cb(ex->payload, data, ch.size, &answer, &alen);
	gnutls_free(ch.data);
	if (cb != 0) {
		ex->error = cb < 0 ? IMAP4_ECALLBACK : IMAP4_ENO;
		ex->why = cb < 0 ? "the callback failed"
		                 : "the callback cancelled it";
		if (answer) {
			imap4_memzero(answer, alen);
			free(answer);
		}
		return send_line(h, run, NULL, 0, true);
	}
	rc = send_line(h, run, answer, answer ? alen : 0, false);
	if (answer) {
		imap4_memzero(answer, alen);
		free(answer);
	}
	return rc;
}

static int run_exchange(imap4 *h, const char *mechanism, struct exchange *ex)
{
	struct imap4_run run = {.expect = NULL,
	                        .no_is_error = true,
	                        .limit_aborts = true,
	                        .secret_cont = true,
	                        .on_cont = on_challenge,
	                        .cont_state = ex};
	unsigned gen = h->sess.caps_gen;
	int rc;

	rc = imap4_run(h, &run);
	imap4_cmd_clear(&h->cmd);
	if (ex->error && rc != IMAP4_OK &&
	    imap4_error_class(rc) != IMAP4_CLASS_ABORT)
		return imap4_fail(h, ex->error, "AUTHENTICATE %s cancelled: %s",
		                  mechanism,
		                  ex->why ? ex->why
		                          : imap4_strerror(ex->error));
	if (rc)
		return rc;
	/* We answered "*": an OK now is not a login we can trust. Why we
	 * cancelled (a SCRAM server that does not know the password) is
	 * what the user must hear; the OK only makes it worse. */
	if (ex->error)
		return imap4_fail(h, IMAP4_EPROTO,
		                  "AUTHENTICATE %s cancelled: %s (and the "
		                  "server accepted the cancelled exchange)",
		                  mechanism,
		                  ex->why ? ex->why
		                          : imap4_strerror(ex->error));
	if (ex->sasl && !imap4_sasl_server_verified(ex->sasl))
		return imap4_fail(h, IMAP4_EPROTO,
		                  "AUTHENTICATE %s: the server accepted "
		                  "without proving it knows the password",
		                  mechanism);
	return imap4_after_auth(h, gen);
}

/* RFC 4422 3.1: mechanism names are upper case; servers compare them
 * case-insensitively, but some log or match them as sent. */
static int put_mechanism(imap4 *h, const char *mechanism)
{
	char up[64];
	size_t i;

	if (mechanism == NULL)
		return imap4_fail(h, IMAP4_EINVAL,
		                  "AUTHENTICATE: no mechanism");
	for (i = 0; mechanism[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)toupper((unsigned char)mechanism[i]);
	up[i] = '\0';
	if (mechanism[i] || imap4_cmd_atom(&h->cmd, up))
		return imap4_fail(h, IMAP4_EINVAL,
		                  "AUTHENTICATE: bad mechanism name");
	return 0;
}

/* RFC 3501 6.2.3 and 7.2.1, RFC 9051 6.2.3: LOGINDISABLED says no
 * password may cross this connection in clear, and that holds for the
 * SASL mechanisms that carry the secret as it is (PLAIN, LOGIN, and the
 * bearer tokens of XOAUTH2 and OAUTHBEARER) as much as for LOGIN: a
 * server that lists none of them still answers "+" to any name, and the
 * secret would be out before its NO. Only a server that lists the
 * mechanism itself has chosen to take it so. CRAM-MD5 and SCRAM send no
 * secret; a caller's mechanism is judged by its name. */
static int refuse_cleartext(imap4 *h, const char *mechanism)
{
	static const char *const clear[] = {"PLAIN", "LOGIN", "XOAUTH2",
	                                    "OAUTHBEARER"};
	char cap[80];

	if (h->tls || mechanism == NULL ||
	    !imap4_session_has_cap(&h->sess, "LOGINDISABLED"))
		return 0;
	for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++) {
		if (strcasecmp(mechanism, clear[i]) != 0)
			continue;
		snprintf(cap, sizeof(cap), "AUTH=%s", clear[i]);
		if (imap4_session_has_cap(&h->sess, cap))
			return 0;
		return imap4_fail(h, IMAP4_ECAPA,
		                  "AUTHENTICATE %s would send the secret in "
		                  "clear, which the server forbids "
		                  "(LOGINDISABLED without TLS, and no "
		                  "AUTH=%s): nothing was sent",
		                  clear[i], clear[i]);
	}
	return 0;
}

int imap4_authenticate(imap4 *h, const char *mechanism, imap4_auth_cb cb,
                       void *payload)
{
	struct exchange ex = {.cb = cb, .payload = payload};
	int rc = imap4_cmd_start(h, IMAP4_NONAUTH, "AUTHENTICATE");

	if (rc)
		return rc;
	if (cb == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "AUTHENTICATE: no callback");
	rc = refuse_cleartext(h, mechanism);
	if (rc)
		return rc;
	rc = put_mechanism(h, mechanism);
	if (rc)
		return rc;
	return run_exchange(h, mechanism, &ex);
}

/* The initial response holds the secret (PLAIN's password, an OAuth
 * token): in the command line it would reach a server that refuses the
 * mechanism unseen. It goes there only when the server names the
 * mechanism; otherwise after its "+", which a refusing server never sends
 * (RFC 4959 3 allows both). */
static bool offers_ir(const imap4 *h, const char *mechanism)
{
	char cap[80];

	snprintf(cap, sizeof(cap), "AUTH=%s", mechanism);
	return imap4_session_has_cap(&h->sess, "SASL-IR") &&
	       imap4_session_has_cap(&h->sess, cap);
}

int imap4_authenticate_sasl(imap4 *h, const char *mechanism,
                            const char *authzid, const char *user,
                            const char *secret)
{
	struct exchange ex = {0};
	int rc = imap4_cmd_start(h, IMAP4_NONAUTH, "AUTHENTICATE");

	if (rc)
		return rc;
	rc = refuse_cleartext(h, mechanism);
	if (rc)
		return rc;
	rc = imap4_sasl_new(&ex.sasl, mechanism, authzid, user, secret);
	if (rc)
		return imap4_fail(h, rc, "AUTHENTICATE %s: %s",
		                  mechanism ? mechanism : "(none)",
		                  rc == IMAP4_EINVAL ? "unknown mechanism or "
		                                       "bad credentials"
		                                     : imap4_strerror(rc));
	rc = put_mechanism(h, mechanism);
	if (rc) {
		imap4_sasl_free(&ex.sasl);
		return rc;
	}
	if (imap4_sasl_client_first(ex.sasl) && offers_ir(h, mechanism)) {
		struct imap4_buf ir;
		gnutls_datum_t in, b64 = {NULL, 0};

		imap4_buf_init(&ir, 0);
		rc = imap4_sasl_step(ex.sasl, NULL, 0, &ir);
		in.data = (unsigned char *)ir.data;
		in.size = (unsigned)ir.len;
		imap4_cmd_secret(&h->cmd);
		if (rc == 0 && ir.len == 0)
			imap4_cmd_atom(&h->cmd, "="); /* RFC 4959 3 */
		else if (rc == 0 && gnutls_base64_encode2(&in, &b64) == 0)
			imap4_cmd_atom(&h->cmd, (const char *)b64.data);
		else if (rc == 0)
			rc = IMAP4_ENOMEM;
		if (b64.data) {
			imap4_memzero(b64.data, b64.size);
			gnutls_free(b64.data);
		}
		imap4_buf_wipe(&ir);
		if (rc) {
			imap4_sasl_free(&ex.sasl);
			return imap4_fail(h, rc, "AUTHENTICATE %s: %s",
			                  mechanism, imap4_strerror(rc));
		}
	}
	rc = run_exchange(h, mechanism, &ex);
	imap4_sasl_free(&ex.sasl);
	return rc;
}

int imap4_login_cram_md5(imap4 *h, const char *user, const char *password)
{
	return imap4_authenticate_sasl(h, "CRAM-MD5", NULL, user, password);
}
