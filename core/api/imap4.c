/* imap4.c - the handle: open, greeting, STARTTLS, state and results. */
#include "api/internal.h"
#include "proto/flat.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static _Thread_local char open_error[512];
/* The command the failed open waited on in vain: a copy, the handle
 * (and its cmd_name) being freed with the failure. */
static _Thread_local char open_unanswered[24];

void imap4_opts_init(struct imap4_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->version = IMAP4_OPTS_VERSION;
	opts->tls = IMAP4_TLS_NONE;
	opts->connect_timeout_ms = 30000;
	opts->timeout_ms = 120000;
	opts->tcp_keepalive = true;
	imap4_limits_init(&opts->limits);
	opts->cancel_fd = -1;
	opts->stderr_fd = -1;
}

/* Version 1 ended before cancel_fd, version 2 before stderr_fd, version 3
 * before stream_envp: a caller built against one hands us that many
 * bytes, and no more may be read. */
static const size_t opts_size_of_version[] = {
        [1] = offsetof(struct imap4_opts, cancel_fd),
        [2] = offsetof(struct imap4_opts, stderr_fd),
        [3] = offsetof(struct imap4_opts, stream_envp),
};

static void set_open_error(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

/* *dst = the caller's options (NULL: the defaults); those of version 1 get
 * the defaults of the fields they lack. IMAP4_EINVAL, with the open's
 * message set, for an unknown version or a tls mode outside the enum: a
 * garbage or uninitialised mode must not mean "no TLS", the one value
 * that sends the password in clear. */
static int take_opts(struct imap4_opts *dst, const struct imap4_opts *src)
{
	imap4_opts_init(dst);
	if (src == NULL)
		return 0;
	if (src->version == IMAP4_OPTS_VERSION) {
		*dst = *src;
	} else if (src->version >= 1 && src->version < IMAP4_OPTS_VERSION) {
		memcpy(dst, src, opts_size_of_version[src->version]);
		dst->version = IMAP4_OPTS_VERSION;
	} else {
		set_open_error("unknown options version %u", src->version);
		return IMAP4_EINVAL;
	}
	switch (dst->tls) {
	case IMAP4_TLS_NONE:
	case IMAP4_TLS_STARTTLS:
	case IMAP4_TLS_IMPLICIT:
		return 0;
	}
	set_open_error("invalid opts.tls %d: not IMAP4_TLS_NONE, "
	               "IMAP4_TLS_STARTTLS or IMAP4_TLS_IMPLICIT",
	               (int)dst->tls);
	return IMAP4_EINVAL;
}

const char *imap4_open_error(void)
{
	return open_error;
}

const char *imap4_open_unanswered(void)
{
	return open_unanswered[0] ? open_unanswered : NULL;
}

static void set_open_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(open_error, sizeof(open_error), fmt, ap);
	va_end(ap);
}

static bool copy_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

/* imaplib takes a random tag prefix (Int2AP of 4096..65535) so that tags
 * of two sessions never look alike in a shared log. */
static void make_tag_prefix(imap4 *h)
{
	uint16_t r = 0;
	char ap[17];

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint16_t)(time(NULL) ^ (uintptr_t)h);
	imap4_int2ap(ap, 4096u + r % (65536u - 4096u));
	snprintf(h->tag_prefix, sizeof(h->tag_prefix), "%s", ap);
}

static int handle_new(imap4 **out, const struct imap4_opts *opts,
                      const char *host)
{
	struct imap4_opts o;
	imap4 *h;

	*out = NULL;
	if (take_opts(&o, opts))
		return IMAP4_EINVAL;
	opts = &o;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return IMAP4_ENOMEM;
	h->opts = o;
	/* "<= 0: no deadline" (imap4.h), where imap4_deadline(0) is now:
	 * a handle opened with 0 timed out every read not yet buffered. */
	if (h->opts.timeout_ms <= 0)
		h->opts.timeout_ms = -1;
	if (h->opts.connect_timeout_ms <= 0)
		h->opts.connect_timeout_ms = -1;
	h->wake_fd = -1;
	imap4_arena_init(&h->res.arena, 0);
	imap4_cmd_init(&h->cmd, 0);
	imap4_session_init(&h->sess);
	imap4_reader_init(&h->rd, &h->opts.limits);
	*out = h;
	if (!copy_str(&h->ca_file, opts->ca_file) ||
	    !copy_str(&h->pin_sha256, opts->pin_sha256) ||
	    !copy_str(&h->servername, opts->servername) ||
	    !copy_str(&h->host, host))
		return IMAP4_ENOMEM;
	h->opts.ca_file = h->ca_file;
	h->opts.pin_sha256 = h->pin_sha256;
	h->opts.servername = h->servername;
	h->rbuf = malloc(IMAP4_RBUF_SIZE);
	if (h->rbuf == NULL)
		return IMAP4_ENOMEM;
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wake_fd < 0) {
		/* Out of descriptors, most likely: said as such, where a
		 * bare "I/O error" pointed at the network (explore80). */
		char why[64];
		snprintf(h->errmsg, sizeof(h->errmsg),
		         "cannot make the handle's wake descriptor: %s",
		         imap4_errno_text(errno, why, sizeof(why)));
		return IMAP4_EIO;
	}
	make_tag_prefix(h);
	imap4_result_reset(h);
	return 0;
}

void imap4_free(imap4 **hp)
{
	imap4 *h = hp ? *hp : NULL;

	if (h == NULL)
		return;
	imap4_drop_transport(h);
	imap4_reader_clear(&h->rd);
	imap4_session_clear(&h->sess);
	imap4_cmd_clear(&h->cmd);
	imap4_arena_clear(&h->res.arena);
	free(h->res.data);
	free(h->rbuf);
	free(h->welcome);
	free(h->server_code);
	free(h->server_text);
	free(h->ca_file);
	free(h->pin_sha256);
	free(h->servername);
	free(h->host);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	free(h);
	*hp = NULL;
}

int imap4_refresh_caps(imap4 *h)
{
	static const char *const expect[] = {"CAPABILITY", NULL};
	struct imap4_run run = {.expect = expect,
	                        .pops = imap4_imaplib_pops("CAPABILITY")};
	int rc = imap4_cmd_start(h, IMAP4_ANY_STATE, "CAPABILITY");

	return rc ? rc : imap4_run(h, &run);
}

int imap4_refresh_caps_after(imap4 *h)
{
	struct result kept = h->res;

	h->res = (struct result){0};
	imap4_arena_init(&h->res.arena, kept.arena.cap);
	int rc = imap4_refresh_caps(h);
	imap4_arena_clear(&h->res.arena);
	free(h->res.data);
	h->res = kept;
	return rc;
}

static void tls_params(const imap4 *h, struct imap4_tls_params *p)
{
	p->servername = h->servername ? h->servername : h->host;
	p->ca_file = h->ca_file;
	p->pin_sha256 = h->pin_sha256;
	p->insecure = h->opts.insecure;
}

int imap4_starttls(imap4 *h)
{
	struct imap4_run run = {.no_is_error = true, .limit_aborts = true};
	struct imap4_transport *tls = NULL;
	struct imap4_tls_params p;
	char err[256] = "";
	int rc = imap4_begin(h, "STARTTLS");

	if (rc)
		return rc;
	if (!h->dead && h->tls)
		return imap4_fail(h, IMAP4_ETLSREQ, "STARTTLS: already on TLS");
	if (!h->dead && !imap4_session_has_cap(&h->sess, "STARTTLS"))
		return imap4_fail(h, IMAP4_ETLSREQ,
		                  "STARTTLS: not advertised by the server");
	rc = imap4_cmd_start(h, IMAP4_NONAUTH, "STARTTLS");
	if (rc == 0)
		rc = imap4_run(h, &run);
	/* imaplib raises error, not abort: the connection is still in step
	 * and in clear, and its caller decides. An open that requires TLS
	 * gives up on it (greet). */
	if (rc == IMAP4_ENO || rc == IMAP4_EBAD)
		return imap4_fail(
		        h, rc,
		        "STARTTLS refused by the server (%s), still in "
		        "clear: %s",
		        rc == IMAP4_ENO ? "NO" : "BAD",
		        h->server_text ? h->server_text : "");
	if (rc)
		return rc;
	/* RFC 3501 6.2.1, and the "response injection" of Poddebniak et al.:
	 * anything that arrived after the OK but before the handshake was
	 * written by whoever sits on the cleartext path. */
	if (h->rpos < h->rlen || imap4_reader_pending(&h->rd) ||
	    imap4_transport_pending(h->t))
		return imap4_fail(h, IMAP4_EINJECT,
		                  "STARTTLS: %zu bytes arrived before the TLS "
		                  "handshake",
		                  h->rlen - h->rpos +
		                          imap4_reader_pending(&h->rd));
	tls_params(h, &p);
	rc = imap4_tls_open(&tls, h->t, &p,
	                    imap4_deadline(h->opts.connect_timeout_ms), err,
	                    sizeof(err));
	h->t = tls; /* the TLS layer owns the old stack, even on error */
	if (rc)
		return imap4_fail(h, rc, "STARTTLS: %s", err);
	h->tls = true;
	/* RELIABILITY rule 2: nothing learnt in cleartext is kept. */
	imap4_session_forget(&h->sess);
	return imap4_refresh_caps_after(h);
}

static int read_greeting(imap4 *h)
{
	const imap4_resp *resp;
	size_t n;
	int rc;

	rc = imap4_next_response(
	        h, &resp, imap4_deadline(h->opts.connect_timeout_ms), false);
	if (rc == IMAP4_ETIMEOUT)
		return imap4_fail(h, rc, "no greeting within %d ms",
		                  h->opts.connect_timeout_ms);
	if (rc == IMAP4_ECANCELED)
		return imap4_fail(h, rc,
		                  "cancelled while waiting for the greeting");
	if (rc == IMAP4_EPROTO || rc == IMAP4_ELIMIT) {
		/* Whatever answered does not speak IMAP (a web server, a
		 * wrong port): say so first. */
		char why[sizeof(h->errmsg)];
		snprintf(why, sizeof(why), "%s", h->errmsg);
		return imap4_fail(h, rc, "not an IMAP greeting: %s", why);
	}
	if (rc < 0)
		return rc;
	if (resp->type != IMAP4_RESP_UNTAGGED || !resp->is_status)
		return imap4_fail(h, IMAP4_EPROTO, "not an IMAP greeting");
	n = resp->raw_len;
	while (n && (resp->raw[n - 1] == '\n' || resp->raw[n - 1] == '\r'))
		n--;
	/* One line even when a literal is in its code (flat.h); no sink
	 * is set before the greeting, so no literal was streamed. */
	struct imap4_flat f = {resp->raw, NULL, 0};
	size_t len = imap4_flat_write(NULL, &f, resp->raw, resp->raw + n);
	free(h->welcome);
	h->welcome = malloc(len + 1);
	if (h->welcome == NULL)
		return imap4_fail(h, IMAP4_ENOMEM, NULL);
	imap4_flat_write(h->welcome, &f, resp->raw, resp->raw + n);
	h->welcome[len] = '\0';
	rc = imap4_observe(h, resp, false, true);
	if (rc)
		return rc;
	if (strcmp(resp->name, "OK") == 0)
		h->state = IMAP4_STATE_NONAUTH;
	else if (strcmp(resp->name, "PREAUTH") == 0)
		h->state = IMAP4_STATE_AUTH;
	else
		return imap4_fail(h, IMAP4_EPROTO, "greeting is %s: %s",
		                  resp->name, resp->text ? resp->text : "");
	return 0;
}

static int greet_and_ask(imap4 *h);

/* The open's commands (CAPABILITY, STARTTLS) are part of the open: under
 * connect_timeout_ms, as the greeting, not the commands' timeout_ms
 * (explore37: a stream that greeted without capabilities and went quiet
 * held the open for 120 s). */
static int greet(imap4 *h)
{
	int timeout = h->opts.timeout_ms;
	if (h->opts.connect_timeout_ms > 0)
		h->opts.timeout_ms = h->opts.connect_timeout_ms;
	int rc = greet_and_ask(h);
	h->opts.timeout_ms = timeout;
	return rc;
}

static int greet_and_ask(imap4 *h)
{
	int rc = read_greeting(h);

	if (rc)
		return rc;
	if (h->opts.tls == IMAP4_TLS_STARTTLS && h->state == IMAP4_STATE_AUTH)
		return imap4_fail(h, IMAP4_ETLSREQ,
		                  "cleartext PREAUTH greeting while TLS is "
		                  "required");
	if (h->sess.ncaps == 0) {
		rc = imap4_refresh_caps(h);
		if (rc == IMAP4_NO || rc == IMAP4_EBAD)
			return imap4_fail(h, IMAP4_EPROTO, "CAPABILITY failed");
		/* io.c saw the cancel as a failed wait; say what it ended. */
		if (rc == IMAP4_ECANCELED)
			return imap4_fail(h, rc, "cancelled during CAPABILITY");
		if (rc)
			return rc;
	}
	/* imaplib's constructor calls capability(), which pops CAPABILITY,
	 * also when the greeting's [CAPABILITY] spared us the command. */
	imap4_session_discard(&h->sess, "CAPABILITY");
	if (h->opts.tls == IMAP4_TLS_STARTTLS) {
		rc = imap4_starttls(h);
		if (rc == IMAP4_ECANCELED)
			return imap4_fail(h, rc, "cancelled during STARTTLS");
		/* RELIABILITY rule 1: TLS was required, so a refusal ends the
		 * open before anything else is sent. */
		if (rc == IMAP4_ENO || rc == IMAP4_EBAD)
			return imap4_fail(h, IMAP4_ETLSREQ,
			                  "STARTTLS refused by the server (%s) "
			                  "while TLS is required: %s",
			                  rc == IMAP4_ENO ? "NO" : "BAD",
			                  h->server_text ? h->server_text : "");
		if (rc)
			return rc;
	}
	imap4_result_reset(h);
	return 0;
}

/* Every wait of the greeting, STARTTLS and the first CAPABILITY watches
 * the caller's cancel_fd; the handle then forgets it (it is borrowed for
 * the open only, and imap4_wake serves the handle's life). */
static int greet_cancellable(imap4 *h)
{
	int fd = h->opts.cancel_fd;
	int rc;

	if (fd >= 0 && imap4_transport_set_cancel(h->t, fd) < 0)
		return imap4_fail(h, IMAP4_EINVAL,
		                  "this transport cannot watch cancel_fd");
	rc = greet(h);
	if (rc == 0 && fd >= 0)
		imap4_transport_set_cancel(h->t, -1);
	h->opts.cancel_fd = -1;
	return rc;
}

/* Takes t (also on failure), then greets. */
static int open_on(imap4 **out, struct imap4_transport *t,
                   const struct imap4_opts *opts, const char *host, bool tls)
{
	imap4 *h;
	int rc = handle_new(&h, opts, host);

	*out = NULL;
	if (h)
		h->t = t;
	else
		imap4_transport_close(&t);
	if (rc == 0) {
		h->tls = tls;
		rc = greet_cancellable(h);
	}
	if (rc) {
		if (h && h->errmsg[0])
			set_open_error("%s", h->errmsg);
		else if (rc != IMAP4_EINVAL)
			set_open_error("%s", imap4_strerror(rc));
		if (h && h->err.unanswered)
			snprintf(open_unanswered, sizeof(open_unanswered), "%s",
			         h->err.unanswered);
		imap4_free(&h);
		return rc;
	}
	*out = h;
	return 0;
}

int imap4_open_transport(imap4 **out, struct imap4_transport *t,
                         const struct imap4_opts *opts)
{
	open_error[0] = open_unanswered[0] = '\0';
	return open_on(out, t, opts, NULL,
	               opts && opts->tls == IMAP4_TLS_IMPLICIT);
}

/* A malformed pin or an unreadable CA file is the caller's mistake: said
 * as such before a connection that, refused or not, would hide it. */
static int check_tls_opts(const struct imap4_opts *o, char *err, size_t len)
{
	struct imap4_tls_params p = {.ca_file = o->ca_file,
	                             .pin_sha256 = o->pin_sha256,
	                             .insecure = o->insecure};

	if (o->tls == IMAP4_TLS_NONE)
		return 0;
	return imap4_tls_check_params(&p, err, len);
}

static int open_tcp(imap4 **out, const char *host, uint16_t port,
                    const struct imap4_opts *opts, bool implicit)
{
	struct imap4_opts o;
	struct imap4_transport *t = NULL, *tls = NULL;
	struct imap4_tls_params p = {0};
	char err[256] = "";
	int64_t deadline;
	int rc;

	open_error[0] = open_unanswered[0] = '\0';
	if (out == NULL) {
		set_open_error("%s", "no place for the handle (out is NULL)");
		return IMAP4_EINVAL;
	}
	*out = NULL;
	if (host == NULL) {
		set_open_error("%s", "no host");
		return IMAP4_EINVAL;
	}
	/* imaplib's IMAP4('') (its default host) connects to this machine. */
	if (*host == '\0')
		host = "localhost";
	if (take_opts(&o, opts))
		return IMAP4_EINVAL;
	if (implicit)
		o.tls = IMAP4_TLS_IMPLICIT;
	if (port == 0)
		port = o.tls == IMAP4_TLS_IMPLICIT ? 993 : 143;
	rc = check_tls_opts(&o, err, sizeof(err));
	if (rc) {
		set_open_error("%s: %s", host, err);
		return rc;
	}
	deadline = imap4_deadline(o.connect_timeout_ms);
	rc = imap4_tcp_open_cancel(&t, host, port, o.tcp_keepalive, o.cancel_fd,
	                           deadline, err, sizeof(err));
	if (rc) {
		set_open_error("%s: %s", host, err);
		return rc;
	}
	if (o.tls == IMAP4_TLS_IMPLICIT) {
		p.servername = o.servername ? o.servername : host;
		p.ca_file = o.ca_file;
		p.pin_sha256 = o.pin_sha256;
		p.insecure = o.insecure;
		rc = imap4_tls_open(&tls, t, &p, deadline, err, sizeof(err));
		if (rc) {
			imap4_transport_close(&tls);
			set_open_error("%s: %s", host, err);
			return rc;
		}
		t = tls;
	}
	return open_on(out, t, &o, host, o.tls == IMAP4_TLS_IMPLICIT);
}

int imap4_open(imap4 **out, const char *host, uint16_t port,
               const struct imap4_opts *opts)
{
	return open_tcp(out, host, port, opts, false);
}

int imap4_open_ssl(imap4 **out, const char *host, uint16_t port,
                   const struct imap4_opts *opts)
{
	return open_tcp(out, host, port, opts, true);
}

int imap4_open_stream(imap4 **out, const char *command,
                      const struct imap4_opts *opts)
{
	struct imap4_transport *t = NULL;
	struct imap4_opts o;
	char err[256] = "";
	int rc;

	open_error[0] = open_unanswered[0] = '\0';
	if (out == NULL) {
		set_open_error("%s", "no place for the handle (out is NULL)");
		return IMAP4_EINVAL;
	}
	*out = NULL;
	if (command == NULL) {
		set_open_error("%s", "stream: no command");
		return IMAP4_EINVAL;
	}
	if (take_opts(&o, opts))
		return IMAP4_EINVAL;
	/* Ignored, it would have sent the password in clear. */
	if (o.tls == IMAP4_TLS_IMPLICIT) {
		set_open_error("%s", "stream: implicit TLS is not available "
		                     "over a command; use STARTTLS");
		return IMAP4_EINVAL;
	}
	rc = check_tls_opts(&o, err, sizeof(err));
	if (rc) {
		set_open_error("stream: %s", err);
		return rc;
	}
	/* A stop that came first must not start a child only to end it. */
	rc = imap4_cancel_check(o.cancel_fd);
	if (rc) {
		set_open_error("stream: %s",
		               rc == IMAP4_ECANCELED
		                       ? "cancelled before the command started"
		                       : "cannot poll cancel_fd");
		return rc;
	}
	rc = imap4_stream_open(&t, command, o.stderr_fd, o.stream_envp, err,
	                       sizeof(err));
	if (rc) {
		set_open_error("stream: %s", err);
		return rc;
	}
	return open_on(out, t, &o, NULL, false);
}

/* ---- state */

enum imap4_state imap4_state(const imap4 *h)
{
	return h ? h->state : IMAP4_STATE_LOGOUT;
}

const char *imap4_welcome(const imap4 *h)
{
	if (h == NULL)
		return NULL;
	return h->welcome ? h->welcome : "";
}

const char *imap4_protocol_version(const imap4 *h)
{
	if (h == NULL)
		return NULL;
	if (imap4_session_has_cap(&h->sess, "IMAP4REV2"))
		return "IMAP4REV2";
	if (imap4_session_has_cap(&h->sess, "IMAP4REV1"))
		return "IMAP4REV1";
	return "IMAP4";
}

bool imap4_utf8_enabled(const imap4 *h)
{
	return h && h->sess.utf8;
}

bool imap4_is_readonly(const imap4 *h)
{
	return h && h->readonly;
}

bool imap4_is_tls(const imap4 *h)
{
	return h && h->tls;
}

bool imap4_is_compressed(const imap4 *h)
{
	return h && h->compressed;
}

void imap4_set_debug(imap4 *h, int level)
{
	if (h)
		h->opts.debug = level;
}

int imap4_debug(const imap4 *h)
{
	return h ? h->opts.debug : 0;
}

const char *const *imap4_capabilities(const imap4 *h, size_t *count)
{
	static const char *const none[] = {NULL};

	if (count)
		*count = h ? h->sess.ncaps : 0;
	return h && h->sess.caps ? (const char *const *)h->sess.caps : none;
}

bool imap4_has_capability(const imap4 *h, const char *name)
{
	return h && name && imap4_session_has_cap(&h->sess, name);
}

bool imap4_is_enabled(const imap4 *h, const char *name)
{
	if (!h || !name)
		return false;
	/* RFC 7162 3.2.3: enabling QRESYNC enables CONDSTORE too, whether
	 * or not the server lists it in its ENABLED response. */
	if (strcasecmp(name, "CONDSTORE") == 0 &&
	    imap4_session_is_enabled(&h->sess, "QRESYNC"))
		return true;
	return imap4_session_is_enabled(&h->sess, name);
}

const struct imap4_error_info *imap4_last_error(const imap4 *h)
{
	/* Callers read ->message without a check: a record, not NULL. */
	static const struct imap4_error_info no_handle = {
	        IMAP4_EINVAL, IMAP4_CLASS_ERROR, "no handle (NULL)", NULL, NULL,
	        NULL};

	return h ? &h->err : &no_handle;
}

uint64_t imap4_bytes_in(const imap4 *h)
{
	return h ? h->bytes_in : 0;
}

const imap4_resp *imap4_completion(const imap4 *h)
{
	return h ? h->res.completion : NULL;
}

size_t imap4_data_count(const imap4 *h)
{
	return h ? h->res.ndata : 0;
}

const imap4_resp *imap4_data_at(const imap4 *h, size_t i)
{
	return h && i < h->res.ndata ? h->res.data[i] : NULL;
}

int imap4_response(char **out, imap4 *h, const char *name)
{
	if (out == NULL)
		return IMAP4_EINVAL;
	*out = NULL;
	if (h == NULL || name == NULL)
		return IMAP4_EINVAL;
	return imap4_session_pop(&h->sess, name, out);
}

int imap4_responses(char ***out, size_t *count, imap4 *h, const char *name)
{
	size_t n;

	if (out == NULL)
		return IMAP4_EINVAL;
	*out = NULL;
	if (count)
		*count = 0;
	if (h == NULL || name == NULL)
		return IMAP4_EINVAL;
	return imap4_session_pop_all(&h->sess, name, out, count ? count : &n);
}

void imap4_set_unsolicited(imap4 *h, imap4_untagged_cb cb, void *payload)
{
	if (h == NULL)
		return;
	h->unsol = cb;
	h->unsol_payload = payload;
}

void imap4_set_literal_sink(imap4 *h, imap4_literal_sink sink, void *payload)
{
	/* From a callback, the reader may be half-way through a literal
	 * that goes to the sink in place. */
	if (h == NULL || h->busy)
		return;
	h->sink = sink;
	h->sink_payload = payload;
	imap4_reader_set_sink(&h->rd, sink, payload);
}
