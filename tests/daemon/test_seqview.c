/* test_seqview.c - the view of sequence numbers and UIDs (seqview.h). */
#include "mailmirrord/seqview.h"

#include <criterion/criterion.h>

/* A view of box 5 settled from pairs in the order given. */
static void built(struct seqview *v, const struct seqview_pair *p, size_t n,
                  uint32_t exists)
{
	*v = (struct seqview){0};
	seqview_reset(v, 5, true);
	for (size_t i = 0; i < n; i++)
		seqview_saw(v, p[i].seq, p[i].uid, exists + 10);
	cr_assert(seqview_settle(v, exists));
}

Test(seqview, settles_from_pairs_in_any_order)
{
	/* New mail fetched first, the listing of the others after it */
	struct seqview_pair p[] = {{4, 40}, {1, 10}, {2, 20}, {3, 30}, {3, 30}};
	struct seqview v;
	built(&v, p, 5, 4);
	cr_assert(seqview_ready(&v, 5));
	cr_assert(!seqview_ready(&v, 6));
	cr_assert_eq(seqview_uid(&v, 1), 10);
	cr_assert_eq(seqview_uid(&v, 4), 40);
	cr_assert_eq(seqview_uid(&v, 5), 0);
	cr_assert_eq(seqview_uid(&v, 0), 0);
	seqview_free(&v);
}

Test(seqview, a_gap_or_a_short_count_is_not_trusted)
{
	struct seqview v = {0};
	seqview_reset(&v, 5, true);
	seqview_saw(&v, 1, 10, 100);
	seqview_saw(&v, 3, 30, 100);
	cr_assert(!seqview_settle(&v, 3));
	cr_assert(!seqview_ready(&v, 5));
	cr_assert_eq(seqview_uid(&v, 1), 0);

	seqview_reset(&v, 5, true);
	seqview_saw(&v, 1, 10, 100);
	seqview_saw(&v, 2, 20, 100);
	cr_assert(!seqview_settle(&v, 3), "EXISTS counts one not named");
	seqview_free(&v);
}

Test(seqview, uids_must_ascend_and_agree)
{
	struct seqview v = {0};
	seqview_reset(&v, 5, true);
	seqview_saw(&v, 1, 20, 100);
	seqview_saw(&v, 2, 10, 100);
	cr_assert(!seqview_settle(&v, 2));

	seqview_reset(&v, 5, true);
	seqview_saw(&v, 1, 10, 100);
	seqview_saw(&v, 1, 11, 100);
	cr_assert(!seqview_settle(&v, 1), "one message, two UIDs");

	struct seqview_pair p[] = {{1, 10}, {2, 20}};
	built(&v, p, 2, 2);
	seqview_saw(&v, 2, 21, 100);
	cr_assert(!seqview_ready(&v, 5), "a FETCH contradicted the view");
	seqview_free(&v);
}

Test(seqview, not_built_is_never_trusted)
{
	struct seqview v = {0};
	seqview_reset(&v, 5, false);
	seqview_saw(&v, 1, 10, 100);
	cr_assert(!seqview_settle(&v, 1));
	cr_assert_eq(seqview_uid(&v, 1), 0);
	seqview_free(&v);
}

Test(seqview, expunge_names_the_message_and_moves_the_rest)
{
	struct seqview_pair p[] = {{1, 10}, {2, 20}, {3, 30}};
	struct seqview v;
	built(&v, p, 3, 3);
	cr_assert_eq(seqview_expunge(&v, 2), 20);
	cr_assert_eq(seqview_uid(&v, 2), 30);
	cr_assert_eq(v.n, 2);
	/* New mail past the view, then an expunge below it */
	seqview_saw(&v, 3, 40, 100);
	seqview_saw(&v, 4, 50, 100);
	cr_assert_eq(seqview_expunge(&v, 1), 10);
	cr_assert_eq(seqview_expunge(&v, 2), 0, "not settled: not known");
	cr_assert(seqview_settle(&v, 2));
	cr_assert_eq(seqview_uid(&v, 1), 30);
	cr_assert_eq(seqview_uid(&v, 2), 50);
	cr_assert_eq(seqview_expunge(&v, 0), 0);
	cr_assert(!seqview_ready(&v, 5), "message 0 is no message");
	seqview_free(&v);
}

Test(seqview, pairs_past_the_limit_drop_it)
{
	struct seqview v = {0};
	seqview_reset(&v, 5, true);
	seqview_saw(&v, 1, 10, 1);
	seqview_saw(&v, 2, 20, 1);
	cr_assert(!seqview_settle(&v, 2));
	seqview_free(&v);
}
