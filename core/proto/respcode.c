/* respcode.c - typed response codes: numbers, APPENDUID, COPYUID.
 *
 * RFC 4315 3:
 *	resp-code-apnd = "APPENDUID" SP nz-number SP append-uid
 *	resp-code-copy = "COPYUID" SP nz-number SP uid-set SP uid-set
 *	append-uid     = uniqueid / uid-set	; uid-set with MULTIAPPEND
 *	uid-set        = (uniqueid / uid-range) *("," uid-set)
 * A uid-set names real messages, so "*" is not allowed in it.
 */
#include "proto/view.h"

#include <string.h>
#include <strings.h>

bool imap4_resp_code_u64(const imap4_resp *resp, const char *code,
			 uint64_t *out)
{
	if (!resp || !code || !resp->code || strcasecmp(resp->code, code))
		return false;
	uint64_t v;
	if (!imap4_arg_get_u64(resp->code_args, &v))
		return false;
	if (out)
		*out = v;
	return true;
}

/* Arguments of the code name in resp: IMAP4_ECAPA when resp does not carry
 * it (no UIDPLUS, or UIDNOTSTICKY), so callers tell "absent" from "broken". */
static int code_args(const imap4_arg **out, const imap4_resp *resp,
		     const char *name)
{
	*out = NULL;
	if (!resp)
		return IMAP4_EINVAL;
	if (!resp->code || strcasecmp(resp->code, name))
		return IMAP4_ECAPA;
	*out = resp->code_args;
	return 0;
}

static int uid_set(imap4_seqset *out, struct imap4_arena *arena,
		   const imap4_arg *arg)
{
	if (!arg || arg->type != IMAP4_ARG_ATOM)
		return IMAP4_EPROTO;
	return imap4_view_seqset(out, arena, arg->str, arg->len, false);
}

/* How many UIDs a set names; 64 bits hold any count of 32-bit ranges the
 * parser could have accepted. */
static uint64_t set_size(const imap4_seqset *set)
{
	uint64_t n = 0;
	for (size_t i = 0; i < set->count; i++)
		n += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return n;
}

int imap4_resp_appenduid(imap4_copyuid *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	const imap4_arg *a;
	int rc = code_args(&a, resp, "APPENDUID");
	if (rc < 0)
		return rc;
	if (!imap4_arg_get_nz32(a, &out->uidvalidity))
		return IMAP4_EPROTO;
	rc = uid_set(&out->dst, resp->arena, a->next);
	if (rc == 0 && a->next->next)
		rc = IMAP4_EPROTO;
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int imap4_resp_copyuid(imap4_copyuid *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	const imap4_arg *a;
	int rc = code_args(&a, resp, "COPYUID");
	if (rc < 0)
		return rc;
	if (!imap4_arg_get_nz32(a, &out->uidvalidity))
		return IMAP4_EPROTO;
	rc = uid_set(&out->src, resp->arena, a->next);
	if (rc == 0)
		rc = uid_set(&out->dst, resp->arena, a->next->next);
	if (rc == 0 && a->next->next->next)
		rc = IMAP4_EPROTO;
	/* RFC 4315 3: the two sets pair up message for message. */
	if (rc == 0 && set_size(&out->src) != set_size(&out->dst))
		rc = IMAP4_EPROTO;
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
