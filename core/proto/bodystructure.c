/* bodystructure.c - BODY and BODYSTRUCTURE of a FETCH response.
 *
 * RFC 9051 9 (RFC 3501 9 is the same but for message/global):
 *	body            = "(" (body-type-1part / body-type-mpart) ")"
 *	body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
 *	body-type-1part = (body-type-basic / body-type-msg / body-type-text)
 *			  [SP body-ext-1part]
 *	body-type-basic = media-basic SP body-fields
 *	body-type-msg   = media-message SP body-fields SP envelope SP body SP
 *			  body-fld-lines
 *	body-type-text  = media-text SP body-fields SP body-fld-lines
 *	body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP
 *			  body-fld-enc SP body-fld-octets
 *	body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang
 *			  [SP body-fld-loc *(SP body-extension)]]]
 *	body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang
 *			  [SP body-fld-loc *(SP body-extension)]]]
 *	body-fld-dsp    = "(" string SP body-fld-param ")" / nil
 *	body-fld-param  = "(" string SP string *(SP string SP string) ")" / nil
 *	body-fld-lang   = nstring / "(" string *(SP string) ")"
 *
 * Servers get this wrong in many small ways (empty parameter lists, a bare
 * string for a disposition, sizes in quotes, text parts without a line
 * count, message/rfc822 parts sent as basic ones), and mail is what it is.
 * The view takes what can be understood without guessing: the core fields
 * must fit, the extension data (optional by RFC 3501 7.4.2 and purely
 * informative) is dropped from the first field that does not.
 */
#include "proto/view.h"

#include <string.h>
#include <strings.h>

/* body-fld-octets and body-fld-lines: a number, liberally also a quoted
 * one, NIL meaning 0. */
static int parse_count(uint64_t *out, const imap4_arg *arg, uint64_t max)
{
	*out = 0;
	if (!arg)
		return IMAP4_EPROTO;
	if (arg->type == IMAP4_ARG_NIL)
		return 0;
	if (arg->type != IMAP4_ARG_ATOM && arg->type != IMAP4_ARG_STRING)
		return IMAP4_EPROTO;
	imap4_arg digits = *arg;
	digits.type = IMAP4_ARG_ATOM;
	uint64_t v;
	if (!imap4_arg_get_u64(&digits, &v) || v > max)
		return IMAP4_EPROTO;
	*out = v;
	return 0;
}

static bool is_number(const imap4_arg *arg)
{
	uint64_t v;
	return arg && arg->type == IMAP4_ARG_ATOM && imap4_arg_get_u64(arg, &v);
}

/* body-fld-param. A dangling name without a value is dropped. */
static int parse_params(const imap4_param **out, struct imap4_arena *arena,
			const imap4_arg *arg)
{
	*out = NULL;
	if (!arg)
		return IMAP4_EPROTO;
	if (arg->type == IMAP4_ARG_NIL)
		return 0;
	if (arg->type != IMAP4_ARG_LIST)
		return IMAP4_EPROTO;
	const imap4_param **link = out;
	for (const imap4_arg *a = arg->list; a && a->next; a = a->next->next) {
		const char *name, *value;
		int rc = imap4_view_nstring(&name, arena, a);
		if (rc == 0)
			rc = imap4_view_nstring(&value, arena, a->next);
		if (rc < 0)
			return rc;
		if (!name)
			continue;
		imap4_param *p = imap4_arena_calloc(arena, 1, sizeof(*p));
		if (!p)
			return IMAP4_ENOMEM;
		p->name = name;
		p->value = value;
		*link = p;
		link = &p->next;
	}
	return 0;
}

static int parse_disposition(imap4_body *b, struct imap4_arena *arena,
			     const imap4_arg *arg)
{
	if (arg->type == IMAP4_ARG_NIL)
		return 0;
	if (arg->type != IMAP4_ARG_LIST)
		/* A bare "inline": some servers leave out the list. */
		return imap4_view_nstring(&b->disposition, arena, arg);
	const imap4_arg *first = arg->list;
	if (!first)
		return 0;
	int rc = imap4_view_nstring(&b->disposition, arena, first);
	if (rc == 0 && first->next)
		rc = parse_params(&b->disposition_params, arena, first->next);
	return rc;
}

static int parse_language(imap4_body *b, const imap4_arg *arg)
{
	if (arg->type == IMAP4_ARG_NIL)
		return 0;
	if (arg->type == IMAP4_ARG_LIST) {
		for (const imap4_arg *a = arg->list; a; a = a->next) {
			if (a->type == IMAP4_ARG_LIST)
				return IMAP4_EPROTO;
		}
	}
	b->language = arg;
	return 0;
}

/* body-fld-dsp, body-fld-lang, body-fld-loc from ext on, after the md5 or
 * the parameters. Only IMAP4_ENOMEM is an error; the first field that
 * does not fit ends the extension data. */
static int parse_ext_tail(imap4_body *b, struct imap4_arena *arena,
			  const imap4_arg *ext)
{
	if (!ext)
		return 0;
	int rc = parse_disposition(b, arena, ext);
	if (rc < 0) {
		b->disposition = NULL;
		b->disposition_params = NULL;
	}
	if (rc == 0 && (ext = ext->next))
		rc = parse_language(b, ext);
	if (rc == 0 && ext && (ext = ext->next))
		rc = imap4_view_nstring(&b->location, arena, ext);
	/* body-extension: future extensions, not interpreted */
	if (rc == IMAP4_ENOMEM)
		return rc;
	return 0;
}

static int parse_body(imap4_body **out, struct imap4_arena *arena,
		      const imap4_arg *arg, unsigned depth);

static int parse_multipart(imap4_body *b, struct imap4_arena *arena,
			   const imap4_arg *arg, unsigned depth)
{
	b->type = "MULTIPART";
	const imap4_arg *a = arg->list;
	const imap4_body **link = &b->parts;
	for (; a && a->type == IMAP4_ARG_LIST; a = a->next) {
		imap4_body *part;
		int rc = parse_body(&part, arena, a, depth + 1);
		if (rc < 0)
			return rc;
		*link = part;
		link = &part->next;
	}
	if (!a)
		return 0;	/* no subtype: RFC 3501 wants one, mail lacks it */
	int rc = imap4_view_nstring(&b->subtype, arena, a);
	if (rc < 0)
		return rc;
	const imap4_arg *ext = a->next;
	if (!ext)
		return 0;
	rc = parse_params(&b->params, arena, ext);
	if (rc == IMAP4_ENOMEM)
		return rc;
	if (rc < 0) {
		b->params = NULL;
		return 0;
	}
	return parse_ext_tail(b, arena, ext->next);
}

static bool is_message_rfc822(const imap4_body *b)
{
	/* message/global is RFC 6532's rfc822 with UTF-8 headers, sent with
	 * the same fields (RFC 9051 9, media-message). */
	return b->type && b->subtype && strcasecmp(b->type, "MESSAGE") == 0 &&
	       (strcasecmp(b->subtype, "RFC822") == 0 ||
		strcasecmp(b->subtype, "GLOBAL") == 0);
}

static int parse_single(imap4_body *b, struct imap4_arena *arena,
			const imap4_arg *arg, unsigned depth)
{
	const imap4_arg *f[7];
	const imap4_arg *a = arg->list;
	for (size_t i = 0; i < 7; i++, a = a->next) {
		if (!a)
			return IMAP4_EPROTO;
		f[i] = a;
	}
	int rc = imap4_view_nstring(&b->type, arena, f[0]);
	if (rc == 0)
		rc = imap4_view_nstring(&b->subtype, arena, f[1]);
	if (rc == 0)
		rc = parse_params(&b->params, arena, f[2]);
	if (rc == 0)
		rc = imap4_view_nstring(&b->id, arena, f[3]);
	if (rc == 0)
		rc = imap4_view_nstring(&b->description, arena, f[4]);
	if (rc == 0)
		rc = imap4_view_nstring(&b->encoding, arena, f[5]);
	if (rc == 0)
		rc = parse_count(&b->size, f[6], UINT64_MAX);
	if (rc < 0)
		return rc;

	/* a is now the first argument after body-fields. A message part
	 * that some server sent without envelope and body reads as basic. */
	uint64_t lines;
	if (is_message_rfc822(b) && a && a->type == IMAP4_ARG_LIST && a->next &&
	    a->next->type == IMAP4_ARG_LIST && a->next->next) {
		rc = imap4_envelope_parse(&b->envelope, arena, a);
		if (rc < 0)
			return rc;
		imap4_body *inner;
		rc = parse_body(&inner, arena, a->next, depth + 1);
		if (rc < 0)
			return rc;
		b->message = inner;
		a = a->next->next;
		rc = parse_count(&lines, a, UINT32_MAX);
		if (rc < 0)
			return rc;
		b->lines = (uint32_t)lines;
		a = a->next;
	} else if (b->type && strcasecmp(b->type, "TEXT") == 0 &&
		   is_number(a)) {
		rc = parse_count(&lines, a, UINT32_MAX);
		if (rc < 0)
			return rc;
		b->lines = (uint32_t)lines;
		a = a->next;
	}

	if (!a)
		return 0;
	rc = imap4_view_nstring(&b->md5, arena, a);
	if (rc == IMAP4_ENOMEM)
		return rc;
	if (rc < 0) {
		b->md5 = NULL;
		return 0;
	}
	return parse_ext_tail(b, arena, a->next);
}

static int parse_body(imap4_body **out, struct imap4_arena *arena,
		      const imap4_arg *arg, unsigned depth)
{
	*out = NULL;
	if (!arg || arg->type != IMAP4_ARG_LIST || !arg->list)
		return IMAP4_EPROTO;
	if (depth >= IMAP4_VIEW_MAX_BODY_DEPTH)
		return IMAP4_ELIMIT;
	imap4_body *b = imap4_arena_calloc(arena, 1, sizeof(*b));
	if (!b)
		return IMAP4_ENOMEM;
	int rc = arg->list->type == IMAP4_ARG_LIST
			 ? parse_multipart(b, arena, arg, depth)
			 : parse_single(b, arena, arg, depth);
	if (rc < 0)
		return rc;
	*out = b;
	return 0;
}

int imap4_body_parse(const imap4_body **out, struct imap4_arena *arena,
		     const imap4_arg *arg)
{
	imap4_body *b;
	int rc = parse_body(&b, arena, arg, 0);
	*out = rc < 0 ? NULL : b;
	return rc;
}
