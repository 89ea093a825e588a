/* io.c - the blocking command loop: send, read, route, complete.
 *
 * One command is in flight at a time. Its deadline is absolute and covers
 * every wait of the command, the "+" before each synchronizing literal
 * included, so a server that trickles one byte at a time or answers with
 * endless continuations still ends within timeout_ms (RELIABILITY rule 5).
 * A command whose answer is long by nature (imap4_list_status) renews it
 * at each response instead, up to a total deadline of its caller's.
 */
#include "api/internal.h"
#include "util/quote.h"
#include "proto/resp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bookkeeping per kept response besides its raw bytes: the pointer array
 * and the parsed tree count against max_untagged too. */
#define KEEP_OVERHEAD 64

static void set_message(imap4 *h, int code, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
static void set_message(imap4 *h, int code, const char *fmt, va_list ap)
{
	h->err.code = code;
	h->err.klass = imap4_error_class(code);
	if (fmt)
		vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	else
		snprintf(h->errmsg, sizeof(h->errmsg), "%s",
		         imap4_strerror(code));
	/* What a message quotes of the server (its text, a code's) is
	 * one line already; this keeps every message so. */
	imap4_quote_scrub(h->errmsg, strlen(h->errmsg));
	h->err.message = h->errmsg;
	h->err.unanswered = NULL;
}

static void kill_handle(imap4 *h, int code)
{
	/* The first cause stays: each refusal after it (IMAP4_ECLOSED, an
	 * abort too) said "already aborted" from the second on (explore58). */
	if (!h->dead)
		h->dead_code = code;
	h->dead = true;
	h->state = IMAP4_STATE_LOGOUT;
	imap4_drop_transport(h);
}

int imap4_fail(imap4 *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(h, code, fmt, ap);
	va_end(ap);
	if (imap4_error_class(code) == IMAP4_CLASS_ABORT)
		kill_handle(h, code);
	return code;
}

/* The connection is out of step with the protocol (a literal half sent):
 * whatever the code's class, the handle cannot go on. */
static int fail_dead(imap4 *h, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail_dead(imap4 *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(h, code, fmt, ap);
	va_end(ap);
	kill_handle(h, code);
	return code;
}

/* A code of class abort that, this once, left the connection in step:
 * the last error's class says the handle goes on. */
static int fail_alive(imap4 *h, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail_alive(imap4 *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(h, code, fmt, ap);
	va_end(ap);
	h->err.klass = IMAP4_CLASS_ERROR;
	return code;
}

/* Transport failures carry their detail in the layer's errmsg. */
static int fail_io(imap4 *h, int code, const char *what)
{
	const char *detail = h->t && h->t->errmsg[0] ? h->t->errmsg : "";

	return imap4_fail(h, code, "%s: %s%s%s", what, imap4_strerror(code),
	                  *detail ? ": " : "", detail);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void imap4_set_server_error(imap4 *h, int code, const imap4_resp *resp)
{
	free(h->server_code);
	free(h->server_text);
	h->server_code = dup_or_null(resp->code);
	h->server_text = dup_or_null(resp->text);
	h->err.server_code = h->server_code;
	h->err.server_text = h->server_text;
	imap4_fail(h, code, "server said %s: %s", resp->name ? resp->name : "?",
	           resp->text ? resp->text : "");
}

int imap4_ok(imap4 *h)
{
	free(h->server_code);
	free(h->server_text);
	h->server_code = h->server_text = NULL;
	memset(&h->err, 0, sizeof(h->err));
	h->errmsg[0] = '\0';
	h->err.message = h->errmsg;
	return IMAP4_OK;
}

void imap4_result_reset(imap4 *h)
{
	imap4_arena_reset(&h->res.arena);
	h->res.ndata = 0;
	h->res.data_bytes = 0;
	h->res.over_limit = 0;
	h->res.dropped = 0;
	h->res.completion = NULL;
	imap4_ok(h);
}

/* A call from a callback would put its command on the wire inside the
 * one in progress and read that one's responses as its own: the first
 * tagged reply would then look like a server's protocol error and kill
 * the handle. It is refused before anything of the command is touched. */
int imap4_enter(imap4 *h, const char *what)
{
	if (h == NULL)
		return IMAP4_EINVAL;
	if (h->busy)
		return imap4_fail(h, IMAP4_ESTATE,
		                  "%s refused: called from a callback of a "
		                  "command in progress (%s); nothing was sent",
		                  what, h->cmd_name);
	h->unsent = false;
	imap4_ok(h);
	return 0;
}

int imap4_begin(imap4 *h, const char *what)
{
	int rc = imap4_enter(h, what);

	if (rc == 0)
		imap4_result_reset(h);
	return rc;
}

void imap4_drop_transport(imap4 *h)
{
	imap4_transport_close(&h->t);
	h->rpos = h->rlen = 0;
}

/* LITERAL+ and LITERAL- are not used, though offered: a server that
 * rejects a command before its literal (BAD for an unknown command, a flag
 * or a date it does not take) reads the literal's lines as commands of
 * their own. Dovecot 2.3 does: an APPEND with a flag it refuses ran the
 * message's lines. A synchronizing literal is sent only after the
 * server's "+", so a caller's text (or a message from another server)
 * can never become a command, at the price of a round trip. */
unsigned imap4_cmd_flags(const imap4 *h)
{
	unsigned f = 0;

	if (h->sess.utf8)
		f |= IMAP4_CMD_UTF8;
	return f;
}

static const char *state_name(enum imap4_state st)
{
	switch (st) {
	case IMAP4_STATE_NONAUTH:
		return "NONAUTH (not logged in)";
	case IMAP4_STATE_AUTH:
		return "AUTH (no mailbox selected)";
	case IMAP4_STATE_SELECTED:
		return "SELECTED";
	case IMAP4_STATE_IDLING:
		return "IDLING";
	case IMAP4_STATE_LOGOUT:
		return "LOGOUT";
	}
	return "?";
}

int imap4_cmd_start(imap4 *h, unsigned states, const char *name)
{
	int rc = imap4_begin(h, name ? name : "a command");

	if (rc)
		return rc;
	snprintf(h->cmd_name, sizeof(h->cmd_name), "%s", name ? name : "?");
	/* Said as imaplib says it: what was refused, and why (an earlier
	 * command's failure, not this one's). */
	if (h->logged_out)
		return imap4_fail(h, IMAP4_ECLOSED,
		                  "%s: not sent: the session was logged out",
		                  name);
	if (h->dead)
		return imap4_fail(h, IMAP4_ECLOSED,
		                  "%s: not sent: the connection was given up "
		                  "earlier (%s)",
		                  name, imap4_strerror(h->dead_code));
	if (h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED,
		                  "%s: not sent: the connection is closed",
		                  name);
	if (!(states & (1u << h->state)))
		return imap4_fail(h, IMAP4_ESTATE,
		                  "%s is not allowed in state %s", name,
		                  state_name(h->state));
	snprintf(h->tag, sizeof(h->tag), "%s%lu", h->tag_prefix,
	         h->tag_num + 1);
	/* No name is no atom either: a bare tag is no command. */
	rc = imap4_cmd_begin(&h->cmd, imap4_cmd_flags(h), h->tag,
	                     name ? name : "");
	if (rc)
		return imap4_fail(h, rc, "%s: nothing was sent",
		                  rc == IMAP4_EINVAL
		                          ? "invalid command name (not an atom)"
		                          : imap4_strerror(rc));
	h->tag_num++;
	h->unsent = true;
	return 0;
}

int imap4_write(imap4 *h, const void *data, size_t len, size_t redact_from,
                int64_t deadline)
{
	int rc;

	if (h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED, NULL);
	/* imaplib's _command deletes the untagged OK, NO and BAD before each
	 * command it sends, so that response('OK') is news of this command,
	 * not a SELECT's [HIGHESTMODSEQ] from two commands back. Here, at
	 * the first byte: a command refused before it goes keeps them. The
	 * names of their codes stay, as in imaplib. */
	if (h->unsent) {
		h->unsent = false;
		imap4_session_discard(&h->sess, "OK");
		imap4_session_discard(&h->sess, "NO");
		imap4_session_discard(&h->sess, "BAD");
	}
	imap4_trace(h, 'C', data, len, redact_from);
	rc = imap4_transport_write(h->t, data, len, deadline);
	if (rc < 0)
		return fail_io(h, rc, "write");
	return 0;
}

static void drain_wake(imap4 *h)
{
	uint64_t v;

	while (read(h->wake_fd, &v, sizeof(v)) > 0)
		;
}

/* Whether resp is the server's answer to a DONE that crossed its own end
 * of the IDLE: a tagged "DONE" (our tags never are) while one may come.
 * Any other tagged response ends that chance: a server answers in order,
 * so that answer would have come before it. */
static bool stray_done(imap4 *h, const imap4_resp *resp)
{
	bool stray = h->done_answer && resp->tag != NULL &&
	             strcmp(resp->tag, "DONE") == 0;

	h->done_answer = false;
	return stray;
}

int imap4_next_response(imap4 *h, const imap4_resp **out, int64_t deadline,
                        bool wake)
{
	bool fed_nothing = false;

	for (;;) {
		ssize_t n;
		int rc = imap4_reader_next(&h->rd, out);

		if (rc < 0)
			return imap4_fail(h, rc, "reading a response: %s",
			                  h->rd.why[0] ? h->rd.why
			                               : imap4_strerror(rc));
		if (rc == 1) {
			bool secret = h->trace_secret &&
			              (*out)->type == IMAP4_RESP_CONTINUE;

			imap4_trace(h, 'S', (*out)->raw, (*out)->raw_len,
			            secret ? 1 : SIZE_MAX);
			if ((*out)->type == IMAP4_RESP_TAGGED &&
			    stray_done(h, *out))
				continue;
			return 1;
		}
		if (h->rpos < h->rlen) {
			n = imap4_reader_feed(&h->rd, h->rbuf + h->rpos,
			                      h->rlen - h->rpos);
			if (n < 0)
				return imap4_fail(
				        h, (int)n, "reading a response: %s",
				        h->rd.why[0] ? h->rd.why
				                     : imap4_strerror((int)n));
			/* A reader that neither takes bytes nor yields a
			 * response would spin here for ever. */
			if (n == 0 && fed_nothing)
				return imap4_fail(h, IMAP4_EPROTO,
				                  "response reader stalled");
			fed_nothing = n == 0;
			h->rpos += (size_t)n;
			continue;
		}
		h->rpos = h->rlen = 0;
		if (h->t == NULL)
			return imap4_fail(h, IMAP4_ECLOSED, NULL);
		/* The wait below returns at once while bytes keep coming: a
		 * server that floods responses would never meet the deadline
		 * there (RELIABILITY rule 5: a total deadline, not an
		 * inactivity timer). */
		if (deadline >= 0 && imap4_now_ms() >= deadline)
			return IMAP4_ETIMEOUT;
		rc = imap4_transport_wait(h->t, wake ? h->wake_fd : -1,
		                          deadline);
		if (rc == 2) {
			drain_wake(h);
			return 2;
		}
		if (rc == IMAP4_ETIMEOUT)
			return rc;
		if (rc < 0)
			return fail_io(h, rc, "wait");
		n = imap4_transport_read(h->t, h->rbuf, IMAP4_RBUF_SIZE,
		                         deadline);
		if (n == IMAP4_ETIMEOUT)
			return IMAP4_ETIMEOUT;
		if (n < 0)
			return fail_io(h, (int)n, "read");
		h->rlen = (size_t)n;
		h->bytes_in += (uint64_t)n;
	}
}

int imap4_observe(imap4 *h, const imap4_resp *resp, bool bye_ok,
                  bool remember)
{
	int rc = imap4_session_observe(&h->sess, resp, remember);

	if (rc)
		return imap4_fail(h, rc, "keeping session state: %s",
		                  imap4_strerror(rc));
	if (h->state == IMAP4_STATE_SELECTED && !h->readonly && resp->code &&
	    strcmp(resp->code, "READ-ONLY") == 0)
		h->became_readonly = true;
	if (resp->type == IMAP4_RESP_UNTAGGED && resp->name &&
	    strcmp(resp->name, "BYE") == 0 && !bye_ok) {
		free(h->server_text);
		h->server_text = dup_or_null(resp->text);
		h->err.server_text = h->server_text;
		return imap4_fail(h, IMAP4_EBYE, "server said BYE: %s",
		                  resp->text ? resp->text : "");
	}
	return 0;
}

int imap4_remember(imap4 *h, const imap4_resp *resp)
{
	int rc = imap4_session_remember(&h->sess, resp);

	if (rc)
		return imap4_fail(h, rc, "keeping session state: %s",
		                  imap4_strerror(rc));
	return 0;
}

/* A response no callback consumed: kept in the data and for
 * imap4_response(). */
static int keep_all(imap4 *h, const imap4_resp *resp)
{
	int rc = imap4_remember(h, resp);

	return rc ? rc : imap4_keep(h, resp);
}

/* Copies resp into the data arena, letting the copy take at most room
 * bytes there. The raw length checked before a copy is only an estimate:
 * a line of four million one-digit numbers is 8 MB raw but half a
 * gigabyte as nodes, so the arena's cap stops the copy itself as it grows
 * (RELIABILITY rule 4). IMAP4_ELIMIT when room ran out. */
static int copy_within(imap4 *h, const imap4_resp **out, const imap4_resp *resp,
                       size_t room)
{
	struct imap4_arena *a = &h->res.arena;
	size_t cap = a->cap;
	int rc;

	*out = NULL;
	if (room == 0)
		return IMAP4_ELIMIT;
	a->cap = room < SIZE_MAX - a->used ? a->used + room : SIZE_MAX;
	rc = imap4_resp_copy(out, a, resp);
	if (rc == IMAP4_ENOMEM && a->over_cap)
		rc = IMAP4_ELIMIT;
	a->cap = cap;
	return rc;
}

/* The responses past the limit were read whole and dropped, so the
 * stream is in step: unless the command's state change cannot be taken
 * without its data, only this command failed. */
int imap4_limit_fail(imap4 *h, bool abort)
{
	char what[384];

	if (h->res.over_limit & OVER_DATA)
		snprintf(what, sizeof(what),
		         "the untagged responses kept for one command would "
		         "take more than max_untagged (%zu bytes of memory, "
		         "with their parsed copies); %zu of them were read "
		         "and dropped, ",
		         h->opts.limits.max_untagged, h->res.dropped);
	else
		what[0] = '\0';
	if (h->res.over_limit & OVER_COMPLETION)
		snprintf(
		        what + strlen(what), sizeof(what) - strlen(what),
		        "the tagged completion would take more than "
		        "max_untagged (%zu bytes of memory as a parsed copy), ",
		        h->opts.limits.max_untagged);
	if (abort)
		return fail_dead(h, IMAP4_ELIMIT,
		                 "%sand the state this command changes cannot "
		                 "be trusted without them; connection dropped",
		                 what);
	return fail_alive(h, IMAP4_ELIMIT,
	                  "%sthe connection stays usable (imap4_fetch_each "
	                  "or a callback keep none)",
	                  what);
}

static int over_untagged(imap4 *h)
{
	h->res.over_limit |= OVER_DATA;
	h->res.dropped++;
	return 0;
}

int imap4_keep(imap4 *h, const imap4_resp *resp)
{
	const imap4_resp *copy;
	size_t max = h->opts.limits.max_untagged;
	size_t need = resp->raw_len + KEEP_OVERHEAD;
	int rc;

	/* Past the limit once, the data stays the responses before it: a
	 * later one that fits would leave a hole nobody could see. */
	if (h->res.over_limit & OVER_DATA)
		return over_untagged(h);
	/* The estimate first: a response that cannot fit is refused before
	 * anything is copied. */
	if (h->res.data_bytes > max || need > max - h->res.data_bytes)
		return over_untagged(h);
	if (h->res.ndata == h->res.adata) {
		size_t n = h->res.adata ? h->res.adata * 2 : 16;
		const imap4_resp **d = realloc(h->res.data, n * sizeof(*d));

		if (d == NULL)
			return imap4_fail(h, IMAP4_ENOMEM, NULL);
		h->res.data = d;
		h->res.adata = n;
	}
	size_t before = h->res.arena.used;
	rc = copy_within(h, &copy, resp,
	                 max - h->res.data_bytes - sizeof(*h->res.data));
	if (rc == IMAP4_ELIMIT)
		return over_untagged(h);
	if (rc)
		return imap4_fail(h, rc, "keeping a response: %s",
		                  imap4_strerror(rc));
	h->res.data[h->res.ndata++] = copy;
	/* What the copy really took: its nodes and views cost three times
	 * the raw bytes of a short response, and a flood of LIST lines
	 * counted by their raw length alone held a gigabyte under a 256 MiB
	 * limit. need stays the estimate checked before the copy. */
	size_t took = h->res.arena.used - before + sizeof(*h->res.data);
	h->res.data_bytes += took > need ? took : need;
	return 0;
}

static bool expected(const struct imap4_run *run, const imap4_resp *resp)
{
	if (run->expect == NULL)
		return true;
	if (resp->name == NULL)
		return false;
	for (const char *const *e = run->expect; *e; e++)
		if (strcmp(*e, resp->name) == 0)
			return true;
	return false;
}

static void note_cb_error(struct imap4_run *run, int rc)
{
	if (run->cb_error == 0)
		run->cb_error = rc;
}

int imap4_route(imap4 *h, struct imap4_run *run, const imap4_resp *resp)
{
	int rc;

	/* What the command did not ask for goes where it always goes, also
	 * after a failure: the handle may go on (a FETCH that could not be
	 * typed), and its caller must not miss an EXPUNGE or an EXISTS. */
	/* A response a callback consumed (0) is its own: imaplib 3.14's
	 * Idler takes IDLE's responses out of untagged_responses too. One
	 * whose callback failed was not consumed, and stays news. */
	if (!expected(run, resp)) {
		if (h->unsol && !run->unsol_failed) {
			rc = h->unsol(h->unsol_payload, resp);
			if (rc < 0) {
				note_cb_error(run, IMAP4_ECALLBACK);
				run->unsol_failed = true;
				return imap4_remember(h, resp);
			}
			if (rc == 0)
				return 0;
		}
		return keep_all(h, resp);
	}
	/* The command's own responses are no longer delivered. */
	if (run->cb_error)
		return imap4_remember(h, resp);
	/* A FETCH that goes to the command's message callback is the
	 * caller's, which imap4_response() does not keep a copy of as well
	 * (a copy of every message a mailbox's FETCH streams). */
	if (run->msg_cb && resp->name && strcmp(resp->name, "FETCH") == 0) {
		imap4_msg msg;

		rc = imap4_msg_parse(&msg, resp);
		if (rc < 0) {
			if (!run->cb_error)
				imap4_quote_start(run->cb_why,
				                  sizeof(run->cb_why),
				                  resp->raw, resp->raw_len);
			note_cb_error(run, rc);
			return 0;
		}
		rc = run->msg_cb(run->msg_payload, &msg, resp);
		if (rc < 0)
			note_cb_error(run, IMAP4_ECALLBACK);
		return 0;
	}
	if (run->cb) {
		rc = run->cb(run->payload, resp);
		if (rc < 0) {
			note_cb_error(run, IMAP4_ECALLBACK);
			return imap4_remember(h, resp);
		}
		if (rc == 0)
			return 0;
	}
	return keep_all(h, resp);
}

/* Where the command's secret starts, relative to a segment at start. */
static size_t redact_in(const imap4 *h, size_t start)
{
	if (h->cmd.redact_from == SIZE_MAX)
		return SIZE_MAX;
	return h->cmd.redact_from > start ? h->cmd.redact_from - start : 0;
}

struct sender {
	size_t next_seg;
	bool waiting; /* a synchronizing literal awaits "+" */
	bool body_pending;
	bool all_sent;
};

/* The message of imap4_append_stream, its line ends made CRLF on the way
 * (imap4_crlf_map) as imap4_append does; body_size counts the bytes
 * after that. */
static int send_body(imap4 *h, struct imap4_run *run)
{
	char in[8192], out[2 * sizeof(in)];
	uint64_t left = run->body_size;
	bool cr = false;
	char note[64];

	snprintf(note, sizeof(note), "<literal of %llu bytes>",
	         (unsigned long long)run->body_size);
	imap4_trace(h, 'C', note, strlen(note), SIZE_MAX);
	while (left > 0) {
		size_t want = left < sizeof(in) ? (size_t)left : sizeof(in);
		ssize_t n = run->body_cb(run->body_payload, in, want);
		int rc;

		if ((size_t)n > want && n > 0)
			return fail_dead(
			        h, IMAP4_EINVAL,
			        "message source gave %zd bytes where "
			        "%zu were asked for; connection dropped",
			        n, want);
		if (n <= 0)
			return fail_dead(
			        h, n < 0 ? IMAP4_ECALLBACK : IMAP4_EINVAL,
			        "message source %s after %llu of %llu "
			        "bytes; connection dropped",
			        n < 0 ? "failed" : "ended",
			        (unsigned long long)(run->body_size - left),
			        (unsigned long long)run->body_size);
		size_t m = imap4_crlf_map(out, in, (size_t)n, &cr);
		/* Longer than announced once its line ends are CRLF: none
		 * of it is sent, so the literal stays short of its size and
		 * the server stores nothing. */
		if (m > left)
			return fail_dead(
			        h, IMAP4_EINVAL,
			        "message source went on after the %llu "
			        "bytes it announced (line ends counted "
			        "as CRLF); connection dropped",
			        (unsigned long long)run->body_size);
		if (h->t == NULL)
			return imap4_fail(h, IMAP4_ECLOSED, NULL);
		rc = imap4_transport_write(h->t, out, m, run->deadline);
		if (rc < 0)
			return fail_io(h, rc, "write");
		left -= m;
	}
	/* The source must end where it said: a longer one would have its
	 * message cut at size bytes and stored as if whole. The command's
	 * last CRLF is not sent yet, so dropping the connection leaves the
	 * server nothing to store. An LF right after a final CR is the end
	 * of that line, sent already. */
	ssize_t more = run->body_cb(run->body_payload, in, 1);
	if (more == 1 && cr && in[0] == '\n')
		more = run->body_cb(run->body_payload, in, 1);
	if (more != 0)
		return fail_dead(h, more < 0 ? IMAP4_ECALLBACK : IMAP4_EINVAL,
		                 "message source %s after the %llu bytes it "
		                 "announced; connection dropped",
		                 more < 0 ? "failed" : "went on",
		                 (unsigned long long)run->body_size);
	return 0;
}

static int advance(imap4 *h, struct imap4_run *run, struct sender *s)
{
	const char *data;
	size_t len;
	bool sync;
	int rc;

	while (!s->waiting) {
		if (s->body_pending && s->next_seg == run->body_after) {
			rc = send_body(h, run);
			if (rc)
				return rc;
			s->body_pending = false;
			continue;
		}
		if (!imap4_cmd_segment(&h->cmd, s->next_seg, &data, &len,
		                       &sync)) {
			s->all_sent = true;
			return 0;
		}
		rc = imap4_write(h, data, len,
		                 redact_in(h, (size_t)(data - h->cmd.buf.data)),
		                 run->deadline);
		if (rc)
			return rc;
		s->next_seg++;
		s->waiting = sync;
	}
	return 0;
}

/* The result a completion gives the command. */
static int outcome(imap4 *h, struct imap4_run *run, const imap4_resp *resp)
{
	if (h->rd.sink_error && !run->cb_error)
		run->cb_error = IMAP4_ECALLBACK;
	if (h->became_readonly) {
		/* RFC 3501 7.1: the server may make a selected mailbox
		 * read-only at any time; writes fail from now on. SELECT
		 * and EXAMINE judge their own READ-ONLY (select.c). */
		h->became_readonly = false;
		if (!run->selects) {
			h->readonly = true;
			return imap4_fail(h, IMAP4_EREADONLY,
			                  "the mailbox became read-only");
		}
	}
	if (strcmp(resp->name, "OK") == 0) {
		if (run->cb_error == IMAP4_ECALLBACK)
			return imap4_fail(h, IMAP4_ECALLBACK,
			                  "a callback failed");
		/* The command was read to its end: the connection is in
		 * step, and only the messages after the bad one are lost
		 * to this command. */
		if (run->cb_error)
			return fail_alive(
			        h, run->cb_error,
			        "malformed FETCH response (%s): \"%s\"",
			        imap4_strerror(run->cb_error), run->cb_why);
		/* Whatever a callback's refused call left there is not
		 * this command's. */
		return imap4_ok(h);
	}
	if (strcmp(resp->name, "NO") == 0) {
		imap4_set_server_error(
		        h, run->no_is_error ? IMAP4_ENO : IMAP4_NO, resp);
		return run->no_is_error ? IMAP4_ENO : IMAP4_NO;
	}
	if (strcmp(resp->name, "BAD") == 0) {
		imap4_set_server_error(h, IMAP4_EBAD, resp);
		return IMAP4_EBAD;
	}
	return imap4_fail(h, IMAP4_EPROTO,
	                  "tagged response is neither OK, NO nor BAD");
}

int imap4_complete(imap4 *h, struct imap4_run *run, const imap4_resp *resp)
{
	const imap4_resp *copy;
	/* A completion is one line, but its response code may hold millions
	 * of arguments: its copy gets an allowance of its own, as large as
	 * the data's, so that a command's result stays within twice
	 * max_untagged whatever the server sends. It is read whole all the
	 * same, so the stream stays in step without it. */
	int rc = copy_within(h, &copy, resp, h->opts.limits.max_untagged);

	if (rc == IMAP4_ELIMIT)
		h->res.over_limit |= OVER_COMPLETION;
	else if (rc)
		return imap4_fail(h, rc, "keeping the completion: %s",
		                  imap4_strerror(rc));
	h->res.completion = copy;
	/* imaplib's methods end with _untagged_response(), which pops the
	 * command's own data from the cache on OK (on NO it returns first;
	 * BAD raised before): a caller checking response('EXPUNGE') for
	 * news must not find the EXPUNGE it just did. */
	if (run->pops && strcmp(resp->name, "OK") == 0)
		for (const char *const *p = run->pops; *p; p++)
			imap4_session_discard(&h->sess, *p);
	if (h->res.over_limit && run->limit_aborts)
		return imap4_limit_fail(h, true);
	/* The completion still says how the command ended (a NO keeps its
	 * text in the last error), and READ-ONLY still counts. */
	rc = outcome(h, run, resp);
	if (h->res.over_limit && !h->dead)
		return imap4_limit_fail(h, false);
	return rc;
}

/* The sooner of two deadlines, where < 0 is none. */
static int64_t sooner(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static int read_to_completion(imap4 *h, struct imap4_run *run, struct sender *s)
{
	const imap4_resp *resp;
	int rc;

	for (;;) {
		rc = imap4_next_response(h, &resp, run->deadline, false);
		if (rc == IMAP4_ETIMEOUT) {
			if (run->renews && run->deadline != run->end)
				imap4_fail(h, rc, "%s: no response for %d ms",
				           h->cmd_name, h->opts.timeout_ms);
			else if (run->renews)
				imap4_fail(h, rc,
				           "%s: no completion within its "
				           "deadline",
				           h->cmd_name);
			else
				imap4_fail(h, rc,
				           "%s: no completion within %d ms",
				           h->cmd_name, h->opts.timeout_ms);
			/* The caller may not know which command it was: a
			 * LOGIN answered may still wait on CAPABILITY. */
			h->err.unanswered = h->cmd_name;
			return rc;
		}
		if (rc < 0)
			return rc;
		switch (resp->type) {
		case IMAP4_RESP_CONTINUE:
			if (s->waiting) {
				s->waiting = false;
				rc = advance(h, run, s);
			} else if (s->all_sent && run->on_cont) {
				rc = run->on_cont(h, run, resp);
			} else {
				rc = imap4_fail(h, IMAP4_EPROTO,
				                "unexpected continuation "
				                "request");
			}
			if (rc)
				return rc;
			break;
		case IMAP4_RESP_UNTAGGED:
			/* imap4_route decides what is remembered. */
			rc = imap4_observe(h, resp, run->bye_ok, false);
			if (rc == 0)
				rc = imap4_route(h, run, resp);
			if (rc)
				return rc;
			/* The farewell is said: a server that keeps the
			 * connection open without the tagged OK is given a
			 * moment, not the whole command timeout. */
			if (run->bye_ok && resp->name &&
			    strcmp(resp->name, "BYE") == 0) {
				int64_t grace = imap4_deadline(BYE_GRACE_MS);
				if (run->deadline < 0 || grace < run->deadline)
					run->deadline = grace;
			} else if (run->renews) {
				run->deadline = sooner(
				        imap4_deadline(h->opts.timeout_ms),
				        run->end);
			}
			break;
		case IMAP4_RESP_TAGGED:
			if (resp->tag == NULL || strcmp(resp->tag, h->tag))
				return imap4_fail(h, IMAP4_EPROTO,
				                  "tagged response for an "
				                  "unknown tag");
			/* A completion in the middle of a literal (the server
			 * refused it) leaves the stream in step only if we
			 * stop sending, which we do: s is dropped here. */
			rc = imap4_observe(h, resp, run->bye_ok, true);
			if (rc)
				return rc;
			return imap4_complete(h, run, resp);
		}
	}
}

int imap4_run(imap4 *h, struct imap4_run *run)
{
	struct sender s = {.body_pending = run->body_cb != NULL};
	int rc = imap4_cmd_end(&h->cmd);

	if (rc == IMAP4_EINVAL)
		return imap4_fail(
		        h, rc, "%s: invalid argument (%s): nothing was sent",
		        h->cmd_name,
		        h->cmd.why ? h->cmd.why
		                   : "NULL, CR, LF, NUL, invalid UTF-8 "
		                     "or bad syntax");
	if (rc)
		return imap4_fail(h, rc, "%s: nothing was sent",
		                  imap4_strerror(rc));
	run->cb_error = 0;
	run->unsol_failed = false;
	run->cb_why[0] = '\0';
	h->rd.sink_error = 0;
	run->deadline = imap4_deadline(h->opts.timeout_ms);
	if (run->renews)
		run->deadline = sooner(run->deadline, run->end);
	h->trace_secret = run->secret_cont;
	bool was_busy = h->busy;
	h->busy = true;
	rc = advance(h, run, &s);
	if (rc == 0)
		rc = read_to_completion(h, run, &s);
	h->busy = was_busy;
	h->trace_secret = false;
	return rc;
}

int imap4_simple(imap4 *h, unsigned states, const char *name,
                 const char *const *expect)
{
	struct imap4_run run = {.expect = expect};
	int rc = imap4_cmd_start(h, states, name);

	if (rc)
		return rc;
	return imap4_run(h, &run);
}
