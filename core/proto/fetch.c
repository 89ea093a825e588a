/* fetch.c - the typed view of a FETCH response (imap4_msg).
 *
 * RFC 9051 7.5.2 / RFC 3501 7.4.2, RFC 7162 (MODSEQ), RFC 8474 (EMAILID,
 * THREADID), RFC 8514 (SAVEDATE), RFC 3516 (BINARY), Gmail's X-GM-EXT-1:
 *	message-data = nz-number SP "FETCH" SP msg-att
 *	msg-att      = "(" (msg-att-dynamic / msg-att-static)
 *		       *(SP (msg-att-dynamic / msg-att-static)) ")"
 * Each item is a name followed by one value. The parser hands
 * BODY[HEADER.FIELDS (FROM)]<0> over as one atom, so every item is exactly
 * two arguments of the list.
 */
#include "proto/date.h"
#include "proto/view.h"

#include <string.h>
#include <strings.h>

/* objectid = 1*255(ALPHA / DIGIT / "_" / "-")	(RFC 8474 7) */
static bool is_objectid(const imap4_arg *arg)
{
	if (!arg || arg->type != IMAP4_ARG_ATOM || arg->len == 0 ||
	    arg->len > 255)
		return false;
	for (size_t i = 0; i < arg->len; i++) {
		char c = arg->str[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "(" value ")" with exactly one value: MODSEQ, EMAILID, THREADID. */
static const imap4_arg *sole_child(const imap4_arg *arg)
{
	if (!arg || arg->type != IMAP4_ARG_LIST || arg->count != 1)
		return NULL;
	return arg->list;
}

/* INTERNALDATE and SAVEDATE: RFC 3501's date-time, or one of the forms
 * servers send instead (imap4_fetch_date_value). */
static int parse_date(time_t *t, int *tz, const imap4_arg *arg)
{
	/* date-time is a quoted string; an atom or a list is not a date,
	 * nor is a literal with a NUL that would end it early. */
	if (!arg ||
	    (arg->type != IMAP4_ARG_STRING && arg->type != IMAP4_ARG_LITERAL) ||
	    !arg->str || memchr(arg->str, '\0', arg->len))
		return IMAP4_EPROTO;
	return imap4_fetch_date_value(t, tz, arg->str) < 0 ? IMAP4_EPROTO : 0;
}

/* The digits of n bytes at p as a number within 32 bits: 1*DIGIT, checked
 * like any number. */
static bool digits_u32(const char *p, size_t n, uint32_t *out)
{
	imap4_arg digits = {.type = IMAP4_ARG_ATOM, .len = n, .str = p};
	return imap4_arg_get_u32(&digits, out);
}

/* Splits "BODY[1.MIME]<10>" into item "BODY[1.MIME]", section "1.MIME"
 * and origin 10. The section ends at the last "]": a section may hold a
 * header list with brackets in quoted names, an origin never does.
 *
 * RFC 3501 7.4.2 names a partial fetch's data by its origin alone,
 * "<0>"; some servers (WildDuck) echo the request's "<0.262144>". The
 * length says nothing the data's own length does not, so it is checked
 * as a number and dropped: the item is the one asked for, and left out
 * of the message it would cost the caller its header. */
static int parse_section_name(imap4_section *s, struct imap4_arena *arena,
			      const char *name, size_t len)
{
	const char *open = memchr(name, '[', len);
	const char *close = NULL;
	for (const char *p = name + len; p > name; p--) {
		if (p[-1] == ']') {
			close = p - 1;
			break;
		}
	}
	if (!open || !close || close < open)
		return IMAP4_EPROTO;

	const char *rest = close + 1;
	size_t restlen = (size_t)(name + len - rest);
	if (restlen > 0) {
		/* "<" number ["." number] ">" */
		if (restlen < 3 || rest[0] != '<' || rest[restlen - 1] != '>')
			return IMAP4_EPROTO;
		const char *num = rest + 1, *end = rest + restlen - 1;
		const char *dot = memchr(num, '.', (size_t)(end - num));
		uint32_t length;
		if (dot &&
		    !digits_u32(dot + 1, (size_t)(end - dot - 1), &length))
			return IMAP4_EPROTO;
		if (!digits_u32(num, (size_t)((dot ? dot : end) - num),
		                &s->origin))
			return IMAP4_EPROTO;
		s->has_origin = true;
	}
	s->item = imap4_arena_strndup(arena, name, (size_t)(rest - name));
	s->section = imap4_arena_strndup(arena, open + 1,
					 (size_t)(close - open - 1));
	return s->item && s->section ? 0 : IMAP4_ENOMEM;
}

/* RFC822, RFC822.HEADER and RFC822.TEXT are BODY[], BODY[HEADER] and
 * BODY[TEXT] by another name (RFC 3501 6.4.5); the section says which. */
static const char *rfc822_section(const char *name)
{
	if (strcasecmp(name, "RFC822") == 0)
		return "";
	if (strcasecmp(name, "RFC822.HEADER") == 0)
		return "HEADER";
	if (strcasecmp(name, "RFC822.TEXT") == 0)
		return "TEXT";
	return NULL;
}

static bool is_section_item(const char *name)
{
	return strncasecmp(name, "BODY[", 5) == 0 ||
	       strncasecmp(name, "BINARY[", 7) == 0 || rfc822_section(name);
}

static int parse_section(imap4_msg *m, imap4_section **head,
			 struct imap4_arena *arena, const imap4_arg *name,
			 const imap4_arg *val)
{
	imap4_section tmp = {0};
	const char *rfc822 = rfc822_section(name->str);
	if (rfc822) {
		tmp.item = name->str;
		tmp.section = rfc822;
	} else {
		int rc = parse_section_name(&tmp, arena, name->str, name->len);
		if (rc < 0)
			return rc;
	}

	switch (val->type) {
	case IMAP4_ARG_NIL:
		tmp.nil = true;
		break;
	case IMAP4_ARG_STRING:
	case IMAP4_ARG_LITERAL:
		tmp.streamed = val->streamed;
		tmp.data = val->streamed ? NULL : val->str;
		tmp.len = val->len;
		break;
	default:
		return IMAP4_EPROTO;
	}

	/* The same item twice: the last one wins, in the place of the first. */
	imap4_section **link = head;
	for (imap4_section *s = *head; s; s = (imap4_section *)s->next) {
		if (s->has_origin == tmp.has_origin &&
		    s->origin == tmp.origin &&
		    strcasecmp(s->item, tmp.item) == 0) {
			tmp.next = s->next;
			*s = tmp;
			return 0;
		}
		link = (imap4_section **)&s->next;
	}
	imap4_section *s = imap4_arena_alloc(arena, sizeof(*s));
	if (!s)
		return IMAP4_ENOMEM;
	*s = tmp;
	*link = s;
	m->have |= IMAP4_HAVE_SECTIONS;
	return 0;
}

enum item {
	ITEM_OTHER,
	ITEM_UID,
	ITEM_FLAGS,
	ITEM_INTERNALDATE,
	ITEM_SIZE,
	ITEM_ENVELOPE,
	ITEM_BODYSTRUCTURE,
	ITEM_SECTION,
	ITEM_MODSEQ,
	ITEM_GM_MSGID,
	ITEM_GM_THRID,
	ITEM_GM_LABELS,
	ITEM_SAVEDATE,
	ITEM_EMAILID,
	ITEM_THREADID,
};

/* What a FETCH item's name says. The length is compared first: a first
 * sync reads five items of 100,000 messages, and a chain of case-blind
 * compares was a twentieth of its parsing. */
static enum item item_kind(const imap4_arg *name)
{
#define ITEM(s, k) {s, sizeof(s) - 1, k}
	static const struct {
		const char *name;
		size_t len;
		enum item kind;
	} names[] = {
	        ITEM("UID", ITEM_UID),
	        ITEM("FLAGS", ITEM_FLAGS),
	        ITEM("INTERNALDATE", ITEM_INTERNALDATE),
	        ITEM("RFC822.SIZE", ITEM_SIZE),
	        ITEM("ENVELOPE", ITEM_ENVELOPE),
	        ITEM("BODYSTRUCTURE", ITEM_BODYSTRUCTURE),
	        ITEM("BODY", ITEM_BODYSTRUCTURE),
	        ITEM("MODSEQ", ITEM_MODSEQ),
	        ITEM("X-GM-MSGID", ITEM_GM_MSGID),
	        ITEM("X-GM-THRID", ITEM_GM_THRID),
	        ITEM("X-GM-LABELS", ITEM_GM_LABELS),
	        ITEM("SAVEDATE", ITEM_SAVEDATE),
	        ITEM("EMAILID", ITEM_EMAILID),
	        ITEM("THREADID", ITEM_THREADID),
	};
#undef ITEM
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].len == name->len &&
		    strcasecmp(name->str, names[i].name) == 0)
			return names[i].kind;
	return is_section_item(name->str) ? ITEM_SECTION : ITEM_OTHER;
}

/* One item into m. IMAP4_EPROTO when its value does not parse, with m
 * as it was: each case reads into locals first. */
static int parse_item(imap4_msg *m, imap4_section **sections,
                      struct imap4_arena *arena, enum item kind,
                      const imap4_arg *name, const imap4_arg *val)
{
	const imap4_arg *c;
	const char *const *strings;
	size_t n;
	time_t t;
	int tz;
	uint64_t u;
	int rc;

	switch (kind) {
	case ITEM_UID:
		if (!imap4_arg_get_nz32(val, &m->uid))
			return IMAP4_EPROTO;
		m->have |= IMAP4_HAVE_UID;
		break;
	case ITEM_FLAGS:
		rc = imap4_view_strings(&strings, &n, arena, val, true);
		if (rc < 0)
			return rc;
		m->flags = strings;
		m->nflags = n;
		m->have |= IMAP4_HAVE_FLAGS;
		break;
	case ITEM_INTERNALDATE:
		if (parse_date(&t, &tz, val) < 0)
			return IMAP4_EPROTO;
		m->internaldate = t;
		m->internaldate_tz = tz;
		m->have |= IMAP4_HAVE_INTERNALDATE;
		break;
	case ITEM_SIZE:
		/* number in RFC 3501, number64 in RFC 9051 */
		if (!imap4_arg_get_u64(val, &u))
			return IMAP4_EPROTO;
		m->size = u;
		m->have |= IMAP4_HAVE_SIZE;
		break;
	case ITEM_ENVELOPE: {
		const imap4_envelope *e;
		rc = imap4_envelope_parse(&e, arena, val);
		if (rc < 0)
			return rc;
		m->envelope = e;
		m->have |= IMAP4_HAVE_ENVELOPE;
		break;
	}
	case ITEM_BODYSTRUCTURE: {
		const imap4_body *b;
		rc = imap4_body_parse(&b, arena, val);
		if (rc < 0)
			return rc;
		m->body = b;
		m->have |= IMAP4_HAVE_BODYSTRUCTURE;
		break;
	}
	case ITEM_SECTION:
		return parse_section(m, sections, arena, name, val);
	case ITEM_MODSEQ:
		/* permsg-modsequence is a positive 63-bit number
		 * (RFC 7162 7); 0 would defeat every CHANGEDSINCE after. */
		c = sole_child(val);
		if (!imap4_arg_get_u64(c, &u) || u == 0 || u > INT64_MAX)
			return IMAP4_EPROTO;
		m->modseq = u;
		m->have |= IMAP4_HAVE_MODSEQ;
		break;
	case ITEM_GM_MSGID:
		if (!imap4_arg_get_u64(val, &u))
			return IMAP4_EPROTO;
		m->gm_msgid = u;
		m->have |= IMAP4_HAVE_GM_MSGID;
		break;
	case ITEM_GM_THRID:
		if (!imap4_arg_get_u64(val, &u))
			return IMAP4_EPROTO;
		m->gm_thrid = u;
		m->have |= IMAP4_HAVE_GM_THRID;
		break;
	case ITEM_GM_LABELS:
		/* Labels are astrings: "\\Inbox" atoms, quoted names with
		 * spaces; a message without labels may come as NIL. */
		if (imap4_view_is_nil(val)) {
			strings = NULL;
			n = 0;
		} else {
			rc = imap4_view_strings(&strings, &n, arena, val,
			                        false);
			if (rc < 0)
				return rc;
		}
		m->gm_labels = strings;
		m->ngm_labels = n;
		m->have |= IMAP4_HAVE_GM_LABELS;
		break;
	case ITEM_SAVEDATE:
		/* NIL: the server cannot tell (RFC 8514 4.2) */
		if (imap4_view_is_nil(val)) {
			m->have &= ~(unsigned)IMAP4_HAVE_SAVEDATE;
			return 0;
		}
		if (parse_date(&t, &tz, val) < 0)
			return IMAP4_EPROTO;
		m->savedate = t;
		m->savedate_tz = tz;
		m->have |= IMAP4_HAVE_SAVEDATE;
		break;
	case ITEM_EMAILID:
		c = sole_child(val);
		if (!is_objectid(c))
			return IMAP4_EPROTO;
		m->emailid = c->str;
		m->have |= IMAP4_HAVE_EMAILID;
		break;
	case ITEM_THREADID:
		/* NIL when the server does not thread this message */
		if (imap4_view_is_nil(val)) {
			m->threadid = NULL;
			return 0;
		}
		c = sole_child(val);
		if (!is_objectid(c))
			return IMAP4_EPROTO;
		m->threadid = c->str;
		break;
	case ITEM_OTHER:
		/* Anything else (PREVIEW, BINARY.SIZE[], vendor items) is
		 * skipped: its value is one argument whatever its shape. */
		break;
	}
	return 0;
}

int imap4_msg_parse(imap4_msg *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!resp || !resp->name || strcmp(resp->name, "FETCH") != 0 ||
	    !resp->arena)
		return IMAP4_EINVAL;
	if (!resp->has_number || resp->number == 0)
		return IMAP4_EPROTO;
	const imap4_arg *list = resp->args;
	if (!list || list->type != IMAP4_ARG_LIST || list->next)
		return IMAP4_EPROTO;

	out->seq = resp->number;
	imap4_section *sections = NULL;
	int rc = 0;
	for (const imap4_arg *a = list->list; a; a = a->next->next) {
		if (a->type != IMAP4_ARG_ATOM || !a->str || !a->next) {
			rc = IMAP4_EPROTO;
			break;
		}
		enum item kind = item_kind(a);
		rc = parse_item(out, &sections, resp->arena, kind, a, a->next);
		/* A value that does not parse is left out, as if not sent:
		 * one odd date or size must not cost the caller the rest of
		 * the message (and a mirror the messages after it). Without
		 * its UID the message cannot be named at all. */
		if (rc == IMAP4_EPROTO && kind != ITEM_UID)
			rc = 0;
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->sections = sections;
	return 0;
}

bool imap4_msg_has_flag(const imap4_msg *msg, const char *flag)
{
	if (!msg || !flag)
		return false;
	for (size_t i = 0; i < msg->nflags; i++) {
		if (strcasecmp(msg->flags[i], flag) == 0)
			return true;
	}
	return false;
}
