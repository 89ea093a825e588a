/* fuzz_views.c - every typed view on whatever the parser accepts.
 *
 * The input is parsed as one response (with a deep list limit, so the
 * views' own nesting bound is reachable), then handed to every view, once
 * with room to spare and once with the arena capped just above what the
 * parser used (the cap comes from the first byte) so the views' ENOMEM
 * paths run too. The raw bytes also go to the sequence-set parser and the
 * FETCH prefix scanner. Nothing may crash, leak or read out of bounds;
 * every error must be a documented code, and every success must keep the
 * invariants the views promise (non-zero UIDs, ordered ranges, ...).
 */
#include "imap4.h"
#include "proto/fetch.h"
#include "proto/reader.h"
#include "proto/resp.h"
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc < 0 && rc != IMAP4_EPROTO && rc != IMAP4_ELIMIT &&
	    rc != IMAP4_ENOMEM && rc != IMAP4_EINVAL && rc != IMAP4_ECAPA)
		abort();
}

static void check_set(const imap4_seqset *set, bool star_ok)
{
	for (size_t i = 0; i < set->count; i++) {
		const imap4_range *r = &set->ranges[i];
		if (!star_ok && (r->lo == 0 || r->hi == 0))
			abort();
		if (r->lo && r->hi && r->lo > r->hi)
			abort();
		if (r->lo == 0 && r->hi != 0)
			abort();
		(void)imap4_seqset_contains(set, r->lo ? r->lo : 1, 7);
	}
}

static void check_body(const imap4_body *b, unsigned depth)
{
	for (; b; b = b->next) {
		if (depth > 1000)
			abort();
		if (b->type)
			(void)strlen(b->type);
		for (const imap4_param *p = b->params; p; p = p->next)
			if (!p->name)
				abort();
		if (b->message)
			check_body(b->message, depth + 1);
		check_body(b->parts, depth + 1);
	}
}

static void check_msg(const imap4_msg *m)
{
	if (m->seq == 0)
		abort();
	if ((m->have & IMAP4_HAVE_UID) && m->uid == 0)
		abort();
	if ((m->have & IMAP4_HAVE_MODSEQ) && m->modseq == 0)
		abort();
	for (size_t i = 0; i < m->nflags; i++)
		(void)strlen(m->flags[i]);
	if (m->nflags && m->flags[m->nflags])
		abort();
	for (size_t i = 0; i < m->ngm_labels; i++)
		(void)strlen(m->gm_labels[i]);
	for (const imap4_section *s = m->sections; s; s = s->next) {
		if (!s->item || !s->section)
			abort();
		if (s->data && s->data[s->len] != '\0')
			abort();
	}
	check_body(m->body, 0);
	(void)imap4_msg_has_flag(m, "\\Seen");
}

static void run_views(const imap4_resp *r)
{
	imap4_msg m;
	int rc = imap4_msg_parse(&m, r);
	check_code(rc);
	if (rc == 0)
		check_msg(&m);

	imap4_list_entry e;
	rc = imap4_list_parse(&e, r);
	check_code(rc);
	if (rc == 0 && (!e.name || !e.name_utf8))
		abort();

	imap4_status_info st;
	rc = imap4_status_parse(&st, r);
	check_code(rc);
	if (rc == 0 && (!st.mailbox ||
			((st.have & IMAP4_ST_UIDNEXT) && st.uidnext == 0)))
		abort();

	imap4_search_result sr;
	rc = imap4_search_parse(&sr, r);
	check_code(rc);
	if (rc == 0) {
		for (size_t i = 0; i < sr.count; i++)
			if (sr.nums[i] == 0)
				abort();
		check_set(&sr.all, false);
		if (sr.count) {
			char *s = NULL;
			rc = imap4_seqset_format(&s, sr.nums, sr.count);
			if (rc != 0 && rc != IMAP4_EINVAL)
				abort();
			free(s);
		}
	}

	imap4_vanished v;
	rc = imap4_vanished_parse(&v, r);
	check_code(rc);
	if (rc == 0)
		check_set(&v.uids, false);

	imap4_copyuid cu;
	rc = imap4_resp_appenduid(&cu, r);
	check_code(rc);
	if (rc == 0)
		check_set(&cu.dst, false);
	rc = imap4_resp_copyuid(&cu, r);
	check_code(rc);
	if (rc == 0) {
		check_set(&cu.src, false);
		check_set(&cu.dst, false);
	}
	uint64_t n;
	(void)imap4_resp_code_u64(r, "UIDVALIDITY", &n);
	(void)imap4_resp_code_u64(r, r->code ? r->code : "UIDNEXT", &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_depth = 300;

	struct imap4_arena a;
	imap4_arena_init(&a, 1 << 22);
	const imap4_resp *r;
	int rc = imap4_resp_parse(&r, NULL, &a, text, size, &lim, NULL, 0);
	check_code(rc);
	if (rc == 0) {
		run_views(r);
		/* again, starved */
		a.cap = a.used + (size ? (size_t)data[0] * 16 : 0);
		run_views(r);
	}
	imap4_arena_clear(&a);

	imap4_arena_init(&a, 1 << 22);
	imap4_seqset set;
	rc = imap4_seqset_parse(&set, &a, text, size);
	check_code(rc);
	if (rc == 0)
		check_set(&set, true);
	imap4_arena_clear(&a);

	uint32_t seq;
	char item[64];
	rc = imap4_fetch_prefix_parse(&seq, item, sizeof(item), text, size);
	check_code(rc);
	if (rc == 0 && (seq == 0 || strlen(item) >= sizeof(item)))
		abort();
	return 0;
}
