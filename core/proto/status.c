/* status.c - the typed view of a STATUS response.
 *
 * RFC 9051 9 with RFC 7162 (HIGHESTMODSEQ) and RFC 8438 (SIZE):
 *	mailbox-data   =/ "STATUS" SP mailbox SP "(" [status-att-list] ")"
 *	status-att-list = status-att-val *(SP status-att-val)
 *	status-att-val = ("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) /
 *			 ("UIDVALIDITY" SP nz-number) / ("UNSEEN" SP number) /
 *			 ("DELETED" SP number) / ("SIZE" SP number64) /
 *			 ("RECENT" SP number) /
 *			 ("HIGHESTMODSEQ" SP mod-sequence-valzer)
 * Items the view does not know (MAILBOXID, APPENDLIMIT, ...) are skipped.
 */
#include "proto/view.h"

#include <string.h>
#include <strings.h>

enum kind { U32, NZ32, U64 };

static const struct {
	const char *name;
	unsigned bit;
	enum kind kind;
	size_t offset;
} items[] = {
	{"MESSAGES", IMAP4_ST_MESSAGES, U32,
	 offsetof(imap4_status_info, messages)},
	{"RECENT", IMAP4_ST_RECENT, U32, offsetof(imap4_status_info, recent)},
	{"UIDNEXT", IMAP4_ST_UIDNEXT, NZ32,
	 offsetof(imap4_status_info, uidnext)},
	{"UIDVALIDITY", IMAP4_ST_UIDVALIDITY, NZ32,
	 offsetof(imap4_status_info, uidvalidity)},
	{"UNSEEN", IMAP4_ST_UNSEEN, U32, offsetof(imap4_status_info, unseen)},
	{"DELETED", IMAP4_ST_DELETED, U32,
	 offsetof(imap4_status_info, deleted)},
	{"HIGHESTMODSEQ", IMAP4_ST_HIGHESTMODSEQ, U64,
	 offsetof(imap4_status_info, highestmodseq)},
	{"SIZE", IMAP4_ST_SIZE, U64, offsetof(imap4_status_info, size)},
};

static int parse_item(imap4_status_info *st, const imap4_arg *name,
		      const imap4_arg *val)
{
	if (name->type != IMAP4_ARG_ATOM || !name->str)
		return IMAP4_EPROTO;
	for (size_t i = 0; i < sizeof(items) / sizeof(*items); i++) {
		if (strcasecmp(name->str, items[i].name) != 0)
			continue;
		void *field = (char *)st + items[i].offset;
		uint32_t v32;
		uint64_t v64;
		bool ok;
		switch (items[i].kind) {
		case U32:
			ok = imap4_arg_get_u32(val, &v32);
			if (ok)
				memcpy(field, &v32, sizeof(v32));
			break;
		case NZ32:
			ok = imap4_arg_get_nz32(val, &v32);
			if (ok)
				memcpy(field, &v32, sizeof(v32));
			break;
		default:
			ok = imap4_arg_get_u64(val, &v64);
			/* HIGHESTMODSEQ is a mod-sequence-valzer, 0 to
			 * 2^63-1 (RFC 7162 7). One past it can be no
			 * CHANGEDSINCE nor QRESYNC argument, nor be kept in a
			 * signed 64-bit column, and compared with a caller's
			 * it reads as a change at every look: it is left out,
			 * the mailbox told of as one without mod-sequences.
			 * Refusing the whole answer lost the rest of it (a
			 * NOTIFY's news of the mailbox). */
			if (items[i].bit == IMAP4_ST_HIGHESTMODSEQ &&
			    (!ok || v64 > INT64_MAX))
				return 0;
			if (ok)
				memcpy(field, &v64, sizeof(v64));
			break;
		}
		if (!ok)
			return IMAP4_EPROTO;
		st->have |= items[i].bit;
		return 0;
	}
	return 0;
}

/* The mailbox argument(s) before the item list. Some servers (versions of
 * Microsoft Exchange among them) send names with spaces unquoted
 * ("* STATUS Sent Items (MESSAGES 0)"); a run of atoms is such a name,
 * joined back with single spaces. */
static int mailbox_arg(const char **out, struct imap4_arena *arena,
		       const imap4_arg *first, const imap4_arg *items_arg)
{
	*out = NULL;
	if (first == items_arg)
		return IMAP4_EPROTO;
	if (first->next == items_arg) {
		/* A literal may carry NUL; cut there the name would be
		 * another mailbox's (list.c refuses it the same way). An
		 * atom NIL is the mailbox NIL, as in list.c. */
		if (first->type == IMAP4_ARG_LIST || first->streamed ||
		    !first->str || memchr(first->str, '\0', first->len))
			return IMAP4_EPROTO;
		*out = first->str;
		return 0;
	}
	size_t len = 0;
	for (const imap4_arg *a = first; a != items_arg; a = a->next) {
		if ((a->type != IMAP4_ARG_ATOM && a->type != IMAP4_ARG_NIL) ||
		    !a->str)
			return IMAP4_EPROTO;
		len += a->len + 1;	/* bounded by the response's size */
	}
	char *name = imap4_arena_alloc(arena, len);
	if (!name)
		return IMAP4_ENOMEM;
	char *p = name;
	for (const imap4_arg *a = first; a != items_arg; a = a->next) {
		if (p != name)
			*p++ = ' ';
		memcpy(p, a->str, a->len);
		p += a->len;
	}
	*p = '\0';
	*out = name;
	return 0;
}

int imap4_status_parse(imap4_status_info *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!resp || !resp->name || !resp->arena ||
	    strcmp(resp->name, "STATUS") != 0)
		return IMAP4_EINVAL;
	if (!resp->args)
		return IMAP4_EPROTO;

	const imap4_arg *last = resp->args;
	while (last->next)
		last = last->next;
	const char *name;
	int rc = last->type == IMAP4_ARG_LIST
			 ? mailbox_arg(&name, resp->arena, resp->args, last)
			 : IMAP4_EPROTO;
	if (rc == 0)
		rc = imap4_view_mailbox(&out->mailbox, resp->arena, name);
	for (const imap4_arg *a = last->list; rc == 0 && a;
	     a = a->next->next) {
		if (!a->next) {
			rc = IMAP4_EPROTO;
			break;
		}
		rc = parse_item(out, a, a->next);
	}
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
