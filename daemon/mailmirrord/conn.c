/* conn.c - connect and authenticate an account; see conn.h. */
#include "mailmirrord/conn.h"

#include "mailmirrord/child.h"
#include "mailmirrord/log.h"
#include "mailmirrord/redact.h"
#include "mailmirrord/secret_echo.h"
#include "mailmirrord/secret.h"
#include "mailmirrord/tunnel_stderr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

bool conn_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		        &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* tls = "none" is allowed by the host's text (config.c): "localhost" or a
 * loopback address. What it resolved to is checked too, before anything
 * secret is sent or mail is read: an /etc/hosts or a resolver that maps
 * "localhost" elsewhere would otherwise get the password in clear, or
 * serve us mail read by anyone on the way (a PREAUTH greeting). */
static bool cleartext_peer_ok(imap4 *h, const struct conf_account *acct,
                              char *err, size_t errlen)
{
	if (acct->tunnel || acct->tls != CONF_TLS_NONE || acct->allow_plaintext)
		return true;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = imap4_socket(h);
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    conn_addr_is_loopback((const struct sockaddr *)&ss))
		return true;
	snprintf(err, errlen,
	         "tls = \"none\": %s is not connected through a loopback "
	         "address; neither the password nor the mail goes in clear",
	         acct->host);
	return false;
}

/* What a server says while we authenticate is shown with the secret,
 * any piece of it and anything like base64 masked: a server that quotes
 * the credentials it refused ("NO bad password hunter2", "NO cannot
 * decode AGpvZQBodW50ZXIy", "pw expired: hunt") must not get them into
 * our log, nor into the cache's last_error. */
static void redact(char *s, size_t len, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	redact_secret(s, len, secret, n, false);
	redact_secret_parts(s, len, secret, n);
	redact_encoded_secret(s, len, secret, n);
	redact_encoded(s, len);
}

/* A copy of s[0..len) with redact applied to the whole of it, before
 * anything is cut: a secret across a cut would leave its start behind.
 * NULL when out of memory. */
static char *redacted_copy(const char *s, size_t len, const char *secret)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	redact(copy, len, secret);
	return copy;
}

static void free_secret_copy(char *copy, size_t len)
{
	if (copy)
		explicit_bzero(copy, len);
	free(copy);
}

/* The secret while this thread authenticates, for the trace: what the
 * server says meanwhile is shown masked (redact). Each account's thread
 * opens its own connections, and the trace runs in the thread that reads. */
static _Thread_local const char *authenticating;

/* -vv: the conversation, as the library traces it (our passwords and
 * tokens masked already); the server's lines masked too while we
 * authenticate, should it echo what we sent. */
static void trace(void *payload, char dir, const char *line, size_t len)
{
	if (dir != 'S' || !authenticating) {
		log_imap_trace(payload, dir, line, len);
		return;
	}
	char *copy = redacted_copy(line, len, authenticating);
	if (!copy) {
		log_imap_trace(payload, dir, "(not shown: out of memory)",
		               strlen("(not shown: out of memory)"));
		return;
	}
	/* Masked again once made printable, as describe does: an echo
	 * broken up by what the sanitizer drops is whole only then. */
	char clean[LOG_TRACE_MAX];
	size_t n = log_sanitize(clean, sizeof(clean), copy, len);
	free_secret_copy(copy, len);
	redact(clean, n, authenticating);
	log_imap_trace(payload, dir, clean, n);
	explicit_bzero(clean, sizeof(clean));
}

static void describe(char *err, size_t errlen, const char *what, imap4 *h,
                     int rc, const char *secret)
{
	/* The library's message carries the server's text: made printable. */
	const struct imap4_error_info *e = h ? imap4_last_error(h) : NULL;
	const char *msg = h ? (e ? e->message : NULL) : imap4_open_error();
	if (!msg || !*msg)
		msg = imap4_strerror(rc);
	char clean[400];
	if (secret) {
		size_t len = strlen(msg);
		char *copy = redacted_copy(msg, len, secret);
		if (!copy) {
			snprintf(err, errlen, "%s: (the server's words not "
			         "shown: out of memory)", what);
			return;
		}
		log_sanitize(clean, sizeof(clean), copy, len);
		free_secret_copy(copy, len);
		/* An echo broken up by an escape sequence, which the
		 * sanitizer drops, is whole only now. */
		redact(clean, strlen(clean), secret);
	} else {
		log_sanitize(clean, sizeof(clean), msg, strlen(msg));
	}
	snprintf(err, errlen, "%s: %s", what, clean);
}

/* A NO to the login: the credentials (it will not mend itself), unless
 * the server names a passing trouble (RFC 5530: UNAVAILABLE, "temporary
 * authentication failure"; INUSE; LIMIT; SERVERBUG), which a retry may
 * get past. */
static enum conn_failure login_refusal(imap4 *h)
{
	static const char *const passing[] = {"UNAVAILABLE", "INUSE", "LIMIT",
	                                      "SERVERBUG"};
	const struct imap4_error_info *e = imap4_last_error(h);
	for (size_t i = 0; e && e->server_code && i < 4; i++)
		if (strcasecmp(e->server_code, passing[i]) == 0)
			return CONN_FAIL_REFUSED;
	return CONN_FAIL_AUTH;
}

enum conn_failure conn_classify(int rc)
{
	switch (rc) {
	case IMAP4_ECONNECT:
	case IMAP4_ERESOLVE:
	case IMAP4_ETIMEOUT:
	case IMAP4_EIO:
	case IMAP4_EEOF:
	case IMAP4_ECLOSED:
	/* A handshake cut by the link (the peer's reset, a middlebox) ends
	 * as ETLS as well as one the server refused; the former is the
	 * more common, and a poke retries it at most once per 30 s. */
	case IMAP4_ETLS:
		return CONN_FAIL_NETWORK;
	case IMAP4_ECERT:
	case IMAP4_ETLSREQ:
	case IMAP4_EINJECT:
		return CONN_FAIL_TLS;
	case IMAP4_ENO:
		return CONN_FAIL_AUTH;
	case IMAP4_ECANCELED:
		return CONN_FAIL_CANCELLED;
	default:
		/* BYE (a connection limit, "too many logins"), BAD, a
		 * protocol error, a limit: the server answered; and what
		 * is ours (out of memory). No new network mends these. */
		return CONN_FAIL_REFUSED;
	}
}

/* A command of the connect left unanswered, said as a failure of the
 * connection ("connect: the server did not answer CAPABILITY within 5 s
 * (timeout)"), as a login left unanswered is: the library's "CAPABILITY:
 * no completion within 5000 ms" read as the command's own trouble. */
static void describe_unanswered(char *err, size_t errlen, const char *how,
                                const char *cmd, int timeout_ms)
{
	snprintf(err, errlen,
	         "%s: the server did not answer %s within %d s (timeout)", how,
	         cmd, timeout_ms / 1000);
}

/* A login the link ended (no answer within the timeout, the connection
 * closed or reset) says nothing of the credentials: it is told as the
 * link's failure, in the words of a connect's ("connect: ..."), so that
 * it reads as what it is and joins a streak of connect failures
 * (failstreak.h) rather than one of "authentication". The command's name
 * (LOGIN, AUTHENTICATE PLAIN, or the CAPABILITY the library asks after a
 * login whose OK brought none) and the timeout are all a timeout says;
 * any other text is the library's, masked as describe masks it. */
static void describe_lost_login(char *err, size_t errlen, const char *how,
                                const char *mech, imap4 *h, int rc,
                                const struct conf_account *acct,
                                const char *secret)
{
	if (rc != IMAP4_ETIMEOUT) {
		describe(err, errlen, how, h, rc, secret);
		return;
	}
	const char *cmd = imap4_last_error(h)->unanswered;
	char login[64];
	if (!cmd || strcmp(cmd, "LOGIN") == 0 ||
	    strcmp(cmd, "AUTHENTICATE") == 0) {
		snprintf(login, sizeof(login), "%s%s",
		         mech ? "AUTHENTICATE " : "LOGIN", mech ? mech : "");
		cmd = login;
	}
	describe_unanswered(err, errlen, how, cmd, (int)acct->timeout * 1000);
}

/* The server's AUTH= mechanisms, "PLAIN SCRAM-SHA-256", into buf. */
static void offered(const imap4 *h, char *buf, size_t len)
{
	size_t n = 0, o = 0;
	const char *const *caps = imap4_capabilities(h, &n);
	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		if (strncasecmp(caps[i], "AUTH=", 5) == 0)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			                      o ? " " : "", caps[i] + 5);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* Whether the server, by its capabilities, takes mech. One that lists no
 * AUTH= at all is left to answer for itself. */
static bool takes(const imap4 *h, const char *mech)
{
	char cap[64];
	size_t n = 0;
	const char *const *caps = imap4_capabilities(h, &n);
	bool lists = false;
	for (size_t i = 0; i < n; i++)
		lists |= strncasecmp(caps[i], "AUTH=", 5) == 0;
	snprintf(cap, sizeof(cap), "AUTH=%s", mech);
	return !lists || imap4_has_capability(h, cap);
}

/* The secret goes only by a way the server takes: a mechanism it does
 * not list, or LOGIN it disabled, would put the secret on the wire for a
 * refusal at best. The way: 0 with *mech the SASL mechanism, NULL for
 * LOGIN; -1 with err when there is none, found before the secret is
 * asked for (a password_command may prompt, a token_command refresh). */
static int auth_way(imap4 *h, const struct conf_account *acct, const char **way,
                    char *err, size_t errlen)
{
	char list[256];
	const char *mech = conf_auth_mechanism(acct->auth);
	bool disabled = imap4_has_capability(h, "LOGINDISABLED");
	/* RFC 3501 6.2.3: no LOGIN then; and where the link is in clear
	 * (tls = "none"), a server that disabled it wants no secret over
	 * it at all, whatever the mechanism. */
	if (disabled && acct->tls == CONF_TLS_NONE && !acct->tunnel) {
		snprintf(err, errlen,
		         "authentication: the server refuses logins over a "
		         "connection in clear (LOGINDISABLED); use tls = "
		         "\"starttls\"");
		return -1;
	}
	/* "login": LOGIN unless the server disabled it, then SASL PLAIN,
	 * which carries the same secret. */
	if (!mech && disabled)
		mech = "PLAIN";
	if (mech && !takes(h, mech)) {
		offered(h, list, sizeof(list));
		snprintf(err, errlen,
		         "authentication: the server does not offer %s%s "
		         "(it offers: %s)",
		         mech, !conf_auth_mechanism(acct->auth)
		                       ? ", and it disabled LOGIN"
		                       : "",
		         list);
		return -1;
	}
	*way = mech;
	return 0;
}

/* An OAuth token the library would not send (RFC 6750's b64token: what
 * else would end the "auth=" field early), said plainly: it was "unknown
 * mechanism or bad credentials", retried as a passing failure. */
static void bad_token(const struct secret *s, char *err, size_t errlen)
{
	bool bearer = s->data && strncasecmp(s->data, "Bearer ", 7) == 0;
	snprintf(err, errlen,
	         "authentication: what token_command printed is not an OAuth "
	         "access token (RFC 6750: letters, digits and -._~+/, then "
	         "=)%s",
	         bearer ? "; print the token alone, without \"Bearer \"" : "");
}

static int authenticate(imap4 *h, const struct conf_account *acct,
                        const char *mech, const struct secret *s, char *err,
                        size_t errlen)
{
	if (!mech)
		return imap4_login(h, acct->user, s->data);
	int rc = imap4_authenticate_sasl(h, mech, NULL, acct->user, s->data);
	/* The mechanism is the configuration's, checked; the user has no
	 * control character (config.c): only the token is left. */
	if (rc == IMAP4_EINVAL &&
	    acct->secret_kind == CONF_SECRET_TOKEN_COMMAND)
		bad_token(s, err, errlen);
	return rc;
}

/* RFC 3501 7.1: an ALERT "MUST be presented to the user": what the login
 * brought (a password about to expire, a quota), as a warning, whether
 * the login passed or not. The server chooses the text and had our secret
 * a moment ago, maybe echoed raw, quoted or in base64: masked as all it
 * says then (redact). A refusal's own text is the login's error already:
 * with completion false it is not told twice. */
static void tell_alerts(imap4 *h, const struct conf_account *acct,
                        const struct secret *s, bool completion)
{
	size_t n = imap4_data_count(h);
	for (size_t i = 0; i <= n; i++) {
		const imap4_resp *r = i < n        ? imap4_data_at(h, i)
		                      : completion ? imap4_completion(h)
		                                   : NULL;
		if (!r || !r->code || strcmp(r->code, "ALERT") != 0)
			continue;
		const char *said = r->text ? r->text : "";
		size_t len = strlen(said);
		char *copy = redacted_copy(said, len, s->data ? s->data : "");
		if (!copy)
			continue;
		char text[512];
		log_sanitize(text, sizeof(text), copy, len);
		free_secret_copy(copy, len);
		redact(text, strlen(text), s->data ? s->data : "");
		log_warning(acct->name, NULL, "the server's alert: %s", text);
	}
}

/* A handle conn_open gives up: logged out first when logout is set (the
 * caller, told of it, may cut that wait), then taken back and freed. */
static void give_up(imap4 **h, bool logout, conn_handle_fn *handle,
                    void *payload)
{
	if (logout)
		imap4_logout(*h);
	if (handle)
		handle(payload, NULL);
	imap4_free(h);
}

int conn_open(imap4 **out, enum conn_failure *why,
              const struct conf_account *acct, int cancel_fd, int tunnel_level,
              conn_handle_fn *handle, void *payload, char *err, size_t errlen)
{
	*out = NULL;
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = (int)acct->timeout * 1000;
	o.connect_timeout_ms = o.timeout_ms < 30000 ? o.timeout_ms : 30000;
	o.ca_file = acct->ca_file;
	o.pin_sha256 = acct->fingerprint;
	o.tcp_keepalive = true;
	o.cancel_fd = cancel_fd;
	/* Only at -vv: every line costs an escape. */
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		o.trace = trace;
		o.trace_payload = (void *)acct->name;
	}
	/* What one command may make us keep: the daemon keeps only LIST
	 * (every mailbox), STATUS and ENABLE data; FETCH and SEARCH go
	 * through callbacks. 48 MiB holds a LIST of some 100,000 mailboxes;
	 * the library's default (256 MiB) is sized for any caller. */
	o.limits.max_untagged = (size_t)48 << 20;
	/* One string of a response: a body, at most what the account asks
	 * for (a partial fetch); without bodies an envelope's, for which a
	 * megabyte is absurd already. The library's defaults (64 MiB, 128
	 * MiB for a response) let a hostile server make one subject cost a
	 * quarter of a gigabyte. */
	uint64_t lit = acct->bodies == CONF_BODIES_NONE ? (uint64_t)1 << 20
	                                                : conf_body_cap(acct);
	/* The header fields an envelope is made of come as one string of
	 * up to this (a partial fetch: sync.c), whatever max_body_size. */
	if (lit < IMAP4_ENVELOPE_FIELDS_MAX)
		lit = IMAP4_ENVELOPE_FIELDS_MAX;
	if (lit < o.limits.max_literal)
		o.limits.max_literal = (size_t)lit;
	if (lit + ((uint64_t)4 << 20) < o.limits.max_response)
		o.limits.max_response = (size_t)lit + ((size_t)4 << 20);
	/* A literal past that limit goes to the sink a FETCH of bodies sets
	 * (sync_cut.c), which keeps the start of a body sent whole where a
	 * partial one was asked for; without a sink it is refused. */
	o.limits.stream_threshold = o.limits.max_literal;

	imap4 *h = NULL;
	int rc;
	const char *how;
	if (acct->tunnel) {
		how = "tunnel";
		int said = -1;
		if (tunnel_stderr_start(&said, acct->name, tunnel_level) == 0)
			o.stderr_fd = said;
		/* Out of memory, NULL: the command gets all of environ. */
		char **env = child_environ_new(NULL, 0);
		o.stream_envp = env;
		rc = imap4_open_stream(&h, acct->tunnel, &o);
		free(env);
		if (said >= 0)
			close(said);
	} else if (acct->tls == CONF_TLS_IMPLICIT) {
		how = "connect";
		o.tls = IMAP4_TLS_IMPLICIT;
		rc = imap4_open_ssl(&h, acct->host, acct->port, &o);
	} else {
		how = "connect";
		o.tls = acct->tls == CONF_TLS_STARTTLS ? IMAP4_TLS_STARTTLS
		                                       : IMAP4_TLS_NONE;
		rc = imap4_open(&h, acct->host, acct->port, &o);
	}
	if (rc < 0) {
		/* The open's commands run under its connect timeout. */
		if (rc == IMAP4_ETIMEOUT && imap4_open_unanswered())
			describe_unanswered(err, errlen, how,
			                    imap4_open_unanswered(),
			                    o.connect_timeout_ms);
		else
			describe(err, errlen, how, NULL, rc, NULL);
		*why = conn_classify(rc);
		return -1;
	}
	if (handle)
		handle(payload, h);
	/* Before a PREAUTH too: the mail itself is private. */
	if (!cleartext_peer_ok(h, acct, err, errlen)) {
		*why = CONN_FAIL_CONFIG;
		give_up(&h, true, handle, payload);
		return -1;
	}
	if (imap4_state(h) != IMAP4_STATE_NONAUTH) {
		*out = h; /* PREAUTH: nothing to send */
		return 0;
	}
	const char *mech = NULL;
	char refused[400] = "";
	if (auth_way(h, acct, &mech, refused, sizeof(refused)) < 0) {
		snprintf(err, errlen, "%s", refused);
		*why = login_refusal(h);
		give_up(&h, true, handle, payload);
		return -1;
	}
	struct secret s = {0};
	if (secret_obtain(&s, acct, cancel_fd, err, errlen) < 0) {
		*why = CONN_FAIL_CONFIG;
		give_up(&h, true, handle, payload);
		return -1;
	}
	authenticating = s.data ? s.data : "";
	rc = authenticate(h, acct, mech, &s, refused, sizeof(refused));
	authenticating = NULL;
	if (rc >= 0 || rc == IMAP4_ENO)
		tell_alerts(h, acct, &s, rc == IMAP4_OK);
	if (refused[0]) {
		/* The token, which only its command can mend; the session
		 * is sound, nothing was sent. */
		snprintf(err, errlen, "%s", refused);
		secret_clear(&s);
		*why = CONN_FAIL_CONFIG;
		give_up(&h, true, handle, payload);
		return -1;
	}
	if (rc != IMAP4_OK)
		*why = rc == IMAP4_ENO || rc == IMAP4_NO ? login_refusal(h)
		                                         : conn_classify(rc);
	if (rc != IMAP4_OK && *why == CONN_FAIL_NETWORK)
		describe_lost_login(err, errlen, how, mech, h, rc, acct,
		                    s.data ? s.data : "");
	else if (rc != IMAP4_OK)
		describe(err, errlen, "authentication", h, rc,
		         s.data ? s.data : "");
	/* What the session says later is masked with a fingerprint of it
	 * (explore55: a BYE after the login quoted the password). */
	else if (s.data && secret_echo_remember(s.data, strlen(s.data)) < 0)
		log_warning(acct->name, NULL,
		            "no random numbers: the server's later words are "
		            "not checked for the password");
	secret_clear(&s);
	if (rc != IMAP4_OK) {
		give_up(&h, false, handle, payload);
		return -1;
	}
	*out = h;
	return 0;
}
