/* namespace.c - the typed view of a NAMESPACE response.
 *
 * RFC 9051 7.2.2 and 9 (RFC 2342 with its extensions):
 *	namespace-response = "NAMESPACE" SP namespace SP namespace SP
 *			     namespace
 *	namespace	= nil / "(" 1*namespace-descr ")"
 *	namespace-descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
 *			  [namespace-response-extensions] ")"
 *	namespace-response-extension = SP string SP
 *			  "(" string *(SP string) ")"
 * The three are, in order, the personal, other users' and shared
 * namespaces.
 */
#include "proto/view.h"

#include <string.h>

/* One "(prefix delimiter ...)". The prefix is a string, which a literal
 * may carry; a NUL in it would cut it into another prefix. */
static int parse_descr(imap4_namespace_descr *out, struct imap4_arena *arena,
		       const imap4_arg *d)
{
	if (d->type != IMAP4_ARG_LIST || d->count < 2)
		return IMAP4_EPROTO;
	const imap4_arg *p = d->list, *delim = p->next;
	if ((p->type != IMAP4_ARG_STRING && p->type != IMAP4_ARG_LITERAL) ||
	    p->streamed || !p->str || memchr(p->str, '\0', p->len))
		return IMAP4_EPROTO;
	if (delim->type == IMAP4_ARG_STRING && delim->len == 1)
		out->delimiter = delim->str[0];
	else if (delim->type != IMAP4_ARG_NIL)
		return IMAP4_EPROTO;
	/* Extensions come in pairs: a name and a list of values. */
	for (const imap4_arg *x = delim->next; x; x = x->next->next)
		if (x->type == IMAP4_ARG_LIST || !x->next ||
		    x->next->type != IMAP4_ARG_LIST)
			return IMAP4_EPROTO;
	return imap4_view_mailbox(&out->prefix, arena, p->str);
}

static int parse_class(const imap4_namespace_descr **out, size_t *count,
		       struct imap4_arena *arena, const imap4_arg *a)
{
	*out = NULL;
	*count = 0;
	if (imap4_view_is_nil(a))
		return 0;
	if (a->type != IMAP4_ARG_LIST || a->count == 0)
		return IMAP4_EPROTO;
	imap4_namespace_descr *v = imap4_arena_calloc(arena, a->count, sizeof(*v));
	if (!v)
		return IMAP4_ENOMEM;
	size_t n = 0;
	for (const imap4_arg *d = a->list; d; d = d->next) {
		int rc = parse_descr(&v[n], arena, d);
		if (rc < 0)
			return rc;
		n++;
	}
	*out = v;
	*count = n;
	return 0;
}

int imap4_namespace_parse(imap4_namespace_info *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!resp || !resp->name || !resp->arena ||
	    strcmp(resp->name, "NAMESPACE") != 0)
		return IMAP4_EINVAL;
	if (resp->nargs != IMAP4_NS_CLASSES)
		return IMAP4_EPROTO;
	const imap4_arg *a = resp->args;
	int rc = 0;
	for (int k = 0; k < IMAP4_NS_CLASSES && rc == 0; k++, a = a->next)
		rc = parse_class(&out->ns[k], &out->count[k], resp->arena, a);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
