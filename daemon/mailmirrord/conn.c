/* conn.c - connect and authenticate an account; see conn.h. */
#include "mailmirrord/conn.h"

#include "mailmirrord/log.h"
#include "mailmirrord/secret.h"
#include "mailmirrord/tunnel_stderr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
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
 * secret is sent: an /etc/hosts or a resolver that maps "localhost"
 * elsewhere would otherwise get the password in clear. */
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
	         "address; the password is not sent in clear",
	         acct->host);
	return false;
}

/* A run of base64 this long may carry credentials: a SASL response is
 * the base64 of the user and the secret (PLAIN, XOAUTH2, OAUTHBEARER). */
#define BASE64_RUN_MIN 16

static bool is_base64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=';
}

/* Whether s[0..n) mixes two of: capitals, small letters, digits and
 * symbols. Base64 of credentials does; a response code
 * ("AUTHENTICATIONFAILED") does not. */
static bool looks_encoded(const char *s, size_t n)
{
	bool upper = false, lower = false, other = false;
	for (size_t i = 0; i < n; i++) {
		upper |= s[i] >= 'A' && s[i] <= 'Z';
		lower |= s[i] >= 'a' && s[i] <= 'z';
		other |= !(s[i] >= 'A' && s[i] <= 'Z') &&
		         !(s[i] >= 'a' && s[i] <= 'z');
	}
	return upper + lower + other >= 2;
}

/* Overwrites with '*', in s[0..len), every occurrence of secret and every
 * run that looks like base64 of BASE64_RUN_MIN characters or more: a
 * server that quotes the credentials it refused ("NO bad password
 * hunter2", "NO cannot decode AGpvZQBodW50ZXIy") must not get them into
 * our log, and what a server says while we authenticate needs no long
 * base64 to be read. */
static void redact(char *s, size_t len, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	for (char *p = s; n && (p = memmem(p, len - (size_t)(p - s), secret,
	                                   n)) != NULL;
	     p += n)
		memset(p, '*', n);
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && is_base64_char(s[j]))
			j++;
		if (j - i >= BASE64_RUN_MIN && looks_encoded(s + i, j - i))
			memset(s + i, '*', j - i);
		i = j > i ? j : i + 1;
	}
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
	char copy[LOG_TRACE_MAX];
	size_t n = len < sizeof(copy) ? len : sizeof(copy);
	memcpy(copy, line, n);
	redact(copy, n, authenticating);
	log_imap_trace(payload, dir, copy, n);
	explicit_bzero(copy, sizeof(copy));
}

static void describe(char *err, size_t errlen, const char *what, imap4 *h,
                     int rc, const char *secret)
{
	/* The library's message carries the server's text: made printable. */
	const struct imap4_error_info *e = h ? imap4_last_error(h) : NULL;
	const char *msg = h ? (e ? e->message : NULL) : imap4_open_error();
	if (!msg || !*msg)
		msg = imap4_strerror(rc);
	char raw[400], clean[400];
	snprintf(raw, sizeof(raw), "%s", msg);
	if (secret)
		redact(raw, strlen(raw), secret);
	log_sanitize(clean, sizeof(clean), raw, strlen(raw));
	/* A secret cut by the first copy's bound, or mapped by the
	 * sanitizer, is still caught whole here. */
	if (secret)
		redact(clean, strlen(clean), secret);
	snprintf(err, errlen, "%s: %s", what, clean);
	explicit_bzero(raw, sizeof(raw));
}

static enum conn_failure classify(int rc)
{
	switch (rc) {
	case IMAP4_ECERT:
	case IMAP4_ETLS:
	case IMAP4_ETLSREQ:
	case IMAP4_EINJECT:
		return CONN_FAIL_TLS;
	case IMAP4_ENO:
		return CONN_FAIL_AUTH;
	case IMAP4_ECANCELED:
		return CONN_FAIL_CANCELLED;
	default:
		return CONN_FAIL_NETWORK;
	}
}

static int authenticate(imap4 *h, const struct conf_account *acct,
                        const struct secret *s)
{
	const char *mech = conf_auth_mechanism(acct->auth);
	if (mech)
		return imap4_authenticate_sasl(h, mech, NULL, acct->user,
		                               s->data);
	/* "login": LOGIN unless the server disabled it (RFC 3501 6.2.3),
	 * then SASL PLAIN, which carries the same secret. */
	if (imap4_has_capability(h, "LOGINDISABLED"))
		return imap4_authenticate_sasl(h, "PLAIN", NULL, acct->user,
		                               s->data);
	return imap4_login(h, acct->user, s->data);
}

int conn_open(imap4 **out, enum conn_failure *why,
              const struct conf_account *acct, int cancel_fd, char *err,
              size_t errlen)
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
	if (lit < o.limits.max_literal)
		o.limits.max_literal = (size_t)lit;
	if (lit + ((uint64_t)4 << 20) < o.limits.max_response)
		o.limits.max_response = (size_t)lit + ((size_t)4 << 20);

	imap4 *h = NULL;
	int rc;
	const char *how;
	if (acct->tunnel) {
		how = "tunnel";
		int said = -1;
		if (tunnel_stderr_start(&said, acct->name) == 0)
			o.stderr_fd = said;
		rc = imap4_open_stream(&h, acct->tunnel, &o);
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
		describe(err, errlen, how, NULL, rc, NULL);
		*why = classify(rc);
		return -1;
	}
	if (imap4_state(h) != IMAP4_STATE_NONAUTH) {
		*out = h; /* PREAUTH (tunnel): nothing to send */
		return 0;
	}
	if (!cleartext_peer_ok(h, acct, err, errlen)) {
		*why = CONN_FAIL_CONFIG;
		imap4_logout(h);
		imap4_free(&h);
		return -1;
	}
	struct secret s = {0};
	if (secret_obtain(&s, acct, err, errlen) < 0) {
		*why = CONN_FAIL_CONFIG;
		imap4_logout(h);
		imap4_free(&h);
		return -1;
	}
	authenticating = s.data ? s.data : "";
	rc = authenticate(h, acct, &s);
	authenticating = NULL;
	if (rc != IMAP4_OK)
		describe(err, errlen, "authentication", h, rc,
		         s.data ? s.data : "");
	secret_clear(&s);
	if (rc != IMAP4_OK) {
		*why = rc == IMAP4_ENO || rc == IMAP4_NO ? CONN_FAIL_AUTH
		                                         : classify(rc);
		imap4_free(&h);
		return -1;
	}
	*out = h;
	return 0;
}
