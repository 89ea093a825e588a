/* envelope.c - the ENVELOPE of a FETCH response.
 *
 * RFC 3501 9 / RFC 9051 9:
 *	envelope  = "(" env-date SP env-subject SP env-from SP env-sender SP
 *		    env-reply-to SP env-to SP env-cc SP env-bcc SP
 *		    env-in-reply-to SP env-message-id ")"
 *	env-from  = "(" 1*address ")" / nil	; same for the other lists
 *	address   = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
 * and every other field is an nstring. RFC 3501 7.4.2 gives the group
 * syntax (RFC 2822 "undisclosed-recipients:;"): an address with a NIL host
 * opens a group named by its mailbox, or closes it when the mailbox is NIL
 * too; those markers are kept in the list as the caller sees it.
 */
#include "proto/view.h"

#define ENVELOPE_FIELDS 10

/* One address: a list of exactly four nstrings. */
static int parse_address(imap4_address *out, struct imap4_arena *arena,
			 const imap4_arg *arg)
{
	if (arg->type != IMAP4_ARG_LIST || arg->count != 4)
		return IMAP4_EPROTO;
	const imap4_arg *f = arg->list;
	const char **dst[4] = {&out->name, &out->adl, &out->mailbox,
			       &out->host};
	for (size_t i = 0; i < 4; i++, f = f->next) {
		int rc = imap4_view_nstring(dst[i], arena, f);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_addresses(const imap4_address **out,
			   struct imap4_arena *arena, const imap4_arg *arg)
{
	*out = NULL;
	if (!arg)
		return IMAP4_EPROTO;
	if (arg->type == IMAP4_ARG_NIL)
		return 0;
	if (arg->type != IMAP4_ARG_LIST)
		return IMAP4_EPROTO;

	/* "()" is not in the grammar, but some servers send it for an
	 * empty header; it means the same as NIL. */
	const imap4_address **link = out;
	for (const imap4_arg *a = arg->list; a; a = a->next) {
		imap4_address *addr = imap4_arena_calloc(arena, 1,
							 sizeof(*addr));
		if (!addr)
			return IMAP4_ENOMEM;
		int rc = parse_address(addr, arena, a);
		if (rc < 0)
			return rc;
		*link = addr;
		link = &addr->next;
	}
	return 0;
}

int imap4_envelope_parse(const imap4_envelope **out,
			 struct imap4_arena *arena, const imap4_arg *arg)
{
	*out = NULL;
	if (!arg || arg->type != IMAP4_ARG_LIST ||
	    arg->count != ENVELOPE_FIELDS)
		return IMAP4_EPROTO;

	const imap4_arg *f[ENVELOPE_FIELDS];
	const imap4_arg *a = arg->list;
	for (size_t i = 0; i < ENVELOPE_FIELDS; i++, a = a->next) {
		if (!a)
			return IMAP4_EPROTO;
		f[i] = a;
	}

	imap4_envelope *env = imap4_arena_calloc(arena, 1, sizeof(*env));
	if (!env)
		return IMAP4_ENOMEM;
	const char **strs[4] = {&env->date, &env->subject, &env->in_reply_to,
				&env->message_id};
	const imap4_arg *str_args[4] = {f[0], f[1], f[8], f[9]};
	for (size_t i = 0; i < 4; i++) {
		int rc = imap4_view_nstring(strs[i], arena, str_args[i]);
		if (rc < 0)
			return rc;
	}
	const imap4_address **lists[6] = {&env->from, &env->sender,
					  &env->reply_to, &env->to,
					  &env->cc, &env->bcc};
	for (size_t i = 0; i < 6; i++) {
		int rc = parse_addresses(lists[i], arena, f[2 + i]);
		if (rc < 0)
			return rc;
	}
	*out = env;
	return 0;
}
