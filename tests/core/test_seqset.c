/* test_seqset.c - sequence sets: RFC 9051 9 grammar, membership, format. */
#include "view_test.h"

#include <stdlib.h>

TestSuite(seqset, .init = view_setup, .fini = view_teardown);

static imap4_seqset parse_ok(const char *s)
{
	imap4_seqset set;
	int rc = imap4_seqset_parse(&set, &view_arena, s, strlen(s));
	cr_assert_eq(rc, 0, "\"%s\" gave %d", s, rc);
	return set;
}

#define ASSERT_RANGE(set, i, l, h)                                            \
	do {                                                                  \
		cr_assert_eq((set).ranges[i].lo, (l));                        \
		cr_assert_eq((set).ranges[i].hi, (h));                        \
	} while (0)

Test(seqset, rfc_example_keeps_server_order)
{
	imap4_seqset set = parse_ok("2,4:7,9,12:*");
	cr_assert_eq(set.count, 4);
	ASSERT_RANGE(set, 0, 2, 2);
	ASSERT_RANGE(set, 1, 4, 7);
	ASSERT_RANGE(set, 2, 9, 9);
	ASSERT_RANGE(set, 3, 12, 0);
}

Test(seqset, ranges_are_normalised)
{
	imap4_seqset set = parse_ok("7:4,*:3,*,4294967295:1");
	cr_assert_eq(set.count, 4);
	ASSERT_RANGE(set, 0, 4, 7);
	ASSERT_RANGE(set, 1, 3, 0);
	ASSERT_RANGE(set, 2, 0, 0);
	ASSERT_RANGE(set, 3, 1, 4294967295u);
}

Test(seqset, leading_zeros_are_digits)
{
	imap4_seqset set = parse_ok("007");
	ASSERT_RANGE(set, 0, 7, 7);
}

Test(seqset, malformed_sets_are_protocol_errors)
{
	static const char *const bad[] = {
		"",	 "0",	    "1:0",   "0:5",	   "4294967296",
		"1,,2",	 "1:",	    ":1",    "1 2",	   "a",
		"1:3,",	 ",1",	    "+1",    "-1",	   "1:*:3",
		"1;2",	 "1:2:",    "**",    "99999999999", "1,2,x",
		"1\r\n", "\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_seqset set = {.count = 99};
		int rc = imap4_seqset_parse(&set, &view_arena, bad[i],
					    strlen(bad[i]));
		cr_expect_eq(rc, IMAP4_EPROTO, "\"%s\" gave %d", bad[i], rc);
		cr_expect_eq(set.count, 0);
	}
}

Test(seqset, length_is_respected_not_nul)
{
	imap4_seqset set;
	cr_assert_eq(imap4_seqset_parse(&set, &view_arena, "12,99", 2), 0);
	cr_assert_eq(set.count, 1);
	ASSERT_RANGE(set, 0, 12, 12);
}

Test(seqset, contains_resolves_star)
{
	imap4_seqset set = parse_ok("1:3,5,7:*");
	cr_assert(imap4_seqset_contains(&set, 1, 10));
	cr_assert(imap4_seqset_contains(&set, 3, 10));
	cr_assert_not(imap4_seqset_contains(&set, 4, 10));
	cr_assert(imap4_seqset_contains(&set, 5, 10));
	cr_assert(imap4_seqset_contains(&set, 10, 10));
	cr_assert_not(imap4_seqset_contains(&set, 11, 10));
	cr_assert_not(imap4_seqset_contains(&set, 0, 10));

	/* RFC 9051 6.4.8: "5:*" when the largest number is 3 is 3:5 */
	set = parse_ok("5:*");
	cr_assert(imap4_seqset_contains(&set, 3, 3));
	cr_assert(imap4_seqset_contains(&set, 5, 3));
	cr_assert_not(imap4_seqset_contains(&set, 2, 3));
	cr_assert_not(imap4_seqset_contains(&set, 6, 3));
	cr_assert_not(imap4_seqset_contains(NULL, 1, 1));
}

static void expect_format(const uint32_t *nums, size_t n, const char *want)
{
	char *s = NULL;
	cr_assert_eq(imap4_seqset_format(&s, nums, n), 0);
	cr_expect_str_eq(s, want);
	free(s);
}

Test(seqset, format_compacts_runs)
{
	expect_format((uint32_t[]){1, 2, 3, 5}, 4, "1:3,5");
	expect_format((uint32_t[]){7}, 1, "7");
	expect_format((uint32_t[]){1, 1, 2, 2, 4}, 5, "1:2,4");
	expect_format((uint32_t[]){1, 3, 5}, 3, "1,3,5");
	expect_format((uint32_t[]){4294967294u, 4294967295u}, 2,
		      "4294967294:4294967295");
}

Test(seqset, format_rejects_bad_input)
{
	char *s = (char *)"untouched";
	cr_expect_eq(imap4_seqset_format(&s, (uint32_t[]){3, 2}, 2),
		     IMAP4_EINVAL);
	cr_expect_null(s);
	cr_expect_eq(imap4_seqset_format(&s, (uint32_t[]){0, 2}, 2),
		     IMAP4_EINVAL);
	cr_expect_eq(imap4_seqset_format(&s, (uint32_t[]){1}, 0), IMAP4_EINVAL);
	cr_expect_eq(imap4_seqset_format(&s, NULL, 1), IMAP4_EINVAL);
	cr_expect_eq(imap4_seqset_format(NULL, (uint32_t[]){1}, 1),
		     IMAP4_EINVAL);
}

Test(seqset, format_then_parse_round_trips)
{
	srand(7);
	for (int round = 0; round < 200; round++) {
		uint32_t nums[64];
		size_t n = 1 + (size_t)(rand() % 64);
		uint32_t v = 1 + (uint32_t)(rand() % 5);
		for (size_t i = 0; i < n; i++) {
			nums[i] = v;
			v += (uint32_t)(rand() % 3);
		}
		char *s;
		cr_assert_eq(imap4_seqset_format(&s, nums, n), 0);
		imap4_seqset set = parse_ok(s);
		for (uint32_t x = 1; x <= v + 1; x++) {
			bool in = false;
			for (size_t i = 0; i < n; i++)
				in |= nums[i] == x;
			cr_assert_eq(imap4_seqset_contains(&set, x, 0), in,
				     "%u in %s", x, s);
		}
		free(s);
	}
}

Test(seqset, exhausted_arena_is_enomem)
{
	struct imap4_arena small;
	imap4_arena_init(&small, 8);
	imap4_seqset set;
	cr_expect_eq(imap4_seqset_parse(&set, &small, "1,2,3,4", 7),
		     IMAP4_ENOMEM);
	imap4_arena_clear(&small);
	cr_expect_eq(imap4_seqset_parse(&set, NULL, "1", 1), IMAP4_EINVAL);
}
