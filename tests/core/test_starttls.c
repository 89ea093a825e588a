/* test_starttls.c - STARTTLS and the attacks on it (RELIABILITY rules 1-3;
 * Poddebniak et al., "Why TLS is better without STARTTLS", 2021). */
#include "api_test.h"

#include <stdio.h>

static struct imap4_opts tls_opts(const char *servername)
{
	struct imap4_opts o;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 5000;
	o.tls = IMAP4_TLS_STARTTLS;
	o.ca_file = fake_server_ca_file();
	o.servername = servername;
	cr_assert_not_null(o.ca_file);
	return o;
}

Test(starttls, upgrade_then_capabilities_are_asked_again)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("localhost");
	imap4 *h = api_open(
	        &t,
	        "S: * OK [CAPABILITY IMAP4rev1 STARTTLS X-CLEARTEXT] hi\n"
	        "C: $TAG STARTTLS\n"
	        "S: $TAG OK Begin TLS negotiation now\n"
	        "STARTTLS\n"
	        "C: $TAG CAPABILITY\n"
	        "S: * CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\n"
	        "S: $TAG OK\n"
	        "C: $TAG LOGIN joe \"secret\"\n"
	        "S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] ok\n",
	        &o);

	cr_assert(imap4_is_tls(h));
	cr_assert_not(imap4_has_capability(h, "X-CLEARTEXT"));
	cr_assert_not(imap4_has_capability(h, "STARTTLS"));
	cr_assert(imap4_has_capability(h, "AUTH=PLAIN"));
	cr_assert_eq(imap4_login(h, "joe", "secret"), IMAP4_OK);
	/* already on TLS: a second STARTTLS is refused without sending */
	cr_assert_eq(imap4_starttls(h), IMAP4_ETLSREQ);
	api_done(&t);
}

Test(starttls, capability_asked_first_when_greeting_has_none)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("127.0.0.1");
	imap4 *h = api_open(&t,
	                    "S: * OK hi\n"
	                    "C: $TAG CAPABILITY\n"
	                    "S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG STARTTLS\n"
	                    "S: $TAG OK go\n"
	                    "STARTTLS\n"
	                    "C: $TAG CAPABILITY\n"
	                    "S: * CAPABILITY IMAP4rev1\n"
	                    "S: $TAG OK\n",
	                    &o);

	/* LOGINDISABLED held in cleartext only */
	cr_assert_not(imap4_has_capability(h, "LOGINDISABLED"));
	api_done(&t);
}

Test(starttls, not_advertised_means_no_credentials)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("localhost");

	api_start(&t, "S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\n", &o);
	cr_assert_eq(t.rc, IMAP4_ETLSREQ);
	cr_assert_null(t.h);
	cr_assert_str_eq(fake_server_transcript(t.fs), "");
	api_done(&t);
}

Test(starttls, cleartext_preauth_is_refused)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("localhost");

	api_start(&t, "S: * PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\n", &o);
	cr_assert_eq(t.rc, IMAP4_ETLSREQ);
	cr_assert_str_eq(fake_server_transcript(t.fs), "");
	api_done(&t);
}

/* TLS required: a refusal ends the open at once, NO or BAD alike, and
 * nothing is sent in clear after it (RELIABILITY rule 1). */
Test(starttls, refused_by_server)
{
	static const char *const answers[] = {"NO not today", "BAD no"};

	for (size_t i = 0; i < 2; i++) {
		struct api_test t;
		struct imap4_opts o = tls_opts("localhost");
		char script[256];

		snprintf(script, sizeof(script),
		         "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
		         "C: $TAG STARTTLS\n"
		         "S: $TAG %s\n"
		         "EOF\n",
		         answers[i]);
		api_start(&t, script, &o);
		cr_assert_eq(t.rc, IMAP4_ETLSREQ);
		cr_assert_null(t.h);
		cr_assert(strstr(imap4_open_error(), "STARTTLS refused"), "%s",
		          imap4_open_error());
		api_done(&t);
	}
}

/* Called by hand, a refused STARTTLS is imaplib's error ("Couldn't
 * establish TLS session"), not its abort: the result says what the server
 * said, and the handle goes on in clear and in its state, having sent
 * nothing more. */
Test(starttls, refused_call_leaves_the_handle_usable)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("localhost");
	imap4 *h;

	o.tls = IMAP4_TLS_NONE;
	h = api_open(&t,
	             "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
	             "C: $TAG STARTTLS\n"
	             "S: $TAG NO [UNAVAILABLE] not today\n"
	             "C: $TAG STARTTLS\n"
	             "S: $TAG BAD not now either\n"
	             "C: $TAG NOOP\n"
	             "S: $TAG OK\n",
	             &o);

	cr_assert_eq(imap4_starttls(h), IMAP4_ENO);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_str_eq(imap4_last_error(h)->server_code, "UNAVAILABLE");
	cr_assert_str_eq(imap4_last_error(h)->server_text, "not today");
	cr_assert_str_eq(imap4_completion(h)->name, "NO");
	cr_assert_not(imap4_is_tls(h));
	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);

	cr_assert_eq(imap4_starttls(h), IMAP4_EBAD);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_str_eq(imap4_last_error(h)->server_text, "not now either");
	cr_assert_not(imap4_is_tls(h));

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);
	cr_assert(imap4_has_capability(h, "STARTTLS"));
	api_done(&t);
}

Test(starttls, bytes_after_ok_are_an_injection)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("localhost");

	/* the man in the middle appends a response to the OK, hoping it is
	 * read as if it came through TLS */
	api_start(&t,
	          "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
	          "C: $TAG STARTTLS\n"
	          "S+ $TAG OK go\\r\\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\\r\\n\n"
	          "EOF\n",
	          &o);
	cr_assert_eq(t.rc, IMAP4_EINJECT);
	cr_assert(strstr(imap4_open_error(), "before the TLS handshake"), "%s",
	          imap4_open_error());
	api_done(&t);
}

Test(starttls, wrong_name_fails_verification)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("imap.example.org");

	api_start(&t,
	          "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
	          "C: $TAG STARTTLS\n"
	          "S: $TAG OK go\n"
	          "STARTTLS\n",
	          &o);
	cr_assert(t.rc == IMAP4_ECERT || t.rc == IMAP4_ETLS, "rc %d: %s", t.rc,
	          imap4_open_error());
	imap4_free(&t.h);
	fake_server_finish(t.fs, NULL, 0); /* the handshake failed */
}

Test(starttls, explicit_call_on_a_cleartext_handle)
{
	struct api_test t;
	struct imap4_opts o = tls_opts("localhost");
	imap4 *h;

	o.tls = IMAP4_TLS_NONE;
	h = api_open(&t,
	             "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
	             "C: $TAG STARTTLS\n"
	             "S: $TAG OK go\n"
	             "STARTTLS\n"
	             "C: $TAG CAPABILITY\n"
	             "S: * CAPABILITY IMAP4rev1\n"
	             "S: $TAG OK\n"
	             "C: $TAG NOOP\n"
	             "S: $TAG OK\n",
	             &o);

	cr_assert_not(imap4_is_tls(h));
	cr_assert_eq(imap4_starttls(h), IMAP4_OK);
	cr_assert(imap4_is_tls(h));
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}
