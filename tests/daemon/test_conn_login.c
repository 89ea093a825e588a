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
