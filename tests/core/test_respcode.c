/* test_respcode.c - numeric response codes, APPENDUID and COPYUID
 * (RFC 3501 7.1, RFC 4315, RFC 6851, RFC 7162). */
#include "view_test.h"

TestSuite(respcode, .init = view_setup, .fini = view_teardown);

Test(respcode, numbers_from_select)
{
	uint64_t v = 0;
	cr_assert(imap4_resp_code_u64(
		wire("* OK [UIDVALIDITY 3857529045] UIDs valid"), "UIDVALIDITY",
		&v));
	cr_assert_eq(v, 3857529045u);
	cr_assert(imap4_resp_code_u64(
		wire("* OK [UIDNEXT 4392] Predicted next UID"), "uidnext", &v));
	cr_assert_eq(v, 4392);
	cr_assert(imap4_resp_code_u64(
		wire("* OK [HIGHESTMODSEQ 715194045007] Highest"),
		"HIGHESTMODSEQ", &v));
	cr_assert_eq(v, 715194045007ull);
}

Test(respcode, absent_or_broken_numbers_are_false)
{
	uint64_t v = 77;
	const imap4_resp *r = wire("* OK [UIDNEXT 4392] x");
	cr_expect_not(imap4_resp_code_u64(r, "UIDVALIDITY", &v));
	cr_expect_not(imap4_resp_code_u64(wire("* OK no code"), "UIDNEXT", &v));
	cr_expect_not(imap4_resp_code_u64(wire("* OK [UNSEEN 12x] x"),
					  "UNSEEN", &v));
	cr_expect_not(imap4_resp_code_u64(wire("* OK [UNSEEN -1] x"),
					  "UNSEEN", &v));
	cr_expect_not(imap4_resp_code_u64(
		wire("* OK [HIGHESTMODSEQ 18446744073709551616] x"),
		"HIGHESTMODSEQ", &v));
	cr_expect_not(imap4_resp_code_u64(wire("* OK [READ-WRITE] x"),
					  "READ-WRITE", &v));
	cr_expect_not(imap4_resp_code_u64(NULL, "UIDNEXT", &v));
	cr_expect_eq(v, 77);
}

Test(respcode, appenduid_rfc4315)
{
	imap4_copyuid cu;
	cr_assert_eq(imap4_resp_appenduid(
			     &cu, wire("A003 OK [APPENDUID 38505 3955] "
				       "APPEND completed")),
		     0);
	cr_assert_eq(cu.uidvalidity, 38505);
	cr_assert_eq(cu.src.count, 0);
	cr_assert_eq(cu.dst.count, 1);
	cr_assert_eq(cu.dst.ranges[0].lo, 3955);
	cr_assert_eq(cu.dst.ranges[0].hi, 3955);

	/* MULTIAPPEND (RFC 3502) appends several */
	cr_assert_eq(imap4_resp_appenduid(
			     &cu, wire("A004 OK [APPENDUID 1 17:19] done")),
		     0);
	cr_assert_eq(cu.dst.ranges[0].lo, 17);
	cr_assert_eq(cu.dst.ranges[0].hi, 19);
}

Test(respcode, copyuid_rfc4315_and_move)
{
	imap4_copyuid cu;
	cr_assert_eq(imap4_resp_copyuid(
			     &cu, wire("A004 OK [COPYUID 38505 304,319:320 "
				       "3956:3958] Done")),
		     0);
	cr_assert_eq(cu.uidvalidity, 38505);
	cr_assert_eq(cu.src.count, 2);
	cr_assert_eq(cu.src.ranges[0].lo, 304);
	cr_assert_eq(cu.src.ranges[1].lo, 319);
	cr_assert_eq(cu.src.ranges[1].hi, 320);
	cr_assert_eq(cu.dst.count, 1);
	cr_assert_eq(cu.dst.ranges[0].lo, 3956);
	cr_assert_eq(cu.dst.ranges[0].hi, 3958);

	/* RFC 6851 3.3: MOVE sends it in an untagged OK */
	cr_assert_eq(imap4_resp_copyuid(
			     &cu, wire("* OK [COPYUID 432432 42:69 1202:1229]")),
		     0);
	cr_assert(imap4_seqset_contains(&cu.dst, 1229, 0));
}

Test(respcode, absent_code_is_ecapa)
{
	imap4_copyuid cu;
	cr_expect_eq(imap4_resp_appenduid(&cu, wire("A1 OK APPEND done")),
		     IMAP4_ECAPA);
	cr_expect_eq(imap4_resp_copyuid(
			     &cu, wire("A1 OK [APPENDUID 1 2] APPEND done")),
		     IMAP4_ECAPA);
	cr_expect_eq(imap4_resp_copyuid(&cu, NULL), IMAP4_EINVAL);
	cr_expect_eq(imap4_resp_copyuid(NULL, wire("A1 OK x")), IMAP4_EINVAL);
}

Test(respcode, broken_uidplus_codes_are_eproto)
{
	static const char *const bad_append[] = {
		"A1 OK [APPENDUID 0 3955] x",
		"A1 OK [APPENDUID 4294967296 3955] x",
		"A1 OK [APPENDUID 38505] x",
		"A1 OK [APPENDUID 38505 *] x",
		"A1 OK [APPENDUID 38505 0] x",
		"A1 OK [APPENDUID 38505 12x] x",
		"A1 OK [APPENDUID 38505 3955 7] x",
		"A1 OK [APPENDUID] x",
		"A1 OK [APPENDUID x 5] x",
	};
	static const char *const bad_copy[] = {
		"A1 OK [COPYUID 1 1:3 5:6] sizes differ",
		"A1 OK [COPYUID 1 4294967296 5] x",
		"A1 OK [COPYUID 1 1:*] x",
		"A1 OK [COPYUID 1 1] x",
		"A1 OK [COPYUID 0 1 2] x",
		"A1 OK [COPYUID 1 1 2 3] x",
		"A1 OK [COPYUID 1 1:2 \"3:4\"] x",
	};
	imap4_copyuid cu;
	for (size_t i = 0; i < sizeof(bad_append) / sizeof(*bad_append); i++) {
		cr_expect_eq(imap4_resp_appenduid(&cu, wire(bad_append[i])),
			     IMAP4_EPROTO, "%s", bad_append[i]);
		cr_expect_eq(cu.uidvalidity, 0);
		cr_expect_eq(cu.dst.count, 0);
	}
	for (size_t i = 0; i < sizeof(bad_copy) / sizeof(*bad_copy); i++)
		cr_expect_eq(imap4_resp_copyuid(&cu, wire(bad_copy[i])),
			     IMAP4_EPROTO, "%s", bad_copy[i]);
}
