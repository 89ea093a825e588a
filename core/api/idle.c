/* idle.c - IDLE, its burst form, NOTIFY, waiting without a command, wake.
 *
 * Deadlines (RELIABILITY rule 5): the "+" that starts an IDLE and the
 * completion after DONE each have timeout_ms; the IDLE itself lasts at most
 * duration_ms. RFC 2177 3 asks clients to end an IDLE within 29 minutes:
 * imap4_idle(h, 29 * 60 * 1000, ...) in a loop does exactly that.
 */
#include "api/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const EXP_NONE[] = {NULL};

struct idler {
	imap4_untagged_cb cb; /* imap4_idle */
	void *payload;
	bool burst; /* imap4_idle_burst: keep every response */
	size_t batch; /* of them, those that came before DONE */
	bool done;    /* DONE is sent: what comes is no part of the batch */
	bool stop;  /* the callback asked to end */
	int cb_error;
	enum imap4_state prev; /* state to return to */
};

/* One untagged response during IDLE: the session sees it first, then the
 * callback (or the unsolicited callback / the data when there is none). */
static int deliver(imap4 *h, struct idler *id, const imap4_resp *resp)
{
	struct imap4_run run = {.expect = EXP_NONE};
	int rc = imap4_observe(h, resp, false, false);

	if (rc)
		return rc;
	/* What goes to the caller's callback is not kept for
	 * imap4_response() as well, as imaplib 3.14's Idler takes it out
	 * of untagged_responses; the rest is news. */
	if (id->burst) {
		rc = id->done ? imap4_remember(h, resp) : 0;
		return rc ? rc : imap4_keep(h, resp);
	}
	if (id->cb == NULL)
		return imap4_route(h, &run, resp);
	if (id->cb_error)
		return imap4_remember(h, resp);
	rc = id->cb(id->payload, resp);
	if (rc < 0)
		id->cb_error = IMAP4_ECALLBACK;
	if (rc != 0)
		id->stop = true;
	return 0;
}

/* Sends "tag IDLE" and waits for the "+": 0 and *idling set, or the result
 * of a completion that came instead (the server refused: NO or BAD), or
 * < 0. */
static int idle_begin(imap4 *h, struct idler *id, struct imap4_run *run,
                      bool *idling)
{
	const char *data;
	size_t len;
	bool sync;
	const imap4_resp *resp;
	int rc;

	*idling = false;
	if (!imap4_session_has_cap(&h->sess, "IDLE"))
		return imap4_fail(h, IMAP4_ECAPA,
		                  "the server does not support IDLE");
	rc = imap4_cmd_end(&h->cmd);
	if (rc)
		return imap4_fail(h, rc, NULL);
	run->deadline = imap4_deadline(h->opts.timeout_ms);
	imap4_cmd_segment(&h->cmd, 0, &data, &len, &sync);
	rc = imap4_write(h, data, len, SIZE_MAX, run->deadline);
	if (rc)
		return rc;
	id->prev = h->state;
	for (;;) {
		rc = imap4_next_response(h, &resp, run->deadline, false);
		if (rc == IMAP4_ETIMEOUT)
			return imap4_fail(h, rc,
			                  "no IDLE continuation within "
			                  "%d ms",
			                  h->opts.timeout_ms);
		if (rc < 0)
			return rc;
		if (resp->type == IMAP4_RESP_CONTINUE) {
			h->state = IMAP4_STATE_IDLING;
			*idling = true;
			return 0;
		}
		if (resp->type == IMAP4_RESP_TAGGED) {
			if (resp->tag == NULL || strcmp(resp->tag, h->tag))
				return imap4_fail(h, IMAP4_EPROTO,
				                  "tagged response for an "
				                  "unknown tag");
			return imap4_complete(h, run, resp);
		}
		rc = deliver(h, id, resp);
		if (rc)
			return rc;
	}
}

/* The tagged completion of IDLE: ours, or the server broke the protocol. */
static int idle_complete(imap4 *h, struct idler *id, struct imap4_run *run,
                         const imap4_resp *resp)
{
	if (resp->tag == NULL || strcmp(resp->tag, h->tag))
		return imap4_fail(h, IMAP4_EPROTO,
		                  "tagged response for an unknown tag");
	int rc = imap4_observe(h, resp, false, true);
	if (rc)
		return rc;
	h->state = id->prev;
	run->cb_error = id->cb_error;
	return imap4_complete(h, run, resp);
}

/* Sends DONE (unless the server already ended the IDLE) and reads the
 * completion within timeout_ms. */
static int idle_end(imap4 *h, struct idler *id, struct imap4_run *run,
                    bool send_done)
{
	const imap4_resp *resp;
	int rc;

	run->deadline = imap4_deadline(h->opts.timeout_ms);
	if (send_done) {
		rc = imap4_write(h, "DONE\r\n", 6, SIZE_MAX, run->deadline);
		if (rc)
			return rc;
	}
	for (;;) {
		rc = imap4_next_response(h, &resp, run->deadline, false);
		if (rc == IMAP4_ETIMEOUT)
			return imap4_fail(h, rc,
			                  "no IDLE completion within "
			                  "%d ms after DONE",
			                  h->opts.timeout_ms);
		if (rc < 0)
			return rc;
		if (resp->type == IMAP4_RESP_CONTINUE)
			return imap4_fail(h, IMAP4_EPROTO,
			                  "continuation request after DONE");
		if (resp->type == IMAP4_RESP_TAGGED) {
			rc = idle_complete(h, id, run, resp);
			/* Set after the completion, which is never the
			 * stray answer itself: that comes after it. */
			if (send_done && !h->dead)
				h->done_answer = true;
			return rc;
		}
		/* Responses after DONE are delivered, but a callback can no
		 * longer end anything. */
		rc = deliver(h, id, resp);
		if (rc)
			return rc;
	}
}

/* Reads while idling until the deadline, a wake, or the callback asks to
 * stop: 0 to send DONE, or < 0. When the server completed the IDLE itself
 * *completed is set and the result is the completion's (IMAP4_OK, or
 * IMAP4_NO: a refusal after the "+" must not pass for an ended IDLE). */
static int idle_loop(imap4 *h, struct idler *id, struct imap4_run *run,
                     int64_t end, int interval_ms, bool *completed)
{
	const imap4_resp *resp;
	int64_t deadline = end;
	int rc;

	*completed = false;
	while (!id->stop) {
		rc = imap4_next_response(h, &resp, deadline, true);
		if (rc == 2 || rc == IMAP4_ETIMEOUT)
			return 0;
		if (rc < 0)
			return rc;
		if (resp->type == IMAP4_RESP_CONTINUE)
			return imap4_fail(h, IMAP4_EPROTO,
			                  "continuation request while idle");
		if (resp->type == IMAP4_RESP_TAGGED) {
			*completed = true;
			return idle_complete(h, id, run, resp);
		}
		rc = deliver(h, id, resp);
		if (rc)
			return rc;
		if (interval_ms >= 0) {
			/* A burst goes on while responses follow each other
			 * closer than interval_ms, never past the end. */
			deadline = imap4_deadline(interval_ms);
			if (end >= 0 && end < deadline)
				deadline = end;
		}
	}
	return 0;
}

static int finish(imap4 *h, struct idler *id, struct imap4_run *run, int rc,
                  bool completed)
{
	/* What comes after DONE is no part of the burst, which had ended:
	 * it stays in the command's data, as imaplib keeps it. */
	id->batch = h->res.ndata;
	id->done = true;
	if (rc == 0 && !completed)
		rc = idle_end(h, id, run, true);
	if (!h->dead && h->state == IMAP4_STATE_IDLING)
		h->state = id->prev;
	return rc;
}

/* The IDLE started by the caller, from "IDLE" to its completion. */
static int idle_run(imap4 *h, struct idler *id, struct imap4_run *run,
                    int duration_ms, int interval_ms)
{
	bool idling, completed;
	int rc = idle_begin(h, id, run, &idling);

	if (!idling)
		return rc;
	rc = idle_loop(h, id, run, imap4_deadline(duration_ms), interval_ms,
	               &completed);
	return finish(h, id, run, rc, completed);
}

int imap4_idle(imap4 *h, int duration_ms, imap4_untagged_cb cb, void *payload)
{
	struct idler id = {.cb = cb, .payload = payload};
	struct imap4_run run = {.expect = EXP_NONE};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "IDLE");

	if (rc)
		return rc;
	h->busy = true;
	rc = idle_run(h, &id, &run, duration_ms, -1);
	h->busy = false;
	return rc;
}

int imap4_idle_burst(imap4 *h, int duration_ms, int interval_ms,
                     imap4_burst_cb cb, void *payload)
{
	struct idler id = {.burst = true};
	struct imap4_run run = {.expect = EXP_NONE};
	int rc;

	if (cb == NULL || interval_ms < 0) {
		rc = imap4_begin(h, "IDLE");
		return rc ? rc
		          : imap4_fail(h, IMAP4_EINVAL,
		                       "idle_burst: bad argument");
	}
	rc = imap4_cmd_start(h, IMAP4_AUTHED, "IDLE");
	if (rc)
		return rc;
	/* The batch lives in the command's data: a call from cb would
	 * reset it under cb's feet. */
	h->busy = true;
	rc = idle_run(h, &id, &run, duration_ms, interval_ms);
	/* The batch came before the completion, as imaplib yields it before
	 * its IDLE ends: a NO leaves it news all the same. */
	if ((rc == IMAP4_OK || rc == IMAP4_NO) && id.batch > 0) {
		const imap4_resp *const *batch =
		        (const imap4_resp *const *)h->res.data;

		if (cb(payload, batch, id.batch) < 0)
			rc = imap4_fail(h, IMAP4_ECALLBACK,
			                "burst callback failed");
		else if (rc == IMAP4_OK)
			rc = imap4_ok(h);
		else if (h->res.completion)
			/* Whatever a refused call from cb left in the
			 * last error is not the IDLE's; the NO is. */
			imap4_set_server_error(h, IMAP4_NO, h->res.completion);
	}
	h->busy = false;
	return rc;
}

int imap4_wake(imap4 *h)
{
	uint64_t one = 1;
	int saved = errno; /* callable from a signal handler */

	if (h == NULL)
		return IMAP4_EINVAL;
	ssize_t n = write(h->wake_fd, &one, sizeof(one));

	errno = saved;
	/* EAGAIN: the counter is saturated, a wake is pending anyway. */
	return n == sizeof(one) || n < 0 ? 0 : IMAP4_EIO;
}

static int wait_loop(imap4 *h, int timeout_ms, struct idler *id)
{
	const imap4_resp *resp;
	int64_t end = imap4_deadline(timeout_ms);
	int rc;

	while (!id->stop) {
		rc = imap4_next_response(h, &resp, end, true);
		if (rc == 2 || rc == IMAP4_ETIMEOUT)
			break;
		if (rc < 0)
			return rc;
		if (resp->type != IMAP4_RESP_UNTAGGED)
			return imap4_fail(h, IMAP4_EPROTO,
			                  "%s without a command in flight",
			                  resp->type == IMAP4_RESP_TAGGED
			                          ? "tagged response"
			                          : "continuation request");
		rc = deliver(h, id, resp);
		if (rc)
			return rc;
	}
	if (id->cb_error)
		return imap4_fail(h, id->cb_error, "a callback failed");
	if (h->res.over_limit)
		return imap4_limit_fail(h, false);
	return imap4_ok(h);
}

int imap4_wait(imap4 *h, int timeout_ms, imap4_untagged_cb cb, void *payload)
{
	struct idler id = {.cb = cb, .payload = payload};
	int rc = imap4_begin(h, "imap4_wait");

	if (rc)
		return rc;
	if (h->dead || h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED, NULL);
	if (h->state == IMAP4_STATE_LOGOUT)
		return imap4_fail(h, IMAP4_ESTATE, "wait after LOGOUT");
	snprintf(h->cmd_name, sizeof(h->cmd_name), "%s", "imap4_wait");
	h->busy = true;
	rc = wait_loop(h, timeout_ms, &id);
	h->busy = false;
	return rc;
}

int imap4_notify(imap4 *h, const char *spec)
{
	struct imap4_run run = {.expect = EXP_NONE};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "NOTIFY");

	if (rc)
		return rc;
	if (!imap4_session_has_cap(&h->sess, "NOTIFY"))
		return imap4_fail(h, IMAP4_ECAPA,
		                  "the server does not support NOTIFY");
	if (spec == NULL) {
		imap4_cmd_atom(&h->cmd, "NONE");
	} else {
		imap4_cmd_atom(&h->cmd, "SET");
		imap4_cmd_raw(&h->cmd, spec);
	}
	return imap4_run(h, &run);
}
