/* test_auth.c - LOGIN, AUTHENTICATE and what the trace shows of them. */
#include "api_test.h"

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Every trace line, joined with '\n' after its direction. */
struct trace {
	char text[16384];
};

static void on_trace(void *payload, char dir, const char *line, size_t len)
{
	struct trace *tr = payload;
	size_t have = strlen(tr->text);

	cr_assert_eq(strlen(line), len);
	snprintf(tr->text + have, sizeof(tr->text) - have, "%c: %s\n", dir,
	         line);
}

static struct imap4_opts traced(struct trace *tr)
{
	struct imap4_opts o;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.trace = on_trace;
	o.trace_payload = tr;
	return o;
}

Test(auth, login_quotes_password_and_trace_hides_it)
{
	struct api_test t;
	struct trace tr = {""};
	struct imap4_opts o = traced(&tr);
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGIN joe \"pass word\\\\\\\"x\"\n"
	                    "S: $TAG OK logged in\n"
	                    "C: $TAG CAPABILITY\n"
	                    "S: * CAPABILITY IMAP4rev1 MOVE\n"
	                    "S: $TAG OK\n",
	                    &o);

	cr_assert_eq(imap4_login(h, "joe", "pass word\\\"x"), IMAP4_OK);
	/* no [CAPABILITY] in the OK: asked again */
	cr_assert(imap4_has_capability(h, "MOVE"));
	cr_assert_null(strstr(tr.text, "pass"), "%s", tr.text);
	cr_assert(strstr(tr.text, "LOGIN joe ***\n"), "%s", tr.text);
	cr_assert(strstr(tr.text, "S: * OK [CAPABILITY IMAP4rev1] hi\n"), "%s",
	          tr.text);
	api_done(&t);
}

/* explore48: the CAPABILITY asked after a login without [CAPABILITY]
 * became the last command, and the login's [ALERT]s (the tagged OK's and
 * an untagged one) were nowhere for the caller to show: the login's result
 * stays the last command's, as imaplib's login() returns it. */
Test(auth, a_login_keeps_its_alerts_past_the_capability_after_it)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGIN joe \"pw\"\n"
	                    "S: * OK [ALERT] mailbox almost full\n"
	                    "S: $TAG OK [ALERT] your password expires\n"
	                    "C: $TAG CAPABILITY\n"
	                    "S: * CAPABILITY IMAP4rev1 MOVE\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK noop\n",
	                    NULL);

	cr_assert_eq(imap4_login(h, "joe", "pw"), IMAP4_OK);
	cr_assert(imap4_has_capability(h, "MOVE"));
	const imap4_resp *c = imap4_completion(h);
	cr_assert_not_null(c);
	cr_assert_str_eq(c->code, "ALERT");
	cr_assert_str_eq(c->text, "your password expires");
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_str_eq(imap4_data_at(h, 0)->code, "ALERT");
	cr_assert_str_eq(imap4_data_at(h, 0)->text, "mailbox almost full");
	/* and the next command's result is its own */
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_str_eq(imap4_completion(h)->text, "noop");
	cr_assert_eq(imap4_data_count(h), 0);
	api_done(&t);
}

Test(auth, password_as_atom_lookalike_is_still_quoted)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGIN \"a b\" \"NIL\"\n"
	                    "S: $TAG OK [CAPABILITY IMAP4rev1] ok\n",
	                    NULL);

	cr_assert_eq(imap4_login(h, "a b", "NIL"), IMAP4_OK);
	api_done(&t);
}

Test(auth, eight_bit_password_goes_as_literal_and_stays_secret)
{
	struct api_test t;
	struct trace tr = {""};
	struct imap4_opts o = traced(&tr);
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGIN joe {7}\n"
	                    "S: + ready\n"
	                    "C= p\\xc3\\xa4sswd\\r\\n\n"
	                    "S: $TAG OK [CAPABILITY IMAP4rev1] ok\n",
	                    &o);

	cr_assert_eq(imap4_login(h, "joe", "p\xc3\xa4sswd"), IMAP4_OK);
	cr_assert_null(strstr(tr.text, "sswd"), "%s", tr.text);
	cr_assert(strstr(tr.text, "C: ***\n"), "%s", tr.text);
	api_done(&t);
}

Test(auth, login_no_is_an_error)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGIN joe \"bad\"\n"
	                    "S: $TAG NO [AUTHENTICATIONFAILED] nope\n",
	                    NULL);

	cr_assert_eq(imap4_login(h, "joe", "bad"), IMAP4_ENO);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_str_eq(imap4_last_error(h)->server_code,
	                 "AUTHENTICATIONFAILED");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);
	api_done(&t);
}

Test(auth, logindisabled_sends_nothing)
{
	struct api_test t;
	imap4 *h = api_open(
	        &t, "S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\n", NULL);

	cr_assert_eq(imap4_login(h, "joe", "secret"), IMAP4_ECAPA);
	cr_assert_str_eq(fake_server_transcript(t.fs), "");
	api_done(&t);
}

/* explore83: LOGIN was refused under LOGINDISABLED, but AUTHENTICATE
 * PLAIN sent the same password base64'd in clear after the "+" of a
 * server that listed no AUTH=PLAIN. The mechanisms that carry the secret
 * as it is are refused as LOGIN is, before anything is sent. */
static int never_called(void *payload, const void *challenge, size_t clen,
                        void **resp, size_t *rlen)
{
	cr_assert_fail("the exchange must not start");
	return -1;
}

Test(auth, logindisabled_refuses_cleartext_mechanisms)
{
	static const char *const mechs[] = {"PLAIN", "login", "XOAUTH2",
	                                    "OAUTHBEARER"};
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1 SASL-IR "
	                    "AUTH=CRAM-MD5 LOGINDISABLED] hi\n",
	                    NULL);

	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(imap4_authenticate_sasl(h, mechs[i], NULL, "joe",
		                                     "s3cret"),
		             IMAP4_ECAPA, "%s", mechs[i]);
		cr_assert(strstr(imap4_last_error(h)->message, "LOGINDISABLED"),
		          "%s", imap4_last_error(h)->message);
	}
	cr_assert_eq(imap4_authenticate(h, "PLAIN", never_called, NULL),
	             IMAP4_ECAPA);
	cr_assert_str_eq(fake_server_transcript(t.fs), "");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);
	api_done(&t);
}

/* A server that lists the mechanism itself has chosen to take it in
 * clear; CRAM-MD5 sends no secret and is never refused for it. */
Test(auth, logindisabled_allows_listed_and_hashed_mechanisms)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED "
	                    "AUTH=PLAIN] hi\n"
	                    "C: $TAG AUTHENTICATE PLAIN\n"
	                    "S: + \n"
	                    "C: AGpvZQBzM2NyZXQ=\n"
	                    "S: $TAG OK [CAPABILITY IMAP4rev1] welcome\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "PLAIN", NULL, "joe", "s3cret"),
	             IMAP4_OK);
	api_done(&t);
	h = api_open(&t,
	             "S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\n"
	             "C: $TAG AUTHENTICATE CRAM-MD5\n"
	             "S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5u"
	             "ZXQ+\n"
	             "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\n"
	             "S: $TAG OK [CAPABILITY IMAP4rev1] ok\n",
	             NULL);
	cr_assert_eq(imap4_login_cram_md5(h, "tim", "tanstaaftanstaaf"),
	             IMAP4_OK);
	api_done(&t);
}

Test(auth, plain_with_sasl_ir)
{
	struct api_test t;
	struct trace tr = {""};
	struct imap4_opts o = traced(&tr);
	imap4 *h = api_open(
	        &t,
	        "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\n"
	        "C: $TAG AUTHENTICATE PLAIN AGpvZQBzM2NyZXQ=\n"
	        "S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] welcome\n",
	        &o);

	cr_assert_eq(imap4_authenticate_sasl(h, "PLAIN", NULL, "joe", "s3cret"),
	             IMAP4_OK);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert(imap4_has_capability(h, "IDLE"));
	cr_assert_null(strstr(tr.text, "AGpvZQ"), "%s", tr.text);
	cr_assert(strstr(tr.text, "AUTHENTICATE PLAIN ***"), "%s", tr.text);
	api_done(&t);
}

Test(auth, plain_without_sasl_ir_waits_for_empty_challenge)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\n"
	                    "C: $TAG AUTHENTICATE PLAIN\n"
	                    "S: + \n"
	                    "C: AGpvZQBzM2NyZXQ=\n"
	                    "S: $TAG OK [CAPABILITY IMAP4rev1] welcome\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "plain", NULL, "joe", "s3cret"),
	             IMAP4_OK);
	api_done(&t);
}

Test(auth, cram_md5_rfc2195_vector)
{
	struct api_test t;
	struct trace tr = {""};
	struct imap4_opts o = traced(&tr);
	imap4 *h = api_open(
	        &t,
	        "S: * OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5 SASL-IR] hi\n"
	        "C: $TAG AUTHENTICATE CRAM-MD5\n"
	        "S: + "
	        "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\n"
	        "C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\n"
	        "S: $TAG OK [CAPABILITY IMAP4rev1] ok\n",
	        &o);

	cr_assert_eq(imap4_login_cram_md5(h, "tim", "tanstaaftanstaaf"),
	             IMAP4_OK);
	cr_assert_null(strstr(tr.text, "dGlt"), "%s", tr.text);
	cr_assert_null(strstr(tr.text, "PDE4"), "%s", tr.text);
	api_done(&t);
}

struct chat {
	int calls;
	char seen[3][16];
};

static int converse(void *payload, const void *challenge, size_t clen,
                    void **resp, size_t *rlen)
{
	struct chat *c = payload;
	const char *answers[] = {"hello", "world"};

	cr_assert_lt(clen, sizeof(c->seen[0]));
	memcpy(c->seen[c->calls], challenge, clen);
	c->seen[c->calls][clen] = '\0';
	if (c->calls == 2)
		return 1;
	*resp = strdup(answers[c->calls]);
	*rlen = 5;
	c->calls++;
	return 0;
}

Test(auth, authenticate_with_callers_exchange)
{
	struct api_test t;
	struct chat c = {0};
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG AUTHENTICATE X-TEST\n"
	                    "S: + b25l\n"
	                    "C: aGVsbG8=\n"
	                    "S: + dHdv\n"
	                    "C: d29ybGQ=\n"
	                    "S: $TAG OK [CAPABILITY IMAP4rev1] ok\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate(h, "X-TEST", converse, &c), 0);
	cr_assert_eq(c.calls, 2);
	cr_assert_str_eq(c.seen[0], "one");
	cr_assert_str_eq(c.seen[1], "two");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	api_done(&t);
}

Test(auth, authenticate_cancel_sends_star)
{
	struct api_test t;
	struct chat c = {.calls = 2};
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG AUTHENTICATE X-TEST\n"
	                    "S: + \n"
	                    "C: *\n"
	                    "S: $TAG BAD cancelled\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_lt(imap4_authenticate(h, "X-TEST", converse, &c), 0);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

Test(auth, authenticate_no_is_an_error)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] "
	                    "hi\n"
	                    "C: $TAG AUTHENTICATE PLAIN AGpvZQBzM2NyZXQ=\n"
	                    "S: $TAG NO [AUTHENTICATIONFAILED] no\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "PLAIN", "", "joe", "s3cret"),
	             IMAP4_ENO);
	api_done(&t);
}

Test(auth, garbage_challenge_is_cancelled)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG AUTHENTICATE CRAM-MD5\n"
	                    "S: + !!!not base64!!!\n"
	                    "C: *\n"
	                    "S: $TAG BAD cancelled\n",
	                    NULL);

	cr_assert_eq(imap4_login_cram_md5(h, "tim", "x"), IMAP4_EPROTO);
	api_done(&t);
}

Test(auth, unknown_mechanism_sends_nothing)
{
	struct api_test t;
	imap4 *h = api_open(&t, "S: * OK [CAPABILITY IMAP4rev1] hi\n", NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "X-NOPE", NULL, "a", "b"),
	             IMAP4_EINVAL);
	cr_assert_str_eq(fake_server_transcript(t.fs), "");
	api_done(&t);
}

Test(auth, trace_escapes_control_characters)
{
	struct api_test t;
	struct trace tr = {""};
	struct imap4_opts o = traced(&tr);
	imap4 *h =
	        api_open(&t,
	                 "S: * OK [CAPABILITY IMAP4rev1] hi \\x1b[31mred\\x07\n"
	                 "C: $TAG NOOP\n"
	                 "S: $TAG OK\n",
	                 &o);

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_null(strchr(tr.text, '\x1b'));
	cr_assert(strstr(tr.text, "hi \\x1b[31mred\\x07\n"), "%s", tr.text);
	api_done(&t);
}

Test(auth, ok_after_cancel_is_not_trusted)
{
	struct api_test t;
	struct chat c = {.calls = 2};
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG AUTHENTICATE X-TEST\n"
	                    "S: + \n"
	                    "C: *\n"
	                    "S: $TAG OK whatever you say\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate(h, "X-TEST", converse, &c),
	             IMAP4_EPROTO);
	cr_assert_neq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "AUTHENTICATE X-TEST cancelled: the callback "
	                 "cancelled it (and the server accepted the "
	                 "cancelled exchange)");
	api_done(&t);
}

/* ---- a SCRAM server that does not know the password
 *
 * Not a fake_server script: its server-first must carry the client's
 * random nonce. It answers the client's first message with a nonce, salt
 * and count of its own, signs the end with a key it made up, and when the
 * client cancels ("*"), says OK anyway. It runs in a thread, so it reports
 * in err rather than with criterion's asserts. */
struct forger {
	int fd;
	char tag[16];
	char last[64]; /* the client's line after the forged signature */
	char err[256]; /* what the client did wrong; empty when nothing */
};

/* One line without its CRLF; false at EOF or when it does not fit. */
static bool forger_read(struct forger *f, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap && read(f->fd, buf + n, 1) == 1) {
		if (++n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n') {
			buf[n - 2] = '\0';
			return true;
		}
	}
	snprintf(f->err, sizeof(f->err), "no line from the client");
	return false;
}

static bool forger_send(struct forger *f, const char *line)
{
	size_t len = strlen(line);

	if (write(f->fd, line, len) == (ssize_t)len)
		return true;
	snprintf(f->err, sizeof(f->err), "cannot send %.200s", line);
	return false;
}

/* "+ " and the base64 of text. */
static bool forger_challenge(struct forger *f, const void *text, size_t len)
{
	gnutls_datum_t in = {(unsigned char *)text, (unsigned)len}, b64;
	char line[512];

	if (gnutls_base64_encode2(&in, &b64) < 0) {
		snprintf(f->err, sizeof(f->err), "base64 failed");
		return false;
	}
	snprintf(line, sizeof(line), "+ %.*s\r\n", (int)b64.size,
	         (const char *)b64.data);
	gnutls_free(b64.data);
	return forger_send(f, line);
}

static void *forge(void *arg)
{
	static const unsigned char made_up[32]; /* not the ServerSignature */
	struct forger *f = arg;
	char line[512], first[256], challenge[512];
	gnutls_datum_t in, raw = {NULL, 0};
	const char *nonce;

	if (!forger_send(f, "* OK [CAPABILITY IMAP4rev1 "
	                    "AUTH=SCRAM-SHA-256] hi\r\n") ||
	    !forger_read(f, line, sizeof(line)))
		return NULL;
	if (sscanf(line, "%15s AUTHENTICATE SCRAM-SHA-256", f->tag) != 1) {
		snprintf(f->err, sizeof(f->err), "not AUTHENTICATE: %.200s",
		         line);
		return NULL;
	}
	if (!forger_send(f, "+ \r\n") || !forger_read(f, line, sizeof(line)))
		return NULL;
	in.data = (unsigned char *)line;
	in.size = (unsigned)strlen(line);
	if (gnutls_base64_decode2(&in, &raw) < 0 || raw.size >= sizeof(first)) {
		snprintf(f->err, sizeof(f->err), "client-first: %.200s", line);
		gnutls_free(raw.data);
		return NULL;
	}
	memcpy(first, raw.data, raw.size);
	first[raw.size] = '\0';
	gnutls_free(raw.data);
	nonce = strstr(first, ",r=");
	if (!nonce) {
		snprintf(f->err, sizeof(f->err), "no nonce: %.200s", first);
		return NULL;
	}
	snprintf(challenge, sizeof(challenge),
	         "r=%sforged,s=c2FsdHNhbHRzYWx0,i=4096", nonce + 3);
	if (!forger_challenge(f, challenge, strlen(challenge)) ||
	    !forger_read(f, line, sizeof(line)))
		return NULL;
	in.data = (unsigned char *)made_up;
	in.size = sizeof(made_up);
	if (gnutls_base64_encode2(&in, &raw) < 0) {
		snprintf(f->err, sizeof(f->err), "base64 failed");
		return NULL;
	}
	snprintf(challenge, sizeof(challenge), "v=%.*s", (int)raw.size,
	         (const char *)raw.data);
	gnutls_free(raw.data);
	if (!forger_challenge(f, challenge, strlen(challenge)) ||
	    !forger_read(f, f->last, sizeof(f->last)))
		return NULL;
	snprintf(line, sizeof(line), "%s OK welcome, whoever you are\r\n",
	         f->tag);
	forger_send(f, line);
	return NULL;
}

/* The client refuses a server whose SCRAM signature is wrong, and
 * that server's OK to the cancel does not hide why: the message names the
 * signature, not only the odd OK. */
Test(auth, scram_wrong_signature_then_ok_says_why)
{
	struct forger f = {.fd = -1};
	struct imap4_transport *tr = NULL;
	struct imap4_opts o;
	pthread_t thread;
	imap4 *h = NULL;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f.fd = sv[1];
	cr_assert_eq(pthread_create(&thread, NULL, forge, &f), 0);
	cr_assert_eq(imap4_fd_open(&tr, sv[0]), 0);
	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 5000;
	cr_assert_eq(imap4_open_transport(&h, tr, &o), 0, "%s",
	             imap4_open_error());

	cr_assert_eq(imap4_authenticate_sasl(h, "SCRAM-SHA-256", NULL, "user",
	                                     "pencil"),
	             IMAP4_EPROTO);
	cr_assert_neq(imap4_state(h), IMAP4_STATE_AUTH);
	const char *msg = imap4_last_error(h)->message;
	cr_assert(strstr(msg, "AUTHENTICATE SCRAM-SHA-256 cancelled: the "
	                      "server's signature is wrong"),
	          "%s", msg);
	cr_assert(strstr(msg, "accepted the cancelled exchange"), "%s", msg);

	imap4_free(&h);
	pthread_join(thread, NULL);
	close(sv[1]);
	cr_assert_str_eq(f.err, "");
	cr_assert_str_eq(f.last, "*");
}
