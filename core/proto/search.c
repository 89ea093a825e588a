/* search.c - the typed view of SEARCH, SORT and ESEARCH responses.
 *
 * RFC 9051 9, RFC 5256 (SORT), RFC 4731 / RFC 4466 (ESEARCH), RFC 7162
 * 3.1.5 and 3.1.6 (MODSEQ in results):
 *	mailbox-data   =/ "SEARCH" *(SP nz-number) [SP search-sort-mod-seq]
 *	sort-data      = "SORT" *(SP nz-number) [SP search-sort-mod-seq]
 *	search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"
 *	esearch-response = "ESEARCH" [search-correlator] [SP "UID"]
 *			 *(SP search-return-data)
 *	search-correlator = SP "(" "TAG" SP tag-string ")"
 *	search-return-data = "MIN" SP nz-number / "MAX" SP nz-number /
 *			 "ALL" SP sequence-set / "COUNT" SP number /
 *			 "MODSEQ" SP mod-sequence-value /
 *			 search-modifier-name SP search-return-value
 */
#include "proto/view.h"

#include <string.h>
#include <strings.h>

#define ES_MIN 1u
#define ES_MAX 2u
#define ES_COUNT 4u
#define ES_ALL 8u

/* mod-sequence-value: a positive 63-bit number (RFC 7162 7). */
static bool get_modseq(const imap4_arg *arg, uint64_t *out)
{
	return imap4_arg_get_u64(arg, out) && *out != 0 && *out <= INT64_MAX;
}

static int parse_numbers(imap4_search_result *out, struct imap4_arena *arena,
			 const imap4_arg *first, size_t nargs)
{
	/* Memory follows the arguments the parser already bounded. */
	uint32_t *nums = NULL;
	if (nargs) {
		nums = imap4_arena_alloc(arena, nargs * sizeof(*nums));
		if (!nums)
			return IMAP4_ENOMEM;
	}
	size_t n = 0;
	for (const imap4_arg *a = first; a; a = a->next) {
		if (a->type == IMAP4_ARG_LIST) {
			/* (MODSEQ n) comes last, and only once */
			if (a->next || a->count != 2 ||
			    !imap4_view_is_atom(a->list, "MODSEQ") ||
			    !get_modseq(a->list->next, &out->modseq))
				return IMAP4_EPROTO;
			out->has_modseq = true;
			break;
		}
		if (n == nargs || !imap4_arg_get_nz32(a, &nums[n]))
			return IMAP4_EPROTO;
		n++;
	}
	out->nums = n ? nums : NULL;
	out->count = n;
	return 0;
}

static int parse_correlator(imap4_search_result *out, const imap4_arg *list)
{
	/* TAG and, with RFC 7377 MULTISEARCH, MAILBOX and UIDVALIDITY:
	 * pairs of a name and a value. */
	for (const imap4_arg *a = list->list; a; a = a->next->next) {
		if (a->type != IMAP4_ARG_ATOM || !a->next)
			return IMAP4_EPROTO;
		if (strcasecmp(a->str, "TAG") == 0) {
			const imap4_arg *v = a->next;
			if ((v->type != IMAP4_ARG_STRING &&
			     v->type != IMAP4_ARG_ATOM &&
			     v->type != IMAP4_ARG_LITERAL) ||
			    v->streamed || !v->str ||
			    memchr(v->str, '\0', v->len))
				return IMAP4_EPROTO;
			out->tag = v->str;
		}
	}
	return 0;
}

static int parse_esearch(imap4_search_result *out, struct imap4_arena *arena,
			 const imap4_arg *a)
{
	out->esearch = true;
	if (a && a->type == IMAP4_ARG_LIST) {
		int rc = parse_correlator(out, a);
		if (rc < 0)
			return rc;
		a = a->next;
	}
	if (imap4_view_is_atom(a, "UID")) {
		out->uid = true;
		a = a->next;
	}
	for (; a; a = a->next->next) {
		const imap4_arg *v = a->next;
		if (a->type != IMAP4_ARG_ATOM || !a->str || !v)
			return IMAP4_EPROTO;
		const char *n = a->str;
		if (strcasecmp(n, "MIN") == 0) {
			if (!imap4_arg_get_nz32(v, &out->min))
				return IMAP4_EPROTO;
			out->have |= ES_MIN;
		} else if (strcasecmp(n, "MAX") == 0) {
			if (!imap4_arg_get_nz32(v, &out->max))
				return IMAP4_EPROTO;
			out->have |= ES_MAX;
		} else if (strcasecmp(n, "COUNT") == 0) {
			if (!imap4_arg_get_u32(v, &out->n))
				return IMAP4_EPROTO;
			out->have |= ES_COUNT;
		} else if (strcasecmp(n, "ALL") == 0) {
			if (v->type != IMAP4_ARG_ATOM)
				return IMAP4_EPROTO;
			int rc = imap4_view_seqset(&out->all, arena, v->str,
						   v->len, false);
			if (rc < 0)
				return rc;
			out->have |= ES_ALL;
		} else if (strcasecmp(n, "MODSEQ") == 0) {
			if (!get_modseq(v, &out->modseq))
				return IMAP4_EPROTO;
			out->has_modseq = true;
		}
		/* other return data (PARTIAL, RELEVANCY, ...) is one value */
	}
	/* RFC 4731 3.1: MIN and MAX bound the result */
	if ((out->have & (ES_MIN | ES_MAX)) == (ES_MIN | ES_MAX) &&
	    out->min > out->max)
		return IMAP4_EPROTO;
	return 0;
}

int imap4_search_parse(imap4_search_result *out, const imap4_resp *resp)
{
	if (!out)
		return IMAP4_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!resp || !resp->name || !resp->arena)
		return IMAP4_EINVAL;
	int rc;
	if (strcmp(resp->name, "SEARCH") == 0 || strcmp(resp->name, "SORT") == 0)
		rc = parse_numbers(out, resp->arena, resp->args, resp->nargs);
	else if (strcmp(resp->name, "ESEARCH") == 0)
		rc = parse_esearch(out, resp->arena, resp->args);
	else
		return IMAP4_EINVAL;
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
