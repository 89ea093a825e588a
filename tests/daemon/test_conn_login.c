/* test_conn_login.c - how a refused login is classed: the credentials,
 * which no retry mends (an error the admin must see), or a trouble the
 * server names as passing (RFC 5530), retried as any refusal. */
#include "daemon/fake_account.h"
#include "harness/fake_server.h"
#include "mailmirrord/conn.h"
#include "mailmirrord/log.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static enum conn_failure login_answered(const char *answer)
{
	char script[512], err[512] = "";
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	snprintf(script, sizeof(script),
	         "S: * OK [CAPABILITY IMAP4rev1] ready\n"
	         "C: $TAG LOGIN joe \"pw\"\n"
	         "S: $TAG %s\n"
	         "EOF\n",
	         answer);
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);
	struct conf_account c = fake_account("work", port, "joe", "pw");
	imap4 *h = NULL;
	enum conn_failure why = CONN_FAIL_CANCELLED;
	cr_assert_eq(conn_open(&h, &why, &c, -1, LOG_LEVEL_NOTICE, NULL, NULL,
	                       err, sizeof(err)),
	             -1);
	cr_assert_null(h);
	fake_server_finish(fs, err, sizeof(err));
	return why;
}

Test(conn_login, wrong_credentials_are_the_admins)
{
	cr_assert_eq(login_answered("NO [AUTHENTICATIONFAILED] no"),
	             CONN_FAIL_AUTH);
	cr_assert_eq(login_answered("NO wrong password"), CONN_FAIL_AUTH);
}

Test(conn_login, a_passing_trouble_is_retried)
{
	cr_assert_eq(login_answered("NO [UNAVAILABLE] Temporary authentication "
	                            "failure"),
	             CONN_FAIL_REFUSED);
	cr_assert_eq(login_answered("NO [SERVERBUG] oops"), CONN_FAIL_REFUSED);
	cr_assert_eq(login_answered("NO [INUSE] busy"), CONN_FAIL_REFUSED);
}

/* A server that greets, takes the login and never answers it: after the
 * account's timeout, conn_open's failure and its err, which the worker
 * logs and keeps as last_error. */
static enum conn_failure login_unanswered(const char *caps, const char *cmd,
                                          enum conf_auth auth, char *err,
                                          size_t errlen)
{
	char script[512], mismatch[512] = "";
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	snprintf(script, sizeof(script),
	         "S: * OK [CAPABILITY %s] ready\n"
	         "C~ %s\n"
	         "TIMEOUT 10000\n"
	         "EOF\n",
	         caps, cmd);
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);
	struct conf_account c = fake_account("work", port, "joe", "s3cret-pw");
	c.auth = auth;
	c.timeout = 1;
	imap4 *h = NULL;
	enum conn_failure why = CONN_FAIL_CANCELLED;
	cr_assert_eq(conn_open(&h, &why, &c, -1, LOG_LEVEL_NOTICE, NULL, NULL,
	                       err, errlen),
	             -1);
	cr_assert_null(h);
	cr_assert_eq(fake_server_finish(fs, mismatch, sizeof(mismatch)), 0,
	             "%s", mismatch);
	return why;
}

/* A LOGIN left unanswered is no word on the credentials: a failure of
 * the link, retried as one, and said as a connect's, never as
 * "authentication" (which read as a wrong password, and began a streak
 * of its own in the log). */
Test(conn_login, an_unanswered_login_is_the_links)
{
	char err[512] = "";
	cr_assert_eq(login_unanswered("IMAP4rev1", "$TAG LOGIN joe ",
	                              CONF_AUTH_LOGIN, err, sizeof(err)),
	             CONN_FAIL_NETWORK);
	cr_assert_str_eq(err, "connect: the server did not answer LOGIN "
	                      "within 1 s (timeout)");
}

Test(conn_login, an_unanswered_authenticate_is_the_links)
{
	char err[512] = "";
	cr_assert_eq(login_unanswered("IMAP4rev1 AUTH=PLAIN",
	                              "$TAG AUTHENTICATE PLAIN$",
	                              CONF_AUTH_PLAIN, err, sizeof(err)),
	             CONN_FAIL_NETWORK);
	cr_assert_str_eq(err, "connect: the server did not answer "
	                      "AUTHENTICATE PLAIN within 1 s (timeout)");
	cr_assert_null(strstr(err, "s3cret"), "%s", err);
}

/* conn_open against a server that plays script (then waits for the
 * close), with a 1 s timeout: its failure, and err. */
static enum conn_failure open_unanswered(const char *script, enum conf_tls tls,
                                         char *err, size_t errlen)
{
	char full[512], mismatch[512] = "";
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	snprintf(full, sizeof(full), "%sTIMEOUT 10000\nEOF\n", script);
	cr_assert_eq(fake_server_listen(&fs, &port, full), 0);
	struct conf_account c = fake_account("work", port, "joe", "s3cret-pw");
	c.tls = tls;
	c.timeout = 1;
	imap4 *h = NULL;
	enum conn_failure why = CONN_FAIL_CANCELLED;
	cr_assert_eq(conn_open(&h, &why, &c, -1, LOG_LEVEL_NOTICE, NULL, NULL,
	                       err, errlen),
	             -1);
	cr_assert_null(h);
	cr_assert_eq(fake_server_finish(fs, mismatch, sizeof(mismatch)), 0,
	             "%s", mismatch);
	return why;
}

/* A server that greets and never answers the CAPABILITY of the connect
 * said "connect: CAPABILITY: no completion within 1000 ms": the
 * library's words for a command's own trouble. It is said as an
 * unanswered login is, a failure of the connection. */
Test(conn_login, an_unanswered_capability_is_the_links)
{
	char err[512] = "";
	cr_assert_eq(open_unanswered("S: * OK ready\n"
	                             "C: $TAG CAPABILITY\n",
	                             CONF_TLS_NONE, err, sizeof(err)),
	             CONN_FAIL_NETWORK);
	cr_assert_str_eq(err, "connect: the server did not answer CAPABILITY "
	                      "within 1 s (timeout)");
}

Test(conn_login, an_unanswered_starttls_is_the_links)
{
	char err[512] = "";
	cr_assert_eq(open_unanswered("S: * OK [CAPABILITY IMAP4rev1 STARTTLS "
	                             "AUTH=PLAIN] ready\n"
	                             "C: $TAG STARTTLS\n",
	                             CONF_TLS_STARTTLS, err, sizeof(err)),
	             CONN_FAIL_NETWORK);
	cr_assert_str_eq(err, "connect: the server did not answer STARTTLS "
	                      "within 1 s (timeout)");
}

/* A LOGIN answered without [CAPABILITY] is followed by the library's
 * CAPABILITY: that one left unanswered was said as "did not answer
 * LOGIN", a command the server had answered. */
Test(conn_login, an_unanswered_capability_after_the_login_is_named)
{
	char err[512] = "";
	cr_assert_eq(open_unanswered("S: * OK [CAPABILITY IMAP4rev1] ready\n"
	                             "C~ $TAG LOGIN joe \n"
	                             "S: $TAG OK logged in\n"
	                             "C: $TAG CAPABILITY\n",
	                             CONF_TLS_NONE, err, sizeof(err)),
	             CONN_FAIL_NETWORK);
	cr_assert_str_eq(err, "connect: the server did not answer CAPABILITY "
	                      "within 1 s (timeout)");
}
