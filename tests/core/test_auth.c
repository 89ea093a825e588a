/* test_auth.c - LOGIN, AUTHENTICATE and what the trace shows of them. */
#include "api_test.h"

#include <stdio.h>
#include <stdlib.h>

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
	                    "S: * OK [CAPABILITY IMAP4rev1 SASL-IR] hi\n"
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
	api_done(&t);
}
