/* list.c - the typed view of LIST and LSUB responses.
 *
 * RFC 9051 9 with RFC 5258 (LIST-EXTENDED) and RFC 6154 (SPECIAL-USE):
 *	mailbox-list   = "(" [mbx-list-flags] ")" SP
 *			 (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
 *			 [SP mbox-list-extended]
 *	mbox-list-extended = "(" [mbox-list-extended-item
 *			 *(SP mbox-list-extended-item)] ")"
 *	mbox-list-extended-item = mbox-list-extended-item-tag SP
 *			 tagged-ext-val
 * e.g. ("CHILDINFO" ("SUBSCRIBED")) or ("OLDNAME" ("old/name")).
 */
#include "proto/view.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned bits;
} attr_bits[] = {
	{"\\Noselect", IMAP4_MBOX_NOSELECT},
	{"\\NoInferiors", IMAP4_MBOX_NOINFERIORS},
	{"\\Marked", IMAP4_MBOX_MARKED},
	{"\\Unmarked", IMAP4_MBOX_UNMARKED},
	{"\\HasChildren", IMAP4_MBOX_HASCHILDREN},
	{"\\HasNoChildren", IMAP4_MBOX_HASNOCHILDREN},
	/* \NonExistent implies \Noselect (RFC 5258 3) */
	{"\\NonExistent", IMAP4_MBOX_NONEXISTENT | IMAP4_MBOX_NOSELECT},
	{"\\Subscribed", IMAP4_MBOX_SUBSCRIBED},
	{"\\Remote", IMAP4_MBOX_REMOTE},
};

/* RFC 6154 2, and \Important from RFC 8457; returned in this spelling so
 * callers can compare with strcmp whatever case the server used. */
static const char *const special_uses[] = {
	"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
	"\\Junk", "\\Sent",    "\\Trash",  "\\Important",
};

const char *imap4_list_special_use(const char *attr)
{
	if (!attr)
		return NULL;
	for (size_t k = 0; k < sizeof(special_uses) / sizeof(*special_uses);
	     k++)
		if (strcasecmp(attr, special_uses[k]) == 0)
			return special_uses[k];
	return NULL;
}

static void classify_attrs(imap4_list_entry *e)
{
	for (size_t i = 0; i < e->nattrs; i++) {
		const char *a = e->attrs[i];
		for (size_t k = 0; k < sizeof(attr_bits) / sizeof(*attr_bits);
		     k++) {
			if (strcasecmp(a, attr_bits[k].name) == 0)
				e->attr_bits |= attr_bits[k].bits;
		}
		if (!e->special_use)
			e->special_use = imap4_list_special_use(a);
	}
	/* no child can exist under \Noinferiors (RFC 9051 7.3.1) */
	if (e->attr_bits & IMAP4_MBOX_NOINFERIORS)
		e->attr_bits |= IMAP4_MBOX_HASNOCHILDREN;
}

/* The mailbox name: an astring, which a literal may carry, and which an
 * atom NIL is too (RFC 3501 9: mailbox = "INBOX" / astring; Dovecot quotes
 * it, others need not): the mailbox named as the server spells it. A list
 * is no name, nor is a literal that went to the sink. */
static int mailbox_name(const char **out, const imap4_arg *arg)
{
	*out = NULL;
	if (!arg || arg->type == IMAP4_ARG_LIST || arg->streamed || !arg->str)
		return IMAP4_EPROTO;
	/* A literal may carry NUL; cut there the name would be another
	 * mailbox's ("a\0b" read as "a"). */
	if (memchr(arg->str, '\0', arg->len))
		return IMAP4_EPROTO;
	*out = arg->str;
	return 0;
}

/* OLDNAME's value is "(" mailbox ")" (RFC 9051 9, oldname-extended-item).
 * Other extended items (CHILDINFO, vendors') are tagged-ext-val and only
 * need to be well formed as one argument, which the parser made sure of. */
static int parse_extended(imap4_list_entry *e, struct imap4_arena *arena,
			  const imap4_arg *arg)
{
	if (arg->type != IMAP4_ARG_LIST)
		return IMAP4_EPROTO;
	for (const imap4_arg *tag = arg->list; tag; tag = tag->next->next) {
		if ((tag->type != IMAP4_ARG_STRING &&
		     tag->type != IMAP4_ARG_ATOM) ||
		    !tag->str || !tag->next)
			return IMAP4_EPROTO;
		if (strcasecmp(tag->str, "OLDNAME") != 0)
			continue;
		const imap4_arg *val = tag->next;
		const char *old;
		if (val->type != IMAP4_ARG_LIST || val->count != 1 ||
		    mailbox_name(&old, val->list) < 0)
			return IMAP4_EPROTO;
		int rc = imap4_view_mailbox(&e->oldname, arena, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_entry(imap4_list_entry *e, struct imap4_arena *arena,
		       const imap4_arg *a)
{
	int rc = imap4_view_strings(&e->attrs, &e->nattrs, arena, a, true);
	if (rc < 0)
		return rc;
	classify_attrs(e);

	a = a->next;
	if (!a)
		return IMAP4_EPROTO;
	if (a->type == IMAP4_ARG_STRING && a->len == 1)
		e->delimiter = a->str[0];
	else if (a->type != IMAP4_ARG_NIL)
		return IMAP4_EPROTO;

	a = a->next;
	rc = mailbox_name(&e->name, a);
	if (rc < 0)
		return rc;
	rc = imap4_view_mailbox(&e->name_utf8, arena, e->name);
	if (rc < 0)
		return rc;

	a = a->next;
	if (!a)
		return 0;
	if (a->next)
		return IMAP4_EPROTO;
	return parse_extended(e, arena, a);
}

int imap4_list_parse(imap4_list_entry *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!resp || !resp->name || !resp->arena ||
	    (strcmp(resp->name, "LIST") != 0 && strcmp(resp->name, "LSUB") != 0))
		return IMAP4_EINVAL;
	int rc = parse_entry(out, resp->arena, resp->args);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
