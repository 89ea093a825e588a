/* conn.h - an authenticated libimap4 connection for an account.
 *
 * Chooses the transport the configuration names (implicit TLS, STARTTLS,
 * cleartext on loopback, or a tunnel command), verifies the server as
 * configured (system trust store, ca_file, or a pinned fingerprint), and
 * logs in with the configured mechanism. The secret is fetched right
 * before it is needed and wiped right after (secret.h); it never reaches a
 * log or an error message.
 */
#ifndef MAILMIRRORD_CONN_H
#define MAILMIRRORD_CONN_H

#include "imap4.h"
#include "mailmirrord/config.h"

#include <stdbool.h>
#include <stddef.h>

enum conn_failure {
	CONN_FAIL_NETWORK,   /* the link: connect refused or unreachable, a
	                        name that did not resolve, a timeout (a
	                        CAPABILITY, STARTTLS, LOGIN or AUTHENTICATE
	                        left unanswered too),
	                        a TLS handshake or a connection cut. Retry
	                        with back-off; another network may mend it */
	CONN_FAIL_AUTH,      /* the server refused the credentials: retry
	                        slowly, it will not fix itself */
	CONN_FAIL_REFUSED,   /* the server answered but refused us (BYE, BAD,
	                        a limit) or broke the protocol: likewise */
	CONN_FAIL_TLS,       /* the certificate, or TLS the server cannot
	                        do as required: likewise */
	CONN_FAIL_CONFIG,    /* the secret could not be obtained, or the
	                        configuration forbids the peer */
	CONN_FAIL_CANCELLED, /* cancel_fd ended the connect: no failure,
	                        nothing to retry or log */
};

/* The class of a libimap4 failure rc (< 0) of a connect or a login. */
enum conn_failure conn_classify(int rc);

struct sockaddr;

/* Whether a connected peer's address is a loopback one: 127/8, ::1 or
 * ::ffff:127/104. */
bool conn_addr_is_loopback(const struct sockaddr *sa);

/* Told of the handle as soon as it is connected, and told NULL before a
 * handle it was told of is freed: the login's waits (the password
 * command's, LOGIN's, a LOGOUT after a failure) do not watch cancel_fd,
 * and a caller that holds the handle meanwhile can cut them. */
typedef void conn_handle_fn(void *payload, imap4 *h);

/* On success 0 and *out, an authenticated handle (state AUTH). On failure
 * -1, *out NULL, *why the class and err a message safe to log: a login
 * the link ended (no answer within the account's timeout, the connection
 * cut) is CONN_FAIL_NETWORK and its err begins as a connect's ("connect:",
 * "tunnel:"), not "authentication:", which is kept for the server's
 * answers. A command left unanswered, the login's or another of the
 * connect's (CAPABILITY, STARTTLS), is named: "connect: the server did
 * not answer CAPABILITY within 5 s (timeout)".
 * cancel_fd (borrowed, or -1) is the library's opts.cancel_fd: once it is
 * readable, connecting, the greeting, TLS and STARTTLS end at once with
 * CONN_FAIL_CANCELLED. Authentication does not watch it: handle (may be
 * NULL) is told of the handle for that. What a tunnel command says on
 * stderr is logged at tunnel_level: a caller whose account keeps failing
 * passes info (its own failure is told once an hour then, and the
 * tunnel's words at every retry made hundreds of notices a day). */
int conn_open(imap4 **out, enum conn_failure *why,
              const struct conf_account *acct, int cancel_fd, int tunnel_level,
              conn_handle_fn *handle, void *payload, char *err, size_t errlen);

#endif
