/* vanished.c - the typed view of a VANISHED response.
 *
 * RFC 7162 7:
 *	expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids
 *	known-uids    = sequence-set	; "*" is not allowed
 * VANISHED is how QRESYNC reports expunges; the UIDs are what the cache
 * may delete (RELIABILITY rule 7), so a set that does not parse is a
 * protocol error, never an empty set.
 */
#include "proto/view.h"

#include <string.h>

int imap4_vanished_parse(imap4_vanished *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!resp || !resp->name || !resp->arena ||
	    strcmp(resp->name, "VANISHED") != 0)
		return IMAP4_EINVAL;

	const imap4_arg *a = resp->args;
	if (a && a->type == IMAP4_ARG_LIST) {
		/* The only tag defined is EARLIER; others are not ours to
		 * guess at, and hiding them would misfile the UIDs. */
		if (a->count != 1 || !imap4_view_is_atom(a->list, "EARLIER"))
			return IMAP4_EPROTO;
		out->earlier = true;
		a = a->next;
	}
	if (!a || a->type != IMAP4_ARG_ATOM || a->next) {
		out->earlier = false;
		return IMAP4_EPROTO;
	}
	int rc = imap4_view_seqset(&out->uids, resp->arena, a->str, a->len,
				   false);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
