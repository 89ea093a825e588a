/* select.c - SELECT and EXAMINE, plain or with CONDSTORE / QRESYNC. */
#include "api/internal.h"
#include "proto/view.h"

#include <string.h>

/* What the select-time responses said (RFC 3501 6.3.1, RFC 7162 3.1). */
static int take_info(imap4 *h, imap4_mailbox_info *out, const imap4_resp *r)
{
	uint64_t v;
	int rc = 0;

	if (r->type == IMAP4_RESP_UNTAGGED && r->has_number && r->name) {
		if (strcmp(r->name, "EXISTS") == 0) {
			out->exists = r->number;
			out->has_exists = true;
		} else if (strcmp(r->name, "RECENT") == 0)
			out->recent = r->number;
		return 0;
	}
	if (r->type == IMAP4_RESP_UNTAGGED && r->name &&
	    strcmp(r->name, "FLAGS") == 0)
		return imap4_view_strings(&out->flags, &out->nflags,
		                          &h->res.arena, r->args, true);
	if (!r->is_status || r->code == NULL)
		return 0;
	if (strcmp(r->code, "PERMANENTFLAGS") == 0)
		rc = imap4_view_strings(&out->permanentflags,
		                        &out->npermanentflags, &h->res.arena,
		                        r->code_args, true);
	else if (strcmp(r->code, "READ-ONLY") == 0)
		out->readonly = true;
	else if (strcmp(r->code, "NOMODSEQ") == 0)
		out->nomodseq = true;
	else if (imap4_resp_code_u64(r, "UNSEEN", &v) && v <= UINT32_MAX)
		out->unseen = (uint32_t)v;
	else if (imap4_resp_code_u64(r, "UIDVALIDITY", &v) && v <= UINT32_MAX)
		out->uidvalidity = (uint32_t)v;
	else if (imap4_resp_code_u64(r, "UIDNEXT", &v) && v <= UINT32_MAX)
		out->uidnext = (uint32_t)v;
	else if (imap4_resp_code_u64(r, "HIGHESTMODSEQ", &v))
		out->highestmodseq = v;
	return rc;
}

static int fill_info(imap4 *h, imap4_mailbox_info *out)
{
	static const char *const none[] = {NULL};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->flags = out->permanentflags = none;
	for (size_t i = 0; i < h->res.ndata && rc == 0; i++)
		rc = take_info(h, out, h->res.data[i]);
	if (rc == 0 && h->res.completion)
		rc = take_info(h, out, h->res.completion);
	if (rc)
		return imap4_fail(h, rc, "%s: malformed FLAGS", h->cmd_name);
	if (out->nomodseq)
		out->highestmodseq = 0;
	return 0;
}

/* select_ex hands the resync's VANISHED and FETCH to the caller and keeps
 * the rest as the command's data. */
struct resync {
	imap4_untagged_cb cb;
	void *payload;
};

static int route_resync(void *payload, const imap4_resp *resp)
{
	struct resync *rs = payload;

	if (rs->cb && resp->name &&
	    (strcmp(resp->name, "VANISHED") == 0 ||
	     strcmp(resp->name, "FETCH") == 0))
		return rs->cb(rs->payload, resp);
	return 1;
}

static int select_run(imap4 *h, imap4_mailbox_info *out, const char *mailbox,
                      const struct imap4_select_params *params,
                      imap4_untagged_cb cb, void *payload)
{
	struct resync rs = {cb, payload};
	struct imap4_run run = {.expect = NULL,
	                        .cb = route_resync,
	                        .payload = &rs,
	                        .selects = true,
	                        .limit_aborts = true};
	int rc;

	/* RFC 7162 3.2.3: QRESYNC in SELECT only after ENABLE QRESYNC. */
	if (params->qresync_uidvalidity &&
	    !imap4_session_is_enabled(&h->sess, "QRESYNC")) {
		rc = imap4_enable(h, "QRESYNC");
		if (rc == IMAP4_OK &&
		    !imap4_session_is_enabled(&h->sess, "QRESYNC"))
			rc = imap4_fail(h, IMAP4_ECAPA,
			                "the server did not enable QRESYNC");
		if (rc)
			return rc == IMAP4_NO ? IMAP4_ECAPA : rc;
	}
	rc = imap4_cmd_start(h, IMAP4_AUTHED,
	                     params->readonly ? "EXAMINE" : "SELECT");
	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, mailbox ? mailbox : "INBOX");
	if (params->qresync_uidvalidity) {
		imap4_cmd_open(&h->cmd);
		imap4_cmd_atom(&h->cmd, "QRESYNC");
		imap4_cmd_open(&h->cmd);
		imap4_cmd_u32(&h->cmd, params->qresync_uidvalidity);
		imap4_cmd_u64(&h->cmd, params->qresync_modseq);
		if (params->qresync_known_uids)
			imap4_cmd_seqset(&h->cmd, params->qresync_known_uids);
		imap4_cmd_close(&h->cmd);
		imap4_cmd_close(&h->cmd);
	} else if (params->condstore) {
		imap4_cmd_open(&h->cmd);
		imap4_cmd_atom(&h->cmd, "CONDSTORE");
		imap4_cmd_close(&h->cmd);
	}
	/* imaplib forgets what it knew of the previous mailbox. */
	imap4_session_forget_cache(&h->sess);
	h->readonly = params->readonly;
	rc = imap4_run(h, &run);
	if (rc != IMAP4_OK) {
		/* RFC 3501 6.3.1: a failed SELECT leaves no mailbox. */
		if (!h->dead && h->state == IMAP4_STATE_SELECTED)
			h->state = IMAP4_STATE_AUTH;
		return rc;
	}
	h->state = IMAP4_STATE_SELECTED;
	rc = fill_info(h, out);
	if (rc)
		return rc;
	if (out->readonly && !params->readonly) {
		h->readonly = true;
		return imap4_fail(h, IMAP4_EREADONLY,
		                  "%s is read-only, write access was asked",
		                  mailbox ? mailbox : "INBOX");
	}
	return IMAP4_OK;
}

int imap4_select_ex(imap4 *h, imap4_mailbox_info *out, const char *mailbox,
                    const struct imap4_select_params *params,
                    imap4_untagged_cb cb, void *payload)
{
	struct imap4_select_params none = {0};
	imap4_mailbox_info info;
	int rc = imap4_enter(h,
	                     params && params->readonly ? "EXAMINE" : "SELECT");

	if (out)
		memset(out, 0, sizeof(*out));
	if (rc == 0)
		rc = select_run(h, out ? out : &info, mailbox,
		                params ? params : &none, cb, payload);
	/* The header's promise: all zero after a failure, also after one
	 * (IMAP4_EREADONLY, a malformed FLAGS) that came once the info was
	 * filled in. */
	if (rc != IMAP4_OK && out)
		memset(out, 0, sizeof(*out));
	return rc;
}

int imap4_select(imap4 *h, imap4_mailbox_info *out, const char *mailbox,
                 bool readonly)
{
	struct imap4_select_params p = {.readonly = readonly};

	return imap4_select_ex(h, out, mailbox, &p, NULL, NULL);
}
